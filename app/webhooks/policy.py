"""The delivery rules that settings can tune (tests shrink them; production keeps Svix's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from app.config import Settings
from app.kit.backoff import jittered

SNIPPET_BYTES = 20_000
MAX_OLD_SECRETS = 10
RECOVER_BATCH = 100
RECOVER_CAP = 10_000
USER_AGENT = "chorus-gateway-Webhooks/0.1"


@dataclass(frozen=True)
class DeliveryPolicy:
    schedule: tuple[timedelta, ...]
    throttle_delay: timedelta
    disable_after: timedelta
    timeout: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        return cls(
            schedule=tuple(settings.webhook_retry_schedule),
            throttle_delay=settings.webhook_throttle_delay,
            disable_after=settings.webhook_disable_after,
            timeout=settings.webhook_timeout,
        )

    @property
    def max_attempts(self) -> int:
        """The first attempt, then one per scheduled delay."""
        return len(self.schedule) + 1

    @property
    def lease(self) -> timedelta:
        """How long one attempt owns a delivery; a worker that dies is retried after it."""
        return self.timeout * 2 + timedelta(seconds=10)

    def next_delay(
        self, attempts_made: int, *, throttled: bool, retry_after: timedelta | None
    ) -> timedelta:
        """Delay before the next automatic attempt, after `attempts_made` failed ones.

        Timeouts and 429 wait at least `throttle_delay`; a `Retry-After` is honoured but
        kept between one and two times the scheduled delay.
        """
        base = self.schedule[attempts_made - 1]
        if throttled:
            base = max(base, self.throttle_delay)
        if retry_after is not None:
            return min(max(retry_after, base), base * 2)
        delay = jittered(base)
        if throttled:
            delay = max(delay, self.throttle_delay)
        return delay
