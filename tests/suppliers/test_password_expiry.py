"""The technical password's expiry: read from Chorus Pro when it says, announced 30 days ahead."""

from __future__ import annotations

from datetime import timedelta

import httpx

from app.kit.time import utcnow
from app.runtime import Runtime
from app.worker.main import tick
from tests.factories import SUPPLIER

OTHER = "73282932000074"


async def test_health_records_the_expiry_chorus_pro_gives(client: httpx.AsyncClient) -> None:
    health = await client.get(f"/v1/suppliers/{SUPPLIER}/health")
    assert health.status_code == 200, health.text
    body = health.json()
    assert (body["token"], body["chorus"]) == ("ok", "ok")
    # The simulator says what Chorus Pro would: 424 days (the rotation period) from now.
    assert body["password_expiry_source"] == "chorus"
    assert 420 <= body["days_until_password_expiry"] <= 424
    supplier = (await client.get(f"/v1/suppliers/{SUPPLIER}")).json()
    assert supplier["password_expires_on"] == body["password_expires_on"]


async def test_an_expiry_within_30_days_is_announced_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    soon = (utcnow().date() + timedelta(days=20)).isoformat()
    later = (utcnow().date() + timedelta(days=90)).isoformat()
    for siret, expires_on in ((OTHER, soon), ("55208131710009", later)):
        added = await client.post(
            "/v1/suppliers",
            json={"siret": siret, "name": f"ENTITE {siret}", "password_expires_on": expires_on},
        )
        assert added.status_code == 201, added.text
        assert added.json()["password_expiry_source"] == "operator"

    assert (await tick({"runtime": runtime}))["credentials"] == 1
    assert (await tick({"runtime": runtime}))["credentials"] == 0  # once per date
    messages = (await client.get("/v1/webhook-messages")).json()["data"]
    expiring = [m for m in messages if m["event_type"] == "supplier.credentials_expiring"]
    assert [m["supplier_siret"] for m in expiring] == [OTHER]

    # A new date (the password was changed, the next expiry is recorded): announced again.
    changed = await client.patch(f"/v1/suppliers/{OTHER}", json={"password_expires_on": later})
    assert changed.status_code == 200
    moved = (utcnow().date() + timedelta(days=10)).isoformat()
    await client.patch(f"/v1/suppliers/{OTHER}", json={"password_expires_on": moved})
    assert (await tick({"runtime": runtime}))["credentials"] == 1
