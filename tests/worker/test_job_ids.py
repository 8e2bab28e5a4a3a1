"""A job that failed never blocks the same job id: the tick re-enqueues deliveries by id."""

from __future__ import annotations

from app.kit.queue import QUEUE_NAME
from app.runtime import Runtime
from app.webhooks.service import DELIVER_JOB
from app.worker.main import build_worker


async def test_a_failed_job_can_be_queued_again_under_its_id(runtime: Runtime) -> None:
    job_id = "webhook:not-a-delivery:1"
    await runtime.queue.redis.delete(QUEUE_NAME)  # what earlier tests queued: not this test's
    # A job that fails (its argument is not a delivery id) under a tick-style fixed id.
    assert await runtime.queue.enqueue(DELIVER_JOB, job_id, {"delivery_id": "not-a-uuid"})
    worker = build_worker(runtime.settings)
    worker.burst = True
    worker.max_burst_jobs = 1
    try:
        await worker.main()
    finally:
        await worker.close()
    assert worker.jobs_failed == 1
    assert await runtime.queue.enqueue(DELIVER_JOB, job_id, {"delivery_id": "not-a-uuid"})
    await runtime.queue.redis.delete(f"arq:job:{job_id}")
    await runtime.queue.redis.zrem(QUEUE_NAME, job_id)
