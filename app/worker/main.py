"""The arq worker: job functions, the periodic tick, and process start-up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from arq import cron
from arq.constants import in_progress_key_prefix
from arq.worker import Worker, func
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings, get_settings
from app.directory.jobs import refresh_directory_entry
from app.directory.service import REFRESH_JOB, directory_service
from app.kit.backoff import Backoff
from app.kit.logging import configure_logging
from app.kit.outages import unavailable_dependency
from app.kit.queue import QUEUE_NAME, JobQueue, redis_settings
from app.kit.time import utcnow
from app.outbox import service as outbox
from app.runtime import Runtime, build_runtime
from app.submission.jobs import submit_invoice
from app.submission.scheduling import SUBMIT_JOB
from app.submission.scheduling import enqueue_due as enqueue_due_submissions
from app.suppliers.service import supplier_service
from app.tracking.flux import POLL_JOB, enqueue_due_polls
from app.tracking.jobs import poll_invoice, sync_supplier_statuses
from app.tracking.sync import SYNC_JOB, enqueue_due_syncs
from app.webhooks.delivery import enqueue_due_deliveries
from app.webhooks.jobs import deliver_webhook, recover_webhooks
from app.webhooks.replay import RECOVER_JOB
from app.webhooks.service import DELIVER_JOB
from app.worker.outages import survives_outages

logger = logging.getLogger(__name__)

REDIS_RETRY_BASE = timedelta(seconds=1)
REDIS_RETRY_CAP = timedelta(seconds=30)

# Job timeouts stay short: arq marks a running job "in progress" for the longest timeout of
# all functions plus 10 s, and a job orphaned by a killed worker is only run again (under the
# same id, which the tick's enqueue then finds taken) once that marker expires.
SUBMIT_TIMEOUT = timedelta(seconds=60)
SHORT_TIMEOUT = timedelta(seconds=60)
READ_LIMIT_PER_JOB_SLOT = 20
"""The queue window read per poll, per job slot: orphaned and in-progress jobs (their scores
come early) must never fill it and hide the jobs that could run."""

Step = Callable[[AsyncSession, JobQueue, datetime, Settings], Awaitable[int]]


async def _relay_outbox(
    session: AsyncSession, queue: JobQueue, now: datetime, settings: Settings
) -> int:
    return await outbox.relay(session, queue, settings.relay_batch_size)


async def _announce_expiring_credentials(
    session: AsyncSession, queue: JobQueue, now: datetime, settings: Settings
) -> int:
    return await supplier_service.announce_expiring(session, now)


TICK_STEPS: dict[str, Step] = {
    "outbox": _relay_outbox,
    "submissions": enqueue_due_submissions,
    "polls": enqueue_due_polls,
    "syncs": enqueue_due_syncs,
    "webhooks": enqueue_due_deliveries,
    "directory": directory_service.enqueue_due_refreshes,
    "credentials": _announce_expiring_credentials,
}
"""What the tick hands to the queue, one step per stage, each in its own short transaction.

The outbox relay catches jobs whose after-commit kick was lost; due submissions cover
retries and workers that died mid-deposit; flux polls follow deposits until Chorus has
processed them; supplier syncs follow every invoice on Chorus from then on (one search
per supplier and interval); due webhook deliveries carry the retry schedule that lives in
PostgreSQL; directory entries in use are refreshed before they expire; a supplier whose
technical password expires within 30 days is announced once (webhook).
"""


async def tick(ctx: dict[str, Any]) -> dict[str, int]:
    """Everything time-driven: every stage's due work goes to the queue."""
    runtime: Runtime = ctx["runtime"]
    now = utcnow()
    counts: dict[str, int] = {}
    for name, step in TICK_STEPS.items():
        async with runtime.unit_of_work() as session:
            counts[name] = await step(session, runtime.queue, now, runtime.settings)
    if any(counts.values()):
        logger.info("tick: %s", counts)
    return counts


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    runtime = await build_runtime(settings)
    ctx["runtime"] = runtime
    try:
        async with runtime.unit_of_work() as session:
            await supplier_service.ensure_environment_supplier(session, settings)
    except Exception as exc:
        if unavailable_dependency(exc) is None:
            raise
        logger.warning("database unavailable at start-up; the API creates the supplier too")
    logger.info("worker started (chorus api %s)", settings.chorus_api_url)


async def shutdown(ctx: dict[str, Any]) -> None:
    runtime: Runtime | None = ctx.get("runtime")
    if runtime is not None:
        await runtime.close()


