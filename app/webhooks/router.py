"""Webhook endpoints, message and attempt logs, resend and recover: HTTP only."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from app.access.deps import WebhookManager
from app.deps import SessionDep, SettingsDep
from app.kit.errors import Problem
from app.kit.time import IsoDateTime
from app.models.webhook import WebhookEndpoint
from app.webhooks import logs, replay
from app.webhooks.deps import SecretBoxDep, UrlGuardDep
from app.webhooks.events import EventType
from app.webhooks.repository import MessageFilters
from app.webhooks.schemas import (
    WebhookAttemptList,
    WebhookAttemptRead,
    WebhookDeliveryList,
    WebhookDeliveryRead,
    WebhookEndpointChangeList,
    WebhookEndpointChangeRead,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointList,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
    WebhookMessageDetail,
    WebhookMessageList,
    WebhookMessageRead,
    WebhookRecoverAccepted,
    WebhookRecoverRequest,
)
from app.webhooks.service import webhook_service
from app.webhooks.states import DeliveryStatus

endpoints = APIRouter(prefix="/webhook-endpoints", tags=["webhooks"])
messages = APIRouter(prefix="/webhook-messages", tags=["webhooks"])

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {
    404: {"model": Problem, "description": "No such endpoint, message or delivery"}
}
REFUSED: Responses = {
    422: {"model": Problem, "description": "Invalid body, or the URL is refused (`url`)"}
}
NOT_ITS_SUPPLIER: Responses = {
    403: {
        "model": Problem,
        "description": "The key lacks `webhooks:manage`, or does not act for `supplier_siret`",
    }
}
DISABLED: Responses = {409: {"model": Problem, "description": "The endpoint is disabled"}}
RESEND_REFUSED: Responses = {
    409: {
        "model": Problem,
        "description": "The endpoint is disabled, or does not take this message "
        "(another supplier's, or an event type it did not subscribe to)",
    }
}


def _created(endpoint: WebhookEndpoint, secret: str) -> WebhookEndpointCreated:
    read = WebhookEndpointRead.model_validate(endpoint)
    return WebhookEndpointCreated(**read.model_dump(), secret=secret)


@endpoints.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookEndpointCreated,
    responses={**REFUSED, **NOT_ITS_SUPPLIER},
)
async def create_webhook_endpoint(
    data: WebhookEndpointCreate,
    session: SessionDep,
    guard: UrlGuardDep,
    box: SecretBoxDep,
    caller: WebhookManager,
) -> WebhookEndpointCreated:
    """Register a URL for one supplier's events (of the given types); the signing secret
    is shown only here."""
    endpoint, secret = await webhook_service.create_endpoint(
        session, data, guard=guard, box=box, suppliers=caller.suppliers, actor=caller.actor
    )
    return _created(endpoint, secret)


@endpoints.get("", response_model=WebhookEndpointList)
async def list_webhook_endpoints(
    session: SessionDep, caller: WebhookManager
) -> WebhookEndpointList:
    """Registered endpoints of the key's suppliers (secrets are never shown again)."""
    found = await webhook_service.list_endpoints(session, caller.suppliers)
    return WebhookEndpointList(data=[WebhookEndpointRead.model_validate(e) for e in found])


@endpoints.get("/{endpoint_id}", response_model=WebhookEndpointRead, responses=NOT_FOUND)
async def get_webhook_endpoint(
    endpoint_id: uuid.UUID, session: SessionDep, caller: WebhookManager
) -> WebhookEndpointRead:
    """One endpoint, with its disabled state and failure clock."""
    return WebhookEndpointRead.model_validate(
        await webhook_service.get_endpoint(session, endpoint_id, caller.suppliers)
    )


@endpoints.get(
    "/{endpoint_id}/changes", response_model=WebhookEndpointChangeList, responses=NOT_FOUND
)
async def list_webhook_endpoint_changes(
    endpoint_id: uuid.UUID, session: SessionDep, caller: WebhookManager
) -> WebhookEndpointChangeList:
    """The endpoint's log: every change, by which API key (or the gateway), oldest first."""
    changes = await webhook_service.changes(session, endpoint_id, caller.suppliers)
    return WebhookEndpointChangeList(
        data=[WebhookEndpointChangeRead.model_validate(c) for c in changes]
    )


@endpoints.patch(
    "/{endpoint_id}", response_model=WebhookEndpointRead, responses={**NOT_FOUND, **REFUSED}
)
async def update_webhook_endpoint(
    endpoint_id: uuid.UUID,
    data: WebhookEndpointUpdate,
    session: SessionDep,
    guard: UrlGuardDep,
    caller: WebhookManager,
) -> WebhookEndpointRead:
    """Change the URL, the description or the event types; the secret stays."""
    endpoint = await webhook_service.update_endpoint(
        session, endpoint_id, data, guard=guard, suppliers=caller.suppliers, actor=caller.actor
    )
    return WebhookEndpointRead.model_validate(endpoint)


