"""Webhook endpoints and publishing: events are written in the caller's transaction."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.queue import enqueue_after_commit
from app.kit.secretbox import SecretBox
from app.kit.time import utcnow
from app.models.webhook import WebhookDelivery, WebhookEndpoint, WebhookMessage
from app.webhooks.errors import EndpointNotFound, UrlRefused
from app.webhooks.events import check_payload
from app.webhooks.policy import MAX_OLD_SECRETS
from app.webhooks.repository import WebhookRepository
from app.webhooks.schemas import WebhookEndpointCreate, WebhookEndpointUpdate
from app.webhooks.signing import new_message_id, new_secret
from app.webhooks.states import DeliveryStatus, DisabledReason
from app.webhooks.url_guard import BlockedUrl, UnresolvedHost, UrlGuard

logger = logging.getLogger(__name__)

DELIVER_JOB = "deliver_webhook"


def delivery_job_id(delivery: WebhookDelivery) -> str:
    return scheduled_job_id(delivery.id, delivery.attempt_count)


def scheduled_job_id(delivery_id: uuid.UUID, attempts_made: int) -> str:
    return f"webhook:{delivery_id}:{attempts_made}"


def manual_job_id(delivery: WebhookDelivery) -> str:
    requested = delivery.manual_attempt_at
    stamp = int(requested.timestamp() * 1000) if requested is not None else 0
    return f"webhook:{delivery.id}:manual:{stamp}"


def enqueue_manual_attempt(session: AsyncSession, delivery: WebhookDelivery) -> None:
    """Start the requested attempt once committed; the tick finds it if this kick is lost."""
    enqueue_after_commit(
        session,
        DELIVER_JOB,
        manual_job_id(delivery),
        {"delivery_id": str(delivery.id), "manual": True},
        urgent=True,
    )


def signing_secrets(endpoint: WebhookEndpoint, box: SecretBox, now: datetime) -> list[str]:
    """The current secret, then every previous one still inside its rotation overlap."""
    secrets = [box.decrypt(endpoint.secret_enc)]
    for old in endpoint.old_secrets or []:
        if datetime.fromisoformat(old["expires_at"]) > now:
            secrets.append(box.decrypt(old["secret_enc"]))
    return secrets


async def disable(
    session: AsyncSession, endpoint: WebhookEndpoint, reason: DisabledReason, now: datetime
) -> None:
    """Stop attempts to the endpoint; its pending deliveries stay recoverable as `skipped`."""
    if endpoint.disabled_at is None:
        endpoint.disabled_at = now
    endpoint.disabled_reason = reason
    endpoint.updated_at = now
    await session.flush()  # the bulk update below must not race the session's own changes
    skipped = await WebhookRepository(session).skip_pending(endpoint.id, now)
    logger.warning(
        "webhook endpoint %s disabled (%s); %d pending deliveries skipped (recoverable)",
        endpoint.id,
        reason,
        skipped,
    )


async def check_url(guard: UrlGuard, url: str) -> None:
    try:
        await guard.resolve(url)
    except (BlockedUrl, UnresolvedHost) as exc:
        raise UrlRefused(str(exc)) from exc


class WebhookService:
    async def create_endpoint(
        self,
        session: AsyncSession,
        data: WebhookEndpointCreate,
        *,
        guard: UrlGuard,
        box: SecretBox,
    ) -> tuple[WebhookEndpoint, str]:
        """The endpoint and its secret in clear: the only time the secret is returned."""
        url = str(data.url)
        await check_url(guard, url)
        secret = new_secret()
        endpoint = WebhookEndpoint(
            url=url,
            description=data.description,
            event_types=sorted({str(t) for t in data.event_types}),
            secret_enc=box.encrypt(secret),
            old_secrets=[],
        )
        WebhookRepository(session).add(endpoint)
        await session.flush()
        return endpoint, secret

    async def list_endpoints(self, session: AsyncSession) -> Sequence[WebhookEndpoint]:
        return await WebhookRepository(session).list_endpoints()

    async def get_endpoint(self, session: AsyncSession, endpoint_id: uuid.UUID) -> WebhookEndpoint:
        endpoint = await WebhookRepository(session).get_endpoint(endpoint_id)
        if endpoint is None:
            raise EndpointNotFound(f"no webhook endpoint {endpoint_id}")
        return endpoint

    async def _lock(self, session: AsyncSession, endpoint_id: uuid.UUID) -> WebhookEndpoint:
        endpoint = await WebhookRepository(session).lock_endpoint(endpoint_id)
        if endpoint is None:
            raise EndpointNotFound(f"no webhook endpoint {endpoint_id}")
        return endpoint

    async def update_endpoint(
        self,
        session: AsyncSession,
        endpoint_id: uuid.UUID,
        data: WebhookEndpointUpdate,
        *,
        guard: UrlGuard,
    ) -> WebhookEndpoint:
        endpoint = await self._lock(session, endpoint_id)
        fields = data.model_fields_set
        if "url" in fields and data.url is not None:
            await check_url(guard, str(data.url))
            endpoint.url = str(data.url)
        if "description" in fields:
            endpoint.description = data.description
        if "event_types" in fields and data.event_types is not None:
            endpoint.event_types = sorted({str(t) for t in data.event_types})
        endpoint.updated_at = utcnow()
        await session.flush()
        return endpoint

    async def delete_endpoint(self, session: AsyncSession, endpoint_id: uuid.UUID) -> None:
        """Its deliveries and attempts go with it; the messages stay."""
        endpoint = await self._lock(session, endpoint_id)
        await WebhookRepository(session).delete(endpoint)
        await session.flush()

    async def rotate_secret(
        self,
        session: AsyncSession,
        endpoint_id: uuid.UUID,
        *,
        box: SecretBox,
        overlap: timedelta,
    ) -> tuple[WebhookEndpoint, str]:
        """A new secret, returned once; the previous one keeps signing for `overlap`."""
        endpoint = await self._lock(session, endpoint_id)
        now = utcnow()
        kept = [
            old
            for old in endpoint.old_secrets or []
            if datetime.fromisoformat(old["expires_at"]) > now
        ]
        kept.append({"secret_enc": endpoint.secret_enc, "expires_at": (now + overlap).isoformat()})
        secret = new_secret()
        endpoint.secret_enc = box.encrypt(secret)
        endpoint.old_secrets = kept[-MAX_OLD_SECRETS:]
        endpoint.updated_at = now
        await session.flush()
        return endpoint, secret

    async def disable_endpoint(
        self, session: AsyncSession, endpoint_id: uuid.UUID
    ) -> WebhookEndpoint:
        endpoint = await self._lock(session, endpoint_id)
        if endpoint.disabled_at is None:
            await disable(session, endpoint, DisabledReason.MANUAL, utcnow())
        return endpoint

    async def enable_endpoint(
        self, session: AsyncSession, endpoint_id: uuid.UUID
    ) -> WebhookEndpoint:
        """Re-enable and restart the failure clock; skipped deliveries wait for a recover."""
        endpoint = await self._lock(session, endpoint_id)
        endpoint.disabled_at = None
        endpoint.disabled_reason = None
        endpoint.first_failure_at = None
        endpoint.updated_at = utcnow()
        await session.flush()
        return endpoint

    async def publish(
        self,
        session: AsyncSession,
        event_type: str,
        data: dict[str, Any],
        *,
        occurred_at: datetime,
        invoice_id: uuid.UUID | None = None,
    ) -> WebhookMessage:
        """Store the message once, as the exact bytes every endpoint will get and verify.

        A payload that does not fit its published schema is logged, not refused: the
        status change that publishes it must not fail because of it.
        """
        envelope = {"type": event_type, "timestamp": occurred_at.isoformat(), "data": data}
        problem = check_payload(event_type, envelope)
        if problem is not None:
            logger.error("webhook %s does not fit its schema: %s", event_type, problem)
        message = WebhookMessage(
            id=new_message_id(),
            event_type=event_type,
            payload=json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, default=str),
            invoice_id=invoice_id,
            created_at=occurred_at,
        )
        deliveries = await WebhookRepository(session).insert_with_deliveries(message)
        for delivery_id, status in deliveries:
            if status == DeliveryStatus.PENDING:
                enqueue_after_commit(
                    session,
                    DELIVER_JOB,
                    scheduled_job_id(delivery_id, 0),
                    {"delivery_id": str(delivery_id)},
                    urgent=True,
                )
        return message


webhook_service = WebhookService()
