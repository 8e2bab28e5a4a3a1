"""The base of every repository: bound to a session, typed by the table it reads first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Generic, Self, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from app.kit.db import Base

ModelT = TypeVar("ModelT", bound=Base)


class Repository(Generic[ModelT]):
    """All SQL lives in repositories; they never commit (the unit of work does)."""

    model: type[ModelT]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @classmethod
    def from_session(cls, session: AsyncSession) -> Self:
        return cls(session)

    async def get(self, key: Any) -> ModelT | None:
        return await self.session.get(self.model, key)

    async def get_for_update(self, key: Any) -> ModelT | None:
        """The row, locked until the transaction ends."""
        return await self.session.get(self.model, key, with_for_update=True)

    def add(self, row: Base) -> None:
        self.session.add(row)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads only.

        Inside the session's transaction when it has begun one (its writes are seen);
        otherwise a pooled connection in autocommit, handed back at the end: no BEGIN and
        COMMIT round trips, and no transaction left open on the session for the rest of
        the request (a route may call Chorus Pro after its reads).
        """
        engine = self.session.bind
        if self.session.in_transaction() or not isinstance(engine, AsyncEngine):
            yield await self.session.connection()
            return
        async with engine.connect() as own:
            yield await own.execution_options(isolation_level="AUTOCOMMIT")
