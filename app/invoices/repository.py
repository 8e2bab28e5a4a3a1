from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.invoice import Invoice, InvoiceEvent, InvoiceFile, SubmissionAttempt


@dataclass(frozen=True)
class InvoiceFilters:
    statuses: Sequence[str] = ()
    supplier_siret: str | None = None
    recipient_siret: str | None = None
    issue_date_from: date | None = None
    issue_date_to: date | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


class InvoiceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: Invoice | InvoiceEvent | InvoiceFile | SubmissionAttempt) -> None:
        self.session.add(row)

    async def get(self, invoice_id: uuid.UUID) -> Invoice | None:
        return await self.session.get(Invoice, invoice_id)

    async def get_for_update(self, invoice_id: uuid.UUID) -> Invoice | None:
        return await self.session.get(Invoice, invoice_id, with_for_update=True)

    async def get_file(self, invoice_id: uuid.UUID) -> InvoiceFile | None:
        return await self.session.get(InvoiceFile, invoice_id)

    async def get_by_idempotency_key(self, key: str) -> Invoice | None:
        return await self.session.scalar(select(Invoice).where(Invoice.idempotency_key == key))

    async def number_in_use(self, supplier_siret: str, number: str) -> bool:
        statement = select(Invoice.id).where(
            Invoice.supplier_siret == supplier_siret,
            Invoice.number == number,
            Invoice.reuses_number_allowed.is_(False),
        )
        return (await self.session.scalar(statement.limit(1))) is not None

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

    async def latest_attempt(self, invoice_id: uuid.UUID) -> SubmissionAttempt | None:
        statement = (
            select(SubmissionAttempt)
            .where(SubmissionAttempt.invoice_id == invoice_id)
            .order_by(SubmissionAttempt.number.desc(), SubmissionAttempt.started_at.desc())
            .limit(1)
        )
        return await self.session.scalar(statement)

    async def list(
        self, filters: InvoiceFilters, limit: int, after: tuple[datetime, uuid.UUID] | None
    ) -> Sequence[Invoice]:
        """Newest first, keyset-paginated on (created_at, id)."""
        statement = select(Invoice)
        conditions: list[ColumnElement[bool]] = []
        if filters.statuses:
            conditions.append(Invoice.status.in_(filters.statuses))
        if filters.supplier_siret:
            conditions.append(Invoice.supplier_siret == filters.supplier_siret)
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

    async def claim_due_polls(self, now: datetime, limit: int) -> Sequence[Invoice]:
        statement = (
            select(Invoice)
            .where(Invoice.next_poll_at <= now)
            .order_by(Invoice.next_poll_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(statement)).all()

    async def claim_due_submissions(self, now: datetime, limit: int) -> Sequence[Invoice]:
        """Submissions due (again): never started, to retry, or whose worker died mid-lease."""
        statement = (
            select(Invoice)
            .where(
                Invoice.next_submit_at <= now,
                Invoice.status.in_(("accepted", "submitting")),
                or_(Invoice.lease_expires_at.is_(None), Invoice.lease_expires_at < now),
            )
            .order_by(Invoice.next_submit_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(statement)).all()
