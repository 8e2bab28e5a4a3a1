from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app.deps import SessionDep
from app.kit.errors import Problem
from app.suppliers.schemas import SupplierSettingsRead, SupplierSettingsUpdate
from app.suppliers.service import supplier_service

router = APIRouter(prefix="/suppliers", tags=["suppliers"])

SiretPath = Annotated[str, Path(pattern=r"^\d{14}$", description="The supplier's SIRET")]


@router.get("/{siret}/settings", response_model=SupplierSettingsRead)
async def get_supplier_settings(siret: SiretPath, session: SessionDep) -> SupplierSettingsRead:
    """The supplier's settings (defaults when never set)."""
    return await supplier_service.read(session, siret)


@router.put(
    "/{siret}/settings", response_model=SupplierSettingsRead, responses={422: {"model": Problem}}
)
async def put_supplier_settings(
    siret: SiretPath, data: SupplierSettingsUpdate, session: SessionDep
) -> SupplierSettingsRead:
    """Set the syntax (CII, UBL or Factur-X) this supplier's invoices are sent in."""
    return await supplier_service.update(session, siret, data)
