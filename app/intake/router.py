"""`POST /v1/invoices` and `POST /v1/invoices/validate`: HTTP only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from app.access.deps import InvoiceWriter
from app.deps import ChorusClientsDep, SessionDep, SettingsDep
from app.directory import directory_check
from app.intake.http import REQUEST_BODY, IdempotencyKey, PostedInvoiceDep, received_answer
from app.intake.schemas import ValidationReport
from app.intake.service import IntakePolicy, intake_service
from app.invoices.schemas import InvoiceRead
from app.kit.errors import Problem

router = APIRouter(prefix="/invoices", tags=["invoices"])

PROBLEMS: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "Idempotency key reused, or duplicate number"},
    422: {"model": Problem, "description": "Invalid invoice; `errors` names each field"},
}


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=InvoiceRead,
    responses=PROBLEMS,
    openapi_extra=REQUEST_BODY,
)
async def create_invoice(
    posted: PostedInvoiceDep,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey,
    caller: InvoiceWriter,
) -> Response:
    """Accept an invoice: checked, stored and queued for Chorus Pro before this answers.

    The body is the invoice as JSON, or a ready-made CII / UBL XML or Factur-X PDF (base64
    in JSON as `{"file": {...}}`, or a multipart upload in the `file` part), which is read
    for the checks and deposited unchanged.
    """
    received = await intake_service.receive(
        session, posted, idempotency_key, IntakePolicy.from_settings(settings), principal=caller
    )
    return received_answer(received)


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
    posted: PostedInvoiceDep,
    session: SessionDep,
    clients: ChorusClientsDep,
    settings: SettingsDep,
    caller: InvoiceWriter,
) -> ValidationReport:
    """Run every check without storing anything, the recipient's Chorus Pro directory
    requirements included; on success, return the XML that would be sent."""
    directory = directory_check(session, await clients.for_directory(), settings)
    policy = IntakePolicy.from_settings(settings)
    return await intake_service.dry_run(session, posted, policy, directory, principal=caller)
