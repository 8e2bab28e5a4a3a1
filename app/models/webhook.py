"""Webhook endpoints, the messages published to them, and each delivery and attempt."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base
from app.kit.ids import uuid7
from app.kit.time import utcnow


class WebhookEndpoint(Base):
    """A consumer's URL. Secrets are stored encrypted (Fernet); never in clear."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    url: Mapped[str] = mapped_column(String(2000))
    # The supplier whose events it receives; None: every supplier's (admin only).
    supplier_siret: Mapped[str | None] = mapped_column(String(14), index=True)
    description: Mapped[str | None] = mapped_column(String(500))
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    secret_enc: Mapped[str] = mapped_column(Text)
    # Previous secrets still valid after a rotation: [{"secret_enc": ..., "expires_at": iso}].
    old_secrets: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(String(20))  # manual | failing | gone
    # Start of the current run of failed attempts; any success clears it.
    first_failure_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def previous_secret_expires_at(self) -> datetime | None:
        """When the last still-valid previous secret stops signing, if any."""
        expiries = [datetime.fromisoformat(old["expires_at"]) for old in self.old_secrets or []]
        latest = max(expiries, default=None)
        return latest if latest is not None and latest > utcnow() else None


class WebhookMessage(Base):
    """A published event; `payload` holds the exact bytes that are signed and sent."""

    __tablename__ = "webhook_messages"
    __table_args__ = (Index("ix_webhook_messages_created_at_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    supplier_siret: Mapped[str | None] = mapped_column(String(14), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One message to one endpoint: `pending` / `succeeded` / `failed` / `skipped`.

    `attempt_count` and `next_attempt_at` drive the automatic schedule; `manual_attempt_at`
    asks for one extra attempt (resend, recover) that never schedules more.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("message_id", "endpoint_id"),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_id_created_at", "endpoint_id", "created_at"),
        Index(
            "ix_webhook_deliveries_manual_attempt_at",
            "manual_attempt_at",
            postgresql_where=text("manual_attempt_at IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    message_id: Mapped[str] = mapped_column(ForeignKey("webhook_messages.id", ondelete="CASCADE"))
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempt_count: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    manual_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookEndpointChange(Base):
    """The endpoint's log of changes: what was done to it, by which API key, when.

    No foreign key: the log of an endpoint outlives it, its deletion included.
    """

    __tablename__ = "webhook_endpoint_changes"
    __table_args__ = (Index("ix_webhook_endpoint_changes_endpoint_id_at", "endpoint_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    endpoint_id: Mapped[uuid.UUID]
    action: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[uuid.UUID | None]
    actor: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempt_number: Mapped[int]
    trigger: Mapped[str] = mapped_column(
        String(20), default="scheduled", server_default="scheduled"
    )  # scheduled | manual
    url: Mapped[str] = mapped_column(String(2000))
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    response_snippet: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
