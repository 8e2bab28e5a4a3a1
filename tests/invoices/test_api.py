"""The ERP-facing API against a real PostgreSQL and Redis."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Invoice, OutboxMessage

EXAMPLE = json.loads((Path(__file__).parents[2] / "examples" / "invoice.json").read_text())


def invoice(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLE)
    body.update(changes)
    return body


async def post(client: httpx.AsyncClient, body: dict[str, Any], key: str) -> httpx.Response:
    return await client.post("/v1/invoices", json=body, headers={"Idempotency-Key": key})


async def test_post_invoice_stores_invoice_and_outbox_row_before_answering(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await post(client, invoice(), "key-1")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "accepted"
    assert body["number"] == "FA-2026-00042"
    assert body["total_with_vat"] == "1603.80"
    assert response.headers["location"] == f"/v1/invoices/{body['id']}"
    async with sessionmaker() as session:
        stored = await session.get(Invoice, body["id"])
        assert stored is not None and stored.status == "accepted"
        jobs = (await session.scalars(select(OutboxMessage))).all()
        assert [(j.job, j.args) for j in jobs] == [("submit_invoice", {"invoice_id": body["id"]})]


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


async def test_get_status_and_history(client: httpx.AsyncClient) -> None:
    created = (await post(client, invoice(), "key-9")).json()
    status = await client.get(f"/v1/invoices/{created['id']}/status")
    assert status.status_code == 200
    body = status.json()
    assert body["status"] == "accepted"
    assert body["chorus_status"] is None
    assert [(h["source"], h["status"]) for h in body["history"]] == [("erp", "accepted")]
    full = (await client.get(f"/v1/invoices/{created['id']}")).json()
    assert full["document"]["number"] == "FA-2026-00042"
    assert full["attempts"] == []


async def test_unknown_invoice_is_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/invoices/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_list_filters_and_cursor_pagination(client: httpx.AsyncClient) -> None:
    ids = []
    for n in range(5):
        body = invoice(number=f"FA-LIST-{n}")
        body["recipient"]["siret"] = "21750001600019" if n % 2 else "21330063500025"
        ids.append((await post(client, body, f"list-{n}")).json()["id"])
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/invoices", params=params)).json()
        seen += [i["id"] for i in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    filtered = (
        await client.get("/v1/invoices", params={"recipient_siret": "21750001600019"})
    ).json()
    assert {i["number"] for i in filtered["data"]} == {"FA-LIST-1", "FA-LIST-3"}
    by_status = (await client.get("/v1/invoices", params={"status": "paid"})).json()
    assert by_status["data"] == []
    bad = await client.get("/v1/invoices", params={"cursor": "nope"})
    assert bad.status_code == 400


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}
