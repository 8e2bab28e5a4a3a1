"""Status changes publish webhook messages in the same transaction."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import WebhookDelivery, WebhookMessage
from tests.factories import invoice_body as invoice
from tests.factories import post_invoice as post


async def test_accepting_an_invoice_publishes_to_subscribed_endpoints_only(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    everything = await client.post("/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/all"})
    assert everything.status_code == 201, everything.text
    assert everything.json()["secret"].startswith("whsec_")
    only_paid = await client.post(
        "/v1/webhook-endpoints",
        json={"url": "http://127.0.0.1:9/paid", "event_types": ["invoice.paid"]},
    )
    created = await post(client, invoice(), "hook-1")
    assert created.status_code == 202, created.text
    async with sessionmaker() as session:
        messages = (await session.scalars(select(WebhookMessage))).all()
        assert [m.event_type for m in messages] == ["invoice.accepted"]
        assert f'"invoice_id":"{created.json()["id"]}"' in messages[0].payload
        deliveries = (await session.scalars(select(WebhookDelivery))).all()
        assert [str(d.endpoint_id) for d in deliveries] == [everything.json()["id"]]
    listed = (await client.get("/v1/webhook-endpoints")).json()["data"]
    assert {e["id"] for e in listed} == {everything.json()["id"], only_paid.json()["id"]}
    assert all("secret" not in e for e in listed)
