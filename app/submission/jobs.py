"""The submission job: thin, it opens units of work and calls the stage's steps."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from app.directory.service import DirectoryPolicy
from app.runtime import Runtime
from app.submission import deposit
from app.submission.attempts import Mode
from app.submission.policy import SubmissionPolicy
from app.submission.preflight import PreflightOutcome, check

logger = logging.getLogger(__name__)


async def submit_invoice(ctx: dict[str, Any], invoice_id: str) -> str:
    """Deposit once; may run twice or after a crash, the lease and attempt rows keep it single."""
    runtime: Runtime = ctx["runtime"]
    policy = SubmissionPolicy.from_settings(runtime.settings)
    key = uuid.UUID(invoice_id)
    if runtime.settings.directory_preflight_enabled:
        directory = DirectoryPolicy.from_settings(runtime.settings)
        verdict = await check(runtime.unit_of_work, runtime.chorus, key, directory, policy)
        if verdict in (PreflightOutcome.INVALID, PreflightOutcome.DEFERRED):
            logger.info("invoice %s: directory pre-flight -> %s", invoice_id, verdict.value)
            return verdict.value
    outcome = "skipped"
    for _ in range(2):  # a second pass only when a lost deposit proved absent
        async with runtime.unit_of_work() as session:
            claim = await deposit.claim(session, key, policy)
        if claim is None:
            return outcome
        if claim.mode is Mode.DEPOSIT:
            result = await deposit.deposit(runtime.chorus, claim)
        else:
            result = await deposit.look_up(runtime.chorus, claim)
        async with runtime.unit_of_work() as session:
            deposit_again = await deposit.record(session, claim, result, policy)
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
