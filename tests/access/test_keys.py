"""API keys: shown once, stored as hashes, revocable, limited per key, named in every write."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from app.config import Settings
from app.main import create_app
from tests.factories import SUPPLIER, invoice_body
from tests.support.keys import bearer, grant


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
    assert 1 <= int(limited.headers["retry-after"]) <= 60
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
