"""The webhook event catalogue: one type, one fixed payload schema (published in openapi/webhooks/).

The payloads are built by `app/invoices/history.py` (`event_data`); these models describe
them for consumers and check them at publish time.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SCHEMA_BASE = "https://chorus-gateway.dev/webhooks/"


class EventType(StrEnum):
    """Every event type an endpoint can subscribe to (`noun.past_tense`)."""

    INVOICE_ACCEPTED = "invoice.accepted"
    INVOICE_SUBMITTING = "invoice.submitting"
    INVOICE_SUBMITTED = "invoice.submitted"
    INVOICE_DELIVERED = "invoice.delivered"
    INVOICE_SUSPENDED = "invoice.suspended"
    INVOICE_TO_RECYCLE = "invoice.to_recycle"
    INVOICE_REJECTED = "invoice.rejected"
    INVOICE_APPROVED = "invoice.approved"
    INVOICE_PAID = "invoice.paid"
    INVOICE_INVALID = "invoice.invalid"
    INVOICE_FAILED = "invoice.failed"
    SUPPLIER_CREDENTIALS_EXPIRING = "supplier.credentials_expiring"
    SUPPLIER_CREDENTIALS_REJECTED = "supplier.credentials_rejected"


class InvoiceEventData(BaseModel):
    """What changed on the invoice: ids, statuses and the reason; never the document."""

    model_config = ConfigDict(title="InvoiceEventData")

    invoice_id: uuid.UUID = Field(description="The gateway's invoice id.")
    number: str = Field(description="The supplier's invoice number.")
    supplier_siret: str
    recipient_siret: str
    status: str = Field(description="The gateway status the invoice reached.")
    chorus_status: str | None = Field(description="Chorus Pro's own status, verbatim.")
    flux_number: str | None = Field(description="Chorus Pro deposit (flux) number.")
    chorus_invoice_id: int | None = Field(description="Chorus Pro's invoice id, once integrated.")
    reason: str | None = Field(
        description="Why: the rejection or suspension reason, or why the gateway gave up."
    )
    version: int = Field(description="Grows with every status change: drop stale updates.")
    updated_at: datetime | None


class InvoiceEvent(BaseModel):
    """The Standard Webhooks envelope; `timestamp` is the event's time, not the attempt's."""

    type: str
    timestamp: datetime
    data: InvoiceEventData


class _Accepted(InvoiceEventData):
    status: Literal["accepted"]


class _Submitting(InvoiceEventData):
    status: Literal["submitting"]


class _Submitted(InvoiceEventData):
    status: Literal["submitted"]


class _Delivered(InvoiceEventData):
    status: Literal["delivered"]


class _ActionRequired(InvoiceEventData):
    status: Literal["action_required"]


class _Rejected(InvoiceEventData):
    status: Literal["rejected"]


class _Approved(InvoiceEventData):
    status: Literal["approved"]


class _Paid(InvoiceEventData):
    status: Literal["paid"]


class _Invalid(InvoiceEventData):
    status: Literal["invalid"]


class _Failed(InvoiceEventData):
    status: Literal["failed"]


class InvoiceAccepted(InvoiceEvent):
    """The gateway accepted the invoice and queued it for Chorus Pro."""

    type: Literal["invoice.accepted"]
    data: _Accepted


class InvoiceSubmitting(InvoiceEvent):
    """The gateway started depositing the invoice on Chorus Pro."""

    type: Literal["invoice.submitting"]
    data: _Submitting


class InvoiceSubmitted(InvoiceEvent):
    """Chorus Pro received the deposit (`flux_number` is known)."""

    type: Literal["invoice.submitted"]
    data: _Submitted


class InvoiceDelivered(InvoiceEvent):
    """Chorus Pro integrated the invoice and made it available to the recipient."""

    type: Literal["invoice.delivered"]
    data: _Delivered


class InvoiceSuspended(InvoiceEvent):
    """The recipient suspended the invoice: act on `reason` and complete it."""

    type: Literal["invoice.suspended"]
    data: _ActionRequired


class InvoiceToRecycle(InvoiceEvent):
    """The invoice must be re-addressed (A_RECYCLER): see `reason`."""

    type: Literal["invoice.to_recycle"]
    data: _ActionRequired


class InvoiceRejected(InvoiceEvent):
    """The recipient or Chorus Pro rejected the invoice; `reason` says why. Final."""

    type: Literal["invoice.rejected"]
    data: _Rejected


class InvoiceApproved(InvoiceEvent):
    """The recipient certified the service (service fait) or ordered payment (mandatée)."""

    type: Literal["invoice.approved"]
    data: _Approved


class InvoicePaid(InvoiceEvent):
    """Payment was ordered (mise en paiement). Final."""

    type: Literal["invoice.paid"]
    data: _Paid


class InvoiceInvalid(InvoiceEvent):
    """The invoice failed the gateway's checks and was not sent; `reason` says why. Final."""

    type: Literal["invoice.invalid"]
    data: _Invalid


