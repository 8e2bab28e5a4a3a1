"""`deposit.record`, branch by branch: what each answer of Chorus Pro does to the invoice.

Real PostgreSQL, no HTTP: the invoice is accepted and claimed through the stage's own
functions, then each test records a chosen answer and reads what was stored.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.intake.service import IntakePolicy, intake_service
from app.kit.backoff import Backoff
from app.kit.db import unit_of_work
from app.kit.time import utcnow
from app.models import Invoice, InvoiceEvent, SubmissionAttempt
from app.submission import deposit
from app.submission.attempts import AttemptOutcome, DepositClaim, DepositResult, Mode
from app.submission.policy import SubmissionPolicy
from tests.factories import invoice_document

POLICY = SubmissionPolicy(
    lease=timedelta(minutes=2),
    lookup_grace=timedelta(minutes=10),
    lookup_interval=timedelta(seconds=30),
    backoff=Backoff(timedelta(seconds=5), timedelta(minutes=15), jitter=0),
    max_attempts=3,
    first_poll_after=timedelta(seconds=10),
)
INTAKE = IntakePolicy(submit_grace=timedelta(seconds=30), official_rules=None)
FLUX = "CPP0011117000000000512347"
Units = Callable[[], AbstractAsyncContextManager[AsyncSession]]


@pytest.fixture
def units(sessionmaker: async_sessionmaker[AsyncSession], clean_db: None) -> Units:
    return lambda: unit_of_work(sessionmaker)


@pytest.fixture
async def claimed(units: Units) -> AsyncIterator[DepositClaim]:
    """An accepted invoice, claimed for its first deposit."""
    async with units() as session:
        invoice, _ = await intake_service.accept(
            session, invoice_document(number="REC-1"), f"rec-{uuid.uuid4()}", INTAKE
        )
    yield await claim(units, invoice.id)


async def claim(units: Units, invoice_id: uuid.UUID) -> DepositClaim:
    async with units() as session:
        found = await deposit.claim(session, invoice_id, POLICY)
    assert found is not None
    return found


async def record(units: Units, claim: DepositClaim, result: DepositResult) -> bool:
    async with units() as session:
        return await deposit.record(session, claim, result, POLICY)


async def stored(units: Units, claim: DepositClaim) -> tuple[Invoice, SubmissionAttempt]:
    async with units() as session:
        invoice = await session.get(Invoice, claim.invoice_id)
        attempt = await session.get(SubmissionAttempt, claim.attempt_id)
    assert invoice is not None and attempt is not None
    return invoice, attempt


async def comments(units: Units, claim: DepositClaim) -> list[str | None]:
    async with units() as session:
        events = await session.scalars(
            select(InvoiceEvent)
            .where(InvoiceEvent.invoice_id == claim.invoice_id)
            .order_by(InvoiceEvent.recorded_at, InvoiceEvent.id)
        )
        return [event.comment for event in events]


def around(when: datetime | None, delay: timedelta, started: datetime) -> bool:
    """`when` is `delay` after some instant between `started` and now."""
    return when is not None and started + delay <= when <= utcnow() + delay


async def test_a_deposit_answered_with_a_flux_number_is_submitted(
    units: Units, claimed: DepositClaim
) -> None:
    started = utcnow()
    result = DepositResult(AttemptOutcome.DEPOSITED, flux_number=FLUX, http_status=200)
    assert await record(units, claimed, result) is False
    invoice, attempt = await stored(units, claimed)
    assert invoice.status == "submitted"
    assert (invoice.flux_number, invoice.chorus_invoice_id) == (FLUX, None)
    assert invoice.next_submit_at is None and invoice.last_error is None
    assert invoice.lease_token is None and invoice.lease_expires_at is None
    assert invoice.deposited_at is not None
    assert around(invoice.next_poll_at, POLICY.first_poll_after, started)
    assert (attempt.outcome, attempt.flux_number, attempt.http_status) == ("deposited", FLUX, 200)
    assert attempt.finished_at is not None
    assert (await comments(units, claimed))[-1] == f"Deposited on Chorus Pro, flux {FLUX}"


async def test_a_refused_deposit_rejects_the_invoice_and_frees_its_number(
    units: Units, claimed: DepositClaim
) -> None:
    error = "deposerFluxFacture: codeRetour=20003 libelle='fichier invalide'"
    assert not await record(units, claimed, DepositResult(AttemptOutcome.REFUSED, error=error))
    invoice, attempt = await stored(units, claimed)
    assert invoice.status == "rejected"
    assert invoice.reuses_number_allowed is True
    assert invoice.next_submit_at is None and invoice.last_error == error
    assert attempt.outcome == "refused" and attempt.error == error
    assert (await comments(units, claimed))[-1] == f"Chorus Pro refused the deposit: {error}"


async def test_a_certain_failure_is_retried_after_the_backoff_or_retry_after(
    units: Units, claimed: DepositClaim
) -> None:
    started = utcnow()
    await record(units, claimed, DepositResult(AttemptOutcome.RETRY, http_status=429, error="x"))
    invoice, attempt = await stored(units, claimed)
    assert invoice.status == "submitting" and invoice.last_error == "x"
    assert around(invoice.next_submit_at, POLICY.backoff.base, started)  # first failure
    assert attempt.outcome == "retry"

    again = await claim(units, claimed.invoice_id)
    started = utcnow()
    wait = timedelta(minutes=3)
    await record(units, again, DepositResult(AttemptOutcome.RETRY, retry_after=wait))
    invoice, _ = await stored(units, again)
    assert around(invoice.next_submit_at, wait, started)  # Chorus asked for longer


async def test_the_last_allowed_attempt_failing_gives_up(
    units: Units, claimed: DepositClaim
) -> None:
    current = claimed
    for _ in range(POLICY.max_attempts - 1):
        await record(units, current, DepositResult(AttemptOutcome.RETRY, error="busy"))
        current = await claim(units, claimed.invoice_id)
    assert current.attempt_number == POLICY.max_attempts
    await record(units, current, DepositResult(AttemptOutcome.RETRY, error="busy"))
    invoice, _ = await stored(units, current)
    assert invoice.status == "failed" and invoice.next_submit_at is None
    assert (await comments(units, current))[-1] == "deposit failed: busy"


async def test_an_answer_that_may_have_arrived_is_looked_up_before_any_new_deposit(
    units: Units, claimed: DepositClaim
) -> None:
    started = utcnow()
    await record(units, claimed, DepositResult(AttemptOutcome.UNKNOWN, http_status=504))
    invoice, attempt = await stored(units, claimed)
    assert attempt.outcome == "unknown" and invoice.status == "submitting"
    assert around(invoice.next_submit_at, POLICY.lookup_interval, started)
    look_up = await claim(units, claimed.invoice_id)
    assert look_up.mode is Mode.LOOK_UP and look_up.attempt_id == claimed.attempt_id


async def test_a_failed_look_up_asks_again_without_counting_an_attempt(
    units: Units, claimed: DepositClaim
) -> None:
    await record(units, claimed, DepositResult(AttemptOutcome.UNKNOWN))
    look_up = await claim(units, claimed.invoice_id)
    started = utcnow()
    await record(units, look_up, DepositResult(AttemptOutcome.RETRY, error="search down"))
    invoice, attempt = await stored(units, look_up)
    assert attempt.outcome == "unknown"  # still unknown: a new deposit stays ruled out
    assert invoice.submit_attempts == 1 and invoice.last_error == "search down"
    assert around(invoice.next_submit_at, POLICY.lookup_interval, started)


async def test_a_lost_deposit_found_on_chorus_is_submitted_and_polled_at_once(
    units: Units, claimed: DepositClaim
) -> None:
    await record(units, claimed, DepositResult(AttemptOutcome.UNKNOWN))
    look_up = await claim(units, claimed.invoice_id)
    started = utcnow()
    found = DepositResult(AttemptOutcome.FOUND, flux_number=FLUX, chorus_invoice_id=4242)
    assert await record(units, look_up, found) is False
    invoice, attempt = await stored(units, look_up)
    assert invoice.status == "submitted"
    assert (invoice.flux_number, invoice.chorus_invoice_id) == (FLUX, 4242)
    assert invoice.next_poll_at is not None and started <= invoice.next_poll_at <= utcnow()
    assert (attempt.outcome, attempt.flux_number) == ("found", FLUX)
    assert (await comments(units, look_up))[-1] == (
        f"The deposit whose answer was lost was found: flux {FLUX}"
    )


async def test_not_found_within_the_grace_keeps_looking(
    units: Units, claimed: DepositClaim
) -> None:
    await record(units, claimed, DepositResult(AttemptOutcome.UNKNOWN))
    look_up = await claim(units, claimed.invoice_id)
    started = utcnow()
    assert await record(units, look_up, DepositResult(AttemptOutcome.NOT_FOUND)) is False
    invoice, attempt = await stored(units, look_up)
    assert attempt.outcome == "unknown"
    assert around(invoice.next_submit_at, POLICY.lookup_interval, started)


async def test_not_found_after_the_grace_deposits_again_at_once(
    units: Units, claimed: DepositClaim
) -> None:
    await record(units, claimed, DepositResult(AttemptOutcome.UNKNOWN, error="timed out"))
    look_up = await claim(units, claimed.invoice_id)
    late = replace(look_up, attempt_started_at=utcnow() - POLICY.lookup_grace)
    assert await record(units, late, DepositResult(AttemptOutcome.NOT_FOUND)) is True
    invoice, attempt = await stored(units, late)
    assert attempt.outcome == "not_found"
    assert attempt.error == "timed out | not found on Chorus Pro after the grace period"
    assert invoice.next_submit_at is not None and invoice.next_submit_at <= utcnow()
    second = await claim(units, claimed.invoice_id)
    assert second.mode is Mode.DEPOSIT and second.attempt_number == 2


async def test_a_run_whose_lease_was_taken_keeps_its_answer_but_changes_nothing_else(
    units: Units, claimed: DepositClaim
) -> None:
    stolen = replace(claimed, lease_token=uuid.uuid4())
    result = DepositResult(AttemptOutcome.DEPOSITED, flux_number=FLUX, http_status=200)
    assert await record(units, stolen, result) is False
    invoice, attempt = await stored(units, stolen)
    assert attempt.outcome == "deposited" and attempt.flux_number == FLUX  # never forgotten
    assert invoice.status == "submitting" and invoice.flux_number is None
    assert invoice.lease_token == claimed.lease_token  # the other run still holds it


async def test_an_invoice_or_attempt_gone_meanwhile_is_ignored(
    units: Units, claimed: DepositClaim
) -> None:
    missing = replace(claimed, attempt_id=uuid.uuid4())
    assert await record(units, missing, DepositResult(AttemptOutcome.DEPOSITED)) is False
    invoice, attempt = await stored(units, claimed)
    assert invoice.status == "submitting" and attempt.outcome == "in_flight"


async def test_a_run_that_died_mid_deposit_leaves_an_attempt_to_look_up(
    units: Units, claimed: DepositClaim
) -> None:
    async with units() as session:  # the lease of the dead run ends
        invoice = await session.get(Invoice, claimed.invoice_id)
        assert invoice is not None
        invoice.lease_expires_at = utcnow() - timedelta(seconds=1)
    look_up = await claim(units, claimed.invoice_id)
    assert look_up.mode is Mode.LOOK_UP and look_up.attempt_id == claimed.attempt_id
    _, attempt = await stored(units, look_up)
    assert attempt.outcome == "unknown" and attempt.error == deposit.NOT_RECORDED
