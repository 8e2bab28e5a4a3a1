"""Webhook fixtures: a real receiver and a worker runtime on the real database and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from app.runtime import Runtime
from tests.conftest import worker_runtime
from tests.support.keys import app_client
from tests.support.receiver import Receiver
from tests.webhooks.helpers import FAST


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def hooks(receiver: Receiver) -> Receiver:
    receiver.reset()
    return receiver


@pytest.fixture
def wh_settings(database_url: str, redis_url: str) -> Settings:
    return Settings(database_url=database_url, redis_url=redis_url, **FAST)


@pytest.fixture
async def runtime(wh_settings: Settings, clean_db: None) -> AsyncIterator[Runtime]:
    runtime = await worker_runtime(wh_settings)
    await runtime.queue.redis.flushdb()  # Redis DB of this test run only
    yield runtime
    await runtime.close()


@pytest.fixture
def gateway(wh_settings: Settings) -> FastAPI:
    """The API on the same settings as the worker runtime."""
    return create_app(wh_settings)


@pytest.fixture
async def api(gateway: FastAPI, runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(gateway) as client:
        yield client
