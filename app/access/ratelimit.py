"""Per-key rate limits, counted in Redis so that every API process shares one count.

A sliding window counter (the current and the previous fixed window, the previous one
weighted by how much of it the sliding window still covers), checked and counted by one
small Lua script: one round trip per request, on Redis's own clock so that API processes
whose clocks differ still share one count.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from limits import RateLimitItem, parse
from redis.asyncio import Redis

from app.access.principal import Principal
from app.kit.errors import AppError

logger = logging.getLogger(__name__)

KEY_PREFIX = "chorus-gateway:rate"
REDIS_TIMEOUT = timedelta(milliseconds=500)
"""A rate limit must not make a request wait on a Redis that hangs: past this, it passes."""

# KEYS[1]: the key's prefix; ARGV: window seconds, limit. Returns 0 when counted, else the
# milliseconds until the weighted count is back under the limit.
_HIT = """
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local index = math.floor(now / window)
local elapsed = now - index * window
local current_key = KEYS[1] .. ':' .. index
local previous = tonumber(redis.call('GET', KEYS[1] .. ':' .. (index - 1)) or '0')
local current = tonumber(redis.call('GET', current_key) or '0')
local weighted = previous * (window - elapsed) / window + current
if weighted + 1 <= limit then
  redis.call('INCR', current_key)
  redis.call('EXPIRE', current_key, 2 * window)
  return 0
end
local wait
if current + 1 > limit then
  wait = (window - elapsed) + window * (1 - (limit - 1) / current)
else
  wait = (weighted + 1 - limit) * window / previous
end
return math.max(1, math.ceil(wait * 1000))
"""


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
        item: RateLimitItem = parse(limit)  # the `limits` notation: `N/second|minute|hour`
        self._amount = item.amount
        self._window_seconds = item.get_expiry()
        timeout = REDIS_TIMEOUT.total_seconds()
        self._redis: Redis = Redis.from_url(
            redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._hit = self._redis.register_script(_HIT)

    async def hit(self, principal: Principal) -> None:
        """Count one request of the key; raise RateLimited past its limit.

        Redis away: the request goes through (a limit protects, it must not take the API
        down with Redis), and a warning says so.
        """
        key = f"{KEY_PREFIX}:{principal.key_id}"
        try:
            wait_ms = int(await self._hit(keys=[key], args=[self._window_seconds, self._amount]))
        except Exception as exc:
            logger.warning("rate limit not checked: %s", type(exc).__name__)
            return
        if wait_ms > 0:
            raise RateLimited(timedelta(milliseconds=wait_ms))

    async def aclose(self) -> None:
        await self._redis.aclose()
