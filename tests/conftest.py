"""Shared fixtures: a real PostgreSQL database migrated with Alembic, and a real Redis."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.chorus import ChorusClient
from app.config import Settings
from app.kit.db import Base, create_engine, create_sessionmaker
from app.main import create_app
from app.migrate import upgrade
from app.runtime import Runtime, build_runtime
from app.simulator import FixedClock, SimulatorSettings
from app.simulator import create_app as create_simulator
from app.suppliers.service import supplier_service
from tests.servers import Servers, test_servers
from tests.support.flow import STEP, Flow
from tests.support.keys import app_client
from tests.support.live import serve
from tests.support.simulator import SimulatorAdmin


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
    with serve(create_simulator(SimulatorSettings(step_seconds=0.5))) as url:
        yield url


@pytest.fixture
async def simulator(simulator_url: str) -> AsyncIterator[SimulatorAdmin]:
    """The shared simulator, reset for the test; its faults are cleared afterwards."""
    async with httpx.AsyncClient(base_url=simulator_url, timeout=10) as admin:
        await admin.post("/_simulator/reset")
        yield SimulatorAdmin(admin)
        await admin.delete("/_simulator/faults")


@pytest.fixture
def settings(database_url: str, redis_url: str, simulator_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        chorus_api_url=simulator_url,
        piste_token_url=f"{simulator_url}/api/oauth/token",
        # Generous: the machine is slow; tests that want a timeout pass a tiny one.
        chorus_timeout=10.0,
        directory_lookup_timeout=10.0,
        retry_base=1.0,
    )


@pytest.fixture
async def runtime(settings: Settings, clean_db: None) -> AsyncIterator[Runtime]:
    """What jobs get in the worker; tests call the job functions with it."""
    runtime = await worker_runtime(settings)
    yield runtime
    await runtime.close()


@pytest.fixture
async def chorus(settings: Settings) -> AsyncIterator[ChorusClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as http:
        yield ChorusClient(http, settings.chorus_config())


@pytest.fixture
async def client(settings: Settings, clean_db: None) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(settings) as client:
        yield client


@asynccontextmanager
async def api_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The API app in-process, its lifespan run, with an admin key, for a test to call."""
    async with app_client(create_app(settings)) as client:
        yield client


async def worker_runtime(settings: Settings) -> Runtime:
    """The runtime as the worker builds it at start-up, its supplier created."""
    runtime = await build_runtime(settings)
    async with runtime.unit_of_work() as session:
        await supplier_service.ensure_environment_supplier(session, settings)
    return runtime


@pytest.fixture(scope="module")
def flow_simulator_url() -> Iterator[str]:
    """A simulator of its own on a clock that only moves when a test advances it."""
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    with serve(create_simulator(SimulatorSettings(step_seconds=STEP), clock=clock)) as url:
        yield url


@pytest.fixture
async def flow(
    database_url: str, redis_url: str, flow_simulator_url: str, clean_db: None
) -> AsyncIterator[Flow]:
    """The API and the job functions against that simulator, for lifecycle tests."""
    flow_settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        chorus_api_url=flow_simulator_url,
        piste_token_url=f"{flow_simulator_url}/api/oauth/token",
        directory_preflight_enabled=False,
        chorus_timeout=10.0,
    )
    runtime = await worker_runtime(flow_settings)
    try:
        async with (
            api_client(flow_settings) as api,
            httpx.AsyncClient(base_url=flow_simulator_url, timeout=30) as sim,
        ):
            await sim.post("/_simulator/reset")
            yield Flow(api, sim, runtime)
    finally:
        await runtime.close()


@pytest.fixture(scope="module")
async def clean_db_once(engine: AsyncEngine) -> None:
    """Empty every table once for a module whose tests share running servers."""
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} CASCADE"))
