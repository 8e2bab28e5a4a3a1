"""Webhook endpoints and publishing: events are written in the caller's transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound
from app.core.queue import enqueue_after_commit
from app.models.webhook import WebhookDelivery, WebhookEndpoint, WebhookMessage
from app.webhooks.repository import WebhookRepository
from app.webhooks.schemas import WebhookEndpointCreate
from app.webhooks.signing import new_message_id, new_secret

DELIVER_JOB = "deliver_webhook"


class EndpointNotFound(NotFound):
    slug = "webhook-endpoint-not-found"
    title = "Webhook endpoint not found"


def delivery_job_id(delivery: WebhookDelivery) -> str:
    return f"webhook:{delivery.id}:{delivery.attempt_count}"


class WebhookService:
    async def create_endpoint(
        self, session: AsyncSession, data: WebhookEndpointCreate
    ) -> WebhookEndpoint:
        endpoint = WebhookEndpoint(
            url=str(data.url),
            description=data.description,
            event_types=sorted(set(data.event_types)),
            secret=new_secret(),
        )
        WebhookRepository(session).add(endpoint)
        await session.flush()
        return endpoint

    async def list_endpoints(self, session: AsyncSession) -> Sequence[WebhookEndpoint]:
        return await WebhookRepository(session).list_endpoints()

    async def get_endpoint(self, session: AsyncSession, endpoint_id: uuid.UUID) -> WebhookEndpoint:
        endpoint = await WebhookRepository(session).get_endpoint(endpoint_id)
        if endpoint is None:
            raise EndpointNotFound(f"no webhook endpoint {endpoint_id}")
        return endpoint

    async def publish(
        self,
        session: AsyncSession,
        event_type: str,
        data: dict[str, Any],
        *,
        occurred_at: datetime,
        invoice_id: uuid.UUID | None = None,
    ) -> WebhookMessage:
        """Store the message once, as the exact bytes every endpoint will get and verify."""
        repository = WebhookRepository(session)
        envelope = {"type": event_type, "timestamp": occurred_at.isoformat(), "data": data}
        message = WebhookMessage(
            id=new_message_id(),
            event_type=event_type,
            payload=json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, default=str),
            invoice_id=invoice_id,
        )
        repository.add(message)
        endpoints = await repository.subscribed_endpoints(event_type)
        if endpoints:
            await session.flush()  # deliveries reference the message; no relationship orders them
        for endpoint in endpoints:
            delivery = WebhookDelivery(
                id=uuid.uuid4(),
                message_id=message.id,
                endpoint_id=endpoint.id,
                status="pending",
                attempt_count=0,
                next_attempt_at=occurred_at,
            )
            repository.add(delivery)
            enqueue_after_commit(
                session, DELIVER_JOB, delivery_job_id(delivery), {"delivery_id": str(delivery.id)}
            )
        return message


webhook_service = WebhookService()