class GatewayWorker(Worker):
    """arq's worker, without checking one by one in Redis the jobs already running.

    arq keeps a running job in the queue until it ends, so every poll reads it again and
    checks it with a WATCH pipeline (three round trips) before it reaches the jobs that can
    start: with 100 jobs in flight and a poll every 50 ms, thousands of Redis calls a second
    that the event loop spends its time on. Jobs this process runs are skipped without a
    call, those other workers run with one pipelined EXISTS per batch; arq still checks
    (and takes) the rest itself, so nothing changes about which job runs where. A job that
    has just ended is seen again at the next poll.
    """

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        running = self.tasks
        waiting = [job_id for job_id in job_ids if job_id.decode() not in running]
        batch = max(self.max_jobs - self.job_counter, 1) * 2
        for start in range(0, len(waiting), batch):
            if self.job_counter >= self.max_jobs:
                return
            candidates = waiting[start : start + batch]
            async with self.pool.pipeline(transaction=False) as pipe:
                for job_id in candidates:
                    pipe.exists(in_progress_key_prefix + job_id.decode())
                taken = await pipe.execute()
            free = [job_id for job_id, busy in zip(candidates, taken, strict=True) if not busy]
            await super().start_jobs(free)


def build_worker(settings: Settings) -> Worker:
    if settings.redis_url is None:
        raise RuntimeError("REDIS_URL must be set (or use `chorus-gateway run`)")
    # Separate from the lease: a deposit and a look-up, the recording retries included, may
    # take longer than the lease (another run may then take over, which the lease tokens and
    # attempt rows make safe); cutting the job would lose what Chorus Pro answered.
    job_timeout = int(max(SUBMIT_TIMEOUT, settings.submit_lease).total_seconds())
    short = int(SHORT_TIMEOUT.total_seconds())
    interval = int(settings.relay_interval.total_seconds())
    return GatewayWorker(
        functions=[
            func(
                survives_outages(submit_invoice),
                name=SUBMIT_JOB,
                timeout=job_timeout,
                max_tries=20,
            ),
            func(survives_outages(poll_invoice), name=POLL_JOB, timeout=short, max_tries=5),
            func(
                survives_outages(sync_supplier_statuses), name=SYNC_JOB, timeout=short, max_tries=3
            ),
            func(survives_outages(deliver_webhook), name=DELIVER_JOB, timeout=short, max_tries=5),
            func(
                survives_outages(refresh_directory_entry),
                name=REFRESH_JOB,
                timeout=short,
                max_tries=1,
            ),
            func(
                survives_outages(recover_webhooks, durable=False),
                name=RECOVER_JOB,
                timeout=short,
                max_tries=100,
            ),
        ],
        cron_jobs=[
            cron(
                survives_outages(tick),
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
        poll_delay=settings.worker_poll_delay.total_seconds(),
        queue_read_limit=max(1000, settings.worker_max_jobs * READ_LIMIT_PER_JOB_SLOT),
        # No result is kept: nothing reads them, and a kept result would block the same job
        # id from being queued again (the tick re-enqueues deliveries under a fixed id).
        keep_result=0,
        handle_signals=True,
        # On SIGTERM: stop taking jobs, let those in flight finish (leases and look-ups
        # make any job cut short after this safe to run again), then exit.
        job_completion_wait=int(settings.worker_shutdown_grace.total_seconds()),
    )


def run(settings: Settings | None = None) -> None:
    """The worker process: it outlives Redis outages of any length, starting again itself."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    Supervisor(settings).run()


class Supervisor:
    """Runs arq workers one after the other while Redis comes and goes, until a signal."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stopping = False
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.backoff = Backoff(REDIS_RETRY_BASE, REDIS_RETRY_CAP)

    def run(self) -> None:
        failures = 0
        try:
            while not self.stopping:
                worker = build_worker(self.settings)
                worker.on_stop = self._stop
                try:
                    worker.run()
                except Exception as exc:
                    if unavailable_dependency(exc) != "redis":
                        raise
                    self._release(worker)
                    failures += 1
                    delay = self.backoff.after(failures)
                    logger.warning(
                        "Redis unavailable (%s); the worker starts again in %.0f s",
                        type(exc).__name__,
                        delay.total_seconds(),
                    )
                    self._wait(delay)
                else:
                    if failures:
                        logger.info("worker stopped after %d Redis outages", failures)
                    return
        finally:
            self.loop.close()

    def _stop(self, _: signal.Signals) -> None:
        self.stopping = True

    def _release(self, worker: Worker) -> None:
        """What a worker that died with Redis still holds: its runtime, its pool."""
        runtime: Runtime | None = worker.ctx.pop("runtime", None)
        with contextlib.suppress(Exception):
            if runtime is not None:
                self.loop.run_until_complete(runtime.close())
        with contextlib.suppress(Exception):
            if worker._pool is not None:
                self.loop.run_until_complete(worker._pool.aclose())

    def _wait(self, delay: timedelta) -> None:
        """Sleep, but let SIGTERM / SIGINT end the process at once."""
        sleeper = self.loop.create_task(asyncio.sleep(delay.total_seconds()))

        def interrupt() -> None:
            self.stopping = True
            sleeper.cancel()

        for sig in (signal.SIGINT, signal.SIGTERM):
            self.loop.add_signal_handler(sig, interrupt)
        with contextlib.suppress(asyncio.CancelledError):
            self.loop.run_until_complete(sleeper)
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.loop.remove_signal_handler(sig)
