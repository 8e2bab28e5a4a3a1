"""Write a job in the caller's transaction; hand it to the queue after commit or by the relay."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kit.db import SESSIONMAKER_INFO_KEY
from app.kit.ids import uuid7
from app.kit.queue import JobQueue, enqueue_after_commit
from app.kit.time import utcnow
from app.models.outbox import OutboxMessage
from app.outbox.repository import OutboxRepository


def add(session: AsyncSession, job: str, **args: Any) -> OutboxMessage:
    """Record `job(**args)`; it reaches the queue only if this transaction commits.

    The row is the promise; the kick after commit is only a head start, and the relay
    delivers any row whose kick was lost (the same `_job_id` makes a double enqueue harmless).
    """
    message = OutboxMessage(id=uuid7(), job=job, args=args)
    OutboxRepository(session).add(message)
    sessionmaker: async_sessionmaker[AsyncSession] | None = session.info.get(SESSIONMAKER_INFO_KEY)

    async def dispatched() -> None:
        if sessionmaker is not None:
            async with sessionmaker() as own, own.begin():
                await OutboxRepository(own).mark_dispatched([message.id], utcnow())

    enqueue_after_commit(session, job, str(message.id), args, then=dispatched)
    return message


async def relay(session: AsyncSession, queue: JobQueue, batch_size: int) -> int:
    """Move pending rows to the queue; the same `_job_id` makes a double enqueue harmless."""
    repository = OutboxRepository(session)
    messages = await repository.claim_pending(batch_size)
    for message in messages:
        await queue.enqueue(message.job, str(message.id), message.args)
    if messages:
        await repository.mark_dispatched([m.id for m in messages], utcnow())
    return len(messages)
