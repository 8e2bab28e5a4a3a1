"""`chorus-gateway run`: every process of the gateway from one command, stopped by Ctrl-C."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from app.config import Settings
from app.core.logging import configure_logging
from app.embedded import start_missing
from app.migrate import upgrade

logger = logging.getLogger("app.runner")

STOP_TIMEOUT_SECONDS = 15.0


def _uses_simulator(settings: Settings) -> bool:
    return settings.chorus_api_url.startswith(("http://127.0.0.1:", "http://localhost:"))


def run_all(settings: Settings) -> int:
    configure_logging(settings.log_level)
    servers = start_missing(settings.data_dir, settings.database_url, settings.redis_url)
    children: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def _stop(signum: int, _: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        assert servers.database_url is not None and servers.redis_url is not None
        logger.info("migrating the database")
        upgrade(servers.database_url)
        env = {**os.environ, "DATABASE_URL": servers.database_url, "REDIS_URL": servers.redis_url}
        commands = ["api", "worker"]
        if _uses_simulator(settings):
            commands.insert(0, "simulator")
        for name in commands:
            # Each child gets its own session so that Ctrl-C reaches only us; we stop them.
            children[name] = subprocess.Popen(
                [sys.executable, "-m", "app.cli", name], env=env, start_new_session=True
            )
        logger.info(
            "gateway running: API on http://%s:%d (Ctrl-C stops everything)",
            settings.api_host,
            settings.api_port,
        )
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    logger.error("%s exited with code %s; stopping", name, child.returncode)
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        _terminate(children)
        servers.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        logger.info("stopped")


def _terminate(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for name, child in children.items():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.warning("%s did not stop in time; killing it", name)
            child.kill()
            child.wait()
