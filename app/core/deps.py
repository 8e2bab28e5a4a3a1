"""Annotated dependencies: the request's unit of work and the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings, get_settings
from app.core.db import unit_of_work


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Commit before the response is sent (scope="function"), so a 2xx means committed."""
    async with unit_of_work(request.app.state.sessionmaker, request.app.state.queue) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
