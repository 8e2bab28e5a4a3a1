"""Telling "a server we depend on is down" from a bug, so that an outage is a 503 or a wait.

PostgreSQL and Redis go away (restarts, failovers, network): the API then answers 503 with
Retry-After instead of 500, and the worker waits and carries on instead of failing jobs.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Literal

import asyncpg
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

Dependency = Literal["database", "redis"]

_NETWORK = (ConnectionError, TimeoutError, socket.gaierror)
_POSTGRES_GONE = (
    asyncpg.PostgresConnectionError,  # the connection broke or never opened
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up, crashed
    asyncpg.exceptions.InterfaceError,  # "connection is closed" and the like
    # A deadlock or serialization failure: the transaction was rolled back whole, trying
    # again works (503 with Retry-After for the API, a later run for the worker).
    asyncpg.exceptions.TransactionRollbackError,
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (`orig`) and what caused it, a few levels deep."""
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < 8:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for inner in (getattr(current, "orig", None), current.__cause__, current.__context__):
            if isinstance(inner, BaseException):
                todo.append(inner)


def unavailable_dependency(exc: BaseException) -> Dependency | None:
    """Which server could not be reached, if that is what `exc` means; None for anything else."""
    for link in _chain(exc):
        if isinstance(link, RedisConnectionError | RedisTimeoutError):
            return "redis"
        if isinstance(link, (PoolTimeout, *_POSTGRES_GONE)):
            return "database"
        if isinstance(link, DBAPIError) and link.connection_invalidated:
            return "database"
    for link in _chain(exc):
        if isinstance(link, _NETWORK):
            return "database"  # a refused or timed-out connect: asyncpg raises them raw
    return None
