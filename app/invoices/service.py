"""Reading invoices back: one invoice with its history and attempts, or a filtered page."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.invoices.repository import InvoiceFilters, InvoiceRepository
from app.kit.actors import Suppliers, sees
from app.kit.cursor import decode_uuid_cursor, page_of
from app.kit.errors import NotFound
from app.models.invoice import Invoice, InvoiceEvent, SubmissionAttempt


class InvoiceNotFound(NotFound):
    slug = "invoice-not-found"
    title = "Invoice not found"


@dataclass(frozen=True)
class InvoiceDetail:
    """An invoice with its history and attempts; reads fall through to the invoice."""

    invoice: Invoice
    history: Sequence[InvoiceEvent]
    attempts: Sequence[SubmissionAttempt]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.invoice, name)


@dataclass(frozen=True)
class InvoiceRows:
    """An invoice read as plain rows: its own row, its history and (full reads) attempts."""

    invoice: Row[Any]
    history: Sequence[Row[Any]]
    attempts: Sequence[Row[Any]] = ()


def _visible(invoice: Invoice | None, invoice_id: uuid.UUID, suppliers: Suppliers) -> Invoice:
    if invoice is None or not sees(suppliers, invoice.supplier_siret):
        raise InvoiceNotFound(f"no invoice {invoice_id}")
    return invoice


class InvoiceService:
    async def get(
        self, session: AsyncSession, invoice_id: uuid.UUID, suppliers: Suppliers = None
    ) -> Invoice:
        return _visible(await InvoiceRepository(session).get(invoice_id), invoice_id, suppliers)

    async def get_for_update(
        self, session: AsyncSession, invoice_id: uuid.UUID, suppliers: Suppliers = None
    ) -> Invoice:
        invoice = await InvoiceRepository(session).get_for_update(invoice_id)
        return _visible(invoice, invoice_id, suppliers)

    async def get_detail(
        self, session: AsyncSession, invoice_id: uuid.UUID, suppliers: Suppliers = None
    ) -> InvoiceDetail:
        invoice = await self.get(session, invoice_id, suppliers)
        repository = InvoiceRepository(session)
        return InvoiceDetail(
            invoice, await repository.events(invoice_id), await repository.attempts(invoice_id)
        )

    async def get_status(
        self, session: AsyncSession, invoice_id: uuid.UUID, suppliers: Suppliers = None
    ) -> InvoiceRows:
        """The status fields and the history only: no document, no attempts, no entities."""
        row, history = await InvoiceRepository(session).status_rows(invoice_id)
        return InvoiceRows(self._seen(row, invoice_id, suppliers), history)

    async def read_detail(
        self, session: AsyncSession, invoice_id: uuid.UUID, suppliers: Suppliers = None
    ) -> InvoiceRows:
        """What `get_detail` shows, as rows, for answering only (nothing to change)."""
        row, history, attempts = await InvoiceRepository(session).detail_rows(invoice_id)
        return InvoiceRows(self._seen(row, invoice_id, suppliers), history, attempts)

    async def list(
        self, session: AsyncSession, filters: InvoiceFilters, limit: int, cursor: str | None
    ) -> tuple[Sequence[Row[Any]], str | None]:
        after = decode_uuid_cursor(cursor) if cursor else None
        rows = await InvoiceRepository(session).list(filters, limit + 1, after)
        return page_of(rows, limit)

    @staticmethod
    def _seen(row: Row[Any] | None, invoice_id: uuid.UUID, suppliers: Suppliers) -> Row[Any]:
        if row is None or not sees(suppliers, row.supplier_siret):
            raise InvoiceNotFound(f"no invoice {invoice_id}")
        return row


invoice_service = InvoiceService()
