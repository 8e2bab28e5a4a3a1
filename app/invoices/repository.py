"""SQL of the invoice aggregate that every stage shares: the invoice, its history, attempts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, insert, select

from app.kit.repository import Repository
from app.models.invoice import Invoice, InvoiceEvent, SubmissionAttempt


@dataclass(frozen=True)
class InvoiceFilters:
    statuses: Sequence[str] = ()
    supplier_siret: str | None = None
    recipient_siret: str | None = None
    issue_date_from: date | None = None
    issue_date_to: date | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    visible_suppliers: frozenset[str] | None = None  # None: every supplier


_EVENTS = cast(Table, InvoiceEvent.__table__)
_ATTEMPTS = cast(Table, SubmissionAttempt.__table__)
STATUS_COLUMNS = (
    "id",
    "number",
    "status",
    "status_changed_at",
    "status_comment",
    "chorus_status",
    "chorus_status_changed_at",
    "flux_number",
    "flux_status",
    "chorus_invoice_id",
    "supplier_siret",
)
"""What the status answer shows of the invoice, and whose it is."""
DETAIL_COLUMNS = (
    *STATUS_COLUMNS,
    "idempotency_key",
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
    "syntax",
    "deposited_at",
    "submit_attempts",
    "last_error",
    "version",
    "created_at",
    "updated_at",
    "document",
    "replaces_invoice_id",
    "replaced_by_invoice_id",
)
"""What the full answer shows of the invoice; `document` comes as its JSON text."""
SUMMARY_COLUMNS = (
    "id",
    "number",
    "status",
    "chorus_status",
    "supplier_siret",
    "recipient_siret",
    "issue_date",
    "currency",
    "total_with_vat",
    "created_at",
    "updated_at",
)
"""What a list row shows: lists never read the invoices' documents."""
HISTORY_COLUMNS = (
    "occurred_at",
    "recorded_at",
    "source",
    "status",
    "chorus_status",
    "comment",
    "actor",
)
ATTEMPT_COLUMNS = (
    "number",
    "operation",
    "outcome",
    "started_at",
    "finished_at",
    "flux_number",
    "http_status",
    "error",
)


def _select(table: Table, columns: Sequence[str], where: str, order: str = "") -> str:
    """SQL text over the table's own column names (a missing one fails at import)."""
    names = ", ".join(table.c[name].name for name in columns)
    return f"SELECT {names} FROM {table.name} WHERE {where}{order}"


_INVOICES = cast(Table, Invoice.__table__)
_STATUS_ROW = _select(_INVOICES, STATUS_COLUMNS, "id = $1")
_DETAIL_ROW = _select(_INVOICES, DETAIL_COLUMNS, "id = $1")
_HISTORY_ROWS = _select(_EVENTS, HISTORY_COLUMNS, "invoice_id = $1", " ORDER BY recorded_at, id")
_ATTEMPT_ROWS = _select(
    _ATTEMPTS, ATTEMPT_COLUMNS, "invoice_id = $1", " ORDER BY number, started_at"
)
"""The reads of the status and full answers, as SQL text made once and run as it is on
the driver (no compilation, no ORM entities, no per-row processing): plain rows."""
_LIST_FILTERS = (
    ("statuses", "status = ANY(${}::varchar[])"),
    ("supplier_siret", "supplier_siret = ${}"),
    ("visible_suppliers", "supplier_siret = ANY(${}::varchar[])"),
    ("recipient_siret", "recipient_siret = ${}"),
    ("issue_date_from", "issue_date >= ${}"),
    ("issue_date_to", "issue_date <= ${}"),
    ("created_from", "created_at >= ${}"),
    ("created_to", "created_at < ${}"),
)


@lru_cache(maxsize=512)
def _list_sql(present: tuple[str, ...], paged: bool) -> str:
    """The list's SQL for one combination of filters, made once per combination."""
    conditions = [dict(_LIST_FILTERS)[name].format(n) for n, name in enumerate(present, 1)]
    if paged:
        first = len(present) + 1
        conditions.append(f"(created_at, id) < (${first}, ${first + 1})")
    where = " AND ".join(conditions) or "true"
    limit = len(present) + (3 if paged else 1)
    order = f" ORDER BY created_at DESC, id DESC LIMIT ${limit}"
    return _select(_INVOICES, SUMMARY_COLUMNS, where, order)


