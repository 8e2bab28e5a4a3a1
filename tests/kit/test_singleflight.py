"""Concurrent callers of one key share one call, its result and its failure."""

from __future__ import annotations

import asyncio

import pytest

from app.kit.singleflight import SingleFlight


async def test_concurrent_callers_share_one_call_then_a_new_one_runs() -> None:
    flight: SingleFlight[int] = SingleFlight()
    calls = 0

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return calls

    assert await asyncio.gather(*(flight.run("siret", fetch) for _ in range(20))) == [1] * 20
    assert await flight.run("other", fetch) == 2  # another key: its own call
    assert await flight.run("siret", fetch) == 3  # done: the next caller asks again


async def test_a_failure_reaches_every_waiter_and_is_not_remembered() -> None:
    flight: SingleFlight[int] = SingleFlight()

    async def broken() -> int:
        await asyncio.sleep(0.01)
        raise ConnectionError("down")

    results = await asyncio.gather(
        *(flight.run("k", broken) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, ConnectionError) for r in results)

    async def works() -> int:
        return 7

    assert await flight.run("k", works) == 7


async def test_a_cancelled_waiter_does_not_cancel_the_shared_call() -> None:
    flight: SingleFlight[str] = SingleFlight()

    async def slow() -> str:
        await asyncio.sleep(0.05)
        return "done"

    first = asyncio.create_task(flight.run("k", slow))
    second = asyncio.create_task(flight.run("k", slow))
    await asyncio.sleep(0.01)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await second == "done"
