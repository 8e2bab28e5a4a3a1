"""SQL of the invoice aggregate that every stage shares: the invoice, its history, attempts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Table, and_, bindparam, insert, select, tuple_
from sqlalchemy.orm import load_only

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
STATUS_COLUMNS = (
    Invoice.id,
    Invoice.number,
    Invoice.status,
    Invoice.status_changed_at,
    Invoice.status_comment,
    Invoice.chorus_status,
    Invoice.chorus_status_changed_at,
    Invoice.flux_number,
    Invoice.flux_status,
    Invoice.chorus_invoice_id,
    Invoice.supplier_siret,
)
SUMMARY_COLUMNS = (
    Invoice.id,
    Invoice.number,
    Invoice.status,
    Invoice.chorus_status,
    Invoice.supplier_siret,
    Invoice.recipient_siret,
    Invoice.issue_date,
    Invoice.currency,
    Invoice.total_with_vat,
    Invoice.created_at,
    Invoice.updated_at,
)
"""What a list row shows: lists never read the invoices' documents."""
_STATUS_ROW = select(*STATUS_COLUMNS).where(Invoice.id == bindparam("invoice_id"))
_HISTORY_ROWS = (
    select(
        _EVENTS.c.occurred_at,
        _EVENTS.c.recorded_at,
        _EVENTS.c.source,
        _EVENTS.c.status,
        _EVENTS.c.chorus_status,
        _EVENTS.c.comment,
        _EVENTS.c.actor,
    )
    .where(_EVENTS.c.invoice_id == bindparam("invoice_id"))
    .order_by(_EVENTS.c.recorded_at, _EVENTS.c.id)
)
"""The status answer's two reads, built once, as plain rows (no ORM entities to track)."""
_INSERT_EVENT = insert(_EVENTS).values(
    {column.key: bindparam(column.key, type_=column.type) for column in _EVENTS.columns}
)


class InvoiceRepository(Repository[Invoice]):
    model = Invoice

    async def insert_event(self, event: InvoiceEvent) -> None:
        """A history line written at once, without the unit of work's bookkeeping."""
        params = {column.key: getattr(event, column.key) for column in _EVENTS.columns}
        await self.session.execute(_INSERT_EVENT, params)

    async def status_row(self, invoice_id: uuid.UUID) -> Row[*tuple[Any, ...]] | None:
        """What the status answer shows of the invoice (STATUS_COLUMNS), as a row."""
        result = await self.session.execute(_STATUS_ROW, {"invoice_id": invoice_id})
        return result.first()

    async def history_rows(self, invoice_id: uuid.UUID) -> Sequence[Row[*tuple[Any, ...]]]:
        """The history lines as the answer shows them, in `events` order, as rows."""
        result = await self.session.execute(_HISTORY_ROWS, {"invoice_id": invoice_id})
        return result.all()

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
    ) -> Sequence[Invoice]:
        """Newest first, keyset-paginated on (created_at, id)."""
        statement = select(Invoice).options(load_only(*SUMMARY_COLUMNS, raiseload=True))
        conditions: list[ColumnElement[bool]] = []
        if filters.statuses:
            conditions.append(Invoice.status.in_(filters.statuses))
        if filters.supplier_siret:
            conditions.append(Invoice.supplier_siret == filters.supplier_siret)
        if filters.visible_suppliers is not None:
            conditions.append(Invoice.supplier_siret.in_(sorted(filters.visible_suppliers)))
        if filters.recipient_siret:
            conditions.append(Invoice.recipient_siret == filters.recipient_siret)
        if filters.issue_date_from:
            conditions.append(Invoice.issue_date >= filters.issue_date_from)
        if filters.issue_date_to:
            conditions.append(Invoice.issue_date <= filters.issue_date_to)
        if filters.created_from:
            conditions.append(Invoice.created_at >= filters.created_from)
        if filters.created_to:
            conditions.append(Invoice.created_at < filters.created_to)
        if after is not None:
            conditions.append(tuple_(Invoice.created_at, Invoice.id) < tuple_(*after))
        if conditions:
            statement = statement.where(and_(*conditions))
        statement = statement.order_by(Invoice.created_at.desc(), Invoice.id.desc()).limit(limit)
        return (await self.session.scalars(statement)).all()
