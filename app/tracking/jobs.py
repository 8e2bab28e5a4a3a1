"""Tracking jobs: thin wrappers that open units of work and call the stage's steps."""

from __future__ import annotations

import contextlib
import logging
import uuid
from datetime import datetime
from typing import Any

from app.kit.time import utcnow
from app.runtime import Runtime
from app.suppliers.clients import SupplierNotConfigured
from app.tracking import flux, sync
from app.tracking.policy import SyncPolicy, TrackingPolicy

logger = logging.getLogger(__name__)


async def poll_invoice(ctx: dict[str, Any], invoice_id: str) -> str:
    """Flux phase: one flux report (and, once integrated, finding the invoice in it)."""
    runtime: Runtime = ctx["runtime"]
    async with runtime.unit_of_work() as session:
        target = await flux.load(session, uuid.UUID(invoice_id))
    if target is None:
        return "skipped"
    try:
        chorus = await runtime.chorus_clients.for_supplier(target.supplier_siret)
    except SupplierNotConfigured as exc:
        result = flux.PollResult(error=str(exc))  # polled again later, like an outage
    else:
        result = await flux.fetch(chorus, target)
    async with runtime.unit_of_work() as session:
        await flux.apply(session, target, result, TrackingPolicy.from_settings(runtime.settings))
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
    policy = SyncPolicy.from_settings(runtime.settings)
    async with runtime.unit_of_work() as session:
        claim = await sync.claim(session, supplier_siret, now, policy)
    if claim is None:
        return None
    try:
        try:
            chorus = await runtime.chorus_clients.for_supplier(supplier_siret)
        except SupplierNotConfigured as exc:
            fetched = sync.Fetched(structure_id=claim.structure_id, error=str(exc))
        else:
            fetched = await sync.search(chorus, claim, policy)
            if fetched.error is None:
                async with runtime.unit_of_work() as session:
                    wanted = await sync.histories_needed(session, fetched)
                await sync.fetch_histories(chorus, fetched, wanted)
        async with runtime.unit_of_work() as session:
            report = await sync.record(session, claim, fetched, now, policy)
    except Exception:
        # A database failure mid-cycle: give the cursor back now, not when the lease ends.
        with contextlib.suppress(Exception):
            async with runtime.unit_of_work() as session:
                await sync.release(session, claim, policy)
        raise
    if report.changed or report.error:
        logger.info("supplier %s: sync %s", supplier_siret, report)
    return report
