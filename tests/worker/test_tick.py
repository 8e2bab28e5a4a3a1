"""The tick hands every stage's due work to the queue, one step per stage."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update

from app.kit.time import utcnow
from app.models import Invoice
from app.runtime import Runtime
from app.worker.main import TICK_STEPS, tick
from tests.factories import invoice_body, post_invoice


async def test_every_stage_has_its_step() -> None:
    assert list(TICK_STEPS) == [
        "outbox",
        "submissions",
        "polls",
        "syncs",
        "webhooks",
        "directory",
        "credentials",
    ]


async def test_a_due_submission_is_queued_once_and_leased(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    answer = await post_invoice(client, invoice_body(number="TICK-1"), "tick-1")
    assert answer.status_code == 202
    async with runtime.unit_of_work() as session:  # as if its first job had been lost
        await session.execute(
            update(Invoice).values(next_submit_at=utcnow() - timedelta(seconds=1))
        )
    counts = await tick({"runtime": runtime})
    assert set(counts) == set(TICK_STEPS)
    assert counts["submissions"] == 1
    assert (await tick({"runtime": runtime}))["submissions"] == 0  # leased: not taken twice
