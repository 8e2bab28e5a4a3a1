"""The job queue behind one small interface, so that services never touch Redis or arq."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from arq.connections import ArqRedis, RedisSettings
from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.db import QUEUE_INFO_KEY, AfterCommit, after_commit

logger = logging.getLogger(__name__)

QUEUE_NAME = "chorus-gateway:queue"
REDIS_CONNECT_TIMEOUT = 2.0  # seconds
REDIS_TIMEOUT = 5.0


# arq's own enqueue (`ArqRedis.enqueue_job`) in one round trip instead of five (WATCH,
# EXISTS, MULTI, PSETEX, ZADD): the same keys, the same job encoding, the same rule that a
# queued job or a kept result blocks its id, checked and written atomically by Redis.
_ENQUEUE = """
if redis.call('exists', KEYS[1], KEYS[2]) > 0 then return 0 end
redis.call('psetex', KEYS[1], ARGV[2], ARGV[1])
redis.call('zadd', KEYS[3], ARGV[3], ARGV[4])
return 1
"""
URGENT_HEAD_MS = 3_600_000
JOB_EXPIRY = timedelta(days=1)
"""A job not started within a day (plus its deferral) is dropped, as arq does by default."""


@dataclass
class JobQueue:
    redis: ArqRedis

    def __post_init__(self) -> None:
        self._enqueue = self.redis.register_script(_ENQUEUE)

    async def enqueue(
        self,
        job: str,
        job_id: str,
        args: dict[str, Any],
        defer: timedelta | None = None,
        *,
        urgent: bool = False,
    ) -> bool:
        """Enqueue once per `job_id`: a second enqueue of a queued or kept job is ignored.

        `urgent` jobs (status follow-up, webhooks: someone waits for them) are taken before
        every job queued in the last hour: workers take jobs in score order, and a burst of
        deposits must not delay the news of a payment.
        """
        now_ms = timestamp_ms()
        delay_ms = int(defer.total_seconds() * 1000) if defer else 0
        expires_ms = delay_ms + int(JOB_EXPIRY.total_seconds() * 1000)
        payload = serialize_job(job, (), args, None, now_ms)
        keys = [job_key_prefix + job_id, result_key_prefix + job_id, QUEUE_NAME]
        score = now_ms + delay_ms - (URGENT_HEAD_MS if urgent and not delay_ms else 0)
        queued = await self._enqueue(keys=keys, args=[payload, expires_ms, score, job_id])
        return bool(queued)

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
    urgent: bool = False,
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
            await queue.enqueue(job, job_id, args, urgent=urgent)
            if then is not None:
                await then()
        except Exception as exc:  # the durable record is committed; the tick will enqueue it
            logger.warning("could not enqueue %s %s right away: %s", job, job_id, exc)

    after_commit(session, _kick)
