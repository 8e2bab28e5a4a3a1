"""A server the gateway depends on is down: the API answers 503 with Retry-After, never 500.

The servers "down" here are closed ports: the shared PostgreSQL and Redis are never stopped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.access.principal import Scope
from app.config import Settings
from app.main import create_app
from app.models import Invoice
from tests.factories import invoice_body, post_invoice
from tests.support.keys import UNKNOWN_KEY, app_client, bearer
from tests.support.live import free_port

CLOSED = f"127.0.0.1:{free_port()}"  # nothing listens there


async def _client(settings: Settings, *, database_up: bool) -> AsyncIterator[httpx.AsyncClient]:
    """A client with a real key; with the database down, a key the gateway must look up."""
    app = create_app(settings)
    scopes = (Scope.ADMIN,) if database_up else None
    async with app_client(app, scopes, raise_app_exceptions=False) as client:
        if not database_up:
            client.headers.update(bearer(UNKNOWN_KEY))
        yield client


@pytest.fixture
async def without_database(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    down = settings.model_copy(
        update={"database_url": f"postgresql+asyncpg://postgres@{CLOSED}/postgres"}
    )
    async for client in _client(down, database_up=False):
        yield client


@pytest.fixture
async def without_redis(settings: Settings, clean_db: None) -> AsyncIterator[httpx.AsyncClient]:
    down = settings.model_copy(update={"redis_url": f"redis://{CLOSED}/0"})
    async for client in _client(down, database_up=True):
        yield client


def assert_unavailable(response: httpx.Response, dependency: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    problem = response.json()
    assert problem["type"].endswith("/service-unavailable")
    assert dependency in problem["detail"]


async def test_without_the_database_every_route_answers_503(
    without_database: httpx.AsyncClient,
) -> None:
    client = without_database
    assert_unavailable(await post_invoice(client, invoice_body(), "down-1"), "database")
    missing = "/v1/invoices/00000000-0000-0000-0000-000000000001"
    assert_unavailable(await client.get(missing + "/status"), "database")
    assert_unavailable(await client.get("/v1/invoices"), "database")
    assert_unavailable(await client.get("/v1/webhook-endpoints"), "database")
    assert (await client.get("/readyz")).status_code == 503
    assert (await client.get("/healthz")).status_code == 200


async def test_without_redis_invoices_are_still_accepted_and_nothing_is_lost(
    without_redis: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await post_invoice(without_redis, invoice_body(), "redis-down-1")
    assert response.status_code == 202, response.text
    async with sessionmaker() as session:
        (stored,) = (await session.scalars(select(Invoice))).all()
        # Its deposit is due: the tick's sweep queues it once Redis is back.
        assert stored.status == "accepted" and stored.next_submit_at is not None
    ready = await without_redis.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["redis"] != "ok"
