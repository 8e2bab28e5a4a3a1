"""The states a webhook delivery, an attempt and an endpoint can be in, as stored."""

from __future__ import annotations

from enum import StrEnum


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # attempts scheduled
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # every scheduled attempt failed (or a 410): recoverable
    SKIPPED = "skipped"  # the endpoint was disabled: recoverable


RECOVERABLE = (DeliveryStatus.FAILED, DeliveryStatus.SKIPPED)


class AttemptTrigger(StrEnum):
    SCHEDULED = "scheduled"  # the retry schedule
    MANUAL = "manual"  # a resend or a recovery: made once, never schedules more


class DisabledReason(StrEnum):
    MANUAL = "manual"
    FAILING = "failing"  # every attempt failed for the disable-after period
    GONE = "gone"  # the receiver answered 410


class EndpointAction(StrEnum):
    """`webhook_endpoint_changes.action`: what was done to an endpoint."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    SECRET_ROTATED = "secret_rotated"
    DISABLED = "disabled"  # by a person (`manual`) or by the gateway (`failing`, `gone`)
    ENABLED = "enabled"
    RECOVERY_REQUESTED = "recovery_requested"
    RESENT = "resent"
