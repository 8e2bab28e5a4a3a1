"""API shapes of invoices; the request body is `InvoiceDocument` itself."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class InvoiceEventRead(ReadModel):
    occurred_at: datetime = Field(description="When it happened, by the clock of `source`.")
    recorded_at: datetime = Field(description="When the gateway learnt it; the list order.")
    source: str = Field(description="gateway, chorus or erp")
    status: str = Field(description="Gateway status after this event.")
    chorus_status: str | None
    comment: str | None = Field(description="Why: a rejection or suspension reason, an error.")


class SubmissionAttemptRead(ReadModel):
    number: int
    operation: str
    outcome: str
    started_at: datetime
    finished_at: datetime | None
    flux_number: str | None
    http_status: int | None
    error: str | None


class InvoiceSummary(ReadModel):
    id: uuid.UUID
    number: str
    status: str
    chorus_status: str | None
    supplier_siret: str
    recipient_siret: str
    issue_date: date
    currency: str
    total_with_vat: Decimal
    created_at: datetime
    updated_at: datetime


class InvoiceStatusRead(ReadModel):
    id: uuid.UUID
    number: str
    status: str
    status_changed_at: datetime
    status_comment: str | None
    chorus_status: str | None
    chorus_status_changed_at: datetime | None
    flux_number: str | None
    flux_status: str | None
    chorus_invoice_id: int | None
    history: list[InvoiceEventRead]


class InvoiceRead(InvoiceStatusRead):
    idempotency_key: str
    supplier_siret: str
    recipient_siret: str
    service_code: str | None
    engagement_number: str | None
    issue_date: date
    due_date: date | None
    currency: str
    total_without_vat: Decimal
    total_vat: Decimal
    total_with_vat: Decimal
    amount_due: Decimal
    syntax: str
    deposited_at: datetime | None
    submit_attempts: int
    last_error: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    attempts: list[SubmissionAttemptRead]
    document: dict[str, Any]
    replaces_invoice_id: uuid.UUID | None = Field(
        default=None, description="The rejected invoice this one replaces."
    )
    replaced_by_invoice_id: uuid.UUID | None = Field(
        default=None, description="The invoice that replaces this rejected one."
    )


class InvoiceList(BaseModel):
    data: list[InvoiceSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page.")


class ValidationReport(BaseModel):
    valid: bool = True
    syntax: str = Field(description="The Chorus Pro syntaxeFlux the invoice would be sent in.")
    file_name: str
    xml: str = Field(description="The XML that would be deposited (the CII inside a Factur-X).")


class AttachmentUpload(BaseModel):
    """A supporting document for Chorus Pro (ajouterFichierDansSysteme)."""

    model_config = ConfigDict(extra="forbid")

    file_name: str = Field(
        min_length=3,
        max_length=50,
        pattern=r"^[^/\\]+\.[A-Za-z0-9]{1,5}$",
        description="With its extension; at most 50 characters (Chorus Pro's limit).",
    )
    content: str = Field(min_length=1, description="The file, base64-encoded; at most 10 MB.")
    mime_type: str | None = Field(default=None, description="Guessed from the name if absent.")
    designation: str | None = Field(
        default=None, max_length=100, description="Label shown to the recipient; the file name."
    )


class CompleteRequest(BaseModel):
    """The answer to a suspension: supporting documents and/or a comment."""

    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(default=None, max_length=2000)
    attachments: list[AttachmentUpload] = Field(default_factory=list, max_length=20)


class RecycleRequest(BaseModel):
    """New routing for an invoice to recycle; the invoice number stays the same."""

    model_config = ConfigDict(extra="forbid")

    recipient_siret: str = Field(pattern=r"^\d{14}$")
    service_code: str | None = Field(default=None, min_length=1, max_length=100)
    engagement_number: str | None = Field(default=None, min_length=1, max_length=50)
    comment: str | None = Field(default=None, max_length=2000)
