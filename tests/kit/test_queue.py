"""The queue's one-round-trip enqueue keeps arq's rules: one job per id, deferral, format."""

from __future__ import annotations

from datetime import timedelta

from arq.jobs import Job, JobStatus

from app.kit.queue import QUEUE_NAME
from app.runtime import Runtime


async def test_one_job_per_id_deferred_and_readable_by_arq(runtime: Runtime) -> None:
    redis = runtime.queue.redis
    job_id = "kit-queue-test-1"
    try:
        assert await runtime.queue.enqueue("some_job", job_id, {"x": 1}, timedelta(seconds=30))
        assert not await runtime.queue.enqueue("some_job", job_id, {"x": 2})
        job = Job(job_id, redis, _queue_name=QUEUE_NAME)
        assert await job.status() == JobStatus.deferred
        info = await job.info()
        assert info is not None and info.function == "some_job" and info.kwargs == {"x": 1}
        score = await redis.zscore(QUEUE_NAME, job_id)
        assert score is not None and score >= info.enqueue_time.timestamp() * 1000 + 29_000
    finally:
        await redis.delete(f"arq:job:{job_id}")
        await redis.zrem(QUEUE_NAME, job_id)
