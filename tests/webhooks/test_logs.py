"""Message, delivery and attempt logs through the API."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kit.time import utcnow
from app.runtime import Runtime
from tests.support.receiver import Receiver, Reply
from tests.webhooks.helpers import attempt, delivery_of, make_due, publish, register


async def test_messages_are_listed_newest_first_with_filters_and_cursor(
    api: httpx.AsyncClient, runtime: Runtime, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    start = utcnow() - timedelta(hours=1)
    invoice = str(uuid.uuid4())
    ids = [
        await publish(sessionmaker, "invoice.accepted", occurred_at=start, invoice_id=invoice),
        await publish(sessionmaker, "invoice.paid", occurred_at=start + timedelta(minutes=1)),
        await publish(
            sessionmaker,
            "invoice.rejected",
            occurred_at=start + timedelta(minutes=2),
            status="rejected",
            reason="Engagement inconnu",
        ),
    ]
    first = (await api.get("/v1/webhook-messages", params={"limit": 2})).json()
    assert [m["id"] for m in first["data"]] == [ids[2], ids[1]]
    assert first["data"][0]["payload"]["data"]["reason"] == "Engagement inconnu"
    rest = (
        await api.get("/v1/webhook-messages", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [m["id"] for m in rest["data"]] == [ids[0]] and rest["next_cursor"] is None

    by_invoice = (await api.get("/v1/webhook-messages", params={"invoice_id": invoice})).json()
    assert [m["id"] for m in by_invoice["data"]] == [ids[0]]
    assert by_invoice["data"][0]["invoice_id"] == invoice
    by_type = (await api.get("/v1/webhook-messages", params={"event_type": "invoice.paid"})).json()
    assert [m["id"] for m in by_type["data"]] == [ids[1]]
    window = {
        "since": (start + timedelta(seconds=30)).isoformat(),
        "until": (start + timedelta(seconds=90)).isoformat(),
    }
    windowed = (await api.get("/v1/webhook-messages", params=window)).json()["data"]
    assert [m["id"] for m in windowed] == [ids[1]]
    assert (await api.get("/v1/webhook-messages", params={"event_type": "nope"})).status_code == 422
    assert (await api.get("/v1/webhook-messages", params={"cursor": "%%%"})).status_code == 400
    assert (await api.get(f"/v1/webhook-messages/{ids[0]}")).json()["deliveries"] == []
    assert (await api.get("/v1/webhook-messages/msg_missing")).status_code == 404


async def test_deliveries_and_attempts_show_status_codes_snippets_and_errors(
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    endpoint = await register(api, hooks.url)
    hooks.will(Reply(500, body=b"boom"))
    message_id = await publish(sessionmaker)
    delivery = await delivery_of(sessionmaker, message_id, endpoint["id"])
    await attempt(runtime, delivery.id)
    await make_due(sessionmaker, delivery.id)
    await attempt(runtime, delivery.id)

    message = (await api.get(f"/v1/webhook-messages/{message_id}")).json()
    assert message["payload"]["type"] == "invoice.paid"
    assert [(d["endpoint_id"], d["status"]) for d in message["deliveries"]] == [
        (endpoint["id"], "succeeded")
    ]
    listed = (await api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries")).json()
    assert [d["id"] for d in listed["data"]] == [str(delivery.id)]
    failed_only = await api.get(
        f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", params={"status": "failed"}
    )
    assert failed_only.json()["data"] == []

    attempts = (
        await api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery.id}/attempts")
    ).json()["data"]
    assert [(a["attempt_number"], a["status_code"], a["trigger"]) for a in attempts] == [
        (1, 500, "scheduled"),
        (2, 204, "scheduled"),
    ]
    assert attempts[0]["response_snippet"] == "boom"
    assert all(a["duration_ms"] >= 0 and a["error"] is None for a in attempts)
    other = await api.get(f"/v1/webhook-endpoints/{uuid.uuid4()}/deliveries/{delivery.id}/attempts")
    assert other.status_code == 404