class InvoiceFailed(InvoiceEvent):
    """The gateway gave up on the invoice; a human must look. Final."""

    type: Literal["invoice.failed"]
    data: _Failed


class SupplierEventData(BaseModel):
    """A supplier's Chorus Pro credentials need a person: they expire soon, or were refused."""

    model_config = ConfigDict(title="SupplierEventData")

    supplier_siret: str
    name: str
    password_expires_on: date | None = Field(
        description="When the technical account's password expires, if known."
    )
    days_left: int | None = Field(description="Days until it expires (negative: expired).")
    reason: str = Field(description="What a person has to do, in words.")


class SupplierEvent(BaseModel):
    type: str
    timestamp: datetime
    data: SupplierEventData


class SupplierCredentialsExpiring(SupplierEvent):
    """The technical password expires within 30 days: change it on Chorus Pro, then here."""

    type: Literal["supplier.credentials_expiring"]


class SupplierCredentialsRejected(SupplierEvent):
    """Chorus Pro refused freshly fetched credentials (401): deposits wait for new ones."""

    type: Literal["supplier.credentials_rejected"]


EVENT_MODELS: dict[EventType, type[InvoiceEvent] | type[SupplierEvent]] = {
    EventType.INVOICE_ACCEPTED: InvoiceAccepted,
    EventType.INVOICE_SUBMITTING: InvoiceSubmitting,
    EventType.INVOICE_SUBMITTED: InvoiceSubmitted,
    EventType.INVOICE_DELIVERED: InvoiceDelivered,
    EventType.INVOICE_SUSPENDED: InvoiceSuspended,
    EventType.INVOICE_TO_RECYCLE: InvoiceToRecycle,
    EventType.INVOICE_REJECTED: InvoiceRejected,
    EventType.INVOICE_APPROVED: InvoiceApproved,
    EventType.INVOICE_PAID: InvoicePaid,
    EventType.INVOICE_INVALID: InvoiceInvalid,
    EventType.INVOICE_FAILED: InvoiceFailed,
    EventType.SUPPLIER_CREDENTIALS_EXPIRING: SupplierCredentialsExpiring,
    EventType.SUPPLIER_CREDENTIALS_REJECTED: SupplierCredentialsRejected,
}


def check_payload(event_type: str, envelope: dict[str, Any]) -> str | None:
    """What is wrong with a payload about to be published, or None when it fits its schema."""
    if event_type not in {member.value for member in EventType}:
        return f"unknown event type {event_type!r}"
    try:
        EVENT_MODELS[EventType(event_type)].model_validate(envelope)
    except ValidationError as exc:
        return str(exc)
    return None


def event_schema(event_type: EventType) -> dict[str, Any]:
    """The JSON Schema of one event type's whole body, as published in openapi/webhooks/."""
    schema = EVENT_MODELS[event_type].model_json_schema()
    # One self-contained document per type: inline `data` rather than a `$defs` reference.
    (data,) = schema.pop("$defs").values()
    data["title"] = "data"
    data["description"] = (
        SupplierEventData.__doc__
        if event_type.value.startswith("supplier.")
        else InvoiceEventData.__doc__
    )
    schema["properties"]["data"] = data
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}{event_type}.json",
        **schema,
        "title": event_type,
    }


def all_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, for every event type."""
    return {f"{event_type}.json": event_schema(event_type) for event_type in EventType}


def render_schema(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    """Write one file per event type and remove files of types that no longer exist."""
    directory.mkdir(parents=True, exist_ok=True)
    schemas = all_schemas()
    for stale in directory.glob("*.json"):
        if stale.name not in schemas:
            stale.unlink()
    written = []
    for name, schema in schemas.items():
        path = directory / name
        path.write_text(render_schema(schema), encoding="utf-8")
        written.append(path)
    return written


def envelope_json(event_type: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    """The stored body of a message: the envelope as compact JSON, the bytes that are signed."""
    envelope = {"type": event_type, "timestamp": occurred_at.isoformat(), "data": data}
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, default=str)
