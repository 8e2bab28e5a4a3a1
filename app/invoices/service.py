"""Accepting invoices from the ERP and reading them back."""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import AppError, Conflict, FieldError, NotFound, Unprocessable
from app.core.time import utcnow
from app.formats import Syntax
from app.invoices import history
from app.invoices.checks import check_document
from app.invoices.document import InvoiceDocument
from app.invoices.lifecycle import InvoiceStatus
from app.invoices.repository import InvoiceFilters, InvoiceRepository
from app.models.invoice import Invoice, InvoiceEvent, SubmissionAttempt
from app.outbox import service as outbox

SUBMIT_JOB = "submit_invoice"
# Chorus Pro compares the invoice date with its own (French) calendar day.
CHORUS_ZONE = ZoneInfo("Europe/Paris")


class InvoiceNotFound(NotFound):
    slug = "invoice-not-found"
    title = "Invoice not found"


class IdempotencyKeyReused(Conflict):
    slug = "idempotency-key-reused"
    title = "This Idempotency-Key was already used with another request body"


class DuplicateInvoiceNumber(Conflict):
    slug = "duplicate-invoice-number"
    title = "This supplier already sent an invoice with this number"


class InvoiceInvalid(Unprocessable):
    slug = "invoice-invalid"
    title = "The invoice would be refused by Chorus Pro or EN 16931"


class InvalidCursor(AppError):
    slug = "invalid-cursor"
    title = "The cursor is not valid"


@dataclass(frozen=True)
class InvoiceDetail:
    """An invoice with its history and attempts; reads fall through to the invoice."""

    invoice: Invoice
    history: Sequence[InvoiceEvent]
    attempts: Sequence[SubmissionAttempt]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.invoice, name)


def request_hash(document: InvoiceDocument) -> str:
    return hashlib.sha256(document.model_dump_json().encode()).hexdigest()


def encode_cursor(invoice: Invoice) -> str:
    raw = f"{invoice.created_at.isoformat()}|{invoice.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        created_at, invoice_id = base64.urlsafe_b64decode(cursor).decode().split("|")
        return datetime.fromisoformat(created_at), uuid.UUID(invoice_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor(errors=[FieldError(field="query:cursor", message=str(exc))]) from exc


class InvoiceService:
    async def create(
        self,
        session: AsyncSession,
        document: InvoiceDocument,
        idempotency_key: str,
        *,
        submit_grace: timedelta,
        syntax: Syntax = Syntax.CII_D16B,
    ) -> tuple[Invoice, bool]:
        """Store the invoice and its submission job together; replay an identical request."""
        repository = InvoiceRepository(session)
        digest = request_hash(document)
        existing = await repository.get_by_idempotency_key(idempotency_key)
        if existing is not None:
            return self._replay(existing, digest), False

        errors = check_document(document, today=datetime.now(CHORUS_ZONE).date())
        if errors:
            raise InvoiceInvalid(f"{len(errors)} check(s) failed", errors=errors)
        if await repository.number_in_use(document.supplier.siret, document.number):
            raise DuplicateInvoiceNumber(
                f"invoice number {document.number} is already used by supplier "
                f"{document.supplier.siret}"
            )

        totals = document.compute_totals()
        now = utcnow()
        invoice = Invoice(
            id=uuid.uuid4(),
            idempotency_key=idempotency_key,
            request_hash=digest,
            number=document.number,
            type_code=document.type_code,
            supplier_siret=document.supplier.siret,
            recipient_siret=document.recipient.siret,
            service_code=document.service_code,
            engagement_number=document.engagement_number,
            issue_date=document.issue_date,
            due_date=document.due_date,
            currency=document.currency,
            total_without_vat=totals.tax_exclusive,
            total_vat=totals.tax,
            total_with_vat=totals.tax_inclusive,
            amount_due=totals.payable,
            document=document.model_dump(mode="json"),
            syntax=syntax.value,
            status="new",
            status_changed_at=now,
            next_submit_at=now + submit_grace,
            created_at=now,
            updated_at=now,
            version=0,
        )
        try:
            async with session.begin_nested():
                repository.add(invoice)
                await session.flush()
        except IntegrityError as exc:
            return await self._resolve_race(session, exc, document, idempotency_key, digest), False
        await history.record(
            session, invoice, InvoiceStatus.ACCEPTED, source="erp", comment="Invoice accepted"
        )
        outbox.add(session, SUBMIT_JOB, invoice_id=str(invoice.id))
        return invoice, True

    def _replay(self, existing: Invoice, digest: str) -> Invoice:
        if existing.request_hash != digest:
            raise IdempotencyKeyReused(
                "send a new Idempotency-Key for a different invoice, or the same body to replay"
            )
        return existing

    async def _resolve_race(
        self,
        session: AsyncSession,
        exc: IntegrityError,
        document: InvoiceDocument,
        idempotency_key: str,
        digest: str,
    ) -> Invoice:
        """A concurrent request committed first: same key replays, same number conflicts."""
        existing = await InvoiceRepository(session).get_by_idempotency_key(idempotency_key)
        if existing is not None:
            return self._replay(existing, digest)
        if "uq_invoices_supplier_number" in str(exc.orig):
            raise DuplicateInvoiceNumber(
                f"invoice number {document.number} is already used by supplier "
                f"{document.supplier.siret}"
            ) from exc
        raise exc

    async def get(self, session: AsyncSession, invoice_id: uuid.UUID) -> Invoice:
        invoice = await InvoiceRepository(session).get(invoice_id)
        if invoice is None:
            raise InvoiceNotFound(f"no invoice {invoice_id}")
        return invoice

    async def get_detail(self, session: AsyncSession, invoice_id: uuid.UUID) -> InvoiceDetail:
        invoice = await self.get(session, invoice_id)
        repository = InvoiceRepository(session)
        return InvoiceDetail(
            invoice, await repository.events(invoice_id), await repository.attempts(invoice_id)
        )

    async def list(
        self, session: AsyncSession, filters: InvoiceFilters, limit: int, cursor: str | None
    ) -> tuple[Sequence[Invoice], str | None]:
        after = decode_cursor(cursor) if cursor else None
        rows = await InvoiceRepository(session).list(filters, limit + 1, after)
        page = rows[:limit]
        next_cursor = encode_cursor(page[-1]) if len(rows) > limit else None
        return page, next_cursor


invoice_service = InvoiceService()
