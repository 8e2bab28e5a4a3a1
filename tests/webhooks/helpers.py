"""Helpers that drive deliveries without waiting for the real schedule."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kit.db import unit_of_work
from app.kit.time import utcnow
from app.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.runtime import Runtime
from app.webhooks.deps import get_url_guard
from app.webhooks.jobs import deliver_webhook
from app.webhooks.service import webhook_service
from app.webhooks.url_guard import Resolver, UrlGuard

FAST = {
    "webhook_allowed_networks": "127.0.0.0/8",
    "webhook_retry_schedule": "1,2,3",
    "webhook_timeout": 2.0,
}


def event_data(**changes: Any) -> dict[str, Any]:
    """A payload shaped like app/invoices/history.py `event_data`."""
    data: dict[str, Any] = {
        "invoice_id": str(uuid.uuid4()),
        "number": "FA-2026-00042",
        "supplier_siret": "35600000000048",
        "recipient_siret": "21330063500025",
        "status": "paid",
        "chorus_status": "MISE_EN_PAIEMENT",
        "flux_number": "CPP0010000000001",
        "chorus_invoice_id": 4242,
        "reason": None,
        "version": 6,
        "updated_at": utcnow().isoformat(),
    }
    data.update(changes)
    return data


def resolver(answers: dict[str, list[str]]) -> Resolver:
    """A fake DNS: each host answers these addresses; any other is unknown."""

    async def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError(f"fake DNS: no such host {host}")
        return answers[host]

    return resolve


def use_guard(app: FastAPI, guard: UrlGuard) -> None:
    """Registration checks URLs with this guard (a fake resolver: no DNS in tests)."""
    app.dependency_overrides[get_url_guard] = lambda: guard


async def register(api: httpx.AsyncClient, url: str, **body: Any) -> dict[str, Any]:
    response = await api.post("/v1/webhook-endpoints", json={"url": url, **body})
    assert response.status_code == 201, response.text
    return dict(response.json())


STATUS_OF = {"invoice.suspended": "action_required", "invoice.to_recycle": "action_required"}


async def publish(
    sessionmaker: async_sessionmaker[AsyncSession],
    event_type: str = "invoice.paid",
    *,
    occurred_at: datetime | None = None,
    supplier_siret: str | None = None,
    **data: Any,
) -> str:
    """Publish without the after-commit kick: the test drives each attempt itself.

    With `supplier_siret`, the message is that supplier's (only its endpoints and the
    unrestricted ones get it); without, no supplier's."""
    data.setdefault("status", STATUS_OF.get(event_type, event_type.removeprefix("invoice.")))
    if supplier_siret is not None:
        data["supplier_siret"] = supplier_siret
    payload = event_data(**data)
    async with unit_of_work(sessionmaker) as session:
        message = await webhook_service.publish(
            session,
            event_type,
            payload,
            occurred_at=occurred_at or utcnow(),
            invoice_id=uuid.UUID(payload["invoice_id"]),
            supplier_siret=supplier_siret,
        )
        return message.id


async def delivery_of(
    sessionmaker: async_sessionmaker[AsyncSession], message_id: str, endpoint_id: str
) -> WebhookDelivery:
    async with sessionmaker() as session:
        delivery = await session.scalar(
            select(WebhookDelivery).where(
                WebhookDelivery.message_id == message_id,
                WebhookDelivery.endpoint_id == uuid.UUID(endpoint_id),
            )
        )
        assert delivery is not None
        return delivery


async def endpoint_row(
    sessionmaker: async_sessionmaker[AsyncSession], endpoint_id: str
) -> WebhookEndpoint:
    async with sessionmaker() as session:
        endpoint = await session.get(WebhookEndpoint, uuid.UUID(endpoint_id))
        assert endpoint is not None
        return endpoint


async def attempts_of(
    sessionmaker: async_sessionmaker[AsyncSession], delivery_id: uuid.UUID
) -> list[WebhookAttempt]:
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.attempt_number)
        )
        return list(rows)


async def make_due(sessionmaker: async_sessionmaker[AsyncSession], delivery_id: uuid.UUID) -> None:
    """Move the next attempt to now instead of waiting for the schedule."""
    async with unit_of_work(sessionmaker) as session:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )


async def set_endpoint(
    sessionmaker: async_sessionmaker[AsyncSession], endpoint_id: str, **values: Any
) -> None:
    async with unit_of_work(sessionmaker) as session:
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == uuid.UUID(endpoint_id))
            .values(**values)
        )


async def attempt(
    runtime: Runtime, delivery_id: uuid.UUID, *, manual: bool = False, guard: UrlGuard | None = None
) -> str:
    """Run the worker's job function once, as arq would."""
    ctx: dict[str, Any] = {"runtime": runtime}
    if guard is not None:
        ctx["url_guard"] = guard
    return await deliver_webhook(ctx, str(delivery_id), manual)


def payload_of(body: bytes) -> dict[str, Any]:
    return dict(json.loads(body))


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)
