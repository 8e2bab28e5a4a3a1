"""Reading invoices: the filtered list, one invoice, its status and history. HTTP only.

The reads run without a transaction (autocommit, `Repository.reading`) and their answers
are built from the rows as the database typed them, without validating them again.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.access.deps import InvoiceReader
from app.deps import SessionDep
from app.invoices.lifecycle import InvoiceStatus
from app.invoices.repository import InvoiceFilters
from app.invoices.schemas import (
    InvoiceList,
    InvoiceRead,
    InvoiceStatusRead,
    detail_of,
    status_of,
    summary_of,
)
from app.invoices.service import invoice_service
from app.kit.errors import Problem
from app.kit.responses import model_response
from app.kit.time import IsoDate, IsoDateTime

router = APIRouter(prefix="/invoices", tags=["invoices"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such invoice"}
}


@router.get("", response_model=InvoiceList)
async def list_invoices(
    session: SessionDep,
    caller: InvoiceReader,
    status_: Annotated[list[InvoiceStatus] | None, Query(alias="status")] = None,
    supplier_siret: str | None = None,
    recipient_siret: str | None = None,
    issue_date_from: IsoDate | None = None,
    issue_date_to: IsoDate | None = None,
    created_from: IsoDateTime | None = None,
    created_to: IsoDateTime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Response:
    """List invoices, newest first, with filters and cursor pagination."""
    filters = InvoiceFilters(
        statuses=[s.value for s in status_ or []],
        supplier_siret=supplier_siret,
        recipient_siret=recipient_siret,
        issue_date_from=issue_date_from,
        issue_date_to=issue_date_to,
        created_from=created_from,
        created_to=created_to,
        visible_suppliers=caller.suppliers,
    )
    page, next_cursor = await invoice_service.list(session, filters, limit, cursor)
    data = [summary_of(row) for row in page]
    return model_response(InvoiceList.model_construct(data=data, next_cursor=next_cursor))


@router.get("/{invoice_id:uuid}", response_model=InvoiceRead, responses=NOT_FOUND)
async def get_invoice(
    invoice_id: uuid.UUID, session: SessionDep, caller: InvoiceReader
) -> Response:
    """The invoice, its statuses, its history and every deposit attempt."""
    rows = await invoice_service.read_detail(session, invoice_id, caller.suppliers)
    return model_response(detail_of(rows.invoice, rows.history, rows.attempts))


@router.get("/{invoice_id:uuid}/status", response_model=InvoiceStatusRead, responses=NOT_FOUND)
async def get_invoice_status(
    invoice_id: uuid.UUID, session: SessionDep, caller: InvoiceReader
) -> Response:
    """Gateway status, raw Chorus Pro status, flux number, Chorus id and ordered history."""
    rows = await invoice_service.get_status(session, invoice_id, caller.suppliers)
    return model_response(status_of(rows.invoice, rows.history))
