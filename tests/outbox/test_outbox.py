"""A job written with the change that causes it: queued after commit, or by the relay."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kit.db import unit_of_work
from app.models import OutboxMessage
from app.outbox import service as outbox
from app.runtime import Runtime

JOB_KEY = "arq:job:"


async def pending(sessionmaker: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sessionmaker() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at))
        return [row for row in rows if row.dispatched_at is None]


async def test_committed_rows_are_queued_at_once_and_marked(
    runtime: Runtime, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with runtime.unit_of_work() as session:
        message = outbox.add(session, "noop_job", value=1)
    assert await pending(sessionmaker) == []
    assert await runtime.queue.redis.exists(JOB_KEY + str(message.id))


async def test_a_rolled_back_row_is_never_queued(
    runtime: Runtime, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    try:
        async with runtime.unit_of_work() as session:
            message = outbox.add(session, "noop_job", value=2)
            raise RuntimeError("the request failed")
    except RuntimeError:
        pass
    assert await pending(sessionmaker) == []
    assert not await runtime.queue.redis.exists(JOB_KEY + str(message.id))


async def test_a_lost_kick_is_made_good_by_the_relay(
    runtime: Runtime, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with unit_of_work(sessionmaker, None) as session:  # no queue: the kick is lost
        message = outbox.add(session, "noop_job", value=3)
    assert [m.id for m in await pending(sessionmaker)] == [message.id]
    async with runtime.unit_of_work() as session:
        assert await outbox.relay(session, runtime.queue, batch_size=10) == 1
    assert await pending(sessionmaker) == []
    assert await runtime.queue.redis.exists(JOB_KEY + str(message.id))
    async with runtime.unit_of_work() as session:  # nothing left: nothing sent twice
        assert await outbox.relay(session, runtime.queue, batch_size=10) == 0
