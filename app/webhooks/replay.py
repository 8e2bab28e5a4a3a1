"""Resend one message and recover an endpoint's failures: manual attempts, same `webhook-id`.

A manual attempt is asked for by setting `manual_attempt_at`; the worker makes it once and
never schedules more (Svix's `Manual` trigger). Requests live in PostgreSQL, so the tick
finds any whose immediate kick was lost.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.actors import SYSTEM, Actor, Suppliers, sees
from app.kit.errors import FieldError
from app.kit.time import utcnow
from app.models.webhook import WebhookDelivery
from app.outbox import service as outbox
from app.webhooks.errors import (
    EndpointDisabled,
    InvalidWindow,
    MessageNotFound,
    NotThisEndpointsMessage,
)
from app.webhooks.policy import RECOVER_BATCH, RECOVER_CAP
from app.webhooks.repository import WebhookRepository
from app.webhooks.service import enqueue_manual_attempt, log_change, webhook_service
from app.webhooks.states import EndpointAction

logger = logging.getLogger(__name__)

RECOVER_JOB = "recover_webhooks"


async def resend(
    session: AsyncSession,
    message_id: str,
    endpoint_id: uuid.UUID,
    *,
    suppliers: Suppliers = None,
    actor: Actor = SYSTEM,
) -> WebhookDelivery:
    """Ask for one more attempt of this message to this endpoint, whatever happened before."""
    repository = WebhookRepository(session)
    endpoint = await webhook_service.get_endpoint(session, endpoint_id, suppliers)
    if endpoint.disabled_at is not None:
        raise EndpointDisabled(f"webhook endpoint {endpoint_id} is disabled")
    message = await repository.get_message(message_id)
    if message is None or not sees(suppliers, message.supplier_siret):
        raise MessageNotFound(f"no webhook message {message_id}")
    if endpoint.supplier_siret not in (None, message.supplier_siret) or (
        endpoint.event_types and message.event_type not in endpoint.event_types
    ):
        raise NotThisEndpointsMessage(
            f"webhook endpoint {endpoint_id} does not take {message.event_type} events "
            "of this message's supplier"
        )
    now = utcnow()
    delivery = await repository.lock_or_add_skipped_delivery(message_id, endpoint_id, now)
    delivery.manual_attempt_at = now
    delivery.updated_at = now
    await session.flush()
    enqueue_manual_attempt(session, delivery)
    log_change(session, endpoint, EndpointAction.RESENT, actor, {"message_id": message_id})
    return delivery


async def request_recovery(
    session: AsyncSession,
    endpoint_id: uuid.UUID,
    since: datetime,
    until: datetime | None,
    *,
    suppliers: Suppliers = None,
    actor: Actor = SYSTEM,
) -> tuple[datetime, datetime]:
    """Queue a background recovery of the window; durable through the outbox."""
    until = until or utcnow()
    if since >= until:
        message = "`since` must be before `until` (default: now)"
        raise InvalidWindow(message, errors=[FieldError(field="since", message=message)])
    endpoint = await webhook_service.get_endpoint(session, endpoint_id, suppliers)
    if endpoint.disabled_at is not None:
        raise EndpointDisabled(f"webhook endpoint {endpoint_id} is disabled")
    window = {"since": since.isoformat(), "until": until.isoformat()}
    log_change(session, endpoint, EndpointAction.RECOVERY_REQUESTED, actor, window)
    outbox.add(
        session,
        RECOVER_JOB,
        endpoint_id=str(endpoint_id),
        since=since.isoformat(),
        until=until.isoformat(),
    )
    return since, until


async def recover_batch(
    session: AsyncSession,
    endpoint_id: uuid.UUID,
    since: datetime,
    until: datetime,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> tuple[int, tuple[datetime, uuid.UUID] | None]:
    """Ask for a manual attempt of up to `limit` failed or skipped deliveries, oldest first.

    Returns how many were taken and where the next batch starts (None: stop).
    """
    repository = WebhookRepository(session)
    endpoint = await repository.get_endpoint(endpoint_id)
    if endpoint is None or endpoint.disabled_at is not None:
        return 0, None
    deliveries = await repository.lock_recoverable(endpoint_id, since, until, after, limit)
    now = utcnow()
    for delivery in deliveries:
        if delivery.manual_attempt_at is None:
            delivery.manual_attempt_at = now
            delivery.updated_at = now
            enqueue_manual_attempt(session, delivery)
    if len(deliveries) < limit:
        return len(deliveries), None
    last = deliveries[-1]
    return len(deliveries), (last.created_at, last.id)


async def recover(
    unit_of_work: Callable[[], AbstractAsyncContextManager[AsyncSession]],
    endpoint_id: uuid.UUID,
    since: datetime,
    until: datetime,
    *,
    batch_size: int = RECOVER_BATCH,
    cap: int = RECOVER_CAP,
) -> int:
    """Recover the window in batches, each its own short transaction, up to `cap` deliveries."""
    total = 0
    after: tuple[datetime, uuid.UUID] | None = None
    while total < cap:
        async with unit_of_work() as session:
            count, after = await recover_batch(
                session, endpoint_id, since, until, after, min(batch_size, cap - total)
            )
        total += count
        if after is None:
            break
    if after is not None:
        logger.warning("webhook recovery of endpoint %s stopped at the cap of %d", endpoint_id, cap)
    logger.info("webhook recovery of endpoint %s: %d deliveries queued", endpoint_id, total)
    return total
