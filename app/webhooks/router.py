from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from app.core.deps import SessionDep
from app.core.errors import Problem
from app.webhooks.schemas import (
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointList,
    WebhookEndpointRead,
)
from app.webhooks.service import webhook_service

router = APIRouter(prefix="/webhook-endpoints", tags=["webhooks"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookEndpointCreated,
    responses={422: {"model": Problem}},
)
async def create_webhook_endpoint(
    data: WebhookEndpointCreate, session: SessionDep
) -> WebhookEndpointCreated:
    """Register a URL for the given event types; the signing secret is shown only here."""
    endpoint = await webhook_service.create_endpoint(session, data)
    return WebhookEndpointCreated.model_validate(endpoint, from_attributes=True)


@router.get("", response_model=WebhookEndpointList)
async def list_webhook_endpoints(session: SessionDep) -> WebhookEndpointList:
    """Registered endpoints (secrets are never shown again)."""
    endpoints = await webhook_service.list_endpoints(session)
    return WebhookEndpointList(data=[WebhookEndpointRead.model_validate(e) for e in endpoints])


@router.get(
    "/{endpoint_id}", response_model=WebhookEndpointRead, responses={404: {"model": Problem}}
)
async def get_webhook_endpoint(endpoint_id: uuid.UUID, session: SessionDep) -> WebhookEndpointRead:
    return WebhookEndpointRead.model_validate(
        await webhook_service.get_endpoint(session, endpoint_id)
    )
