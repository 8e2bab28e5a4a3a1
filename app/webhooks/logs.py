"""Message, delivery and attempt logs: what was sent, to whom, and what came back."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.errors import FieldError
from app.models.webhook import WebhookAttempt, WebhookDelivery, WebhookMessage
from app.webhooks.errors import (
    DeliveryNotFound,
    EndpointNotFound,
    InvalidCursor,
    MessageNotFound,
)
from app.webhooks.repository import MessageFilters, WebhookRepository


def encode_cursor(created_at: datetime, row_id: object) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{row_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created_at, row_id = base64.urlsafe_b64decode(cursor).decode().split("|")
        return datetime.fromisoformat(created_at), row_id
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor(errors=[FieldError(field="query:cursor", message=str(exc))]) from exc


@dataclass(frozen=True)
class MessageDetail:
    """A message with its deliveries; reads fall through to the message."""

    message: WebhookMessage
    deliveries: Sequence[WebhookDelivery]

    def __getattr__(self, name: str) -> object:
        return getattr(self.message, name)


async def list_messages(
    session: AsyncSession, filters: MessageFilters, limit: int, cursor: str | None
) -> tuple[Sequence[WebhookMessage], str | None]:
    after = decode_cursor(cursor) if cursor else None
    rows = await WebhookRepository(session).list_messages(filters, limit + 1, after)
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return page, next_cursor


async def get_message(session: AsyncSession, message_id: str) -> MessageDetail:
    repository = WebhookRepository(session)
    message = await repository.get_message(message_id)
    if message is None:
        raise MessageNotFound(f"no webhook message {message_id}")
    return MessageDetail(message, await repository.deliveries_of_message(message_id))


async def list_deliveries(
    session: AsyncSession,
    endpoint_id: uuid.UUID,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[WebhookDelivery], str | None]:
    repository = WebhookRepository(session)
    if await repository.get_endpoint(endpoint_id) is None:
        raise EndpointNotFound(f"no webhook endpoint {endpoint_id}")
    after = None
    if cursor:
        created_at, row_id = decode_cursor(cursor)
        try:
            after = (created_at, uuid.UUID(row_id))
        except ValueError as exc:
            raise InvalidCursor(
                errors=[FieldError(field="query:cursor", message=str(exc))]
            ) from exc
    rows = await repository.list_deliveries(endpoint_id, status, limit + 1, after)
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return page, next_cursor


async def list_attempts(
    session: AsyncSession, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> Sequence[WebhookAttempt]:
    repository = WebhookRepository(session)
    if await repository.get_delivery(endpoint_id, delivery_id) is None:
        raise DeliveryNotFound(f"no delivery {delivery_id} for endpoint {endpoint_id}")
    return await repository.list_attempts(delivery_id)
