"""The job queue behind one small interface, so that services never touch Redis or arq."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from arq.connections import ArqRedis, RedisSettings
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.db import QUEUE_INFO_KEY, AfterCommit, after_commit

logger = logging.getLogger(__name__)

QUEUE_NAME = "chorus-gateway:queue"
REDIS_CONNECT_TIMEOUT = 2.0  # seconds
REDIS_TIMEOUT = 5.0


@dataclass
class JobQueue:
    redis: ArqRedis

    async def enqueue(
        self, job: str, job_id: str, args: dict[str, Any], defer: timedelta | None = None
    ) -> bool:
        """Enqueue once per `job_id`: arq ignores a second enqueue of a queued or kept job."""
        queued = await self.redis.enqueue_job(
            job, _job_id=job_id, _queue_name=QUEUE_NAME, _defer_by=defer, **args
        )
        return queued is not None

    async def close(self) -> None:
        await self.redis.aclose()


def redis_settings(url: str, *, retries: int = 5) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    settings.conn_retries = retries
    return settings


async def connect_queue(url: str) -> JobQueue:
    """A queue on Redis at `url`, connecting on first use: a process starts, and keeps
    serving, while Redis is away (every enqueue is backed by a durable record)."""
    redis = ArqRedis.from_url(
        url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT, socket_timeout=REDIS_TIMEOUT
    )
    return JobQueue(redis)


def enqueue_after_commit(
    session: AsyncSession,
    job: str,
    job_id: str,
    args: dict[str, Any],
    *,
    then: AfterCommit | None = None,
) -> None:
    """Start `job` as soon as the transaction commits, never if it rolls back.

    Best effort: the work is always recorded durably in the same transaction (an outbox row,
    a due date), so the worker's tick finds whatever a lost kick misses. `then` runs once
    the job is in the queue.
    """
    queue: JobQueue | None = session.info.get(QUEUE_INFO_KEY)
    if queue is None:
        return

    async def _kick() -> None:
        try:
            await queue.enqueue(job, job_id, args)
            if then is not None:
                await then()
        except Exception as exc:  # the durable record is committed; the tick will enqueue it
            logger.warning("could not enqueue %s %s right away: %s", job, job_id, exc)

    after_commit(session, _kick)
