"""Shared fixtures: a real PostgreSQL database migrated with Alembic, and a real Redis."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.db import Base, create_engine, create_sessionmaker
from app.main import create_app
from app.migrate import upgrade
from tests.servers import Servers, test_servers


def _async_url(url: str) -> str:
    return Settings(database_url=url).database_url or url


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    try:
        with test_servers() as found:
            yield found
    except Exception as exc:  # never let CI go green by skipping everything
        if os.environ.get("CI"):
            pytest.fail(f"no PostgreSQL/Redis for the tests: {exc}")
        pytest.skip(f"no PostgreSQL/Redis for the tests: {exc}")


@pytest.fixture(scope="session")
async def database_url(servers: Servers) -> AsyncIterator[str]:
    """A database of its own for this run, created, migrated with Alembic, then dropped."""
    server_url = make_url(_async_url(servers.database_url))
    name = f"cg_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        server_url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server_url.set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade, url)
    yield url
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(scope="session")
async def redis_url(servers: Servers) -> str:
    from redis.asyncio import Redis

    client = Redis.from_url(servers.redis_url)
    await client.flushdb()
    await client.aclose()
    return servers.redis_url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
async def clean_db(engine: AsyncEngine) -> None:
    """Empty every table before a test (tests share one database across processes)."""
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} CASCADE"))


@pytest.fixture(scope="session")
def simulator_url() -> Iterator[str]:
    """A Chorus Pro simulator on a real socket, shared by the API tests."""
    from app.simulator import SimulatorSettings, create_app
    from tests.support.live import serve

    with serve(create_app(SimulatorSettings(step_seconds=0.5))) as url:
        yield url


@pytest.fixture
def settings(database_url: str, redis_url: str, simulator_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        chorus_api_url=simulator_url,
        piste_token_url=f"{simulator_url}/api/oauth/token",
    )


@pytest.fixture
async def client(settings: Settings, clean_db: None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


@pytest.fixture(scope="module")
async def clean_db_once(engine: AsyncEngine) -> None:
    """Empty every table once for a module whose tests share running servers."""
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} CASCADE"))
