"""Engine, declarative base and the unit of work that owns every commit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import MetaData
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

AfterCommit = Callable[[], Awaitable[None]]
Units = Callable[[], "AbstractAsyncContextManager[AsyncSession]"]
"""Opens short units of work, for code that calls Chorus Pro between two transactions."""
_AFTER_COMMIT_KEY = "after_commit"
QUEUE_INFO_KEY = "queue"
SESSIONMAKER_INFO_KEY = "sessionmaker"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: TIMESTAMP(timezone=True)}


CONNECT_TIMEOUT = 5.0  # seconds: a database that does not answer is an outage, not a wait
POOL_TIMEOUT = 10.0


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    kwargs.setdefault("connect_args", {"timeout": CONNECT_TIMEOUT})
    # An error's message never carries the statement's parameters (an invoice, its IBAN):
    # they would reach the log with it.
    kwargs.setdefault("hide_parameters", True)
    if "isolation_level" not in kwargs:
        kwargs.setdefault("pool_timeout", POOL_TIMEOUT)
    # No ping before each checkout (three round trips a transaction): a connection that
    # died with its server fails its first statement, which invalidates the whole pool at
    # once, and that one request answers 503 (kit.outages).
    return create_async_engine(url, **kwargs)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run `callback` once the session's transaction has committed (never on rollback)."""
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


@asynccontextmanager
async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession], queue: object | None = None
) -> AsyncIterator[AsyncSession]:
    """One transaction: commit on success, roll back on error, then run after-commit hooks.

    Services never commit; the request or job that opened the unit of work does, here.
    Hook failures are swallowed by the hooks themselves: they are best-effort kicks
    whose work a cron job also does.
    """
    session = sessionmaker()
    session.info[QUEUE_INFO_KEY] = queue
    session.info[SESSIONMAKER_INFO_KEY] = sessionmaker
    try:
        yield session
        if _has_work(session):
            await session.commit()
    except BaseException:
        if session.in_transaction():
            await session.rollback()
        raise
    finally:
        if session.in_transaction():
            await asyncio.shield(session.close())
        else:
            # Nothing held (committed, rolled back, or never begun): closing is bookkeeping
            # only, done here rather than through a shielded task and a greenlet, which
            # cost a request that used no transaction more than the rest of its unit.
            session.sync_session.close()
    callbacks: list[AfterCommit] = session.info.pop(_AFTER_COMMIT_KEY, [])
    for callback in callbacks:
        await callback()


def _has_work(session: AsyncSession) -> bool:
    """A transaction begun, or objects added, changed or deleted that a commit would flush."""
    return session.in_transaction() or bool(session.new or session.dirty or session.deleted)
