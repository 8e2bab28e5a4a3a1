"""The worker outlives Redis going away (or not being there yet), and stops cleanly.

Each test runs the simulator, the API and the worker as real processes against a Redis of
its own, which the test stops and starts again; PostgreSQL is the shared one (not stopped).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.stack import FAST, deposits_of, post_invoice, run_stack, wait_for_status
from tests.support.live import wait_until
from tests.support.redis_server import OwnRedis, own_redis

pytestmark = pytest.mark.e2e

OUTAGE_SECONDS = 6


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[OwnRedis]:
    with own_redis(tmp_path, started=False) as server:
        yield server


def test_a_redis_outage_does_not_stop_the_worker(
    database_url: str, redis_server: OwnRedis, tmp_path: Path, clean_db: None
) -> None:
    redis_server.start()
    with run_stack(database_url, redis_server.url, tmp_path, FAST) as stack:
        first = post_invoice(stack, "outage-1", number="OUTAGE-1")
        wait_for_status(stack, first["id"], "paid")
        redis_server.stop()
        during = post_invoice(stack, "outage-2", number="OUTAGE-2")  # the API keeps accepting
        time.sleep(OUTAGE_SECONDS)
        worker = stack.processes["worker"]
        assert worker.popen is not None and worker.popen.poll() is None, stack.logs()
        redis_server.start()
        wait_for_status(stack, during["id"], "paid")
        assert deposits_of(stack, "OUTAGE-2") == 1
        log = worker.log_path.read_text()
        assert "Redis unavailable" in log and "Traceback" not in log, log[-3000:]


def test_a_worker_started_before_redis_waits_for_it(
    database_url: str, redis_server: OwnRedis, tmp_path: Path, clean_db: None
) -> None:
    with run_stack(database_url, redis_server.url, tmp_path, FAST) as stack:
        created = post_invoice(stack, "late-redis-1", number="LATE-REDIS-1")
        time.sleep(OUTAGE_SECONDS)
        worker = stack.processes["worker"]
        assert worker.popen is not None and worker.popen.poll() is None, stack.logs()
        redis_server.start()
        wait_for_status(stack, created["id"], "paid")


def test_sigterm_lets_the_deposit_in_flight_finish_and_exits_cleanly(
    database_url: str, redis_server: OwnRedis, tmp_path: Path, clean_db: None
) -> None:
    redis_server.start()
    with run_stack(database_url, redis_server.url, tmp_path, FAST) as stack:
        created = post_invoice(stack, "sigterm-1", number="XSLOW-SIGTERM-1")  # answers in 6 s
        wait_until(lambda: deposits_of(stack, "XSLOW-SIGTERM-1") == 1, what="the deposit")
        worker = stack.processes["worker"]
        assert worker.popen is not None
        worker.popen.send_signal(signal.SIGTERM)
        assert worker.popen.wait(30) == 0
        log = worker.log_path.read_text()
        assert "Traceback" not in log, log[-3000:]
        attempts = httpx.get(
            f"{stack.api_url}/v1/invoices/{created['id']}", headers=stack.headers
        ).json()["attempts"]
        assert [a["outcome"] for a in attempts] == ["deposited"]  # finished, not cut short
