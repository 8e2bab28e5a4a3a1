"""arq jobs: thin wrappers that open units of work and delegate."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from app.kit.secretbox import SecretBox
from app.runtime import Runtime
from app.webhooks import delivery, replay
from app.webhooks.policy import DeliveryPolicy
from app.webhooks.url_guard import UrlGuard


def _guard(ctx: dict[str, Any], runtime: Runtime) -> UrlGuard:
    """The worker's guard; tests put one with a fake resolver in `ctx`."""
    guard: UrlGuard | None = ctx.get("url_guard")
    return guard or UrlGuard.from_settings(runtime.settings)


async def deliver_webhook(ctx: dict[str, Any], delivery_id: str, manual: bool = False) -> str:
    """One attempt: claim (transaction), POST (no transaction), record (transaction)."""
    runtime: Runtime = ctx["runtime"]
    policy = DeliveryPolicy.from_settings(runtime.settings)
    box = SecretBox.from_keys(runtime.settings.secrets_key)
    async with runtime.unit_of_work() as session:
        attempt = await delivery.claim_attempt(
            session, uuid.UUID(delivery_id), policy, box, manual=manual
        )
    if attempt is None:
        return "skipped"
    result = await delivery.send(runtime.webhook_http, _guard(ctx, runtime), attempt, policy)
    async with runtime.unit_of_work() as session:
        await delivery.record_attempt(session, attempt, result, policy)
    return str(result.status_code or result.error)


async def recover_webhooks(ctx: dict[str, Any], endpoint_id: str, since: str, until: str) -> int:
    """Queue a manual attempt for each failed or skipped delivery of the window."""
    runtime: Runtime = ctx["runtime"]
    return await replay.recover(
        runtime.unit_of_work,
        uuid.UUID(endpoint_id),
        datetime.fromisoformat(since),
        datetime.fromisoformat(until),
    )
