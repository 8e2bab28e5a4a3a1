"""Webhook endpoints and publishing: events are written in the caller's transaction."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.actors import SYSTEM, Actor, Suppliers, sees
from app.kit.errors import FieldError, SupplierNotAllowed
from app.kit.queue import enqueue_after_commit
from app.kit.secretbox import SecretBox
from app.kit.time import utcnow
from app.models.webhook import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointChange,
    WebhookMessage,
)
from app.webhooks.errors import EndpointNotFound, SupplierRequired, UnknownSupplier, UrlRefused
from app.webhooks.events import check_payload
from app.webhooks.policy import MAX_OLD_SECRETS
from app.webhooks.repository import WebhookRepository
from app.webhooks.schemas import WebhookEndpointCreate, WebhookEndpointUpdate
from app.webhooks.signing import new_message_id, new_secret
from app.webhooks.states import DeliveryStatus, DisabledReason, EndpointAction
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
    session: AsyncSession,
    endpoint: WebhookEndpoint,
    reason: DisabledReason,
    now: datetime,
    *,
    actor: Actor = SYSTEM,
) -> None:
    """Stop attempts to the endpoint; its pending deliveries stay recoverable as `skipped`."""
    if endpoint.disabled_at is None:
        endpoint.disabled_at = now
        log_change(session, endpoint, EndpointAction.DISABLED, actor, {"reason": reason.value})
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


def _visible(
    endpoint: WebhookEndpoint | None, endpoint_id: uuid.UUID, suppliers: Suppliers
) -> WebhookEndpoint:
    if endpoint is None or not sees(suppliers, endpoint.supplier_siret):
        raise EndpointNotFound(f"no webhook endpoint {endpoint_id}")
    return endpoint


def log_change(
    session: AsyncSession,
    endpoint: WebhookEndpoint,
    action: EndpointAction,
    actor: Actor,
    details: dict[str, Any] | None = None,
) -> None:
    """One line of the endpoint's log; it outlives the endpoint."""
    WebhookRepository(session).log_change(
        WebhookEndpointChange(
            endpoint_id=endpoint.id,
            action=action.value,
            actor_id=actor.id,
            actor=actor.name,
            details=details,
            at=utcnow(),
        )
    )


async def _owner(session: AsyncSession, wanted: str | None, suppliers: Suppliers) -> str | None:
    """The supplier an endpoint receives the events of; None (all) for unrestricted keys only."""
    if wanted is None and suppliers is not None:
        if len(suppliers) != 1:
            message = "this API key acts for several suppliers: name one"
            raise SupplierRequired(
                message, errors=[FieldError(field="supplier_siret", message=message)]
            )
        (wanted,) = suppliers
    if wanted is None:
        return None
    if not sees(suppliers, wanted):
        raise SupplierNotAllowed(
            errors=[FieldError(field="supplier_siret", message="this API key may not act for it")]
        )
    if not await WebhookRepository(session).supplier_exists(wanted):
        message = "not a supplier of this gateway"
        raise UnknownSupplier(message, errors=[FieldError(field="supplier_siret", message=message)])
    return wanted


