"""The worker's poll: jobs already running are not checked one by one in Redis."""

from __future__ import annotations

import asyncio

import pytest
from arq.constants import in_progress_key_prefix
from arq.worker import Worker

from app.runtime import Runtime
from app.worker.main import build_worker


async def test_only_jobs_running_nowhere_reach_arq_s_own_checks(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    passed: list[list[bytes]] = []

    async def record(self: Worker, job_ids: list[bytes]) -> None:
        passed.append(list(job_ids))

    monkeypatch.setattr(Worker, "start_jobs", record)
    worker = build_worker(runtime.settings)
    worker._pool = runtime.queue.redis
    redis = runtime.queue.redis
    here = asyncio.get_running_loop().create_future()
    try:
        worker.tasks["poll:here"] = here  # type: ignore[assignment]
        await redis.set(in_progress_key_prefix + "poll:elsewhere", b"1", px=60_000)
        await worker.start_jobs([b"poll:here", b"poll:elsewhere", b"poll:free", b"poll:free-2"])
        assert passed == [[b"poll:free", b"poll:free-2"]]
    finally:
        here.cancel()
        worker.tasks.clear()
        await redis.delete(in_progress_key_prefix + "poll:elsewhere")
        worker._pool = None
        await worker.close()
