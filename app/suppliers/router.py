"""`/v1/suppliers`: suppliers, their settings and write-only credentials. HTTP only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.deps import SupplierManager
from app.access.principal import Principal
from app.config import Settings
from app.deps import SessionDep, SettingsDep
from app.kit.errors import FieldError, Problem, SupplierNotAllowed
from app.kit.secretbox import SecretBox
from app.suppliers.clients import ChorusClients
from app.suppliers.health import check_health
from app.suppliers.schemas import (
    Credentials,
    SupplierCreate,
    SupplierHealth,
    SupplierList,
    SupplierRead,
    SupplierSettingsRead,
    SupplierSettingsUpdate,
    SupplierUpdate,
)
from app.suppliers.service import SupplierNotFound, supplier_service

router = APIRouter(prefix="/suppliers", tags=["suppliers"])

SiretPath = Annotated[str, Path(pattern=r"^\d{14}$", description="The supplier's SIRET")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such supplier (or not one of this key's)"}
}


def _visible(caller: Principal, siret: str) -> None:
    if not caller.may_act_for(siret):
        raise SupplierNotFound(f"no supplier {siret}")


def _clients(request: Request) -> ChorusClients:
    clients: ChorusClients = request.app.state.chorus_clients
    return clients


@router.get("", response_model=SupplierList)
async def list_suppliers(session: SessionDep, caller: SupplierManager) -> SupplierList:
    """The suppliers this key acts for, without any secret."""
    found = await supplier_service.list(session)
    visible = [s for s in found if caller.may_act_for(s.siret)]
    return SupplierList(data=[SupplierRead.model_validate(s) for s in visible])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SupplierRead,
    responses={
        403: {"model": Problem, "description": "The key may not manage suppliers, or this one"},
        409: {"model": Problem, "description": "This supplier already exists"},
    },
)
async def create_supplier(
    data: SupplierCreate, session: SessionDep, settings: SettingsDep, caller: SupplierManager
) -> SupplierRead:
    """A supplier, with its own Chorus Pro credentials or the environment's."""
    if not caller.may_act_for(data.siret):
        raise SupplierNotAllowed(
            errors=[FieldError(field="siret", message="this API key may not act for it")]
        )
    box = SecretBox.from_keys(settings.secrets_key)
    return SupplierRead.model_validate(await supplier_service.create(session, data, box))


@router.get("/{siret}", response_model=SupplierRead, responses=NOT_FOUND)
async def get_supplier(
    siret: SiretPath, session: SessionDep, caller: SupplierManager
) -> SupplierRead:
    _visible(caller, siret)
    return SupplierRead.model_validate(await supplier_service.get(session, siret))


@router.patch("/{siret}", response_model=SupplierRead, responses=NOT_FOUND)
async def update_supplier(
    siret: SiretPath, data: SupplierUpdate, session: SessionDep, caller: SupplierManager
) -> SupplierRead:
    """Its name, default syntax, platform (qualification or production), password expiry."""
    _visible(caller, siret)
    return SupplierRead.model_validate(await supplier_service.update(session, siret, data))


async def _replace_credentials(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    siret: str,
    credentials: Credentials | None,
) -> SupplierRead:
    """Seal the new credentials (None: the environment's) and drop the cached client."""
    box = SecretBox.from_keys(settings.secrets_key)
    supplier = await supplier_service.set_credentials(session, siret, credentials, box)
    _clients(request).forget(siret)
    return SupplierRead.model_validate(supplier)


@router.put("/{siret}/credentials", response_model=SupplierRead, responses=NOT_FOUND)
async def set_supplier_credentials(
    siret: SiretPath,
    data: Credentials,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    caller: SupplierManager,
) -> SupplierRead:
    """Its PISTE application and technical account, sealed at once; never shown again."""
    _visible(caller, siret)
    return await _replace_credentials(request, session, settings, siret, data)


@router.delete("/{siret}/credentials", response_model=SupplierRead, responses=NOT_FOUND)
async def use_environment_credentials(
    siret: SiretPath,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    caller: SupplierManager,
) -> SupplierRead:
    """Forget its own credentials: it deposits with the environment's from now on."""
    _visible(caller, siret)
    return await _replace_credentials(request, session, settings, siret, None)


@router.delete(
    "/{siret}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        **NOT_FOUND,
        409: {"model": Problem, "description": "It still has invoices on their way"},
    },
)
async def remove_supplier(
    siret: SiretPath, session: SessionDep, caller: SupplierManager
) -> Response:
    _visible(caller, siret)
    await supplier_service.remove(session, siret)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{siret}/health", response_model=SupplierHealth, responses=NOT_FOUND)
async def supplier_health(
    siret: SiretPath, request: Request, session: SessionDep, caller: SupplierManager
) -> SupplierHealth:
    """Its credentials tried on Chorus Pro now (a token, then consulterStructure on itself),
    and when its technical password expires."""
    _visible(caller, siret)
    return await check_health(session, _clients(request), siret)


@router.get("/{siret}/settings", response_model=SupplierSettingsRead, responses=NOT_FOUND)
async def get_supplier_settings(
    siret: SiretPath, session: SessionDep, caller: SupplierManager
) -> SupplierSettingsRead:
    """The supplier's settings."""
    _visible(caller, siret)
    return await supplier_service.read_settings(session, siret)


@router.put(
    "/{siret}/settings",
    response_model=SupplierSettingsRead,
    responses={**NOT_FOUND, 422: {"model": Problem}},
)
async def put_supplier_settings(
    siret: SiretPath, data: SupplierSettingsUpdate, session: SessionDep, caller: SupplierManager
) -> SupplierSettingsRead:
    """Set the syntax (CII, UBL or Factur-X) this supplier's invoices are sent in."""
    _visible(caller, siret)
    return await supplier_service.update_settings(session, siret, data)
