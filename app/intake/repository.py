"""SQL of intake: one statement that stores a new invoice with everything that goes with it,
and tells a replay or a number already used by storing nothing."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.kit.repository import Repository
from app.models.invoice import Invoice

INVOICE_COLUMNS = (
    "id",
    "idempotency_key",
    "request_hash",
    "number",
    "type_code",
    "supplier_siret",
    "recipient_siret",
    "service_code",
    "engagement_number",
    "issue_date",
    "due_date",
    "currency",
    "total_without_vat",
    "total_vat",
    "total_with_vat",
    "amount_due",
    "document",
    "syntax",
    "status",
    "status_changed_at",
    "status_comment",
    "reuses_number_allowed",
    "followed",
    "submit_attempts",
    "poll_failures",
    "next_submit_at",
    "replaces_invoice_id",
    "has_original_file",
    "created_at",
    "updated_at",
    "version",
)
"""The columns intake fills; the others start NULL (tests/intake checks the two agree)."""
_EXTRA = (
    "wanted_syntax",
    "event_id",
    "source",
    "actor_id",
    "actor",
    "file_name",
    "file_content",
    "message_id",
    "event_type",
    "payload",
)
_POSITION = {name: f"${i}" for i, name in enumerate(INVOICE_COLUMNS + _EXTRA, start=1)}
_CASTS = {  # the parameters PostgreSQL cannot type from where they stand alone
    "syntax": "varchar",
    "wanted_syntax": "varchar",
    "supplier_siret": "varchar",
    "created_at": "timestamptz",
    "status": "varchar",
    "status_comment": "text",
    "request_hash": "varchar",
    "event_type": "varchar",
    "file_content": "bytea",
}


def _p(name: str) -> str:
    cast = _CASTS.get(name)
    return f"{_POSITION[name]}::{cast}" if cast else _POSITION[name]


def _invoice_value(column: str) -> str:
    if column == "syntax":  # asked for, else the supplier's default, else the invoice's
        return (
            f"COALESCE({_p('wanted_syntax')}, (SELECT default_syntax FROM suppliers"
            f" WHERE siret = {_p('supplier_siret')}), {_p('syntax')})"
        )
    return _p(column)


# Every row of a new invoice in one round trip: the invoice, its first history line, the
# file the ERP built (if any), the `invoice.accepted` message and one delivery per
# subscribed endpoint. The rows after the first are made from what the first returns, so
# a conflict (this key or this number taken) stores nothing and returns no row. The
# foreign keys are checked at the end of the statement, when the invoice exists.
_ACCEPT = f"""
WITH new AS (
  INSERT INTO invoices ({", ".join(INVOICE_COLUMNS)})
  VALUES ({", ".join(_invoice_value(c) for c in INVOICE_COLUMNS)})
  ON CONFLICT DO NOTHING
  RETURNING id, syntax
), event AS (
  INSERT INTO invoice_events
    (id, invoice_id, occurred_at, recorded_at, source, status, comment, actor_id, actor)
  SELECT {_p("event_id")}, new.id, {_p("created_at")}, {_p("created_at")}, {_p("source")},
    {_p("status")}, {_p("status_comment")}, {_p("actor_id")}, {_p("actor")}
  FROM new
), file AS (
  INSERT INTO invoice_files (invoice_id, file_name, syntax, sha256, content, created_at)
  SELECT new.id, {_p("file_name")}, new.syntax, {_p("request_hash")}, {_p("file_content")},
    {_p("created_at")}
  FROM new WHERE {_p("file_content")} IS NOT NULL
), message AS (
  INSERT INTO webhook_messages (id, event_type, payload, invoice_id, supplier_siret, created_at)
  SELECT {_p("message_id")}, {_p("event_type")}, {_p("payload")}, new.id,
    {_p("supplier_siret")}, {_p("created_at")}
  FROM new
  RETURNING id
), delivery AS (
  INSERT INTO webhook_deliveries
    (id, message_id, endpoint_id, status, attempt_count, next_attempt_at, created_at, updated_at)
  SELECT uuid7(), message.id, endpoint.id,
    CASE WHEN endpoint.disabled_at IS NULL THEN 'pending' ELSE 'skipped' END, 0,
    CASE WHEN endpoint.disabled_at IS NULL THEN {_p("created_at")} END,
    {_p("created_at")}, {_p("created_at")}
  FROM message CROSS JOIN webhook_endpoints AS endpoint
  WHERE (cardinality(endpoint.event_types) = 0 OR {_p("event_type")} = ANY(endpoint.event_types))
    AND (endpoint.supplier_siret IS NULL OR endpoint.supplier_siret = {_p("supplier_siret")})
  RETURNING id, status
)
SELECT new.syntax, ARRAY(SELECT id FROM delivery WHERE status = 'pending') FROM new
"""
"""Plain SQL, run as is on the session's connection: no compilation, no ORM, no
per-parameter processing (asyncpg encodes the values; the document arrives as JSON text)."""


@dataclass(frozen=True)
class FirstRows:
    """What the statement needs besides the invoice row (see `_ACCEPT`)."""

    event_id: uuid.UUID
    source: str
    actor_id: uuid.UUID | None
    actor: str | None
    message_id: str
    event_type: str
    payload: str
    file_name: str | None = None
    file_content: bytes | None = None


@dataclass(frozen=True)
class Stored:
    syntax: str
    pending_deliveries: Sequence[uuid.UUID]


class IntakeRepository(Repository[Invoice]):
    model = Invoice

    async def insert_new(
        self, values: Mapping[str, Any], first: FirstRows, *, wanted_syntax: str | None
    ) -> Stored | None:
        """Store the invoice and its first rows unless its key or its number is taken.

        None when taken. A conflict with a transaction still in progress waits for it, so
        that two identical requests never both succeed.
        """
        params = [values[column] for column in INVOICE_COLUMNS]
        params += [
            wanted_syntax,
            first.event_id,
            first.source,
            first.actor_id,
            first.actor,
            first.file_name,
            first.file_content,
            first.message_id,
            first.event_type,
            first.payload,
        ]
        engine = self.session.bind
        if self.session.in_transaction() or not isinstance(engine, AsyncEngine):
            connection = await self.session.connection()
            result = await connection.exec_driver_sql(_ACCEPT, tuple(params))
            row: Sequence[Any] | None = result.first()
        else:
            # Nothing else in this unit of work yet (the POST route, its caches warm): the
            # one statement is its own transaction, without BEGIN and COMMIT round trips.
            # The after-commit kicks still run once the unit of work ends well.
            async with engine.connect() as own:
                alone = await own.execution_options(isolation_level="AUTOCOMMIT")
                row = (await alone.exec_driver_sql(_ACCEPT, tuple(params))).first()
        if row is None:
            return None
        return Stored(syntax=row[0], pending_deliveries=row[1])

    async def get_by_idempotency_key(self, key: str) -> Invoice | None:
        return await self.session.scalar(select(Invoice).where(Invoice.idempotency_key == key))

    async def number_is_used(self, supplier_siret: str, number: str) -> bool:
        """Whether an invoice holds this supplier's number (the unique index's rows)."""
        found = await self.session.scalar(
            select(Invoice.id)
            .where(
                Invoice.supplier_siret == supplier_siret,
                Invoice.number == number,
                Invoice.reuses_number_allowed.is_(False),
            )
            .limit(1)
        )
        return found is not None
