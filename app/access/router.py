"""`/v1/api-keys`: make, list and revoke API keys (scope `admin`). HTTP only."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from app.access.deps import Admin
from app.access.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyList, ApiKeyRead
from app.access.service import api_key_service
from app.deps import SessionDep
from app.kit.errors import Problem

router = APIRouter(prefix="/api-keys", tags=["api keys"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyCreated,
    responses={
        403: {
            "model": Problem,
            "description": "The key is not `admin`, or names suppliers it does not act for",
        }
    },
)
async def create_api_key(data: ApiKeyCreate, session: SessionDep, caller: Admin) -> ApiKeyCreated:
    """A new key with its scopes and suppliers; the key is in this answer only."""
    key, token = await api_key_service.create(
        session, data.name, data.scopes, data.supplier_sirets, creator=caller.suppliers
    )
    return ApiKeyCreated(**ApiKeyRead.model_validate(key).model_dump(), key=token)


@router.get("", response_model=ApiKeyList)
async def list_api_keys(session: SessionDep, caller: Admin) -> ApiKeyList:
    """Every key (of this key's suppliers), revoked ones included, without the keys."""
    keys = await api_key_service.list(session, caller.suppliers)
    return ApiKeyList(data=[ApiKeyRead.model_validate(k) for k in keys])


@router.delete(
    "/{key_id}",
    response_model=ApiKeyRead,
    responses={404: {"model": Problem, "description": "No such API key"}},
)
async def revoke_api_key(key_id: uuid.UUID, session: SessionDep, caller: Admin) -> ApiKeyRead:
    """Refused from now on (within seconds on every API process)."""
    return ApiKeyRead.model_validate(
        await api_key_service.revoke(session, key_id, caller.suppliers)
    )
