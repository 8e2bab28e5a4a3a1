"""What jobs share in one worker process: database, queue and HTTP clients, built once."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.chorus.aiohttp_transport import AiohttpTransport
from app.config import Settings
from app.kit.db import create_engine, create_sessionmaker, unit_of_work
from app.kit.queue import JobQueue, connect_queue
from app.suppliers.clients import ChorusClients

CONNECT_TIMEOUT_CHORUS = 10.0
CONNECT_TIMEOUT_WEBHOOK = 5.0


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    queue: JobQueue
    chorus_http: httpx.AsyncClient
    webhook_http: httpx.AsyncClient
    chorus_clients: ChorusClients

    def unit_of_work(self) -> AbstractAsyncContextManager[AsyncSession]:
        return unit_of_work(self.sessionmaker, self.queue)

    async def close(self) -> None:
        await self.chorus_http.aclose()
        await self.webhook_http.aclose()
        await self.queue.close()
        await self.engine.dispose()


def chorus_http_client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.chorus_timeout.total_seconds(), connect=CONNECT_TIMEOUT_CHORUS
        ),
        transport=AiohttpTransport(
            httpx.Limits(
                max_connections=settings.chorus_max_connections,
                max_keepalive_connections=settings.chorus_max_connections,
            )
        ),
    )


async def build_runtime(settings: Settings, queue: JobQueue | None = None) -> Runtime:
    if settings.database_url is None or settings.redis_url is None:
        raise RuntimeError("DATABASE_URL and REDIS_URL must be set (or use `chorus-gateway run`)")
    engine = create_engine(
        settings.database_url, pool_size=settings.worker_database_pool_size, max_overflow=0
    )
    chorus_http = chorus_http_client(settings)
    webhook_http = httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.webhook_timeout.total_seconds(), connect=CONNECT_TIMEOUT_WEBHOOK
        ),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
    )
    sessionmaker = create_sessionmaker(engine)
    queue = queue or await connect_queue(settings.redis_url)
    return Runtime(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        queue=queue,
        chorus_http=chorus_http,
        webhook_http=webhook_http,
        chorus_clients=ChorusClients(
            chorus_http, settings, lambda: unit_of_work(sessionmaker, queue)
        ),
    )
