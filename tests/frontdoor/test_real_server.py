"""The front door of a real API process (`chorus-gateway api`): sockets a client controls."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.stack import create_api_key
from tests.factories import invoice_body as invoice
from tests.support.live import free_port, wait_until

BODY_TIMEOUT_SECONDS = 2
MAX_BODY_BYTES = 15 * 1024 * 1024  # the default
CONCURRENT_POSTS = 50


@dataclass
class Api:
    port: int
    key: str
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def raw(self, request: bytes) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.sendall(request)
        return sock

    def head(self, path: str, length: str, extra: str = "") -> bytes:
        return (
            f"POST {path} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {self.key}\r\n"
            f"Content-Type: application/json\r\nIdempotency-Key: raw\r\n"
            f"Content-Length: {length}\r\n{extra}\r\n"
        ).encode()


def _answer(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    status_line = data.split(b"\r\n", 1)[0]
    return int(status_line.split()[1]), data


@pytest.fixture(scope="module")
def api(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    with _api_process(database_url, redis_url, tmp_path_factory.mktemp("api"), {}) as api:
        yield api


@contextmanager
def _api_process(
    database_url: str, redis_url: str, log_dir: Path, extra_env: dict[str, str]
) -> Iterator[Api]:
    port = free_port()
    log = log_dir / "api.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "GATEWAY_BODY_TIMEOUT": str(BODY_TIMEOUT_SECONDS),
        "GATEWAY_LOG_LEVEL": "INFO",
        "GATEWAY_DIRECTORY_PREFLIGHT_ENABLED": "false",  # no simulator here
        **extra_env,
    }
    key = create_api_key(env)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "api", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    api = Api(port, key, log, process)

    def answers() -> bool:
        assert process.poll() is None, api.log_text()
        try:
            return httpx.get(f"{api.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(answers, timeout=60, what="the API process")
        yield api
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_no_server_banner_and_nosniff(api: Api) -> None:
    response = httpx.get(f"{api.url}/healthz")
    assert "server" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_body_larger_than_the_cap_is_413_before_it_is_read(api: Api) -> None:
    """A 2 GiB Content-Length with 1 KiB sent: 413 at once, the connection closed."""
    started = time.monotonic()
    sock = api.raw(api.head("/v1/invoices/validate", str(2 * 1024**3)) + b"x" * 1024)
    with sock:
        status, data = _answer(sock)
    assert status == 413
    assert b"application/problem+json" in data
    assert time.monotonic() - started < BODY_TIMEOUT_SECONDS


def test_a_chunked_body_past_the_cap_is_413_too(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    response = httpx.post(
        f"{api.url}/v1/invoices/validate",
        content=chunks(),
        headers={"Authorization": f"Bearer {api.key}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.json()["type"].endswith("/request-too-large")


def test_a_stalled_body_is_cut_off_with_408(api: Api) -> None:
    started = time.monotonic()
    with api.raw(api.head("/v1/invoices/validate", "1000") + b'{"number":') as sock:
        status, data = _answer(sock)
    elapsed = time.monotonic() - started
    assert status == 408, data
    assert BODY_TIMEOUT_SECONDS - 0.5 <= elapsed < BODY_TIMEOUT_SECONDS + 10
    assert "body not received within" in api.log_text()


def test_a_client_that_goes_away_mid_body_is_one_info_line(api: Api) -> None:
    before = len(api.log_text())
    sock = api.raw(api.head("/v1/invoices", "100000") + b'{"number": "GONE-1", ' + b" " * 1000)
    time.sleep(0.3)
    sock.close()
    wait_until(lambda: "went away" in api.log_text()[before:], timeout=10, what="the log line")
    time.sleep(0.5)
    logged = api.log_text()[before:]
    lines = [line for line in logged.splitlines() if line.strip()]
    assert len(lines) == 1, logged
    assert " INFO app.kit.frontdoor " in lines[0]
    assert "the client went away after 1021 of 100000 bytes" in lines[0]
    assert "ERROR" not in logged and "Traceback" not in logged


def test_healthz_stays_fast_during_a_big_upload(api: Api) -> None:
    """A body just under the cap, streamed slowly, does not hold the event loop."""
    body = json.dumps({"file": {"content": "A" * (MAX_BODY_BYTES - 1024)}}).encode()
    answered: list[int] = []

    def upload() -> None:
        def slowly() -> Iterator[bytes]:
            for start in range(0, len(body), 1024 * 1024):
                yield body[start : start + 1024 * 1024]
                time.sleep(0.02)

        response = httpx.post(
            f"{api.url}/v1/invoices/validate",
            content=slowly(),
            headers={
                "Authorization": f"Bearer {api.key}",
                "Content-Type": "application/json",
                "Content-Length": str(len(body)),
            },
            timeout=30,
        )
        answered.append(response.status_code)

    thread = threading.Thread(target=upload)
    thread.start()
    slowest = 0.0
    with httpx.Client(base_url=api.url, timeout=5) as client:
        while thread.is_alive():
            started = time.monotonic()
            assert client.get("/healthz").status_code == 200
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.01)
    thread.join()
    assert answered == [422]  # too large once decoded, or not an invoice: a problem, not a 500
    assert slowest < 1.0, f"/healthz took {slowest:.2f} s during the upload"


def test_a_normal_post_still_works(api: Api) -> None:
    response = httpx.post(
        f"{api.url}/v1/invoices/validate",
        json=invoice(),
        headers={"Authorization": f"Bearer {api.key}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"


def test_a_multipart_upload_is_spooled_not_held_whole_several_times(api: Api) -> None:
    import psutil

    process = psutil.Process(api.process.pid)
    content = b"<Invoice>" + b"A" * (9 * 1024 * 1024) + b"</Invoice"  # not XML: a 422
    files = {"file": ("big.xml", content, "application/xml")}
    headers = {"Authorization": f"Bearer {api.key}", "Idempotency-Key": "big-upload"}
    with httpx.Client(base_url=api.url, headers=headers, timeout=30) as client:
        client.post("/v1/invoices/validate", files=files)  # the allocator's first growth
        before = process.memory_info().rss
        for _ in range(3):
            response = client.post("/v1/invoices/validate", files=files)
            assert response.status_code == 422, response.text
            assert {e["field"] for e in response.json()["errors"]} == {"file"}
    grown = process.memory_info().rss - before
    assert grown < 3 * len(content), f"RSS grew {grown / 2**20:.0f} MiB"


def test_concurrent_connections_are_bounded_by_configuration(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """GATEWAY_API_LIMIT_CONCURRENCY requests at once: past it, a 503 problem at once."""
    limit = {"GATEWAY_API_LIMIT_CONCURRENCY": "3", "GATEWAY_BODY_TIMEOUT": "20"}
    with _api_process(database_url, redis_url, tmp_path, limit) as api:
        stalled = [api.raw(api.head("/v1/invoices/validate", "1000") + b"{") for _ in range(3)]
        try:
            time.sleep(0.5)
            started = time.monotonic()
            response = httpx.get(f"{api.url}/healthz", timeout=10)
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["retry-after"] == "1"
            assert time.monotonic() - started < 5
        finally:
            for sock in stalled:
                sock.close()
        wait_until(
            lambda: httpx.get(f"{api.url}/healthz", timeout=5).status_code == 200,
            timeout=20,
            what="the slots to free",
        )


async def test_fifty_identical_posts_at_once_on_real_connections_all_replay(api: Api) -> None:
    """One key, one body, 50 connections to a real process (its pool is smaller): every
    answer is the one invoice, 202 once and replays after, never a 409."""
    body = invoice(number="RACE-REAL")
    headers = {"Authorization": f"Bearer {api.key}", "Idempotency-Key": "race-real"}
    limits = httpx.Limits(max_connections=CONCURRENT_POSTS)
    async with httpx.AsyncClient(base_url=api.url, limits=limits, timeout=60) as client:
        responses = await asyncio.gather(
            *(
                client.post("/v1/invoices", json=body, headers=headers)
                for _ in range(CONCURRENT_POSTS)
            )
        )
    statuses = {r.status_code for r in responses}
    assert statuses == {202}, [r.text for r in responses if r.status_code != 202]
    assert len({r.json()["id"] for r in responses}) == 1
    replays = [r.headers.get("Idempotent-Replayed") for r in responses]
    assert replays.count("true") == CONCURRENT_POSTS - 1
