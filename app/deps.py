"""Annotated dependencies: the request's unit of work, the settings, the Chorus clients.

All of them are `async def`: FastAPI runs a plain `def` dependency in a worker thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.db import Units, unit_of_work
from app.suppliers.clients import ChorusClients


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Commit before the response is sent (scope="function"), so a 2xx means committed."""
    async with unit_of_work(request.app.state.sessionmaker, request.app.state.queue) as session:
        yield session


async def get_settings_of_app(request: Request) -> Settings:
    """The settings the app was built with (async: a sync dependency costs a thread hop)."""
    settings: Settings = request.app.state.settings
    return settings


async def get_chorus_clients(request: Request) -> ChorusClients:
    """The process's Chorus Pro clients, one per supplier, built in the lifespan."""
    clients: ChorusClients = request.app.state.chorus_clients
    return clients


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_of_app)]
ChorusClientsDep = Annotated[ChorusClients, Depends(get_chorus_clients)]


async def get_units(request: Request) -> Units:
    """Short units of work of their own, for requests that call Chorus Pro between two
    transactions: a Chorus call must never run inside one."""
    sessionmaker, queue = request.app.state.sessionmaker, request.app.state.queue
    return lambda: unit_of_work(sessionmaker, queue)


UnitsDep = Annotated[Units, Depends(get_units)]
