"""Message, delivery and attempt logs: what was sent, to whom, and what came back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.actors import Suppliers, sees
from app.kit.cursor import decode_cursor, decode_uuid_cursor, page_of
from app.models.webhook import WebhookAttempt, WebhookDelivery, WebhookMessage
from app.webhooks.errors import (
    DeliveryNotFound,
    MessageNotFound,
)
from app.webhooks.repository import MessageFilters, WebhookRepository
from app.webhooks.service import webhook_service


@dataclass(frozen=True)
class MessageDetail:
    """A message with its deliveries; reads fall through to the message."""

    message: WebhookMessage
    deliveries: Sequence[WebhookDelivery]

    def __getattr__(self, name: str) -> object:
        return getattr(self.message, name)


async def list_messages(
    session: AsyncSession,
    filters: MessageFilters,
    limit: int,
    cursor: str | None,
    suppliers: Suppliers = None,
) -> tuple[Sequence[WebhookMessage], str | None]:
    after = decode_cursor(cursor, str) if cursor else None
    rows = await WebhookRepository(session).list_messages(filters, limit + 1, after, suppliers)
    return page_of(rows, limit)


async def get_message(
    session: AsyncSession, message_id: str, suppliers: Suppliers = None
) -> MessageDetail:
    repository = WebhookRepository(session)
    message = await repository.get_message(message_id)
    if message is None or not sees(suppliers, message.supplier_siret):
        raise MessageNotFound(f"no webhook message {message_id}")
    return MessageDetail(message, await repository.deliveries_of_message(message_id, suppliers))


async def list_deliveries(
    session: AsyncSession,
    endpoint_id: uuid.UUID,
    status: str | None,
    limit: int,
    cursor: str | None,
    suppliers: Suppliers = None,
) -> tuple[Sequence[WebhookDelivery], str | None]:
    repository = WebhookRepository(session)
    await webhook_service.get_endpoint(session, endpoint_id, suppliers)
    after = decode_uuid_cursor(cursor) if cursor else None
    rows = await repository.list_deliveries(endpoint_id, status, limit + 1, after)
    return page_of(rows, limit)


async def list_attempts(
    session: AsyncSession,
    endpoint_id: uuid.UUID,
    delivery_id: uuid.UUID,
    suppliers: Suppliers = None,
) -> Sequence[WebhookAttempt]:
    repository = WebhookRepository(session)
    await webhook_service.get_endpoint(session, endpoint_id, suppliers)
    if await repository.get_delivery(endpoint_id, delivery_id) is None:
        raise DeliveryNotFound(f"no delivery {delivery_id} for endpoint {endpoint_id}")
    return await repository.list_attempts(delivery_id)
