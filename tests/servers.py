"""Where the test PostgreSQL and Redis come from: environment, testcontainers, or embedded."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Servers:
    database_url: str  # a server URL; each run creates its own database on it
    redis_url: str
    origin: str


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


@contextmanager
def test_servers() -> Iterator[Servers]:
    database_url = os.environ.get("TEST_DATABASE_URL")
    redis_url = os.environ.get("TEST_REDIS_URL")
    if database_url and redis_url:
        yield Servers(database_url, redis_url, "environment")
        return
    with contextlib.ExitStack() as stack:
        if _docker_answers():
            from testcontainers.postgres import PostgresContainer
            from testcontainers.redis import RedisContainer

            if not database_url:
                postgres = stack.enter_context(PostgresContainer("postgres:16-alpine"))
                database_url = postgres.get_connection_url(driver=None)
            if not redis_url:
                redis = stack.enter_context(RedisContainer("redis:7-alpine"))
                redis_url = (
                    f"redis://{redis.get_container_host_ip()}:{redis.get_exposed_port(6379)}/0"
                )
            yield Servers(database_url, redis_url, "testcontainers")
            return
        from app.embedded import start_missing

        data_dir = Path(tempfile.mkdtemp(prefix="chorus-gateway-test-"))
        embedded = start_missing(data_dir, database_url, redis_url)
        stack.callback(embedded.stop)
        assert embedded.database_url is not None and embedded.redis_url is not None
        yield Servers(embedded.database_url, embedded.redis_url, "embedded")
