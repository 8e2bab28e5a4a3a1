"""`chorus-gateway run`: every process of the gateway from one command, stopped by Ctrl-C.

Every child runs in a session of its own, so a Ctrl-C in the terminal reaches this process
only; it then stops the API, the worker and the simulator, and the embedded database and
Valkey last, when nothing uses them any more.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from app.config import Settings
from app.kit.logging import configure_logging
from app.manage import ensure_development_key
from app.migrate import upgrade

logger = logging.getLogger("app.runner")

STOP_TIMEOUT_SECONDS = 15.0
DEVELOPMENT_KEY_FILE = "api-key"


def _uses_simulator(settings: Settings) -> bool:
    return settings.chorus_api_url.startswith(("http://127.0.0.1:", "http://localhost:"))


def _spawn(module: str, *arguments: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", module, *arguments],
        env=env,
        start_new_session=True,
        text=True,
        stdout=subprocess.PIPE if module == "app.embedded" else None,
    )


def _start_embedded(settings: Settings) -> tuple[subprocess.Popen[str] | None, str, str]:
    """Start the servers that are not configured; return their process and both URLs."""
    if settings.database_url is not None and settings.redis_url is not None:
        return None, settings.database_url, settings.redis_url
    arguments = {
        "data_dir": str(settings.data_dir),
        "database_url": settings.database_url,
        "redis_url": settings.redis_url,
    }
    process = _spawn("app.embedded", json.dumps(arguments), env=dict(os.environ))
    assert process.stdout is not None
    line = process.stdout.readline()  # the URLs once both answer, or EOF if it failed
    if not line:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
        raise RuntimeError("the embedded PostgreSQL/Valkey did not start (see the log above)")
    urls = json.loads(line)
    return process, urls["database_url"], urls["redis_url"]


def _announce_development_key(settings: Settings) -> None:
    """Every route needs an API key: in development one admin key waits in a file."""
    path = settings.data_dir / DEVELOPMENT_KEY_FILE
    if ensure_development_key(settings, path):
        logger.info("created an admin API key for development in %s", path)
    logger.info('API key: send -H "Authorization: Bearer $(cat %s)"', path)


def run_all(settings: Settings) -> int:
    configure_logging(settings.log_level)
    stopping = False

    def _stop(signum: int, _: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
    embedded: subprocess.Popen[str] | None = None
    children: dict[str, subprocess.Popen[str]] = {}
    try:
        embedded, database_url, redis_url = _start_embedded(settings)
        logger.info("migrating the database")
        upgrade(database_url)
        if not settings.is_production:
            _announce_development_key(settings.model_copy(update={"database_url": database_url}))
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
        commands = ["api", "worker"]
        if _uses_simulator(settings):
            commands.insert(0, "simulator")
        for name in commands:
            children[name] = _spawn("app.cli", name, env=env)
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
        if embedded is not None:
            _terminate({"embedded servers": embedded})
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        logger.info("stopped")


def _terminate(children: dict[str, subprocess.Popen[str]]) -> None:
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
