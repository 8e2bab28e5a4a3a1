"""`chorus-gateway run` (what `make run` calls): embedded servers, every process, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.live import free_port, wait_until

pytestmark = pytest.mark.e2e

EXAMPLE = json.loads((Path(__file__).parents[2] / "examples" / "invoice.json").read_text())


def test_run_starts_everything_on_embedded_servers_and_ctrl_c_stops_it_all(
    tmp_path: Path,
) -> None:
    api_port, simulator_port = free_port(), free_port()
    simulator = f"http://127.0.0.1:{simulator_port}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        {
            "GATEWAY_DATA_DIR": str(tmp_path / "data"),
            "GATEWAY_API_PORT": str(api_port),
            "SIMULATOR_PORT": str(simulator_port),
            "GATEWAY_CHORUS_API_URL": simulator,
            "GATEWAY_PISTE_TOKEN_URL": f"{simulator}/api/oauth/token",
        }
    )
    log = (tmp_path / "run.log").open("wb")
    runner = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "run"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    api = f"http://127.0.0.1:{api_port}"

    def ready() -> bool:
        assert runner.poll() is None, (tmp_path / "run.log").read_text()
        try:
            return httpx.get(f"{api}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(ready, timeout=120, what="the gateway started by `run`")
        key_file = tmp_path / "data" / "api-key"
        assert key_file.stat().st_mode & 0o777 == 0o600
        assert str(key_file) in (tmp_path / "run.log").read_text()
        key = key_file.read_text().strip()
        anonymous = httpx.post(f"{api}/v1/invoices", json=EXAMPLE, timeout=10)
        assert anonymous.status_code == 401
        response = httpx.post(
            f"{api}/v1/invoices",
            json=EXAMPLE,
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "run-1"},
            timeout=10,
        )
        assert response.status_code == 202, response.text
        processes = psutil.Process(runner.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in processes)
        for expected in ("app.cli api", "app.cli worker", "app.cli simulator", "app.embedded"):
            assert expected in names
        assert (tmp_path / "data" / "postgres" / "PG_VERSION").exists()

        runner.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert runner.wait(timeout=60) == 0
        _, alive = psutil.wait_procs(processes, timeout=30)
        assert alive == [], [p.cmdline() for p in alive]
        assert b"Traceback" not in (tmp_path / "run.log").read_bytes()
    finally:
        if runner.poll() is None:
            runner.kill()
        log.close()
