"""The submission job: thin, it opens units of work and calls the stage's steps."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from typing import Any

from app.directory.service import DirectoryPolicy
from app.kit.backoff import Backoff
from app.kit.outages import unavailable_dependency
from app.kit.time import utcnow
from app.runtime import Runtime
from app.submission import deposit
from app.submission.attempts import AttemptOutcome, DepositClaim, DepositResult, Mode
from app.submission.policy import SubmissionPolicy
from app.submission.preflight import PreflightOutcome, check_and_claim
from app.suppliers.clients import SupplierNotConfigured
from app.suppliers.service import supplier_service

logger = logging.getLogger(__name__)

RECORD_RETRY = Backoff(timedelta(milliseconds=500), timedelta(seconds=5))
RECORD_MARGIN = timedelta(seconds=5)  # stop trying a little before the lease ends


async def _record(
    runtime: Runtime, claim: DepositClaim, result: DepositResult, policy: SubmissionPolicy
) -> bool:
    """Record what Chorus Pro answered, waiting out a database outage while the lease lasts.

    The answer exists only in this process: losing it would cost a look-up, and a history
    that cannot say what Chorus Pro answered.
    """
    deadline = claim.attempt_started_at + policy.lease - RECORD_MARGIN
    failures = 0
    while True:
        try:
            async with runtime.unit_of_work() as session:
                return await deposit.record(session, claim, result, policy)
        except Exception as exc:
            if unavailable_dependency(exc) != "database" or utcnow() >= deadline:
                raise
            failures += 1
            delay = RECORD_RETRY.after(failures)
            logger.warning(
                "invoice %s: Chorus Pro answered %s but the database is unavailable; "
                "recording again in %.1f s",
                claim.invoice_id,
                result.outcome.value,
                delay.total_seconds(),
            )
            await asyncio.sleep(delay.total_seconds())


async def _call_chorus(runtime: Runtime, claim: DepositClaim) -> DepositResult:
    """Deposit or look up with the supplier's own client (its credentials)."""
    try:
        chorus = await runtime.chorus_clients.for_supplier(claim.supplier_siret)
    except SupplierNotConfigured as exc:
        # Removed, or its credentials left incomplete, since intake: nothing was sent.
        return DepositResult(AttemptOutcome.RETRY, error=str(exc))
    if claim.mode is Mode.DEPOSIT:
        return await deposit.deposit(chorus, claim)
    return await deposit.look_up(chorus, claim)


async def submit_invoice(ctx: dict[str, Any], invoice_id: str) -> str:
    """Deposit once; may run twice or after a crash, the lease and attempt rows keep it single."""
    runtime: Runtime = ctx["runtime"]
    policy = SubmissionPolicy.from_settings(runtime.settings)
    key = uuid.UUID(invoice_id)
    claim: DepositClaim | None = None
    if runtime.settings.directory_preflight_enabled:
        directory = DirectoryPolicy.from_settings(runtime.settings)
        verdict, claim = await check_and_claim(
            runtime.unit_of_work, runtime.chorus_clients, key, directory, policy
        )
        if verdict in (PreflightOutcome.INVALID, PreflightOutcome.DEFERRED):
            logger.info("invoice %s: directory pre-flight -> %s", invoice_id, verdict.value)
            return verdict.value
    outcome = "skipped"
    for _ in range(2):  # a second pass only when a lost deposit proved absent
        if claim is None:
            async with runtime.unit_of_work() as session:
                claim = await deposit.claim(session, key, policy)
        if claim is None:
            return outcome
        result = await _call_chorus(runtime, claim)
        deposit_again = await _record(runtime, claim, result, policy)
        if result.credentials_refused:
            async with runtime.unit_of_work() as session:
                await supplier_service.credentials_rejected(
                    session, claim.supplier_siret, result.error or "refused"
                )
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
        claim = None
    return outcome
