"""Write a job in the caller's transaction; hand it to the queue after commit or by the relay."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kit.db import QUEUE_INFO_KEY, SESSIONMAKER_INFO_KEY, after_commit
from app.kit.queue import JobQueue
from app.kit.time import utcnow
from app.models.outbox import OutboxMessage
from app.outbox.repository import OutboxRepository

logger = logging.getLogger(__name__)

_PENDING_KEY = "outbox_pending"


def add(session: AsyncSession, job: str, **args: Any) -> OutboxMessage:
    """Record `job(**args)`; it reaches the queue only if this transaction commits."""
    message = OutboxMessage(job=job, args=args)
    OutboxRepository(session).add(message)
    pending: list[OutboxMessage] | None = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = session.info[_PENDING_KEY] = []
        queue: JobQueue | None = session.info.get(QUEUE_INFO_KEY)
        sessionmaker = session.info.get(SESSIONMAKER_INFO_KEY)
        if queue is not None and sessionmaker is not None:
            after_commit(session, lambda: _kick(sessionmaker, queue, pending))
    pending.append(message)
    return message


async def _kick(
    sessionmaker: async_sessionmaker[AsyncSession], queue: JobQueue, messages: list[OutboxMessage]
) -> None:
    try:
        for message in messages:
            await queue.enqueue(message.job, str(message.id), message.args)
        async with sessionmaker() as session, session.begin():
            await OutboxRepository(session).mark_dispatched([m.id for m in messages], utcnow())
    except Exception as exc:  # committed rows stay pending; the relay delivers them
        logger.warning("outbox kick failed, the relay will retry: %s", exc)


async def relay(session: AsyncSession, queue: JobQueue, batch_size: int) -> int:
    """Move pending rows to the queue; the same `_job_id` makes a double enqueue harmless."""
    repository = OutboxRepository(session)
    messages = await repository.claim_pending(batch_size)
    for message in messages:
        await queue.enqueue(message.job, str(message.id), message.args)
    if messages:
        await repository.mark_dispatched([m.id for m in messages], utcnow())
    return len(messages)
