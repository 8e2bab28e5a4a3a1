"""Routes for the actions on an invoice: complete, recycle, replace (see service.py)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from app.access.deps import InvoiceWriter
from app.access.principal import Principal
from app.actions.schemas import CompleteRequest, RecycleRequest
from app.actions.service import action_service
from app.deps import ChorusClientsDep, SessionDep, SettingsDep, UnitsDep
from app.intake.http import REQUEST_BODY, IdempotencyKey, PostedInvoiceDep, accepted_answer
from app.intake.service import IntakePolicy
from app.invoices.schemas import InvoiceRead
from app.invoices.service import invoice_service
from app.kit.db import Units
from app.kit.errors import Problem

router = APIRouter(prefix="/invoices", tags=["invoices"])

CHORUS_PROBLEMS: dict[int | str, dict[str, object]] = {
    404: {"model": Problem, "description": "No such invoice"},
    409: {"model": Problem, "description": "The invoice is not in the status this action needs"},
    422: {"model": Problem, "description": "Invalid body, or Chorus Pro refused the action"},
    502: {"model": Problem, "description": "Chorus Pro answered in an unusable way"},
    503: {"model": Problem, "description": "Chorus Pro did not answer; check the status later"},
}


async def _read(units: Units, invoice_id: uuid.UUID, caller: Principal) -> InvoiceRead:
    async with units() as session:
        detail = await invoice_service.get_detail(session, invoice_id, caller.suppliers)
        return InvoiceRead.model_validate(detail, from_attributes=True)


@router.post("/{invoice_id:uuid}/complete", response_model=InvoiceRead, responses=CHORUS_PROBLEMS)
async def complete_invoice(
    invoice_id: uuid.UUID,
    body: CompleteRequest,
    units: UnitsDep,
    clients: ChorusClientsDep,
    settings: SettingsDep,
    caller: InvoiceWriter,
) -> InvoiceRead:
    """Answer a suspended invoice (SUSPENDUE) with attachments and/or a comment."""
    deadline = settings.chorus_timeout * 2
    await action_service.complete(
        units, clients, invoice_id, body, deadline=deadline, principal=caller
    )
    return await _read(units, invoice_id, caller)


@router.post("/{invoice_id:uuid}/recycle", response_model=InvoiceRead, responses=CHORUS_PROBLEMS)
async def recycle_invoice(
    invoice_id: uuid.UUID,
    body: RecycleRequest,
    units: UnitsDep,
    clients: ChorusClientsDep,
    settings: SettingsDep,
    caller: InvoiceWriter,
) -> InvoiceRead:
    """Re-address an invoice Chorus Pro asks to recycle (A_RECYCLER); same number."""
    deadline = settings.chorus_timeout
    await action_service.recycle(
        units, clients, invoice_id, body, deadline=deadline, principal=caller
    )
    return await _read(units, invoice_id, caller)


@router.post(
    "/{invoice_id:uuid}/replace",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=InvoiceRead,
    responses={k: v for k, v in CHORUS_PROBLEMS.items() if k in (404, 409, 422)},
    openapi_extra=REQUEST_BODY,
)
async def replace_invoice(
    invoice_id: uuid.UUID,
    posted: PostedInvoiceDep,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey,
    caller: InvoiceWriter,
) -> Response:
    """Send a corrected invoice, with a new number, in place of a rejected one.

    The body is the same as `POST /v1/invoices`. Both invoices show the link:
    `replaces_invoice_id` on the new one, `replaced_by_invoice_id` on the rejected one.
    """
    detail, created = await action_service.replace(
        session,
        invoice_id,
        posted,
        idempotency_key,
        IntakePolicy.from_settings(settings),
        caller,
    )
    return accepted_answer(detail, created)
