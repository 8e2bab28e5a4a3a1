"""Fixtures: a fresh simulator per test, on a fixed base clock so dates are predictable."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.simulator import FixedClock, SimulatorSettings, create_app

from .helpers import START, Harness


@pytest.fixture
def sim_settings() -> SimulatorSettings:
    return SimulatorSettings(step_seconds=5.0, slow_seconds=0.3)


@pytest.fixture
async def sim(sim_settings: SimulatorSettings) -> AsyncIterator[Harness]:
    app = create_app(sim_settings, clock=FixedClock(START))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://simulator") as client:
        yield Harness(client, sim_settings)
