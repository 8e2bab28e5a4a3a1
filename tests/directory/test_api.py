"""GET /v1/directory/structures/{siret}: what an ERP asks before invoicing a recipient."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.time import utcnow
from app.main import create_app
from app.models.directory import CachedStructure
from tests.support.keys import app_client
from tests.support.simulator import SimulatorAdmin

SLOW = 6.0


async def test_structure_requirements_and_active_services(
    client: httpx.AsyncClient, simulator: SimulatorAdmin
) -> None:
    answer = await client.get("/v1/directory/structures/21330063500025")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["siret"] == "21330063500025"
    assert body["id_structure_cpp"] == 26346731
    assert body["designation"] == "COMMUNE DE SAINT-EXEMPLE"
    assert (body["status"], body["active"], body["stale"]) == ("ACTIVE", True, False)
    assert body["requirements"] == {
        "service_code_required": True,
        "engagement_required": False,
        "engagement_or_service_required": False,
        "payment_status_not_reported": False,
    }
    # Inactive services and FACTURES_PUBLIQUES are not offered; flags are lazy.
    assert body["services"] == [
        {"code": "SERV-FINANCES", "name": "Direction des finances", "engagement_required": None}
    ]
    assert body["fetched_at"] and body["expires_at"] > body["fetched_at"]

    calls = await simulator.calls()
    again = await client.get("/v1/directory/structures/21330063500025")
    assert again.json()["fetched_at"] == body["fetched_at"]
    assert await simulator.calls() == calls


async def test_payment_status_not_reported_is_shown(
    client: httpx.AsyncClient, simulator: SimulatorAdmin
) -> None:
    body = (await client.get("/v1/directory/structures/21310555400017")).json()
    assert body["requirements"] == {
        "service_code_required": True,
        "engagement_required": True,
        "engagement_or_service_required": False,
        "payment_status_not_reported": True,
    }


async def test_inactive_structure_has_no_requirements(
    client: httpx.AsyncClient, simulator: SimulatorAdmin
) -> None:
    body = (await client.get("/v1/directory/structures/21330106200013")).json()
    assert (body["status"], body["active"], body["requirements"]) == ("INACTIVE", False, None)
    assert body["services"] == []


async def test_malformed_siret_is_a_422_problem(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/directory/structures/21330063500026")
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "path:siret"


async def test_unknown_siret_is_a_404_problem(
    client: httpx.AsyncClient, simulator: SimulatorAdmin
) -> None:
    answer = await client.get("/v1/directory/structures/21330063500033")
    assert answer.status_code == 404
    assert answer.json()["type"].endswith("/structure-not-found")


async def test_ambiguous_siret_is_a_409_problem(
    client: httpx.AsyncClient, simulator: SimulatorAdmin
) -> None:
    answer = await client.get("/v1/directory/structures/21330110400013")
    assert answer.status_code == 409
    assert answer.json()["type"].endswith("/structure-ambiguous")


@pytest.fixture
async def impatient_gateway(settings: Settings, clean_db: None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        settings.model_copy(update={"directory_lookup_timeout": timedelta(seconds=0.3)})
    )
    async with app_client(app) as client:
        yield client


async def test_slow_directory_is_a_503_problem_and_not_a_hang(
    impatient_gateway: httpx.AsyncClient, simulator: SimulatorAdmin
) -> None:
    await simulator.fault("rechercherStructure", delay_seconds=SLOW)
    started = time.monotonic()
    answer = await impatient_gateway.get("/v1/directory/structures/21690123100011")
    assert answer.status_code == 503
    assert answer.json()["type"].endswith("/directory-unavailable")
    assert time.monotonic() - started < SLOW - 1


async def test_slow_directory_answers_stale_from_the_cache(
    client: httpx.AsyncClient,
    impatient_gateway: httpx.AsyncClient,
    simulator: SimulatorAdmin,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    first = await client.get("/v1/directory/structures/21690123100011")
    assert first.status_code == 200, first.text
    async with sessionmaker() as session, session.begin():
        await session.execute(update(CachedStructure).values(expires_at=utcnow()))
    await simulator.fault("rechercherStructure", delay_seconds=SLOW)
    answer = await impatient_gateway.get("/v1/directory/structures/21690123100011")
    assert answer.status_code == 200
    assert answer.json()["stale"] is True
    assert answer.json()["fetched_at"] == first.json()["fetched_at"]
