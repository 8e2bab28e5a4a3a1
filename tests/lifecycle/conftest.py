"""The gateway (API app + job functions) against a real simulator over HTTP.

The simulator runs under uvicorn in a thread on a free port, on a clock that only moves when
a test advances it; the gateway talks to it with the real ChorusClient. Jobs are called
directly (no worker process), so each step of a lifecycle happens when the test says so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from app.config import Settings
from app.main import create_app
from app.runtime import Runtime, build_runtime
from app.simulator import FixedClock, SimulatorSettings
from app.simulator import create_app as create_simulator
from tests.lifecycle.helpers import STEP, Flow
from tests.support.live import serve


@dataclass(frozen=True)
class SimulatorServer:
    """The simulator on a real socket: the gateway talks to it as to Chorus Pro."""

    url: str


@contextmanager
def _simulator_server() -> Iterator[SimulatorServer]:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    app = create_simulator(SimulatorSettings(step_seconds=STEP), clock=clock)
    with serve(app) as url:
        yield SimulatorServer(url)


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with _simulator_server() as server:
        yield server


@pytest.fixture
def lifecycle_settings(database_url: str, redis_url: str, simulator: SimulatorServer) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        chorus_api_url=simulator.url,
        piste_token_url=f"{simulator.url}/api/oauth/token",
        directory_preflight_enabled=False,
        chorus_timeout=10.0,
    )


@pytest.fixture
async def runtime(lifecycle_settings: Settings, clean_db: None) -> AsyncIterator[Runtime]:
    runtime = await build_runtime(lifecycle_settings)
    yield runtime
    await runtime.close()


@pytest.fixture
async def api(lifecycle_settings: Settings, clean_db: None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(lifecycle_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


@pytest.fixture
async def flow(
    api: httpx.AsyncClient, runtime: Runtime, simulator: SimulatorServer
) -> AsyncIterator[Flow]:
    async with httpx.AsyncClient(base_url=simulator.url, timeout=30) as sim:
        await sim.post("/_simulator/reset")
        yield Flow(api, sim, runtime)
