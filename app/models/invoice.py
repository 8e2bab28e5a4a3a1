"""The invoice aggregate: the invoice, its ordered history and its deposit attempts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, Numeric, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base
from app.kit.ids import uuid7
from app.kit.time import utcnow

Money = Numeric(19, 2)


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        # Chorus Pro wants an invoice number once per supplier; a number whose flux was
        # rejected (no Chorus id) or that never passed our checks may be used again.
        Index(
            "uq_invoices_supplier_number",
            "supplier_siret",
            "number",
            unique=True,
            postgresql_where=text("reuses_number_allowed = false"),
        ),
        Index(
            "ix_invoices_next_poll_at",
            "next_poll_at",
            postgresql_where=text("next_poll_at IS NOT NULL"),
        ),
        Index(
            "ix_invoices_next_submit_at",
            "next_submit_at",
            postgresql_where=text("next_submit_at IS NOT NULL"),
        ),
        Index("ix_invoices_status_created_at", "status", "created_at"),
        Index("ix_invoices_created_at_id", "created_at", "id"),
        # Invoices the supplier status sync follows (app/tracking/sync.py).
        Index(
            "ix_invoices_followed_supplier",
            "supplier_siret",
            "deposited_at",
            postgresql_where=text("followed"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(20))
    type_code: Mapped[str] = mapped_column(String(3))
    supplier_siret: Mapped[str] = mapped_column(String(14), index=True)
    recipient_siret: Mapped[str] = mapped_column(String(14), index=True)
    service_code: Mapped[str | None] = mapped_column(String(100))
    engagement_number: Mapped[str | None] = mapped_column(String(50))
    issue_date: Mapped[date]
    due_date: Mapped[date | None]
    currency: Mapped[str] = mapped_column(String(3))
    total_without_vat: Mapped[Decimal] = mapped_column(Money)
    total_vat: Mapped[Decimal] = mapped_column(Money)
    total_with_vat: Mapped[Decimal] = mapped_column(Money)
    amount_due: Mapped[Decimal] = mapped_column(Money)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    syntax: Mapped[str] = mapped_column(String(40))
    # The ERP posted its own file (invoice_files): it is deposited instead of a rendering.
    has_original_file: Mapped[bool] = mapped_column(default=False, server_default=text("false"))

    status: Mapped[str] = mapped_column(String(30))
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    reuses_number_allowed: Mapped[bool] = mapped_column(default=False)
    chorus_status: Mapped[str | None] = mapped_column(String(60))
    chorus_status_changed_at: Mapped[datetime | None]
    flux_number: Mapped[str | None] = mapped_column(String(40), index=True)
    flux_status: Mapped[str | None] = mapped_column(String(60))
    deposited_at: Mapped[datetime | None]
    chorus_invoice_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    last_history_id: Mapped[int | None] = mapped_column(BigInteger)
    status_comment: Mapped[str | None] = mapped_column(Text)
    # True while the supplier status sync follows the invoice (Chorus id known, not over).
    followed: Mapped[bool] = mapped_column(default=False)
    # statutMiseEnPaiementNestPasRemonte inverted; None: not known (followed up to a max age).
    recipient_reports_payment: Mapped[bool | None]
    replaces_invoice_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invoices.id", ondelete="SET NULL")
    )
    replaced_by_invoice_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invoices.id", ondelete="SET NULL")
    )

    submit_attempts: Mapped[int] = mapped_column(default=0)
    lease_token: Mapped[uuid.UUID | None]
    lease_expires_at: Mapped[datetime | None]
    next_submit_at: Mapped[datetime | None]
    next_poll_at: Mapped[datetime | None]
    poll_failures: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InvoiceEvent(Base):
    """One line of an invoice's history: what happened, when, according to whom, and why."""

    __tablename__ = "invoice_events"
    __table_args__ = (
        Index("ix_invoice_events_invoice_id_recorded_at", "invoice_id", "recorded_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30))
    chorus_status: Mapped[str | None] = mapped_column(String(60))
    comment: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The API key that made this change, when a caller did (its id and name at the time).
    actor_id: Mapped[uuid.UUID | None]
    actor: Mapped[str | None] = mapped_column(String(200))


class SubmissionAttempt(Base):
    """One deposit attempt; an `in_flight` row that never finished means the answer was lost."""

    __tablename__ = "submission_attempts"
    __table_args__ = (Index("ix_submission_attempts_invoice_id_number", "invoice_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    number: Mapped[int]
    operation: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(30))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    flux_number: Mapped[str | None] = mapped_column(String(40))
    http_status: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)


class InvoiceFile(Base):
    """A file the ERP built itself; it is deposited exactly as received."""

    __tablename__ = "invoice_files"

    invoice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True
    )
    file_name: Mapped[str] = mapped_column(String(200))
    syntax: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
