from __future__ import annotations

from fastapi import APIRouter

from app.access.deps import InvoiceReader
from app.deps import ChorusClientsDep, SessionDep, SettingsDep
from app.directory.schemas import StructureRead
from app.directory.service import DirectoryPolicy, directory_service
from app.kit.errors import Problem

router = APIRouter(prefix="/directory", tags=["directory"])


@router.get(
    "/structures/{siret}",
    response_model=StructureRead,
    responses={
        404: {"model": Problem, "description": "Chorus Pro has no structure with this SIRET"},
        409: {"model": Problem, "description": "The SIRET matches several active structures"},
        422: {"model": Problem, "description": "Not a valid SIRET"},
        503: {"model": Problem, "description": "Chorus Pro is slow and nothing is cached"},
    },
)
async def get_structure(
    siret: str,
    session: SessionDep,
    clients: ChorusClientsDep,
    settings: SettingsDep,
    _: InvoiceReader,
) -> StructureRead:
    """A recipient's requirements and active services, to ask the buyer for them in time."""
    policy = DirectoryPolicy.from_settings(settings)
    chorus = await clients.for_directory()
    entry = await directory_service.describe(session, chorus, siret, policy)
    return StructureRead.from_entry(entry)
