"""SQL of the submission stage: due invoices, deposit attempts, the ERP's own file."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import defer

from app.invoices.lifecycle import InvoiceStatus
from app.kit.repository import Repository
from app.models.invoice import Invoice, InvoiceFile, SubmissionAttempt

SUBMITTABLE = (InvoiceStatus.ACCEPTED.value, InvoiceStatus.SUBMITTING.value)


class SubmissionRepository(Repository[SubmissionAttempt]):
    model = SubmissionAttempt

    async def latest_attempt(self, invoice_id: uuid.UUID) -> SubmissionAttempt | None:
        statement = (
            select(SubmissionAttempt)
            .where(SubmissionAttempt.invoice_id == invoice_id)
            .order_by(SubmissionAttempt.number.desc(), SubmissionAttempt.started_at.desc())
            .limit(1)
        )
        return await self.session.scalar(statement)

    async def lock_with_attempt(
        self, invoice_id: uuid.UUID, attempt_id: uuid.UUID
    ) -> tuple[Invoice, SubmissionAttempt] | None:
        """The invoice and one of its attempts, both locked, in one round trip.

        Without the document: recording an answer never reads it, and it is the row's bulk.
        """
        statement = (
            select(Invoice, SubmissionAttempt)
            .options(defer(Invoice.document, raiseload=True))
            .join(SubmissionAttempt, SubmissionAttempt.invoice_id == Invoice.id)
            .where(Invoice.id == invoice_id, SubmissionAttempt.id == attempt_id)
            .with_for_update()
        )
        row = (await self.session.execute(statement)).first()
        return None if row is None else (row[0], row[1])

    async def original_file(self, invoice_id: uuid.UUID) -> InvoiceFile | None:
        return await self.session.get(InvoiceFile, invoice_id)

    async def claim_due(self, now: datetime, limit: int) -> Sequence[Invoice]:
        """Submissions due (again): never started, to retry, or whose worker died mid-lease."""
        statement = (
            select(Invoice)
            .where(
                Invoice.next_submit_at <= now,
                Invoice.status.in_(SUBMITTABLE),
                or_(Invoice.lease_expires_at.is_(None), Invoice.lease_expires_at < now),
            )
            .order_by(Invoice.next_submit_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(statement)).all()
