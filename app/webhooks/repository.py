from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage


class WebhookRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: WebhookEndpoint | WebhookMessage | WebhookDelivery | WebhookAttempt) -> None:
        self.session.add(row)

    async def list_endpoints(self) -> Sequence[WebhookEndpoint]:
        return (
            await self.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.created_at))
        ).all()

    async def get_endpoint(self, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
        return await self.session.get(WebhookEndpoint, endpoint_id)

    async def subscribed_endpoints(self, event_type: str) -> Sequence[WebhookEndpoint]:
        statement = select(WebhookEndpoint).where(
            WebhookEndpoint.disabled_at.is_(None),
            or_(
                func.cardinality(WebhookEndpoint.event_types) == 0,
                WebhookEndpoint.event_types.any_() == event_type,
            ),
        )
        return (await self.session.scalars(statement)).all()

    async def lock_delivery(
        self, delivery_id: uuid.UUID
    ) -> tuple[WebhookDelivery, WebhookEndpoint, WebhookMessage] | None:
        statement = (
            select(WebhookDelivery, WebhookEndpoint, WebhookMessage)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .join(WebhookMessage, WebhookMessage.id == WebhookDelivery.message_id)
            .where(WebhookDelivery.id == delivery_id)
            .with_for_update(of=WebhookDelivery)
        )
        row = (await self.session.execute(statement)).first()
        return None if row is None else (row[0], row[1], row[2])

    async def claim_due_deliveries(self, now: datetime, limit: int) -> Sequence[WebhookDelivery]:
        statement = (
            select(WebhookDelivery)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(statement)).all()
