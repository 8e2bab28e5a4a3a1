"""arq jobs for invoices: thin wrappers that open units of work and call the services."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from app.directory import preflight
from app.directory.service import DirectoryPolicy
from app.invoices import submission, sync, tracking
from app.kit.time import utcnow
from app.worker.runtime import Runtime

logger = logging.getLogger(__name__)


async def submit_invoice(ctx: dict[str, Any], invoice_id: str) -> str:
    """Deposit once; may run twice or after a crash, the lease and attempt rows keep it single."""
    runtime: Runtime = ctx["runtime"]
    policy = runtime.submission_policy
    if runtime.settings.directory_preflight_enabled:
        verdict = await _preflight(runtime, uuid.UUID(invoice_id))
        if verdict in (preflight.Verdict.INVALID, preflight.Verdict.DEFERRED):
            logger.info("invoice %s: directory pre-flight -> %s", invoice_id, verdict.value)
            return verdict.value
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


async def _preflight(runtime: Runtime, invoice_id: uuid.UUID) -> preflight.Verdict:
    """Directory checks before the first deposit, the Chorus calls outside any transaction."""
    policy = DirectoryPolicy.from_settings(runtime.settings)
    async with runtime.unit_of_work() as session:
        target = await preflight.prepare(session, invoice_id, policy)
    if target is None:
        return preflight.Verdict.SKIPPED
    findings = await preflight.gather(runtime.chorus, target, policy)
    async with runtime.unit_of_work() as session:
        return await preflight.apply(session, target, findings, policy, runtime.submission_policy)


async def poll_invoice(ctx: dict[str, Any], invoice_id: str) -> str:
    """Flux phase: one flux report (and, once integrated, finding the invoice in it)."""
    runtime: Runtime = ctx["runtime"]
    async with runtime.unit_of_work() as session:
        target = await tracking.load(session, uuid.UUID(invoice_id))
    if target is None:
        return "skipped"
    result = await tracking.fetch(runtime.chorus, target)
    async with runtime.unit_of_work() as session:
        await tracking.apply(session, target, result, runtime.tracking_policy)
    return "error" if result.error else "ok"


async def sync_supplier_statuses(ctx: dict[str, Any], supplier_siret: str) -> str:
    """One status-sync cycle for a supplier; safe to run twice (lease, watermark, time guard)."""
    runtime: Runtime = ctx["runtime"]
    report = await sync_cycle(runtime, supplier_siret, utcnow())
    if report is None:
        return "skipped"
    return (
        f"seen={report.seen} changed={report.changed} history_calls={report.history_calls} "
        f"stopped={report.stopped} error={report.error}"
    )


async def sync_cycle(runtime: Runtime, supplier_siret: str, now: datetime) -> sync.Report | None:
    """`now` is the end of the window on Chorus Pro's clock (tests pass the simulator's)."""
    policy = sync.SyncPolicy.from_settings(runtime.settings)
    async with runtime.unit_of_work() as session:
        claim = await sync.claim(session, supplier_siret, now, policy)
    if claim is None:
        return None
    fetched = await sync.search(runtime.chorus, claim, policy)
    if fetched.error is None:
        async with runtime.unit_of_work() as session:
            wanted = await sync.histories_needed(session, fetched)
        await sync.fetch_histories(runtime.chorus, fetched, wanted)
    async with runtime.unit_of_work() as session:
        report = await sync.record(session, claim, fetched, now, policy)
    if report.changed or report.error:
        logger.info("supplier %s: sync %s", supplier_siret, report)
    return report
