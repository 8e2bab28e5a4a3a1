"""API keys for tests: every route needs one, as in production."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.access.principal import Scope
from app.access.service import api_key_service
from app.kit.db import unit_of_work

UNKNOWN_KEY = "cgk_" + secrets.token_urlsafe(32)
"""Shaped like a key, known nowhere: the gateway must look it up to refuse it."""


async def grant(
    sessionmaker: async_sessionmaker[AsyncSession],
    scopes: Iterable[Scope] = (Scope.ADMIN,),
    suppliers: Iterable[str] | None = None,
    name: str = "tests",
) -> str:
    """A new API key with these scopes (and suppliers; None: all of them)."""
    async with unit_of_work(sessionmaker) as session:
        _, key = await api_key_service.create(
            session, name, list(scopes), list(suppliers) if suppliers is not None else None
        )
    return key


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@asynccontextmanager
async def app_client(
    app: FastAPI,
    scopes: Iterable[Scope] | None = (Scope.ADMIN,),
    suppliers: Iterable[str] | None = None,
    *,
    raise_app_exceptions: bool = True,
) -> AsyncIterator[httpx.AsyncClient]:
    """The app in-process with its lifespan run, and a client carrying a new key.

    `scopes=None`: a client with no key at all; the outage tests use `UNKNOWN_KEY`.
    """
    async with app.router.lifespan_context(app):
        headers = {}
        if scopes is not None:
            headers = bearer(await grant(app.state.sessionmaker, scopes, suppliers))
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://gateway", headers=headers
        ) as client:
            yield client
