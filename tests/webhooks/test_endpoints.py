"""Endpoint CRUD, secrets (shown once, encrypted at rest, rotated with overlap) and URL checks."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.config import Settings
from app.kit.secretbox import SecretBox, SecretDecryptionError
from app.kit.time import utcnow
from app.runtime import Runtime
from app.webhooks.url_guard import UrlGuard
from tests.support.receiver import Receiver
from tests.webhooks.helpers import (
    attempt,
    attempts_of,
    delivery_of,
    endpoint_row,
    publish,
    register,
    resolver,
    set_endpoint,
    use_guard,
)


async def test_crud_and_event_type_filters(api: httpx.AsyncClient) -> None:
    created = await register(
        api, "http://127.0.0.1:9/a", description="ERP", event_types=["invoice.paid"]
    )
    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == ["invoice.paid"]
    endpoint_id = created["id"]

    read = (await api.get(f"/v1/webhook-endpoints/{endpoint_id}")).json()
    assert "secret" not in read and read["description"] == "ERP"

    patched = await api.patch(
        f"/v1/webhook-endpoints/{endpoint_id}",
        json={"event_types": ["invoice.rejected", "invoice.suspended"], "description": None},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["event_types"] == ["invoice.rejected", "invoice.suspended"]
    assert patched.json()["description"] is None
    assert patched.json()["url"] == "http://127.0.0.1:9/a"

    listed = (await api.get("/v1/webhook-endpoints")).json()["data"]
    assert [e["id"] for e in listed] == [endpoint_id]
    assert all("secret" not in e for e in listed)

    assert (await api.delete(f"/v1/webhook-endpoints/{endpoint_id}")).status_code == 204
    missing = await api.get(f"/v1/webhook-endpoints/{endpoint_id}")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_unknown_event_types_are_refused(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/v1/webhook-endpoints",
        json={"url": "http://127.0.0.1:9/a", "event_types": ["invoice.paid", "invoice.lost"]},
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["event_types[1]"]


async def test_a_refused_url_is_a_422_naming_url(api: httpx.AsyncClient, gateway: FastAPI) -> None:
    use_guard(gateway, UrlGuard(https_only=False, resolver=resolver({"db.example": ["10.0.0.5"]})))
    for url in ("http://db.example/hooks", "http://169.254.169.254/x", "http://localhost:8000/"):
        response = await api.post("/v1/webhook-endpoints", json={"url": url})
        assert response.status_code == 422, url
        (error,) = response.json()["errors"]
        assert error["field"] == "url"
    some = await register(api, "http://8.8.8.8/hooks")
    patched = await api.patch(
        f"/v1/webhook-endpoints/{some['id']}", json={"url": "http://db.example/hooks"}
    )
    assert patched.status_code == 422
    assert patched.json()["errors"][0]["field"] == "url"


async def test_secret_is_encrypted_at_rest(
    api: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], wh_settings: Settings
) -> None:
    created = await register(api, "http://127.0.0.1:9/a")
    secret = created["secret"]
    async with sessionmaker() as session:
        row = (
            await session.execute(
                text("SELECT * FROM webhook_endpoints WHERE id = :id"),
                {"id": uuid.UUID(created["id"])},
            )
        ).one()
    stored = " ".join(str(value) for value in row)
    assert secret not in stored
    assert secret.removeprefix("whsec_") not in stored
    endpoint = await endpoint_row(sessionmaker, created["id"])
    assert SecretBox.from_keys(wh_settings.secrets_key).decrypt(endpoint.secret_enc) == secret
    other_key = Fernet.generate_key().decode()
    other_box = SecretBox.from_keys(Settings(secrets_key=other_key).secrets_key)
    with pytest.raises(SecretDecryptionError, match="no configured key"):
        other_box.decrypt(endpoint.secret_enc)


def test_production_refuses_to_start_without_a_secrets_key() -> None:
    base = {
        "environment": "production",
        "piste_client_secret": "real",
        "chorus_technical_password": "real",
    }
    with pytest.raises(ValidationError, match="GATEWAY_SECRETS_KEY"):
        Settings(**base)
    with pytest.raises(ValidationError, match="Fernet"):
        Settings(**base, webhook_secrets_key="not-a-key")
    key = Fernet.generate_key().decode()
    assert Settings(**base, webhook_secrets_key=f"{key},{Fernet.generate_key().decode()}")


async def test_rotation_signs_with_both_secrets_then_drops_the_old_one(
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    created = await register(api, hooks.url)
    old_secret = created["secret"]
    rotated = await api.post(f"/v1/webhook-endpoints/{created['id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != old_secret
    expires = rotated.json()["previous_secret_expires_at"]
    assert expires is not None
    assert "secret" not in (await api.get(f"/v1/webhook-endpoints/{created['id']}")).json()

    first = await publish(sessionmaker)
    await attempt(runtime, (await delivery_of(sessionmaker, first, created["id"])).id)
    (during,) = hooks.received
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(new_secret).verify(during.body, during.headers)
    Webhook(old_secret).verify(during.body, during.headers)

    # The overlap ends: move the old secret's expiry into the past rather than waiting 24 h.
    endpoint = await endpoint_row(sessionmaker, created["id"])
    expired = [
        {**old, "expires_at": (utcnow() - timedelta(seconds=1)).isoformat()}
        for old in endpoint.old_secrets
    ]
    await set_endpoint(sessionmaker, created["id"], old_secrets=expired)
    second = await publish(sessionmaker)
    await attempt(runtime, (await delivery_of(sessionmaker, second, created["id"])).id)
    after = hooks.received[1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(new_secret).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(after.body, after.headers)


async def test_dns_that_flips_to_a_private_address_after_registration_is_blocked_at_send(
    api: httpx.AsyncClient,
    gateway: FastAPI,
    runtime: Runtime,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    answers = {"erp.example.com": ["93.184.215.14"]}
    use_guard(gateway, UrlGuard(https_only=False, resolver=resolver(answers)))
    created = await register(api, "http://erp.example.com/hooks")

    answers["erp.example.com"] = ["10.0.0.7"]  # a rebinding attacker, or a mistake
    message_id = await publish(sessionmaker)
    delivery = await delivery_of(sessionmaker, message_id, created["id"])
    guard = UrlGuard(https_only=False, resolver=resolver(answers))
    outcome = await attempt(runtime, delivery.id, guard=guard)
    assert outcome.startswith("blocked address")
    (recorded,) = await attempts_of(sessionmaker, delivery.id)
    assert recorded.status_code is None
    assert recorded.error is not None and recorded.error.startswith("blocked address")
    assert "10.0.0.7" in recorded.error
    after = await delivery_of(sessionmaker, message_id, created["id"])
    assert after.status == "pending" and after.next_attempt_at is not None
