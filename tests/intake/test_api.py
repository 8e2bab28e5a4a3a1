"""Posting invoices to the API, against a real PostgreSQL and Redis."""

from __future__ import annotations

import httpx
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.models import Invoice, WebhookMessage
from tests.factories import invoice_body as invoice
from tests.factories import post_invoice as post


async def test_post_invoice_stores_invoice_history_and_event_before_answering(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    redis_url: str,
) -> None:
    response = await post(client, invoice(), "key-1")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "accepted"
    assert body["number"] == "FA-2026-00042"
    assert body["total_with_vat"] == "1603.80"
    assert response.headers["location"] == f"/v1/invoices/{body['id']}"
    assert [(h["source"], h["status"]) for h in body["history"]] == [("erp", "accepted")]
    async with sessionmaker() as session:
        stored = await session.get(Invoice, body["id"])
        assert stored is not None and stored.status == "accepted"
        # The durable promise of a deposit: the sweep takes the invoice if the kick is lost.
        assert stored.next_submit_at == stored.created_at + settings.submit_sweep_after
        events = await session.scalars(select(WebhookMessage.event_type))
        assert list(events) == ["invoice.accepted"]
    queue = Redis.from_url(redis_url)
    try:  # the kick, after commit
        assert await queue.exists(f"arq:job:submit:{body['id']}:first")
    finally:
        await queue.aclose()


async def test_same_key_same_body_returns_same_invoice(client: httpx.AsyncClient) -> None:
    first = await post(client, invoice(), "key-2")
    second = await post(client, invoice(), "key-2")
    assert second.status_code == 202
    assert second.json()["id"] == first.json()["id"]
    assert second.headers["idempotent-replayed"] == "true"


async def test_same_key_other_body_is_refused(client: httpx.AsyncClient) -> None:
    await post(client, invoice(), "key-3")
    response = await post(client, invoice(notes=[{"text": "another body"}]), "key-3")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/idempotency-key-reused")


async def test_duplicate_number_for_same_supplier_is_refused(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await post(client, invoice(), "key-4")
    response = await post(client, invoice(), "key-5")
    assert response.status_code == 409
    assert response.json()["type"].endswith("/duplicate-invoice-number")
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Invoice)) == 1


async def test_malformed_body_names_each_field(client: httpx.AsyncClient) -> None:
    body = invoice()
    body["supplier"]["siret"] = "81234567600018"  # Luhn fails
    body["lines"][0]["quantity"] = "ten"
    del body["recipient"]["name"]
    response = await post(client, body, "key-6")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    fields = {e["field"] for e in problem["errors"]}
    assert {"supplier.siret", "lines[0].quantity", "recipient.name"} <= fields
    assert problem["status"] == 422


async def test_missing_idempotency_key_is_named(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/invoices", json=invoice())
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["header:idempotency-key"]


async def test_wrong_totals_are_refused_with_rule_ids_and_nothing_is_stored(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    body = invoice()
    body["totals"]["tax"] = "267.31"
    body["totals"]["payable"] = "1600.00"
    response = await post(client, body, "key-7")
    assert response.status_code == 422
    errors = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert errors == {"totals.tax": "BR-CO-14", "totals.payable": "BR-CO-16"}
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Invoice)) == 0


async def test_invoice_number_chorus_cannot_take_is_refused(client: httpx.AsyncClient) -> None:
    response = await post(client, invoice(number="FA 2026 00042 TOO LONG FOR CHORUS"), "key-10")
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("number", "CPP-NUM-01")
    ]


async def test_future_invoice_date_is_refused(client: httpx.AsyncClient) -> None:
    response = await post(client, invoice(issue_date="2999-01-01", due_date=None), "key-8")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "issue_date"
