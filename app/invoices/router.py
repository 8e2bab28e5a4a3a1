from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from app.deps import ChorusDep, SessionDep, SettingsDep
from app.directory import directory_check
from app.invoices.intake import REQUEST_BODY, IdempotencyKey, Submission, read_submission
from app.invoices.lifecycle import InvoiceStatus
from app.invoices.repository import InvoiceFilters
from app.invoices.schemas import (
    InvoiceList,
    InvoiceRead,
    InvoiceStatusRead,
    InvoiceSummary,
    ValidationReport,
)
from app.invoices.service import invoice_service
from app.kit.errors import Problem

router = APIRouter(prefix="/invoices", tags=["invoices"])

PROBLEMS = {
    404: {"model": Problem, "description": "No such invoice"},
    409: {"model": Problem, "description": "Idempotency key reused, or duplicate number"},
    422: {"model": Problem, "description": "Invalid invoice; `errors` names each field"},
}


SubmissionDep = Annotated[Submission, Depends(read_submission)]


async def accepted_answer(
    session: AsyncSession, response: Response, invoice_id: uuid.UUID, created: bool
) -> InvoiceRead:
    """The 202 body and headers of an accepted invoice, first time or replayed."""
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/v1/invoices/{invoice_id}"
    detail = await invoice_service.get_detail(session, invoice_id)
    return InvoiceRead.model_validate(detail, from_attributes=True)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=InvoiceRead,
    responses={409: PROBLEMS[409], 422: PROBLEMS[422]},
    openapi_extra=REQUEST_BODY,
)
async def create_invoice(
    submission: SubmissionDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey,
) -> InvoiceRead:
    """Accept an invoice: checked, stored and queued for Chorus Pro before this answers.

    The body is the invoice as JSON, or a ready-made CII / UBL XML or Factur-X PDF (base64
    in JSON as `{"file": {...}}`, or a multipart upload in the `file` part), which is read
    for the checks and deposited unchanged.
    """
    invoice, created = await invoice_service.accept(
        session,
        submission,
        idempotency_key,
        submit_grace=timedelta(seconds=settings.submit_sweep_after_seconds),
    )
    return await accepted_answer(session, response, invoice.id, created)


@router.post(
    "/validate",
    response_model=ValidationReport,
    responses={
        422: PROBLEMS[422],
        503: {"model": Problem, "description": "Directory or official rules could not run"},
    },
    openapi_extra=REQUEST_BODY,
)
async def validate_invoice(
    submission: SubmissionDep, session: SessionDep, chorus: ChorusDep, settings: SettingsDep
) -> ValidationReport:
    """Run every check without storing anything, the recipient's Chorus Pro directory
    requirements included; on success, return the XML that would be sent."""
    directory = directory_check(session, chorus, settings)
    return await invoice_service.dry_run(session, submission, directory)


@router.get("", response_model=InvoiceList)
async def list_invoices(
    session: SessionDep,
    status_: Annotated[list[InvoiceStatus] | None, Query(alias="status")] = None,
    supplier_siret: str | None = None,
    recipient_siret: str | None = None,
    issue_date_from: date | None = None,
    issue_date_to: date | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> InvoiceList:
    """List invoices, newest first, with filters and cursor pagination."""
    filters = InvoiceFilters(
        statuses=[s.value for s in status_ or []],
        supplier_siret=supplier_siret,
        recipient_siret=recipient_siret,
        issue_date_from=issue_date_from,
        issue_date_to=issue_date_to,
        created_from=created_from,
        created_to=created_to,
    )
    page, next_cursor = await invoice_service.list(session, filters, limit, cursor)
    return InvoiceList(
        data=[InvoiceSummary.model_validate(i) for i in page], next_cursor=next_cursor
    )


@router.get("/{invoice_id}", response_model=InvoiceRead, responses={404: PROBLEMS[404]})
async def get_invoice(invoice_id: uuid.UUID, session: SessionDep) -> InvoiceRead:
    """The invoice, its statuses, its history and every deposit attempt."""
    detail = await invoice_service.get_detail(session, invoice_id)
    return InvoiceRead.model_validate(detail, from_attributes=True)


@router.get(
    "/{invoice_id}/status", response_model=InvoiceStatusRead, responses={404: PROBLEMS[404]}
)
async def get_invoice_status(invoice_id: uuid.UUID, session: SessionDep) -> InvoiceStatusRead:
    """Gateway status, raw Chorus Pro status, flux number, Chorus id and ordered history."""
    detail = await invoice_service.get_detail(session, invoice_id)
    return InvoiceStatusRead.model_validate(detail, from_attributes=True)
