"""arq jobs for invoices: thin wrappers that open units of work and call the services."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from app.invoices import submission, tracking
from app.worker.runtime import Runtime

logger = logging.getLogger(__name__)


async def submit_invoice(ctx: dict[str, Any], invoice_id: str) -> str:
    """Deposit once; may run twice or after a crash, the lease and attempt rows keep it single."""
    runtime: Runtime = ctx["runtime"]
    policy = runtime.submission_policy
    outcome = "skipped"
    for _ in range(2):  # a second pass only when a lost deposit proved absent
        async with runtime.unit_of_work() as session:
            claim = await submission.claim(session, uuid.UUID(invoice_id), policy)
        if claim is None:
            return outcome
        if claim.mode is submission.Mode.DEPOSIT:
            result = await submission.deposit(runtime.chorus, claim)
        else:
            result = await submission.look_up(runtime.chorus, claim)
        async with runtime.unit_of_work() as session:
            deposit_again = await submission.record(session, claim, result, policy)
        outcome = result.outcome.value
        logger.info(
            "invoice %s: %s attempt %d -> %s",
            invoice_id,
            claim.mode.value,
            claim.attempt_number,
            outcome,
        )
        if not deposit_again:
            break
    return outcome


async def poll_invoice(ctx: dict[str, Any], invoice_id: str) -> str:
    runtime: Runtime = ctx["runtime"]
    async with runtime.unit_of_work() as session:
        target = await tracking.load(session, uuid.UUID(invoice_id))
    if target is None:
        return "skipped"
    result = await tracking.fetch(runtime.chorus, target)
    async with runtime.unit_of_work() as session:
        await tracking.apply(session, target, result, runtime.tracking_policy)
    return "error" if result.error else "ok"
