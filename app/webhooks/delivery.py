"""One delivery attempt and what follows it (Svix schedule, 410 and time-based disabling).

An attempt runs in three steps so that no transaction stays open during the HTTP call:
`claim_attempt` (short transaction), `send` (no database), `record_attempt` (short
transaction).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.queue import JobQueue
from app.kit.retry_after import parse_retry_after
from app.kit.secretbox import SecretBox
from app.kit.time import utcnow
from app.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.webhooks.policy import SNIPPET_BYTES, USER_AGENT, DeliveryPolicy
from app.webhooks.repository import WebhookRepository
from app.webhooks.service import (
    DELIVER_JOB,
    delivery_job_id,
    disable,
    manual_job_id,
    signing_secrets,
)
from app.webhooks.signing import signature_headers
from app.webhooks.states import RECOVERABLE, AttemptTrigger, DeliveryStatus, DisabledReason
from app.webhooks.url_guard import BlockedUrl, UnresolvedHost, UrlGuard

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedAttempt:
    delivery_id: uuid.UUID
    trigger: AttemptTrigger
    url: str
    headers: dict[str, str]
    payload: str
    manual_lease: datetime | None = None


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    error: str | None
    snippet: str | None
    duration_ms: int
    retry_after: timedelta | None = None
    timed_out: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def claim_attempt(
    session: AsyncSession,
    delivery_id: uuid.UUID,
    policy: DeliveryPolicy,
    box: SecretBox,
    *,
    manual: bool = False,
) -> PreparedAttempt | None:
    """Take the delivery for one attempt; a crash mid-attempt is retried when the lease ends."""
    now = utcnow()
    found = await WebhookRepository(session).lock_delivery(delivery_id)
    if found is None:
        return None
    delivery, endpoint, message = found
    if manual:
        if delivery.manual_attempt_at is None or delivery.manual_attempt_at > now:
            return None
        if endpoint.disabled_at is not None:
            delivery.manual_attempt_at = None
            return None
        delivery.manual_attempt_at = now + policy.lease
    else:
        if delivery.status != DeliveryStatus.PENDING or (
            delivery.next_attempt_at is not None and delivery.next_attempt_at > now
        ):
            return None
        if endpoint.disabled_at is not None:
            delivery.status = DeliveryStatus.SKIPPED
            delivery.next_attempt_at = None
            return None
        delivery.attempt_count += 1
        delivery.next_attempt_at = now + policy.lease
    headers = signature_headers(
        signing_secrets(endpoint, box, now), message.id, now, message.payload
    )
    headers.update({"content-type": "application/json", "user-agent": USER_AGENT})
    return PreparedAttempt(
        delivery_id=delivery.id,
        trigger=AttemptTrigger.MANUAL if manual else AttemptTrigger.SCHEDULED,
        url=endpoint.url,
        headers=headers,
        payload=message.payload,
        manual_lease=delivery.manual_attempt_at if manual else None,
    )


async def send(
    http: httpx.AsyncClient, guard: UrlGuard, attempt: PreparedAttempt, policy: DeliveryPolicy
) -> AttemptResult:
    """POST to the address the guard just checked; never follow a redirect; read ≤ 20 KB."""
    started = time.perf_counter()

    def elapsed() -> int:
        return int((time.perf_counter() - started) * 1000)

    try:
        target = await guard.resolve(attempt.url)
    except BlockedUrl as exc:
        reason = str(exc)
        error = reason if reason.startswith("blocked address") else f"blocked address: {reason}"
        return AttemptResult(None, error, None, elapsed())
    except UnresolvedHost as exc:
        return AttemptResult(None, str(exc), None, elapsed())
    extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else None
    deadline = policy.timeout.total_seconds() + 5.0
    try:
        async with (
            asyncio.timeout(deadline),
            http.stream(
                "POST",
                target.connect_url,
                content=attempt.payload.encode(),
                headers={**attempt.headers, "host": target.host_header},
                extensions=extensions,
                follow_redirects=False,
            ) as response,
        ):
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
                elapsed(),
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
    except (httpx.TimeoutException, TimeoutError) as exc:
        return AttemptResult(
            None, f"timeout: {type(exc).__name__} {exc}".strip(), None, elapsed(), timed_out=True
        )
    except httpx.HTTPError as exc:
        return AttemptResult(None, f"{type(exc).__name__}: {exc}", None, elapsed())


async def record_attempt(
    session: AsyncSession, attempt: PreparedAttempt, result: AttemptResult, policy: DeliveryPolicy
) -> None:
    """Store the attempt and decide what follows: success, retry, give up, or disable."""
    repository = WebhookRepository(session)
    found = await repository.lock_delivery(attempt.delivery_id)
    if found is None:
        return  # the endpoint was deleted meanwhile
    delivery = found[0]
    endpoint = await repository.lock_endpoint(delivery.endpoint_id)
    if endpoint is None:
        return
    now = utcnow()
    repository.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            attempt_number=await repository.count_attempts(delivery.id) + 1,
            trigger=attempt.trigger,
            url=attempt.url,
            status_code=result.status_code,
            error=result.error,
            response_snippet=result.snippet,
            duration_ms=result.duration_ms,
            created_at=now,
        )
    )
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error
    delivery.updated_at = now
    manual = attempt.trigger == AttemptTrigger.MANUAL
    if manual and delivery.manual_attempt_at == attempt.manual_lease:
        delivery.manual_attempt_at = None
    if result.succeeded:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.next_attempt_at = None
        endpoint.first_failure_at = None  # any success forgives
        return
    _start_failure_clock(endpoint, now, policy)
    if result.status_code == 410:
        _give_up(delivery)
        await disable(session, endpoint, DisabledReason.GONE, now)
        return
    if manual:
        # A manual attempt never schedules more: a pending delivery keeps its own schedule,
        # a delivered one stays delivered, a failed or skipped one is now failed.
        if delivery.status in RECOVERABLE:
            _give_up(delivery)
    elif delivery.status != DeliveryStatus.PENDING:
        pass  # skipped while in flight (endpoint disabled): stays recoverable
    elif delivery.attempt_count >= policy.max_attempts:
        _give_up(delivery)
    else:
        delay = policy.next_delay(
            delivery.attempt_count,
            throttled=result.timed_out or result.status_code == 429,
            retry_after=result.retry_after,
        )
        delivery.next_attempt_at = now + delay
        logger.info(
            "webhook delivery %s attempt %d failed (%s); next at %s",
            delivery.id,
            delivery.attempt_count,
            result.status_code or result.error,
            delivery.next_attempt_at.isoformat(),
        )
    first_failure = endpoint.first_failure_at
    if (
        endpoint.disabled_at is None
        and first_failure is not None
        and now - first_failure >= policy.disable_after
    ):
        await disable(session, endpoint, DisabledReason.FAILING, now)
    elif endpoint.disabled_at is not None and delivery.status == DeliveryStatus.PENDING:
        delivery.status = DeliveryStatus.SKIPPED  # disabled while this attempt was in flight
        delivery.next_attempt_at = None


def _give_up(delivery: WebhookDelivery) -> None:
    delivery.status = DeliveryStatus.FAILED
    delivery.next_attempt_at = None


def _start_failure_clock(endpoint: WebhookEndpoint, now: datetime, policy: DeliveryPolicy) -> None:
    """Start the clock at the first failure; a clock left stale (twice the period) restarts.

    The restart copies Svix's expiring cache entry: an endpoint that failed once, long
    ago, and then saw no traffic is not disabled by its next single failure.
    """
    first = endpoint.first_failure_at
    if first is None or now - first > policy.disable_after * 2:
        endpoint.first_failure_at = now


async def enqueue_due_deliveries(
    session: AsyncSession, queue: JobQueue, now: datetime, settings: Settings
) -> int:
    """Hand due scheduled attempts and requested manual ones to the queue (the tick's step)."""
    repository = WebhookRepository(session)
    limit = settings.relay_batch_size
    deliveries = await repository.claim_due_deliveries(now, limit)
    for delivery in deliveries:
        args = {"delivery_id": str(delivery.id)}
        await queue.enqueue(DELIVER_JOB, delivery_job_id(delivery), args, urgent=True)
    manual = await repository.claim_due_manual_attempts(now, limit)
    for delivery in manual:
        manual_args: dict[str, Any] = {"delivery_id": str(delivery.id), "manual": True}
        await queue.enqueue(DELIVER_JOB, manual_job_id(delivery), manual_args, urgent=True)
    return len(deliveries) + len(manual)
