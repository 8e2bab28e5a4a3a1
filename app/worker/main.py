"""The arq worker: job functions, the periodic tick, and process start-up."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from arq import cron
from arq.worker import Worker, func

from app.config import Settings, get_settings
from app.directory.jobs import refresh_directory_entry
from app.directory.service import REFRESH_JOB, DirectoryPolicy, directory_service
from app.invoices import sync
from app.invoices.jobs import poll_invoice, submit_invoice, sync_supplier_statuses
from app.invoices.repository import InvoiceRepository
from app.invoices.service import SUBMIT_JOB
from app.invoices.tracking import POLL_JOB, schedule_due
from app.kit.logging import configure_logging
from app.kit.queue import QUEUE_NAME, redis_settings
from app.kit.time import utcnow
from app.outbox import service as outbox
from app.webhooks import delivery
from app.webhooks.jobs import deliver_webhook, recover_webhooks
from app.webhooks.replay import RECOVER_JOB
from app.webhooks.service import DELIVER_JOB
from app.worker.runtime import Runtime, build_runtime

logger = logging.getLogger(__name__)


async def tick(ctx: dict[str, Any]) -> dict[str, int]:
    """Everything time-driven, each step in its own short transaction.

    The outbox relay catches jobs whose after-commit kick was lost; due submissions cover
    retries and workers that died mid-deposit; flux polls follow deposits until Chorus has
    processed them; supplier syncs follow every invoice on Chorus from then on (one search
    per supplier and interval); due webhook deliveries carry the retry schedule that lives
    in PostgreSQL; directory entries in use are refreshed before they expire.
    """
    runtime: Runtime = ctx["runtime"]
    settings = runtime.settings
    now = utcnow()
    counts: dict[str, int] = {}
    async with runtime.unit_of_work() as session:
        counts["outbox"] = await outbox.relay(session, runtime.queue, settings.relay_batch_size)
    async with runtime.unit_of_work() as session:
        due = await InvoiceRepository(session).claim_due_submissions(now, settings.relay_batch_size)
        for invoice in due:
            await runtime.queue.enqueue(
                SUBMIT_JOB,
                f"submit:{invoice.id}:{invoice.submit_attempts}:{int(now.timestamp())}",
                {"invoice_id": str(invoice.id)},
            )
            invoice.next_submit_at = now + timedelta(seconds=settings.submit_lease_seconds)
        counts["submissions"] = len(due)
    async with runtime.unit_of_work() as session:
        lease = timedelta(seconds=max(settings.flux_poll_interval_seconds, 30.0))
        ids = await schedule_due(session, now, settings.poll_batch_size, lease)
        for invoice_id in ids:
            await runtime.queue.enqueue(
                POLL_JOB, f"poll:{invoice_id}:{int(now.timestamp())}", {"invoice_id": invoice_id}
            )
        counts["polls"] = len(ids)
    async with runtime.unit_of_work() as session:
        sync_lease = sync.SyncPolicy.from_settings(settings).lease
        suppliers = await sync.schedule_due(session, now, settings.poll_batch_size, sync_lease)
        for siret in suppliers:
            await runtime.queue.enqueue(
                sync.SYNC_JOB,
                f"sync:{siret}:{int(now.timestamp())}",
                {"supplier_siret": siret},
            )
        counts["syncs"] = len(suppliers)
    async with runtime.unit_of_work() as session:
        counts["webhooks"] = await delivery.enqueue_due(
            session, runtime.queue, now, settings.relay_batch_size
        )
    async with runtime.unit_of_work() as session:
        counts["directory"] = await directory_service.enqueue_due_refreshes(
            session, runtime.queue, now, DirectoryPolicy.from_settings(settings)
        )
    if any(counts.values()):
        logger.info("tick: %s", counts)
    return counts


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    ctx["runtime"] = await build_runtime(settings)
    logger.info("worker started (chorus api %s)", settings.chorus_api_url)


async def shutdown(ctx: dict[str, Any]) -> None:
    runtime: Runtime | None = ctx.get("runtime")
    if runtime is not None:
        await runtime.close()


def build_worker(settings: Settings) -> Worker:
    if settings.redis_url is None:
        raise RuntimeError("REDIS_URL must be set (or use `chorus-gateway run`)")
    job_timeout = int(settings.submit_lease_seconds)
    interval = settings.relay_interval_seconds
    return Worker(
        functions=[
            func(submit_invoice, name=SUBMIT_JOB, timeout=job_timeout, max_tries=20),
            func(poll_invoice, name=POLL_JOB, timeout=120, max_tries=5),
            func(sync_supplier_statuses, name=sync.SYNC_JOB, timeout=600, max_tries=3),
            func(deliver_webhook, name=DELIVER_JOB, timeout=60, max_tries=5),
            func(refresh_directory_entry, name=REFRESH_JOB, timeout=300, max_tries=1),
            func(recover_webhooks, name=RECOVER_JOB, timeout=600, max_tries=3),
        ],
        cron_jobs=[
            cron(
                tick,
                name="tick",
                second=set(range(0, 60, interval)),
                unique=True,
                run_at_startup=True,
                timeout=60,
                max_tries=1,
            )
        ],
        queue_name=QUEUE_NAME,
        redis_settings=redis_settings(settings.redis_url),
        on_startup=startup,
        on_shutdown=shutdown,
        ctx={"settings": settings},
        max_jobs=settings.worker_max_jobs,
        poll_delay=settings.worker_poll_delay_seconds,
        queue_read_limit=max(100, settings.worker_max_jobs * 5),
        keep_result=3600,
        handle_signals=True,
    )


def run(settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    build_worker(settings).run()
