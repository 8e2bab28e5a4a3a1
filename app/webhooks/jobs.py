from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from app.webhooks import delivery
from app.worker.runtime import Runtime


async def deliver_webhook(ctx: dict[str, Any], delivery_id: str) -> str:
    runtime: Runtime = ctx["runtime"]
    lease = timedelta(seconds=runtime.settings.webhook_timeout_seconds * 2 + 5)
    async with runtime.unit_of_work() as session:
        attempt = await delivery.claim_attempt(session, uuid.UUID(delivery_id), lease)
    if attempt is None:
        return "skipped"
    result = await delivery.send(runtime.webhook_http, attempt)
    async with runtime.unit_of_work() as session:
        await delivery.record_attempt(session, attempt, result)
    return str(result.status_code or result.error)
