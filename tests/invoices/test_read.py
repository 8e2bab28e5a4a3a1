"""Reading invoices back: status and history, one invoice, the filtered list."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.invoices.repository import InvoiceFilters
from app.invoices.schemas import InvoiceRead, InvoiceSummary
from app.invoices.service import invoice_service
from app.kit.db import unit_of_work
from app.kit.time import utcnow
from app.models.invoice import SubmissionAttempt
from tests.factories import invoice_body as invoice
from tests.factories import post_invoice as post


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


async def test_status_answer_matches_the_full_read(client: httpx.AsyncClient) -> None:
    """The status read (plain rows) shows what the full read (entities) shows."""
    created = (await post(client, invoice(number="FA-STATUS-1"), "status-rows")).json()
    status = (await client.get(f"/v1/invoices/{created['id']}/status")).json()
    full = (await client.get(f"/v1/invoices/{created['id']}")).json()
    assert set(status) == {
        "id", "number", "status", "status_changed_at", "status_comment", "chorus_status",
        "chorus_status_changed_at", "flux_number", "flux_status", "chorus_invoice_id", "history",
    }  # fmt: skip
    assert status == {key: full[key] for key in status}
    assert status["history"] == created["history"] != []
    missing = await client.get("/v1/invoices/00000000-0000-0000-0000-000000000000/status")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_row_answers_equal_the_entity_answers(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The full read and the list, built from plain rows without validation, show exactly
    what the entities validated by pydantic show (attempts, Chorus fields and all)."""
    created = (await post(client, invoice(number="FA-ROWS-1"), "rows-1")).json()
    invoice_id = uuid.UUID(created["id"])
    async with unit_of_work(sessionmaker) as session:
        row = await invoice_service.get_for_update(session, invoice_id)
        row.chorus_status, row.chorus_invoice_id, row.flux_number = "DEPOSEE", 4242, "FX-1"
        row.deposited_at = row.chorus_status_changed_at = utcnow()
        session.add(
            SubmissionAttempt(
                invoice_id=invoice_id, number=1, operation="deposerFluxFacture",
                outcome="deposited", finished_at=utcnow(), flux_number="FX-1", http_status=200,
            )
        )  # fmt: skip
    async with unit_of_work(sessionmaker) as session:
        detail = await invoice_service.get_detail(session, invoice_id)
        by_entities = InvoiceRead.model_validate(detail, from_attributes=True).model_dump_json()
        listed = await invoice_service.list(session, InvoiceFilters(), 50, None)
    full = await client.get(f"/v1/invoices/{invoice_id}")
    assert full.json() == json.loads(by_entities)
    assert full.json()["attempts"][0]["outcome"] == "deposited"
    page = (await client.get("/v1/invoices")).json()
    expected = [InvoiceSummary.model_validate(r, from_attributes=True) for r in listed[0]]
    assert page["data"] == [json.loads(s.model_dump_json()) for s in expected]
    assert page["data"][0]["total_with_vat"] == full.json()["total_with_vat"]


async def test_reads_hold_no_transaction(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A read outside a transaction runs in autocommit: the session begins none (so no
    BEGIN/COMMIT, and nothing held while a route goes on), yet sees committed rows."""
    created = (await post(client, invoice(number="FA-ROWS-2"), "rows-2")).json()
    invoice_id = uuid.UUID(created["id"])
    async with unit_of_work(sessionmaker) as session:
        rows = await invoice_service.get_status(session, invoice_id)
        detail = await invoice_service.read_detail(session, invoice_id)
        page, _ = await invoice_service.list(session, InvoiceFilters(), 10, None)
        assert not session.in_transaction()
    assert rows.invoice.number == detail.invoice.number == "FA-ROWS-2"
    assert [r.id for r in page] == [invoice_id]
    async with unit_of_work(sessionmaker) as session:
        locked = await invoice_service.get_for_update(session, invoice_id)
        locked.status_comment = "seen inside the transaction"
        await session.flush()
        rows = await invoice_service.get_status(session, invoice_id)
        assert rows.invoice.status_comment == "seen inside the transaction"
        await session.rollback()
