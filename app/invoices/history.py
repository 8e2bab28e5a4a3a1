"""Status changes: the one place that updates an invoice's status, appends its history and
publishes the webhook event, in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.invoices.lifecycle import EventSource, InvoiceStatus, event_type
from app.invoices.repository import InvoiceRepository
from app.kit.actors import Actor
from app.kit.errors import FieldError
from app.kit.ids import uuid7
from app.kit.queue import enqueue_after_commit
from app.kit.time import utcnow
from app.models.invoice import Invoice, InvoiceEvent
from app.webhooks.events import envelope_json
from app.webhooks.service import DELIVER_JOB, scheduled_job_id, webhook_service
from app.webhooks.signing import new_message_id


def event_data(invoice: Invoice) -> dict[str, Any]:
    """The webhook `data` of an invoice event: ids, statuses and the reason, no document."""
    return {
        "invoice_id": str(invoice.id),
        "number": invoice.number,
        "supplier_siret": invoice.supplier_siret,
        "recipient_siret": invoice.recipient_siret,
        "status": invoice.status,
        "chorus_status": invoice.chorus_status,
        "flux_number": invoice.flux_number,
        "chorus_invoice_id": invoice.chorus_invoice_id,
        "reason": invoice.status_comment,
        "version": invoice.version,
        "updated_at": invoice.updated_at.isoformat() if invoice.updated_at else None,
    }


async def record(
    session: AsyncSession,
    invoice: Invoice,
    status: InvoiceStatus,
    *,
    source: EventSource,
    comment: str | None = None,
    chorus_status: str | None = None,
    occurred_at: datetime | None = None,
    details: dict[str, Any] | None = None,
    actor: Actor | None = None,
) -> None:
    """Append a history line; when the summary status changes, publish its webhook event.

    The event is written in the same transaction as the change, so a consumer is told
    about exactly the changes that were committed.
    """
    now = utcnow()
    occurred_at = occurred_at or now
    status_changed = invoice.status != status
    await InvoiceRepository(session).insert_event(
        InvoiceEvent(
            id=uuid7(),
            invoice_id=invoice.id,
            occurred_at=occurred_at,
            recorded_at=now,
            source=source,
            status=status.value,
            chorus_status=chorus_status,
            comment=comment,
            details=details,
            actor_id=actor.id if actor else None,
            actor=actor.name if actor else None,
        )
    )
    if chorus_status is not None:
        invoice.chorus_status = chorus_status
        invoice.chorus_status_changed_at = occurred_at
    if not status_changed:
        return
    if status is InvoiceStatus.INVALID:
        # Never sent: nothing more to submit, and the number may be used again.
        invoice.reuses_number_allowed = True
        invoice.next_submit_at = None
    invoice.status = status.value
    invoice.status_changed_at = now
    invoice.status_comment = comment
    invoice.version += 1
    invoice.updated_at = now
    await _publish(session, invoice, now)


async def record_created(
    session: AsyncSession, invoice: Invoice, *, source: EventSource, actor: Actor | None = None
) -> InvoiceEvent:
    """The first history line of a new invoice, and the event announcing its status."""
    event = InvoiceEvent(
        id=uuid7(),
        invoice_id=invoice.id,
        occurred_at=invoice.created_at,
        recorded_at=invoice.created_at,
        source=source,
        status=invoice.status,
        comment=invoice.status_comment,
        actor_id=actor.id if actor else None,
        actor=actor.name if actor else None,
    )
    await InvoiceRepository(session).insert_event(event)
    await _publish(session, invoice, invoice.created_at)
    return event


async def _publish(session: AsyncSession, invoice: Invoice, at: datetime) -> None:
    await webhook_service.publish(
        session,
        event_type(InvoiceStatus(invoice.status), invoice.chorus_status),
        event_data(invoice),
        occurred_at=at,
        invoice_id=invoice.id,
        supplier_siret=invoice.supplier_siret,
    )


async def record_invalid(
    session: AsyncSession, invoice: Invoice, errors: Sequence[FieldError], *, source: EventSource
) -> None:
    """`invalid` with its reasons: the comment joins them, `details.errors` lists them."""
    comment = "; ".join(dict.fromkeys(f"{e.code or e.field}: {e.message}" for e in errors))
    await record(
        session,
        invoice,
        InvoiceStatus.INVALID,
        source=source,
        comment=comment,
        details={"errors": [e.model_dump(exclude_none=True) for e in errors]},
    )


@dataclass(frozen=True)
class FirstMessage:
    """The webhook message announcing a new invoice, ready to be stored with it."""

    id: str
    event_type: str
    payload: str


def first_message(values: Mapping[str, Any]) -> FirstMessage:
    """`record_created`'s message, made from the new invoice's column values (no entity).

    For intake's one-statement insert: the same payload bytes `webhook_service.publish`
    would store, without checking them against the schema on every POST (a test does).
    """
    status = InvoiceStatus(values["status"])
    data = {
        "invoice_id": str(values["id"]),
        "number": values["number"],
        "supplier_siret": values["supplier_siret"],
        "recipient_siret": values["recipient_siret"],
        "status": status.value,
        "chorus_status": None,
        "flux_number": None,
        "chorus_invoice_id": None,
        "reason": values["status_comment"],
        "version": values["version"],
        "updated_at": values["updated_at"].isoformat(),
    }
    kind = event_type(status, None)
    return FirstMessage(new_message_id(), kind, envelope_json(kind, values["created_at"], data))


def deliver_after_commit(session: AsyncSession, delivery_ids: Sequence[uuid.UUID]) -> None:
    """Kick the first attempt of deliveries written outside `webhook_service.publish`."""
    for delivery_id in delivery_ids:
        enqueue_after_commit(
            session,
            DELIVER_JOB,
            scheduled_job_id(delivery_id, 0),
            {"delivery_id": str(delivery_id)},
            urgent=True,
        )