class WebhookService:
    async def create_endpoint(
        self,
        session: AsyncSession,
        data: WebhookEndpointCreate,
        *,
        guard: UrlGuard,
        box: SecretBox,
        suppliers: Suppliers = None,
        actor: Actor = SYSTEM,
    ) -> tuple[WebhookEndpoint, str]:
        """The endpoint and its secret in clear: the only time the secret is returned."""
        url = str(data.url)
        supplier_siret = await _owner(session, data.supplier_siret, suppliers)
        await check_url(guard, url)
        secret = new_secret()
        endpoint = WebhookEndpoint(
            url=url,
            supplier_siret=supplier_siret,
            description=data.description,
            event_types=sorted({str(t) for t in data.event_types}),
            secret_enc=box.encrypt(secret),
            old_secrets=[],
        )
        WebhookRepository(session).add(endpoint)
        await session.flush()
        log_change(
            session,
            endpoint,
            EndpointAction.CREATED,
            actor,
            {"url": url, "supplier_siret": supplier_siret, "event_types": endpoint.event_types},
        )
        return endpoint, secret

    async def list_endpoints(
        self, session: AsyncSession, suppliers: Suppliers = None
    ) -> Sequence[WebhookEndpoint]:
        return await WebhookRepository(session).list_endpoints(suppliers)

    async def get_endpoint(
        self, session: AsyncSession, endpoint_id: uuid.UUID, suppliers: Suppliers = None
    ) -> WebhookEndpoint:
        endpoint = await WebhookRepository(session).get_endpoint(endpoint_id)
        return _visible(endpoint, endpoint_id, suppliers)

    async def changes(
        self, session: AsyncSession, endpoint_id: uuid.UUID, suppliers: Suppliers = None
    ) -> Sequence[WebhookEndpointChange]:
        await self.get_endpoint(session, endpoint_id, suppliers)
        return await WebhookRepository(session).changes(endpoint_id)

    async def _lock(
        self, session: AsyncSession, endpoint_id: uuid.UUID, suppliers: Suppliers
    ) -> WebhookEndpoint:
        endpoint = await WebhookRepository(session).lock_endpoint(endpoint_id)
        return _visible(endpoint, endpoint_id, suppliers)

    async def update_endpoint(
        self,
        session: AsyncSession,
        endpoint_id: uuid.UUID,
        data: WebhookEndpointUpdate,
        *,
        guard: UrlGuard,
        suppliers: Suppliers = None,
        actor: Actor = SYSTEM,
    ) -> WebhookEndpoint:
        endpoint = await self._lock(session, endpoint_id, suppliers)
        fields = data.model_fields_set
        changed: dict[str, Any] = {}
        if "url" in fields and data.url is not None:
            await check_url(guard, str(data.url))
            endpoint.url = changed["url"] = str(data.url)
        if "description" in fields:
            endpoint.description = changed["description"] = data.description
        if "event_types" in fields and data.event_types is not None:
            endpoint.event_types = changed["event_types"] = sorted(
                {str(t) for t in data.event_types}
            )
        endpoint.updated_at = utcnow()
        await session.flush()
        log_change(session, endpoint, EndpointAction.UPDATED, actor, changed)
        return endpoint

    async def delete_endpoint(
        self,
        session: AsyncSession,
        endpoint_id: uuid.UUID,
        *,
        suppliers: Suppliers = None,
        actor: Actor = SYSTEM,
    ) -> None:
        """Its deliveries and attempts go with it; the messages and its log stay."""
        endpoint = await self._lock(session, endpoint_id, suppliers)
        log_change(session, endpoint, EndpointAction.DELETED, actor, {"url": endpoint.url})
        await WebhookRepository(session).delete(endpoint)
        await session.flush()

    async def rotate_secret(
        self,
        session: AsyncSession,
        endpoint_id: uuid.UUID,
        *,
        box: SecretBox,
        overlap: timedelta,
        suppliers: Suppliers = None,
        actor: Actor = SYSTEM,
    ) -> tuple[WebhookEndpoint, str]:
        """A new secret, returned once; the previous one keeps signing for `overlap`."""
        endpoint = await self._lock(session, endpoint_id, suppliers)
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
        log_change(
            session,
            endpoint,
            EndpointAction.SECRET_ROTATED,
            actor,
            {"previous_secret_expires_at": (now + overlap).isoformat()},
        )
        return endpoint, secret

    async def disable_endpoint(
        self,
        session: AsyncSession,
        endpoint_id: uuid.UUID,
        *,
        suppliers: Suppliers = None,
        actor: Actor = SYSTEM,
    ) -> WebhookEndpoint:
        endpoint = await self._lock(session, endpoint_id, suppliers)
        if endpoint.disabled_at is None:
            await disable(session, endpoint, DisabledReason.MANUAL, utcnow(), actor=actor)
        return endpoint

    async def enable_endpoint(
        self,
        session: AsyncSession,
        endpoint_id: uuid.UUID,
        *,
        suppliers: Suppliers = None,
        actor: Actor = SYSTEM,
    ) -> WebhookEndpoint:
        """Re-enable and restart the failure clock; skipped deliveries wait for a recover."""
        endpoint = await self._lock(session, endpoint_id, suppliers)
        was_disabled = endpoint.disabled_at is not None
        endpoint.disabled_at = None
        endpoint.disabled_reason = None
        endpoint.first_failure_at = None
        endpoint.updated_at = utcnow()
        await session.flush()
        if was_disabled:
            log_change(session, endpoint, EndpointAction.ENABLED, actor)
        return endpoint

    async def reseal(self, session: AsyncSession, box: SecretBox) -> int:
        """Every signing secret, current and previous, encrypted again with the first key."""
        count = 0
        for endpoint in await WebhookRepository(session).all_endpoints_for_update():
            endpoint.secret_enc = box.rotate(endpoint.secret_enc)
            endpoint.old_secrets = [
                {**old, "secret_enc": box.rotate(old["secret_enc"])}
                for old in endpoint.old_secrets or []
            ]
            count += 1 + len(endpoint.old_secrets)
        await session.flush()
        return count

    async def publish(
        self,
        session: AsyncSession,
        event_type: str,
        data: dict[str, Any],
        *,
        occurred_at: datetime,
        invoice_id: uuid.UUID | None = None,
        supplier_siret: str | None = None,
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
            supplier_siret=supplier_siret,
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
