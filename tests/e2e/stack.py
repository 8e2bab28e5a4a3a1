"""Runs the simulator, the API and the worker as real processes on real sockets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.live import free_port, wait_until


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
        yield stack
    finally:
        for process in reversed(list(processes.values())):
            process.stop()