@endpoints.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_webhook_endpoint(
    endpoint_id: uuid.UUID, session: SessionDep, caller: WebhookManager
) -> Response:
    """Remove the endpoint with its deliveries and attempts (its log of changes stays)."""
    await webhook_service.delete_endpoint(
        session, endpoint_id, suppliers=caller.suppliers, actor=caller.actor
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@endpoints.post(
    "/{endpoint_id}/rotate-secret", response_model=WebhookEndpointCreated, responses=NOT_FOUND
)
async def rotate_webhook_secret(
    endpoint_id: uuid.UUID,
    session: SessionDep,
    box: SecretBoxDep,
    settings: SettingsDep,
    caller: WebhookManager,
) -> WebhookEndpointCreated:
    """A new secret, shown once; the previous one keeps signing for 24 hours (both are sent)."""
    endpoint, secret = await webhook_service.rotate_secret(
        session,
        endpoint_id,
        box=box,
        overlap=settings.webhook_secret_overlap,
        suppliers=caller.suppliers,
        actor=caller.actor,
    )
    return _created(endpoint, secret)


@endpoints.post("/{endpoint_id}/disable", response_model=WebhookEndpointRead, responses=NOT_FOUND)
async def disable_webhook_endpoint(
    endpoint_id: uuid.UUID, session: SessionDep, caller: WebhookManager
) -> WebhookEndpointRead:
    """Stop sending; pending deliveries become `skipped` and can be recovered later."""
    return WebhookEndpointRead.model_validate(
        await webhook_service.disable_endpoint(
            session, endpoint_id, suppliers=caller.suppliers, actor=caller.actor
        )
    )


@endpoints.post("/{endpoint_id}/enable", response_model=WebhookEndpointRead, responses=NOT_FOUND)
async def enable_webhook_endpoint(
    endpoint_id: uuid.UUID, session: SessionDep, caller: WebhookManager
) -> WebhookEndpointRead:
    """Send again and restart the failure clock; use `recover` for what was skipped."""
    return WebhookEndpointRead.model_validate(
        await webhook_service.enable_endpoint(
            session, endpoint_id, suppliers=caller.suppliers, actor=caller.actor
        )
    )


@endpoints.post(
    "/{endpoint_id}/recover",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WebhookRecoverAccepted,
    responses={**NOT_FOUND, **DISABLED, **REFUSED},
)
async def recover_webhook_endpoint(
    endpoint_id: uuid.UUID,
    data: WebhookRecoverRequest,
    session: SessionDep,
    caller: WebhookManager,
) -> WebhookRecoverAccepted:
    """Resend, in the background, every failed or skipped delivery created in the window."""
    since, until = await replay.request_recovery(
        session,
        endpoint_id,
        data.since,
        data.until,
        suppliers=caller.suppliers,
        actor=caller.actor,
    )
    return WebhookRecoverAccepted(endpoint_id=endpoint_id, since=since, until=until)


@endpoints.get("/{endpoint_id}/deliveries", response_model=WebhookDeliveryList, responses=NOT_FOUND)
async def list_webhook_deliveries(
    endpoint_id: uuid.UUID,
    session: SessionDep,
    caller: WebhookManager,
    status_: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> WebhookDeliveryList:
    """The endpoint's deliveries, newest first, with their state and last answer."""
    page, next_cursor = await logs.list_deliveries(
        session, endpoint_id, status_, limit, cursor, caller.suppliers
    )
    return WebhookDeliveryList(
        data=[WebhookDeliveryRead.model_validate(d) for d in page], next_cursor=next_cursor
    )


@endpoints.get(
    "/{endpoint_id}/deliveries/{delivery_id}/attempts",
    response_model=WebhookAttemptList,
    responses=NOT_FOUND,
)
async def list_webhook_attempts(
    endpoint_id: uuid.UUID, delivery_id: uuid.UUID, session: SessionDep, caller: WebhookManager
) -> WebhookAttemptList:
    """Every attempt of one delivery: status code, answer snippet, duration, error."""
    attempts = await logs.list_attempts(session, endpoint_id, delivery_id, caller.suppliers)
    return WebhookAttemptList(data=[WebhookAttemptRead.model_validate(a) for a in attempts])


@messages.get("", response_model=WebhookMessageList)
async def list_webhook_messages(
    session: SessionDep,
    caller: WebhookManager,
    event_type: EventType | None = None,
    invoice_id: uuid.UUID | None = None,
    since: IsoDateTime | None = None,
    until: IsoDateTime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> WebhookMessageList:
    """Published messages of the key's suppliers, newest first, with filters and pagination."""
    filters = MessageFilters(
        event_type=event_type.value if event_type else None,
        invoice_id=invoice_id,
        since=since,
        until=until,
    )
    page, next_cursor = await logs.list_messages(session, filters, limit, cursor, caller.suppliers)
    return WebhookMessageList(
        data=[WebhookMessageRead.model_validate(m) for m in page], next_cursor=next_cursor
    )


@messages.get("/{message_id}", response_model=WebhookMessageDetail, responses=NOT_FOUND)
async def get_webhook_message(
    message_id: str, session: SessionDep, caller: WebhookManager
) -> WebhookMessageDetail:
    """One message as sent, and its delivery to each endpoint."""
    detail = await logs.get_message(session, message_id, caller.suppliers)
    return WebhookMessageDetail.model_validate(detail, from_attributes=True)


@messages.post(
    "/{message_id}/endpoints/{endpoint_id}/resend",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WebhookDeliveryRead,
    responses={**NOT_FOUND, **RESEND_REFUSED},
)
async def resend_webhook_message(
    message_id: str, endpoint_id: uuid.UUID, session: SessionDep, caller: WebhookManager
) -> WebhookDeliveryRead:
    """Send this message to this endpoint once more (same `webhook-id`), in the background."""
    delivery = await replay.resend(
        session, message_id, endpoint_id, suppliers=caller.suppliers, actor=caller.actor
    )
    return WebhookDeliveryRead.model_validate(delivery)


router = APIRouter()
router.include_router(endpoints)
router.include_router(messages)