_INSERT_EVENT = insert(_EVENTS).values(
    {column.key: bindparam(column.key, type_=column.type) for column in _EVENTS.columns}
)


class InvoiceRepository(Repository[Invoice]):
    model = Invoice

    async def insert_event(self, event: InvoiceEvent) -> None:
        """A history line written at once, without the unit of work's bookkeeping."""
        params = {column.key: getattr(event, column.key) for column in _EVENTS.columns}
        await self.session.execute(_INSERT_EVENT, params)

    async def status_row(self, invoice_id: uuid.UUID) -> Row[Any] | None:
        """What the status answer shows of the invoice (STATUS_COLUMNS), as a row."""
        async with self.reading() as connection:
            result = await connection.exec_driver_sql(_STATUS_ROW, (invoice_id,))
            return result.first()

    async def history_rows(self, invoice_id: uuid.UUID) -> Sequence[Row[Any]]:
        """The history lines as the answers show them, in `events` order, as rows."""
        async with self.reading() as connection:
            result = await connection.exec_driver_sql(_HISTORY_ROWS, (invoice_id,))
            return result.all()

    async def status_rows(
        self, invoice_id: uuid.UUID
    ) -> tuple[Row[Any] | None, Sequence[Row[Any]]]:
        """The status answer's two reads on one connection: the invoice row, its history."""
        async with self.reading() as connection:
            row = (await connection.exec_driver_sql(_STATUS_ROW, (invoice_id,))).first()
            if row is None:
                return None, ()
            history = (await connection.exec_driver_sql(_HISTORY_ROWS, (invoice_id,))).all()
        return row, history

    async def detail_rows(
        self, invoice_id: uuid.UUID
    ) -> tuple[Row[Any] | None, Sequence[Row[Any]], Sequence[Row[Any]]]:
        """The full answer's reads on one connection: the invoice, its history, attempts."""
        async with self.reading() as connection:
            row = (await connection.exec_driver_sql(_DETAIL_ROW, (invoice_id,))).first()
            if row is None:
                return None, (), ()
            history = (await connection.exec_driver_sql(_HISTORY_ROWS, (invoice_id,))).all()
            attempts = (await connection.exec_driver_sql(_ATTEMPT_ROWS, (invoice_id,))).all()
        return row, history, attempts

    async def events(self, invoice_id: uuid.UUID) -> Sequence[InvoiceEvent]:
        """In the order the gateway learnt them; Chorus times are only to the minute."""
        statement = (
            select(InvoiceEvent)
            .where(InvoiceEvent.invoice_id == invoice_id)
            .order_by(InvoiceEvent.recorded_at, InvoiceEvent.id)
        )
        return (await self.session.scalars(statement)).all()

    async def attempts(self, invoice_id: uuid.UUID) -> Sequence[SubmissionAttempt]:
        statement = (
            select(SubmissionAttempt)
            .where(SubmissionAttempt.invoice_id == invoice_id)
            .order_by(SubmissionAttempt.number, SubmissionAttempt.started_at)
        )
        return (await self.session.scalars(statement)).all()

    async def list(
        self, filters: InvoiceFilters, limit: int, after: tuple[datetime, uuid.UUID] | None
    ) -> Sequence[Row[Any]]:
        """Newest first, keyset-paginated on (created_at, id), as rows (SUMMARY_COLUMNS)."""
        present: list[str] = []
        params: list[Any] = []
        for name, _ in _LIST_FILTERS:
            value = getattr(filters, name)
            if name == "visible_suppliers":
                if value is None:
                    continue
                value = sorted(value)
            elif not value:
                continue
            present.append(name)
            params.append(list(value) if name == "statuses" else value)
        if after is not None:
            params += after
        params.append(limit)
        sql = _list_sql(tuple(present), after is not None)
        async with self.reading() as connection:
            return (await connection.exec_driver_sql(sql, tuple(params))).all()
