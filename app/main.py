"""The API application: FastAPI app factory and the lifespan that owns shared clients."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from app.access.ratelimit import RateLimiter
from app.api import api_router, describe_problems
from app.config import Settings, get_settings
from app.health import router as health_router
from app.intake.http import REQUEST_MODELS
from app.kit.db import create_engine, create_sessionmaker, unit_of_work
from app.kit.errors import install_error_handlers
from app.kit.frontdoor import FrontDoor, FrontDoorPolicy
from app.kit.logging import configure_logging
from app.kit.openapi import include_models
from app.kit.queue import connect_queue
from app.runtime import chorus_http_client
from app.suppliers.clients import ChorusClients
from app.suppliers.service import supplier_service

logger = logging.getLogger(__name__)

DESCRIPTION = """
Send invoices to Chorus Pro without touching Chorus Pro: post them as JSON, follow them
to payment, and be told at once (signed webhooks) when one is rejected or suspended.
Errors are RFC 9457 problem details that name every failing field.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.database_url is None or settings.redis_url is None:
            raise RuntimeError(
                "DATABASE_URL and REDIS_URL must be set (or use `chorus-gateway run`)"
            )
        engine = create_engine(
            settings.database_url, pool_size=settings.api_database_pool_size, max_overflow=0
        )
        queue = await connect_queue(settings.redis_url)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.queue = queue
        sessionmaker = app.state.sessionmaker
        # Directory lookups and actions from ERP requests; their deadlines are the callers'.
        chorus_http = chorus_http_client(settings)
        app.state.chorus_clients = ChorusClients(
            chorus_http, settings, lambda: unit_of_work(sessionmaker, queue)
        )
        rate_limiter = RateLimiter(settings.redis_url, settings.api_key_rate_limit)
        app.state.rate_limiter = rate_limiter
        try:
            async with unit_of_work(sessionmaker) as session:
                await supplier_service.ensure_environment_supplier(session, settings)
        except Exception as exc:  # the database may be down: the API still starts (503s)
            logger.warning("could not check the environment's supplier: %s", exc)
        try:
            yield
        finally:
            await chorus_http.aclose()
            await rate_limiter.aclose()
            await queue.close()
            await engine.dispose()

    app = FastAPI(
        title="chorus-gateway",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url="/redoc" if settings.docs_enabled else None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
    )
    app.state.settings = settings
    app.add_middleware(
        FrontDoor,
        policy=FrontDoorPolicy(
            settings.max_body_bytes, settings.body_timeout, settings.api_limit_concurrency
        ),
    )
    if settings.cors_allow_origins:  # outside the front door: preflights answer first
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            expose_headers=["Location", "Idempotent-Replayed", "Retry-After"],
        )
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(api_router)
    include_models(app, REQUEST_MODELS)
    generate = app.openapi
    app.openapi = lambda: describe_problems(generate())  # type: ignore[method-assign]
    return app


def create_app_from_env() -> FastAPI:
    """uvicorn factory entry point (`app.main:create_app_from_env`)."""
    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
