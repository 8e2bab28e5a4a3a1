from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from app.kit.repository import Repository
from app.models.outbox import OutboxMessage


class OutboxRepository(Repository[OutboxMessage]):
    model = OutboxMessage

    async def claim_pending(self, limit: int) -> Sequence[OutboxMessage]:
        """Lock undispatched rows; concurrent relays skip each other's rows."""
        statement = (
            select(OutboxMessage)
            .where(OutboxMessage.dispatched_at.is_(None))
            .order_by(OutboxMessage.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(statement)).all()

    async def mark_dispatched(self, ids: Sequence[uuid.UUID], at: datetime) -> None:
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.dispatched_at.is_(None))
            .values(dispatched_at=at)
        )
