"""What the chaos run found: job ids, queue window, timeouts, locks and leases under faults."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
import httpx
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError

from app.kit.outages import unavailable_dependency
from app.kit.queue import QUEUE_NAME
from app.kit.time import utcnow
from app.models import Invoice
from app.models.sync import StatusSyncCursor
from app.models.webhook import WebhookEndpoint
from app.runtime import Runtime
from app.submission.scheduling import SUBMIT_JOB
from app.tracking import sync
from app.tracking.policy import SyncPolicy
from app.tracking.repository import TrackingRepository
from app.webhooks.repository import WebhookRepository
from app.worker.main import build_worker, tick
from tests.factories import invoice_body, post_invoice


async def test_orphaned_jobs_run_again_soon_and_never_fill_the_read_window(
    runtime: Runtime,
) -> None:
    settings = runtime.settings.model_copy(update={"submit_lease": timedelta(seconds=8)})
    worker = build_worker(settings)
    try:
        # arq holds a killed worker's job "in progress" for the longest timeout + 10 s.
        assert worker.in_progress_timeout_s <= 70
        assert worker.queue_read_limit >= settings.worker_max_jobs * 4 * 5
        submit = worker.functions[SUBMIT_JOB]
        # A deposit, a look-up and the recording retries must fit: not cut at the lease.
        assert submit.timeout_s is not None and submit.timeout_s > 8
    finally:
        await worker.close()


async def test_a_due_submission_keeps_one_job_whatever_the_number_of_sweeps(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    await runtime.queue.redis.delete(QUEUE_NAME)
    answer = await post_invoice(client, invoice_body(number="ONE-JOB-1"), "one-job-1")
    assert answer.status_code == 202
    invoice_id = answer.json()["id"]
    for _ in range(3):  # the lease expires while the job still waits in the queue, thrice
        async with runtime.unit_of_work() as session:
            await session.execute(
                update(Invoice).values(next_submit_at=utcnow() - timedelta(seconds=1))
            )
        assert (await tick({"runtime": runtime}))["submissions"] == 1
    queued = [m.decode() for m in await runtime.queue.redis.zrange(QUEUE_NAME, 0, -1)]
    sweeps = [m for m in queued if m.startswith(f"submit:{invoice_id}") and "first" not in m]
    assert sweeps == [f"submit:{invoice_id}"]
    await runtime.queue.redis.delete(QUEUE_NAME)


def test_a_deadlock_is_a_retry_not_a_bug() -> None:
    for cause in (
        asyncpg.exceptions.DeadlockDetectedError("deadlock detected"),
        asyncpg.exceptions.SerializationError("could not serialize access"),
    ):
        error = DBAPIError("INSERT ...", {}, cause)
        assert unavailable_dependency(error) == "database"
    other = DBAPIError("INSERT ...", {}, asyncpg.exceptions.UniqueViolationError("dup"))
    assert unavailable_dependency(other) is None


async def test_locking_an_endpoint_lets_new_deliveries_reference_it(runtime: Runtime) -> None:
    endpoint_id = uuid.uuid4()
    async with runtime.unit_of_work() as session:
        session.add(WebhookEndpoint(id=endpoint_id, url="https://example.test/h", secret_enc="x"))
    async with runtime.unit_of_work() as holder:
        assert await WebhookRepository(holder).lock_endpoint(endpoint_id) is not None
        async with runtime.unit_of_work() as other:
            # What a delivery's foreign key takes on insert: it must not wait for the holder.
            await other.execute(text("SET LOCAL lock_timeout = '1s'"))
            locked = await other.execute(
                text("SELECT id FROM webhook_endpoints WHERE id = :id FOR KEY SHARE"),
                {"id": endpoint_id},
            )
            assert locked.scalar_one() == endpoint_id


async def test_a_failed_cycle_gives_its_sync_lease_back(runtime: Runtime) -> None:
    policy = SyncPolicy.from_settings(runtime.settings)
    now = utcnow()
    async with runtime.unit_of_work() as session:
        cursor = await TrackingRepository(session).ensure_cursor("12345678900011", now, now)
        cursor.lease_token = uuid.uuid4()
        cursor.lease_expires_at = now + policy.lease
        claim = sync.SyncClaim("12345678900011", cursor.lease_token, now, now, now, None, False)
    async with runtime.unit_of_work() as session:
        assert await sync.release(session, claim, policy)
    async with runtime.unit_of_work() as session:
        row = await session.get(StatusSyncCursor, "12345678900011")
        assert row is not None and row.lease_token is None and row.lease_expires_at is None
        assert row.next_sync_at is not None and row.next_sync_at - now < policy.lease
        assert row.failures == 1
    async with runtime.unit_of_work() as session:  # another cycle's lease is not given back
        assert not await sync.release(session, claim, policy)
