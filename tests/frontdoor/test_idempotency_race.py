"""One Idempotency-Key and one body sent 50 times at once: one invoice, and 50 right answers."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Invoice
from tests.factories import invoice_body as invoice

CONCURRENT = 50


async def test_fifty_identical_posts_at_once_all_answer_the_invoice(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    for round_ in range(4):
        body = invoice(number=f"RACE-{round_}")
        headers = {"Idempotency-Key": f"race-{round_}"}
        responses = await asyncio.gather(
            *(client.post("/v1/invoices", json=body, headers=headers) for _ in range(CONCURRENT))
        )
        statuses = [r.status_code for r in responses]
        assert statuses == [202] * CONCURRENT, [r.text for r in responses if r.status_code != 202]
        ids = {r.json()["id"] for r in responses}
        assert len(ids) == 1
        replayed = [r.headers.get("Idempotent-Replayed") for r in responses]
        assert replayed.count(None) == 1
        assert replayed.count("true") == CONCURRENT - 1
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Invoice)) == 4
