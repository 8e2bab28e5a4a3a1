"""Per-key rate limits, counted in Redis so that every API process shares one count."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from app.access.principal import Principal
from app.kit.errors import AppError

logger = logging.getLogger(__name__)


class RateLimited(AppError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests for this API key"

    def __init__(self, retry_after: timedelta) -> None:
        seconds = max(1, int(retry_after.total_seconds() + 0.999))
        super().__init__(f"try again in {seconds} s")
        self.headers = {"Retry-After": str(seconds)}


class RateLimiter:
    def __init__(self, redis_url: str, limit: str) -> None:
        self._item: RateLimitItem = parse(limit)
        storage = RedisStorage(
            redis_url.replace("redis://", "async+redis://", 1),
            implementation="redispy",
            key_prefix="chorus-gateway:limits",
        )
        # Two counters per key and window: as fair as a moving window, at the cost of a fixed one.
        self._limiter = SlidingWindowCounterRateLimiter(storage)

    async def hit(self, principal: Principal) -> None:
        """Count one request of the key; raise RateLimited past its limit.

        Redis away: the request goes through (a limit protects, it must not take the API
        down with Redis), and one warning says so.
        """
        key = str(principal.key_id)
        try:
            if await self._limiter.hit(self._item, key):
                return
            stats = await self._limiter.get_window_stats(self._item, key)
        except Exception as exc:
            logger.warning("rate limit not checked: %s", type(exc).__name__)
            return
        raise RateLimited(timedelta(seconds=max(stats.reset_time - time.time(), 1.0)))
