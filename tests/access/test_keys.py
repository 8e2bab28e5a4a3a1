"""API keys: shown once, stored as hashes, revocable, limited per key, named in every write."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.access import service as service_module
from app.access.principal import Scope
from app.access.repository import ApiKeyRepository
from app.access.service import ApiKeyService
from app.config import Settings
from app.kit.db import unit_of_work
from app.main import create_app
from tests.factories import SUPPLIER, invoice_body
from tests.support.keys import UNKNOWN_KEY, bearer, grant


@pytest.fixture
def key_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "api_key_rate_limit": "5/minute",
            "webhook_allowed_networks": [ipaddress.ip_network("127.0.0.0/8")],
        }
    )


@pytest.fixture
async def gateway(key_settings: Settings, clean_db: None) -> AsyncIterator[httpx.AsyncClient]:
    """The app with no key of its own: each test makes the keys it needs."""
    app = create_app(key_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


async def admin_of(client: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await grant(client.app.state.sessionmaker, name="ops"))  # type: ignore[attr-defined]


async def test_a_key_is_shown_once_stored_as_a_hash_and_revocable(
    gateway: httpx.AsyncClient,
) -> None:
    admin = await admin_of(gateway)
    created = await gateway.post(
        "/v1/api-keys",
        json={"name": "erp-compta", "scopes": ["invoices:read"], "supplier_sirets": [SUPPLIER]},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert key.startswith(created.json()["prefix"]) and key.startswith("cgk_")

    listed = await gateway.get("/v1/api-keys", headers=admin)
    assert key not in listed.text and created.json()["prefix"] in listed.text
    async with gateway.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        stored = (await session.execute(text("SELECT * FROM api_keys"))).all()
    assert key not in str(stored)

    reader = bearer(key)
    assert (await gateway.get("/v1/invoices", headers=reader)).status_code == 200
    refused = await gateway.post(
        "/v1/invoices", json=invoice_body(), headers={**reader, "Idempotency-Key": "k"}
    )
    assert refused.status_code == 403

    revoked = await gateway.delete(f"/v1/api-keys/{created.json()['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert (await gateway.get("/v1/invoices", headers=reader)).status_code == 401


async def test_a_restricted_admin_makes_keys_for_its_suppliers_only(
    gateway: httpx.AsyncClient,
) -> None:
    sessionmaker = gateway.app.state.sessionmaker  # type: ignore[attr-defined]
    restricted = bearer(await grant(sessionmaker, suppliers=[SUPPLIER], name="entity admin"))
    for body, expected in (
        ({"name": "all", "scopes": ["admin"]}, 403),
        ({"name": "other", "scopes": ["admin"], "supplier_sirets": ["73282932000074"]}, 403),
        ({"name": "own", "scopes": ["invoices:read"], "supplier_sirets": [SUPPLIER]}, 201),
    ):
        response = await gateway.post("/v1/api-keys", json=body, headers=restricted)
        assert response.status_code == expected, (body, response.text)


async def test_past_its_limit_a_key_gets_429_with_retry_after(
    gateway: httpx.AsyncClient,
) -> None:
    sessionmaker = gateway.app.state.sessionmaker  # type: ignore[attr-defined]
    busy, calm = bearer(await grant(sessionmaker)), bearer(await grant(sessionmaker))
    answers = [(await gateway.get("/v1/invoices", headers=busy)).status_code for _ in range(7)]
    assert answers[:5] == [200] * 5 and answers[5:] == [429, 429]
    limited = await gateway.get("/v1/invoices", headers=busy)
    assert limited.headers["content-type"] == "application/problem+json"
    # The sliding window counter: a key that filled the current minute waits for its end and
    # then for the previous minute's weight to decay, so the wait is at most two windows.
    assert 1 <= int(limited.headers["retry-after"]) <= 120
    # The count is per key: another key is not slowed down by the first.
    assert (await gateway.get("/v1/invoices", headers=calm)).status_code == 200


async def test_every_write_names_the_key_that_made_it(gateway: httpx.AsyncClient) -> None:
    sessionmaker = gateway.app.state.sessionmaker  # type: ignore[attr-defined]
    erp = bearer(await grant(sessionmaker, name="erp-ventes"))
    ops = bearer(await grant(sessionmaker, name="ops-webhooks"))
    posted = await gateway.post(
        "/v1/invoices", json=invoice_body(), headers={**erp, "Idempotency-Key": "w-1"}
    )
    assert posted.status_code == 202, posted.text
    detail = (await gateway.get(f"/v1/invoices/{posted.json()['id']}", headers=ops)).json()
    assert [e["actor"] for e in detail["history"]] == ["erp-ventes"]

    endpoint = await gateway.post(
        "/v1/webhook-endpoints",
        json={"url": "http://127.0.0.1:9/in", "supplier_siret": SUPPLIER},
        headers=ops,
    )
    assert endpoint.status_code == 201, endpoint.text
    endpoint_id = endpoint.json()["id"]
    await gateway.post(f"/v1/webhook-endpoints/{endpoint_id}/disable", headers=erp)
    changes = await gateway.get(f"/v1/webhook-endpoints/{endpoint_id}/changes", headers=ops)
    assert [(c["action"], c["actor"]) for c in changes.json()["data"]] == [
        ("created", "ops-webhooks"),
        ("disabled", "erp-ventes"),
    ]


async def test_a_revocation_is_forgotten_by_the_cache_only_once_committed(
    sessionmaker: async_sessionmaker[AsyncSession], clean_db: None
) -> None:
    """A request between the revocation and its commit reads the key still valid; the
    cache must drop it after the commit, or that request's read would live on for
    REMEMBER seconds."""
    keys = ApiKeyService()
    async with unit_of_work(sessionmaker) as session:
        row, token = await keys.create(session, "soon-revoked", [Scope.INVOICES_READ])
    async with sessionmaker() as session:
        assert await keys.authenticate(session, token) is not None
    async with unit_of_work(sessionmaker) as revoking:
        await keys.revoke(revoking, row.id)
        async with sessionmaker() as meanwhile:  # not committed yet: still valid
            assert await keys.authenticate(meanwhile, token) is not None
    async with sessionmaker() as session:
        assert await keys.authenticate(session, token) is None


async def test_an_unknown_prefix_is_looked_up_once_for_a_while(
    sessionmaker: async_sessionmaker[AsyncSession],
    clean_db: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = ApiKeyService()
    looked_up: list[str] = []
    by_prefix = ApiKeyRepository.by_prefix

    async def counted(self: ApiKeyRepository, prefix: str) -> Any:
        looked_up.append(prefix)
        return await by_prefix(self, prefix)

    monkeypatch.setattr(ApiKeyRepository, "by_prefix", counted)
    async with sessionmaker() as session:
        for _ in range(20):
            assert await keys.authenticate(session, UNKNOWN_KEY) is None
    assert looked_up == [UNKNOWN_KEY[:12]]
    # A flood of made-up prefixes cannot grow the process without bound.
    monkeypatch.setattr(service_module, "MAX_MISSES", 5)
    async with sessionmaker() as session:
        for n in range(12):
            assert await keys.authenticate(session, f"cgk_{n:08d}{UNKNOWN_KEY[12:]}") is None
    assert len(keys._misses) <= 5


async def test_recognising_a_key_leaves_no_transaction_open(
    sessionmaker: async_sessionmaker[AsyncSession], clean_db: None
) -> None:
    """The look-up runs outside any transaction: the request's session holds none while
    the route goes on (complete and recycle call Chorus Pro within the request)."""
    keys = ApiKeyService()
    async with unit_of_work(sessionmaker) as session:
        _, token = await keys.create(session, "erp", [Scope.INVOICES_WRITE])
    async with unit_of_work(sessionmaker) as session:
        principal = await keys.authenticate(session, token)
        assert principal is not None and principal.name == "erp"
        assert principal.scopes == frozenset({Scope.INVOICES_WRITE})
        assert not session.in_transaction()
