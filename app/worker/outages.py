"""Jobs during an outage of PostgreSQL or Redis: a warning at a sane rate, then carry on.

Every job's work is recorded durably before it runs (a due date, a lease, an outbox row),
so a job that meets an outage can simply stop: the tick hands the same work out again once
the server is back. Only the log must not drown: one line per dependency and half-minute.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec

from arq import Retry

from app.kit.outages import unavailable_dependency

logger = logging.getLogger(__name__)

LOG_EVERY = 30.0  # seconds between two warnings about the same dependency
RETRY_DEFER = 5.0  # seconds, for a job whose work lives only in the queue
P = ParamSpec("P")


class OutageLog:
    def __init__(self, every: float = LOG_EVERY) -> None:
        self.every = every
        self._last: dict[str, float] = {}
        self._quiet: dict[str, int] = {}

    def warn(self, dependency: str, what: str, exc: BaseException) -> None:
        now = time.monotonic()
        last = self._last.get(dependency)
        if last is not None and now - last < self.every:
            self._quiet[dependency] = self._quiet.get(dependency, 0) + 1
            return
        quiet = self._quiet.pop(dependency, 0)
        self._last[dependency] = now
        logger.warning(
            "%s unavailable during %s (%s: %s)%s; the work is retried once it is back",
            dependency,
            what,
            type(exc).__name__,
            str(exc)[:200],
            f"; {quiet} more failures not logged" if quiet else "",
        )


outage_log = OutageLog()


def survives_outages(
    job: Callable[P, Coroutine[Any, Any, Any]], *, durable: bool = True
) -> Callable[P, Coroutine[Any, Any, Any]]:
    """Wrap a job: an outage ends it quietly (`durable`: the tick gives the work back) or
    asks arq to run it again shortly (work that lives only in the queue)."""

    @functools.wraps(job)
    async def run(*args: P.args, **kwargs: P.kwargs) -> Any:
        try:
            return await job(*args, **kwargs)
        except Exception as exc:
            dependency = unavailable_dependency(exc)
            if dependency is None:
                raise
            outage_log.warn(dependency, job.__name__, exc)
            if durable:
                return f"{dependency} unavailable"
            raise Retry(defer=RETRY_DEFER) from exc

    return run
