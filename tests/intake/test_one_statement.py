"""The one-statement insert of a new invoice writes what the ORM path wrote, and answers
what a read of the invoice shows."""

from __future__ import annotations

import json
from typing import Any, cast

import httpx
from redis.asyncio import Redis
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.intake.repository import INVOICE_COLUMNS
from app.invoices.history import event_data
from app.kit.db import unit_of_work
from app.kit.time import utcnow
from app.models import Invoice, WebhookMessage
from app.models.webhook import WebhookDelivery, WebhookEndpoint
from app.webhooks.events import check_payload
from tests.factories import SUPPLIER
from tests.factories import invoice_body as invoice
from tests.factories import post_invoice as post


def test_every_column_intake_leaves_out_may_start_null() -> None:
    table = cast(Table, Invoice.__table__)
    left_out = [c for c in table.columns if c.key not in INVOICE_COLUMNS]
    assert left_out, "intake fills every column: the list is out of date"
    assert [c.key for c in left_out if not c.nullable and c.server_default is None] == []
    assert set(INVOICE_COLUMNS) <= {c.key for c in table.columns}


async def test_the_202_answer_is_the_invoice_as_read_back(client: httpx.AsyncClient) -> None:
    body = invoice()
    posted = await post(client, body, "one-statement-1")
    assert posted.status_code == 202, posted.text
    read = await client.get(posted.headers["location"])
    assert read.status_code == 200
    assert posted.json() == read.json()
    answer = posted.json()
    assert [(h["status"], h["comment"]) for h in answer["history"]] == [
        ("accepted", "Invoice accepted")
    ]
    assert answer["history"][0]["actor"] is not None  # the test client's key
    assert answer["document"]["number"] == body["number"]


async def test_the_replay_answers_the_same_invoice(client: httpx.AsyncClient) -> None:
    first = await post(client, invoice(), "one-statement-2")
    again = await post(client, invoice(), "one-statement-2")
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()


async def test_the_accepted_message_fits_its_schema_and_the_entity_path(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    answer = (await post(client, invoice(), "one-statement-3")).json()
    async with sessionmaker() as session:
        message = await session.scalar(select(WebhookMessage))
        stored = await session.get(Invoice, answer["id"])
    assert message is not None and stored is not None
    envelope = json.loads(message.payload)
    assert check_payload(message.event_type, envelope) is None
    assert message.event_type == "invoice.accepted"
    assert message.supplier_siret == stored.supplier_siret
    assert str(message.invoice_id) == answer["id"]
    assert envelope["data"] == json.loads(json.dumps(event_data(stored), default=str))


def _endpoint(event_types: list[str], *, supplier: str | None = None, **more: Any) -> Any:
    return WebhookEndpoint(
        url="https://erp.example.com/hooks",
        supplier_siret=supplier,
        event_types=event_types,
        secret_enc="sealed",
        old_secrets=[],
        **more,
    )


async def test_each_subscribed_endpoint_gets_a_delivery_kicked_after_commit(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], redis_url: str
) -> None:
    wanted = _endpoint(["invoice.accepted"])
    everything = _endpoint([], supplier=SUPPLIER)
    disabled = _endpoint([], disabled_at=utcnow(), disabled_reason="manual")
    async with unit_of_work(sessionmaker) as session:
        session.add_all([wanted, everything, disabled])
        session.add_all([_endpoint(["invoice.paid"]), _endpoint([], supplier="73282932000074")])
    answer = (await post(client, invoice(), "one-statement-4")).json()
    async with sessionmaker() as session:
        deliveries = (await session.scalars(select(WebhookDelivery))).all()
    assert sorted((d.endpoint_id, d.status) for d in deliveries) == sorted(
        [(wanted.id, "pending"), (everything.id, "pending"), (disabled.id, "skipped")]
    )
    queue = Redis.from_url(redis_url)
    try:
        for delivery in deliveries:
            kicked = await queue.exists(f"arq:job:webhook:{delivery.id}:0")
            assert kicked == (delivery.status == "pending")
        assert await queue.exists(f"arq:job:submit:{answer['id']}:first")
    finally:
        await queue.aclose()
