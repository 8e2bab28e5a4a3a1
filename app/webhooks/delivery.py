"""One delivery attempt and what follows it (Svix retry schedule, 410 disables)."""

from __future__ import annotations

import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.queue import JobQueue
from app.core.time import utcnow
from app.models.webhook import WebhookAttempt
from app.webhooks.repository import WebhookRepository
from app.webhooks.service import DELIVER_JOB, delivery_job_id
from app.webhooks.signing import signature_headers

logger = logging.getLogger(__name__)

# Delay before attempt n+1 after attempt n failed (Svix's schedule; 8 attempts in all).
RETRY_SCHEDULE = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
]
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
SNIPPET_BYTES = 20_000
USER_AGENT = "chorus-gateway-webhooks/0.1"


@dataclass(frozen=True)
class PreparedAttempt:
    delivery_id: uuid.UUID
    attempt_number: int
    url: str
    headers: dict[str, str]
    payload: str


async def claim_attempt(
    session: AsyncSession, delivery_id: uuid.UUID, lease: timedelta
) -> PreparedAttempt | None:
    """Take the delivery for one attempt; a crash mid-attempt is retried when the lease ends."""
    now = utcnow()
    found = await WebhookRepository(session).lock_delivery(delivery_id)
    if found is None:
        return None
    delivery, endpoint, message = found
    if delivery.status != "pending" or (
        delivery.next_attempt_at is not None and delivery.next_attempt_at > now
    ):
        return None
    if endpoint.disabled_at is not None:
        delivery.status = "skipped"
        return None
    delivery.attempt_count += 1
    delivery.next_attempt_at = now + lease
    headers = signature_headers(endpoint.secret, message.id, now, message.payload)
    headers.update({"content-type": "application/json", "user-agent": USER_AGENT})
    return PreparedAttempt(
        delivery.id, delivery.attempt_count, endpoint.url, headers, message.payload
    )


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    error: str | None
    snippet: str | None
    duration_ms: int
    retry_after: float | None


async def send(http: httpx.AsyncClient, attempt: PreparedAttempt) -> AttemptResult:
    started = time.perf_counter()
    try:
        async with http.stream(
            "POST", attempt.url, content=attempt.payload.encode(), headers=attempt.headers
        ) as response:
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) >= SNIPPET_BYTES:
                    break
            snippet = body[:SNIPPET_BYTES].decode("utf-8", "replace").replace("\x00", "")
            return AttemptResult(
                response.status_code,
                None,
                snippet,
                int((time.perf_counter() - started) * 1000),
                _retry_after(response.headers.get("retry-after")),
            )
    except httpx.HTTPError as exc:
        return AttemptResult(
            None,
            f"{type(exc).__name__}: {exc}",
            None,
            int((time.perf_counter() - started) * 1000),
            None,
        )


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - utcnow()).total_seconds())
    except (TypeError, ValueError):
        return None


def next_delay(attempt_number: int, result: AttemptResult) -> timedelta:
    base = RETRY_SCHEDULE[attempt_number - 1]
    if result.status_code in (None, 429) and base < timedelta(seconds=60) and result.error is None:
        base = timedelta(seconds=60)
    delay = base * random.uniform(0.8, 1.2)
    if result.retry_after is not None:
        wanted = timedelta(seconds=result.retry_after)
        delay = min(max(wanted, base), base * 2)
    return delay


async def record_attempt(
    session: AsyncSession, attempt: PreparedAttempt, result: AttemptResult
) -> None:
    repository = WebhookRepository(session)
    found = await repository.lock_delivery(attempt.delivery_id)
    if found is None:
        return
    delivery, endpoint, _ = found
    now = utcnow()
    repository.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            attempt_number=attempt.attempt_number,
            url=attempt.url,
            status_code=result.status_code,
            error=result.error,
            response_snippet=result.snippet,
            duration_ms=result.duration_ms,
        )
    )
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error
    if result.status_code is not None and 200 <= result.status_code < 300:
        delivery.status = "succeeded"
        delivery.next_attempt_at = None
        return
    if result.status_code == 410:
        delivery.status = "failed"
        delivery.next_attempt_at = None
        endpoint.disabled_at = now
        logger.warning("webhook endpoint %s answered 410 Gone: disabled", endpoint.id)
        return
    if attempt.attempt_number >= MAX_ATTEMPTS:
        delivery.status = "failed"
        delivery.next_attempt_at = None
        return
    delivery.next_attempt_at = now + next_delay(attempt.attempt_number, result)
    logger.info(
        "webhook delivery %s attempt %d failed (%s); next at %s",
        delivery.id,
        attempt.attempt_number,
        result.status_code or result.error,
        delivery.next_attempt_at.isoformat(),
    )


async def enqueue_due(session: AsyncSession, queue: JobQueue, now: datetime, limit: int) -> int:
    deliveries = await WebhookRepository(session).claim_due_deliveries(now, limit)
    for delivery in deliveries:
        await queue.enqueue(
            DELIVER_JOB, delivery_job_id(delivery), {"delivery_id": str(delivery.id)}
        )
    return len(deliveries)
