"""Runs the simulator, the API and the worker as real processes on real sockets."""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.factories import EXAMPLE
from tests.support.live import free_port, wait_until

FAST = {
    "SIMULATOR_STEP_SECONDS": "0.5",
    "SIMULATOR_SLOW_SECONDS": "6",
    "GATEWAY_RELAY_INTERVAL": "1",
    "GATEWAY_FLUX_POLL_INTERVAL": "1",
    "GATEWAY_STATUS_SYNC_INTERVAL": "1",
    "GATEWAY_SUBMIT_LEASE": "8",
    "GATEWAY_DEPOSIT_LOOKUP_GRACE": "6",
    "GATEWAY_DEPOSIT_LOOKUP_INTERVAL": "1",
    "GATEWAY_RETRY_BASE": "1",
    "GATEWAY_SUBMIT_SWEEP_AFTER": "3",
    "GATEWAY_LOG_LEVEL": "INFO",
    "GATEWAY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
}


@dataclass
class Process:
    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(sig)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Stack:
    api_url: str
    simulator_url: str
    processes: dict[str, Process] = field(default_factory=dict)
    api_key: str = ""

    @property
    def headers(self) -> dict[str, str]:
        """What every call to the API sends: the admin key the stack created."""
        return {"Authorization": f"Bearer {self.api_key}"}

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.api_url, headers=self.headers, timeout=10)

    def restart(self, name: str) -> None:
        self.processes[name].stop()
        self.processes[name].start()

    def logs(self) -> str:
        return "\n".join(f"--- {n} ---\n{p.log_tail()}" for n, p in self.processes.items())


def _wait_http(url: str, process: Process) -> None:
    def answers() -> bool:
        if process.popen is not None and process.popen.poll() is not None:
            raise AssertionError(f"{process.name} exited:\n{process.log_tail()}")
        try:
            return httpx.get(url, timeout=1.0).status_code < 500
        except httpx.HTTPError:
            return False

    wait_until(answers, timeout=60, what=f"{process.name} at {url}")


@contextmanager
def run_stack(
    database_url: str, redis_url: str, log_dir: Path, extra_env: dict[str, str]
) -> Iterator[Stack]:
    api_port, simulator_port = free_port(), free_port()
    simulator_url = f"http://127.0.0.1:{simulator_port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "GATEWAY_CHORUS_API_URL": simulator_url,
        "GATEWAY_PISTE_TOKEN_URL": f"{simulator_url}/api/oauth/token",
        "SIMULATOR_PORT": str(simulator_port),
        **extra_env,
    }
    cli = [sys.executable, "-m", "app.cli"]
    processes = {
        "simulator": Process("simulator", [*cli, "simulator"], env, log_dir / "simulator.log"),
        "api": Process("api", [*cli, "api", "--port", str(api_port)], env, log_dir / "api.log"),
        "worker": Process("worker", [*cli, "worker"], env, log_dir / "worker.log"),
    }
    stack = Stack(f"http://127.0.0.1:{api_port}", simulator_url, processes)
    try:
        for process in processes.values():
            process.start()
        _wait_http(f"{simulator_url}/_simulator/clock", processes["simulator"])
        _wait_http(f"{stack.api_url}/healthz", processes["api"])
        stack.api_key = create_api_key(env)
        yield stack
    finally:
        for process in reversed(list(processes.values())):
            process.stop()


def create_api_key(env: dict[str, str], *args: str) -> str:
    """An admin key (or the one `args` describe) made by the CLI, as an operator would."""
    command = [sys.executable, "-m", "app.cli", "keys", "create", "--name", "e2e"]
    command += list(args) or ["--scope", "admin"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def post_invoice(stack: Stack, key: str, **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLE)
    recipient = changes.pop("recipient_siret", None)
    body.update(changes)
    if recipient:
        body["recipient"]["siret"] = recipient
    response = httpx.post(
        f"{stack.api_url}/v1/invoices",
        json=body,
        headers={**stack.headers, "Idempotency-Key": key},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    return dict(response.json())


def status_of(stack: Stack, invoice_id: str) -> dict[str, Any]:
    return dict(
        httpx.get(
            f"{stack.api_url}/v1/invoices/{invoice_id}", headers=stack.headers, timeout=10
        ).json()
    )


def wait_or_dump(stack: Stack, condition: Any, what: str) -> Any:
    try:
        return wait_until(condition, timeout=60, what=what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{stack.logs()}") from exc


def wait_for_status(stack: Stack, invoice_id: str, wanted: str) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        current = status_of(stack, invoice_id)
        if current["status"] in ("failed", "rejected") and wanted not in ("failed", "rejected"):
            raise AssertionError(f"invoice ended {current['status']}: {current}\n{stack.logs()}")
        return current if current["status"] == wanted else None

    try:
        return dict(wait_until(reached, timeout=120, what=f"{invoice_id} -> {wanted}"))
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{stack.logs()}") from exc


def deposits_of(stack: Stack, number: str) -> int:
    stats = httpx.get(f"{stack.simulator_url}/_simulator/stats", timeout=10).json()
    return sum(1 for d in stats["deposits"] if d["numeroFacture"] == number)
