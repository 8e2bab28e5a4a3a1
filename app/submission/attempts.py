"""The vocabulary of one deposit attempt: what a run does, and what it came to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class Mode(StrEnum):
    DEPOSIT = "deposit"
    LOOK_UP = "look_up"


class AttemptOutcome(StrEnum):
    """`submission_attempts.outcome`."""

    IN_FLIGHT = "in_flight"  # claimed, no answer recorded yet: left so by a worker that died
    DEPOSITED = "deposited"  # Chorus answered with a flux number
    FOUND = "found"  # a lost deposit was found on Chorus
    NOT_FOUND = "not_found"  # a lost deposit is not (yet) on Chorus
    RETRY = "retry"  # certainly not deposited: try again later
    UNKNOWN = "unknown"  # may have been deposited: look it up before any new deposit
    REFUSED = "refused"  # Chorus refused the deposit itself


MAY_HAVE_ARRIVED = frozenset({AttemptOutcome.IN_FLIGHT, AttemptOutcome.UNKNOWN})
"""An attempt in either state must be looked up before any new deposit."""


@dataclass(frozen=True)
class DepositClaim:
    """What one run took from the database before calling Chorus Pro."""

    invoice_id: uuid.UUID
    lease_token: uuid.UUID
    mode: Mode
    attempt_id: uuid.UUID
    attempt_number: int
    attempt_started_at: datetime
    number: str
    supplier_siret: str
    syntax: str
    document: dict[str, Any]
    original_content: bytes | None = None
    original_file_name: str | None = None


@dataclass(frozen=True)
class DepositResult:
    """What Chorus Pro answered (or did not) to a deposit or a look-up."""

    outcome: AttemptOutcome
    flux_number: str | None = None
    chorus_invoice_id: int | None = None
    http_status: int | None = None
    error: str | None = None
    retry_after: timedelta | None = None
    credentials_refused: bool = False  # Chorus Pro (PISTE) refused the supplier's credentials
