"""How invoices are shown: summaries, the detail, the status and its history."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class InvoiceEventRead(ReadModel):
    occurred_at: datetime = Field(description="When it happened, by the clock of `source`.")
    recorded_at: datetime = Field(description="When the gateway learnt it; the list order.")
    source: str = Field(description="gateway, chorus or erp")
    status: str = Field(description="Gateway status after this event.")
    chorus_status: str | None
    comment: str | None = Field(description="Why: a rejection or suspension reason, an error.")
    actor: str | None = Field(
        default=None, description="The API key (its name) that made this change, if a caller did."
    )


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


def _fields(model: type[BaseModel], row: Row[Any]) -> dict[str, Any]:
    values = row._mapping
    return {name: values[name] for name in model.model_fields if name in values}


def summary_of(row: Row[Any]) -> InvoiceSummary:
    """A list row, built from values the database already typed: nothing to validate."""
    return InvoiceSummary.model_construct(**_fields(InvoiceSummary, row))


def _history(rows: Sequence[Row[Any]]) -> list[InvoiceEventRead]:
    return [InvoiceEventRead.model_construct(**row._asdict()) for row in rows]


def status_of(row: Row[Any], history: Sequence[Row[Any]]) -> InvoiceStatusRead:
    """The status answer from its rows, built without validating them again."""
    return InvoiceStatusRead.model_construct(
        **_fields(InvoiceStatusRead, row), history=_history(history)
    )


def detail_of(
    row: Row[Any], history: Sequence[Row[Any]], attempts: Sequence[Row[Any]]
) -> InvoiceRead:
    """The full answer from its rows; the document arrives as the JSON text stored."""
    fields = _fields(InvoiceRead, row)
    document = fields["document"]
    if isinstance(document, str | bytes):
        fields["document"] = json.loads(document)
    return InvoiceRead.model_construct(
        **fields,
        history=_history(history),
        attempts=[SubmissionAttemptRead.model_construct(**a._asdict()) for a in attempts],
    )
