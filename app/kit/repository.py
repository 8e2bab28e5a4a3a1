"""The base of every repository: bound to a session, typed by the table it reads first."""

from __future__ import annotations

from typing import Any, Generic, Self, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

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
