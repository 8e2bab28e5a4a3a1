"""SIGTERM while deposits are in flight: the worker exits 0 without a traceback, and what it
handed back is deposited exactly once by the next worker.

Real processes (simulator, API, worker) on real sockets; the simulator answers the `XSLOW`
deposits after 6 s, so they are in flight when the signal comes.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.e2e.stack import FAST, Stack, deposits_of, post_invoice, run_stack, status_of
from tests.support.live import wait_until

SLOW_INVOICES = 4
FAST_INVOICES = 20


def _post_batch(stack: Stack, tag: str) -> dict[str, str]:
    """Invoice number -> id: slow deposits to be in flight, plain ones queued beside them."""
    numbers = [f"XSLOW-{tag}-{i}" for i in range(SLOW_INVOICES)]
    numbers += [f"PLAIN-{tag}-{i}" for i in range(FAST_INVOICES)]
    return {n: post_invoice(stack, f"{tag}-{n}", number=n)["id"] for n in numbers}


def _wait_deposited(stack: Stack, invoice_id: str) -> None:
    def deposited() -> bool:
        invoice = status_of(stack, invoice_id)
        assert invoice["status"] not in ("failed", "rejected", "invalid"), invoice
        return invoice["deposited_at"] is not None

    try:
        wait_until(deposited, timeout=120, what=f"{invoice_id} deposited")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{stack.logs()}") from exc


def _sigterm_while_in_flight(stack: Stack, slow_number: str) -> str:
    """Send SIGTERM once a slow deposit reached the simulator; the worker's log after exit."""
    wait_until(lambda: deposits_of(stack, slow_number) == 1, what="a slow deposit in flight")
    worker = stack.processes["worker"]
    assert worker.popen is not None and worker.popen.poll() is None, stack.logs()
    worker.popen.send_signal(signal.SIGTERM)
    assert worker.popen.wait(60) == 0, worker.log_tail()
    return worker.log_path.read_text(errors="replace")


@pytest.mark.parametrize(
    ("grace", "tag"),
    [("20", "FINISH"), ("1", "HANDBACK"), ("0", "NOGRACE")],
    ids=["jobs-finish-within-the-grace", "jobs-cut-short-are-handed-back", "no-grace"],
)
def test_sigterm_with_deposits_in_flight_exits_cleanly_and_loses_nothing(
    database_url: str, redis_url: str, tmp_path: Path, clean_db: None, grace: str, tag: str
) -> None:
    env = {**FAST, "GATEWAY_WORKER_SHUTDOWN_GRACE": grace, "GATEWAY_WORKER_MAX_JOBS": "100"}
    with run_stack(database_url, redis_url, tmp_path, env) as stack:
        invoices = _post_batch(stack, tag)
        log = _sigterm_while_in_flight(stack, f"XSLOW-{tag}-0")
        assert "Traceback" not in log, log[-4000:]
        stack.processes["worker"].start()  # a new worker takes what was handed back
        for number, invoice_id in invoices.items():
            _wait_deposited(stack, invoice_id)
            assert deposits_of(stack, number) == 1, number
        second = stack.processes["worker"].log_path.read_text(errors="replace")
        assert "Traceback" not in second, second[-4000:]
