"""The baseline: minimal endpoints on raw asyncpg writing and reading rows of the same shape.

`POST /v1/invoices` stores the posted JSON as an `invoices` row (every column the gateway
fills, the document as JSONB, totals summed from the lines) and its first `invoice_events`
row in one transaction, with the same insert-or-conflict statement; `GET
/v1/invoices/{id}/status` and `GET /v1/invoices?status=…` read what the gateway's answers
read. No authentication, no checks, no framework beyond Starlette: what the parts cost.

    BENCH_RAW_DATABASE_URL=postgresql://… uvicorn bench.raw:app --port 8001
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.kit.ids import uuid7

INSERT_INVOICE = """
INSERT INTO invoices (id, idempotency_key, request_hash, number, type_code, supplier_siret,
  recipient_siret, service_code, engagement_number, issue_date, due_date, currency,
  total_without_vat, total_vat, total_with_vat, amount_due, document, syntax, status,
  status_changed_at, status_comment, reuses_number_allowed, followed, submit_attempts,
  poll_failures, next_submit_at, has_original_file, created_at, updated_at, version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
  'accepted', $19, 'Invoice accepted', false, false, 0, 0, $20, false, $19, $19, 1)
ON CONFLICT DO NOTHING RETURNING id
"""
INSERT_EVENT = """
INSERT INTO invoice_events (id, invoice_id, occurred_at, recorded_at, source, status, comment)
VALUES ($1, $2, $3, $3, 'erp', 'accepted', 'Invoice accepted')
"""
STATUS = """
SELECT id, number, status, status_changed_at, status_comment, chorus_status,
  chorus_status_changed_at, flux_number, flux_status, chorus_invoice_id
FROM invoices WHERE id = $1
"""
EVENTS = """
SELECT occurred_at, recorded_at, source, status, chorus_status, comment
FROM invoice_events WHERE invoice_id = $1 ORDER BY recorded_at, id
"""
LIST = """
SELECT id, number, status, chorus_status, supplier_siret, recipient_siret, issue_date,
  currency, total_with_vat, created_at, updated_at
FROM invoices WHERE status = ANY($1::varchar[]) ORDER BY created_at DESC, id DESC LIMIT $2
"""


def _date(value: str | None) -> Any:
    return None if value is None else datetime.fromisoformat(value).date()


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _row(record: asyncpg.Record) -> dict[str, Any]:
    return {key: _jsonable(value) for key, value in record.items()}


async def create_invoice(request: Request) -> Response:
    raw = await request.body()
    body = json.loads(raw)
    key = request.headers["idempotency-key"]
    excl = sum(
        (Decimal(line["quantity"]) * Decimal(line["unit_price"]) for line in body["lines"]),
        Decimal(0),
    )
    vat = (excl * Decimal("0.2")).quantize(Decimal("0.01"))
    now = datetime.now(UTC)
    invoice_id = uuid7()
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection, connection.transaction():
        inserted = await connection.fetchval(
            INSERT_INVOICE,
            invoice_id,
            key,
            "0" * 64,
            body["number"],
            body.get("type_code", "380"),
            body["supplier"]["siret"],
            body["recipient"]["siret"],
            body.get("service_code"),
            body.get("engagement_number"),
            _date(body["issue_date"]),
            _date(body.get("due_date")),
            body.get("currency", "EUR"),
            excl,
            vat,
            excl + vat,
            excl + vat,
            raw.decode(),
            "CII_D16B",
            now,
            now + timedelta(seconds=30),
        )
        if inserted is None:
            return JSONResponse({"title": "conflict"}, status_code=409)
        await connection.execute(INSERT_EVENT, uuid7(), invoice_id, now)
    return JSONResponse({"id": str(invoice_id), "status": "accepted"}, status_code=202)


async def invoice_status(request: Request) -> Response:
    invoice_id = uuid.UUID(request.path_params["invoice_id"])
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection:
        row = await connection.fetchrow(STATUS, invoice_id)
        if row is None:
            return JSONResponse({"title": "not found"}, status_code=404)
        events = await connection.fetch(EVENTS, invoice_id)
    return JSONResponse({**_row(row), "history": [_row(e) for e in events]})


async def list_invoices(request: Request) -> Response:
    statuses = request.query_params.getlist("status") or ["accepted"]
    limit = int(request.query_params.get("limit", "50"))
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection:
        rows = await connection.fetch(LIST, statuses, limit)
    return JSONResponse({"data": [_row(r) for r in rows]})


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _init(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec("jsonb", encoder=str, decoder=json.loads, schema="pg_catalog")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    url = os.environ["BENCH_RAW_DATABASE_URL"]
    app.state.pool = await asyncpg.create_pool(url, min_size=20, max_size=20, init=_init)
    try:
        yield
    finally:
        await app.state.pool.close()


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/v1/invoices", create_invoice, methods=["POST"]),
        Route("/v1/invoices", list_invoices, methods=["GET"]),
        Route("/v1/invoices/{invoice_id}/status", invoice_status),
    ],
    lifespan=lifespan,
)
