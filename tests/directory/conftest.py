"""The Chorus Pro simulator served over real HTTP, and gateway parts pointed at it."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.chorus import ChorusClient
from app.config import Settings
from app.document import InvoiceDocument
from app.main import create_app
from app.runtime import Runtime, build_runtime
from app.simulator import SimulatorSettings
from app.simulator import create_app as create_simulator
from tests.support.live import serve

TIMEOUT = timedelta(seconds=10)  # generous: the machine is slow
SHORT = timedelta(seconds=0.3)  # for the tests that want a lookup to time out
EXAMPLE: dict[str, Any] = json.loads(
    (Path(__file__).parents[2] / "examples" / "invoice.json").read_text()
)


@dataclass(frozen=True)
class SimulatorServer:
    """The simulator on a real socket: the gateway talks to it as to Chorus Pro."""

    url: str


@contextmanager
def _simulator_server() -> Iterator[SimulatorServer]:
    with serve(create_simulator(SimulatorSettings(step_seconds=0.5))) as url:
        yield SimulatorServer(url)


class Simulator:
    """Admin calls on the running simulator."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def calls(self) -> dict[str, int]:
        stats = (await self.client.get("/_simulator/stats")).json()
        return dict(stats["calls"])

    async def directory_calls(self) -> int:
        calls = await self.calls()
        return sum(n for name, n in calls.items() if "Structure" in name)

    async def fault(self, operation: str, **spec: Any) -> None:
        answer = await self.client.post("/_simulator/faults", json={"operation": operation, **spec})
        assert answer.status_code == 200, answer.text

    async def clear_faults(self) -> None:
        await self.client.delete("/_simulator/faults")


@pytest.fixture(scope="session")
def simulator_server() -> Iterator[SimulatorServer]:
    with _simulator_server() as server:
        yield server


@pytest.fixture
async def simulator(simulator_server: SimulatorServer) -> AsyncIterator[Simulator]:
    async with httpx.AsyncClient(base_url=simulator_server.url, timeout=10) as client:
        await client.post("/_simulator/reset")
        yield Simulator(client)
        await client.delete("/_simulator/faults")


@pytest.fixture
def dir_settings(database_url: str, redis_url: str, simulator_server: SimulatorServer) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        chorus_api_url=simulator_server.url,
        piste_token_url=f"{simulator_server.url}/api/oauth/token",
        chorus_timeout=10.0,
        # Generous: the machine is slow; tests that want a timeout pass a tiny one.
        directory_lookup_timeout=10.0,
        retry_base=1.0,
    )


@pytest.fixture
async def chorus(dir_settings: Settings) -> AsyncIterator[ChorusClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as http:
        yield ChorusClient(http, dir_settings.chorus_config())


@pytest.fixture
async def gateway(dir_settings: Settings, clean_db: None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(dir_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


@pytest.fixture
async def runtime(dir_settings: Settings, clean_db: None) -> AsyncIterator[Runtime]:
    runtime = await build_runtime(dir_settings)
    yield runtime
    await runtime.close()


def invoice_body(
    recipient: str = "21330063500025",
    *,
    service: str | None = "SERV-FINANCES",
    engagement: str | None = "EJ1300458721",
    number: str = "FA-2026-00042",
) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLE)
    body["recipient"]["siret"] = recipient
    body["service_code"] = service
    body["engagement_number"] = engagement
    body["number"] = number
    return body


def document(
    recipient: str = "21330063500025",
    *,
    service: str | None = "SERV-FINANCES",
    engagement: str | None = "EJ1300458721",
) -> InvoiceDocument:
    return InvoiceDocument.model_validate(
        invoice_body(recipient, service=service, engagement=engagement)
    )
