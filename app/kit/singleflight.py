"""One call in flight per key: concurrent callers asking the same thing share one answer.

Fifty jobs for a recipient the cache does not know yet would otherwise each fetch its
directory entry from Chorus Pro at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._calls: dict[Hashable, asyncio.Future[T]] = {}

    async def run(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> T:
        """`call()`'s result, shared with every caller of the same key while it runs.

        A failure is shared too (each caller gets the exception); the next caller after
        it tries again. Cancelling one waiter never cancels the shared call.
        """
        running = self._calls.get(key)
        if running is None:
            running = asyncio.ensure_future(call())
            self._calls[key] = running
            running.add_done_callback(lambda _: self._calls.pop(key, None))
        return await asyncio.shield(running)
