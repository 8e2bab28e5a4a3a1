"""Depositing an invoice on Chorus Pro exactly once, whatever crashes or times out.

A deposit runs in three steps so that no transaction stays open during the HTTP call:
`claim` (take a lease, write an `in_flight` attempt and commit), `deposit` or `look_up`
(HTTP only), then `record_*`. An attempt left `in_flight` or ending `unknown` may have
reached Chorus Pro: the next run first looks for it with `rechercherFactureParFournisseur`
and deposits again only when it is still not found after a grace period.
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.chorus import (
    ChorusAuthError,
    ChorusClient,
    ChorusError,
    ChorusFunctionalError,
    ChorusUnavailableError,
)
from app.document import InvoiceDocument
from app.formats import Syntax, render_document
from app.invoices import history
from app.invoices.lifecycle import InvoiceStatus
from app.invoices.repository import InvoiceRepository
from app.kit.time import utcnow
from app.models.invoice import Invoice, SubmissionAttempt

logger = logging.getLogger(__name__)

DEPOSIT_OPERATION = "deposerFluxFacture"


@dataclass(frozen=True)
class SubmissionPolicy:
    lease: timedelta
    lookup_grace: timedelta
    lookup_interval: timedelta
    retry_base: timedelta
    retry_max: timedelta
    max_attempts: int
    first_poll_after: timedelta


class Mode(StrEnum):
    DEPOSIT = "deposit"
    LOOK_UP = "look_up"


@dataclass(frozen=True)
class Claim:
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


class Outcome(StrEnum):
    DEPOSITED = "deposited"  # Chorus answered with a flux number
    FOUND = "found"  # a lost deposit was found on Chorus
    NOT_FOUND = "not_found"  # a lost deposit is not (yet) on Chorus
    RETRY = "retry"  # certainly not deposited: try again later
    UNKNOWN = "unknown"  # may have been deposited: look it up before any new deposit
    REFUSED = "refused"  # Chorus refused the deposit itself


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    flux_number: str | None = None
    chorus_invoice_id: int | None = None
    http_status: int | None = None
    error: str | None = None
    retry_after: float | None = None


async def claim(
    session: AsyncSession, invoice_id: uuid.UUID, policy: SubmissionPolicy
) -> Claim | None:
    """Take the invoice for one run; None when it is done or another run holds it."""
    repository = InvoiceRepository(session)
    invoice = await repository.get_for_update(invoice_id)
    if invoice is None or invoice.status not in (InvoiceStatus.ACCEPTED, InvoiceStatus.SUBMITTING):
        return None
    now = utcnow()
    if invoice.lease_expires_at is not None and invoice.lease_expires_at > now:
        return None
    latest = await repository.latest_attempt(invoice_id)
    if latest is not None and latest.outcome in ("in_flight", "unknown"):
        if latest.outcome == "in_flight":
            latest.outcome = Outcome.UNKNOWN.value
            latest.finished_at = now
            latest.error = latest.error or "the worker stopped before Chorus Pro answered"
        attempt, mode = latest, Mode.LOOK_UP
    else:
        if invoice.submit_attempts >= policy.max_attempts:
            await _give_up(session, invoice, "too many failed deposit attempts")
            return None
        invoice.submit_attempts += 1
        attempt = SubmissionAttempt(
            id=uuid.uuid4(),
            invoice_id=invoice.id,
            number=invoice.submit_attempts,
            operation=DEPOSIT_OPERATION,
            outcome="in_flight",
            started_at=now,
        )
        repository.add(attempt)
        mode = Mode.DEPOSIT
    invoice.lease_token = uuid.uuid4()
    invoice.lease_expires_at = now + policy.lease
    invoice.next_submit_at = now + policy.lease
    if invoice.status != InvoiceStatus.SUBMITTING:
        await history.record(
            session, invoice, InvoiceStatus.SUBMITTING, source="gateway", comment="Submitting"
        )
    await session.flush()
    original = await repository.get_file(invoice.id) if mode is Mode.DEPOSIT else None
    return Claim(
        invoice_id=invoice.id,
        lease_token=invoice.lease_token,
        mode=mode,
        attempt_id=attempt.id,
        attempt_number=attempt.number,
        attempt_started_at=attempt.started_at,
        number=invoice.number,
        supplier_siret=invoice.supplier_siret,
        syntax=invoice.syntax,
        document=invoice.document,
        original_content=original.content if original else None,
        original_file_name=original.file_name if original else None,
    )


def _may_have_arrived(exc: ChorusUnavailableError) -> bool:
    """Only a refused connection or a 429 proves that Chorus Pro did not take the deposit."""
    if exc.http_status == 429:
        return False
    cause = exc.__cause__
    return not isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout)


def _file_to_deposit(claim: Claim) -> tuple[bytes, str]:
    """The ERP's own file, unchanged, when it sent one; else the file we generate."""
    if claim.original_content is not None:
        return claim.original_content, claim.original_file_name or "invoice"
    rendered = render_document(InvoiceDocument.model_validate(claim.document), Syntax(claim.syntax))
    return rendered.content, rendered.file_name


async def deposit(chorus: ChorusClient, claim: Claim) -> Result:
    content, file_name = _file_to_deposit(claim)
    try:
        response = await chorus.deposit_flux(content, file_name, claim.syntax)
    except ChorusUnavailableError as exc:
        outcome = Outcome.UNKNOWN if _may_have_arrived(exc) else Outcome.RETRY
        return Result(
            outcome, http_status=exc.http_status, error=str(exc), retry_after=exc.retry_after
        )
    except ChorusFunctionalError as exc:
        return Result(Outcome.REFUSED, http_status=exc.http_status, error=str(exc))
    except ChorusAuthError as exc:
        return Result(Outcome.RETRY, http_status=exc.http_status, error=str(exc))
    except ChorusError as exc:
        return Result(Outcome.UNKNOWN, http_status=exc.http_status, error=str(exc))
    return Result(Outcome.DEPOSITED, flux_number=response.numero_flux_depot, http_status=200)


async def look_up(chorus: ChorusClient, claim: Claim) -> Result:
    """Find the invoice a lost deposit created: same supplier, same number."""
    try:
        async for found in chorus.search_supplier_invoices(invoice_number=claim.number):
            if found.numero_facture != claim.number:
                continue
            if found.code_fournisseur not in (None, claim.supplier_siret):
                continue
            return Result(
                Outcome.FOUND,
                flux_number=found.numero_flux_depot,
                chorus_invoice_id=found.identifiant_facture_cpp,
            )
    except ChorusError as exc:
        return Result(Outcome.RETRY, http_status=exc.http_status, error=str(exc))
    return Result(Outcome.NOT_FOUND)


def backoff(attempt_number: int, policy: SubmissionPolicy, retry_after: float | None) -> timedelta:
    delay: timedelta = min(policy.retry_base * (2 ** (attempt_number - 1)), policy.retry_max)
    delay = delay * random.uniform(0.8, 1.2)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


async def record(
    session: AsyncSession, claim: Claim, result: Result, policy: SubmissionPolicy
) -> bool:
    """Store what the deposit or look-up gave; True when a new deposit should follow at once."""
    repository = InvoiceRepository(session)
    invoice = await repository.get_for_update(claim.invoice_id)
    attempt = await session.get(SubmissionAttempt, claim.attempt_id, with_for_update=True)
    if invoice is None or attempt is None:
        return False
    now = utcnow()
    owns_lease = invoice.lease_token == claim.lease_token
    if owns_lease:
        invoice.lease_token = None
        invoice.lease_expires_at = None
    if claim.mode is Mode.DEPOSIT:
        attempt.outcome = result.outcome.value
        attempt.finished_at = now
        attempt.http_status = result.http_status
        attempt.error = result.error
        attempt.flux_number = result.flux_number
    elif result.outcome is Outcome.FOUND:
        # The attempt stays `unknown` until found: only then is a new deposit ruled out.
        attempt.outcome = Outcome.FOUND.value
        attempt.flux_number = result.flux_number
    if not owns_lease:
        logger.warning("invoice %s: lease lost during the deposit; result kept", invoice.id)
        return False

    match result.outcome:
        case Outcome.DEPOSITED | Outcome.FOUND:
            invoice.flux_number = result.flux_number
            invoice.chorus_invoice_id = result.chorus_invoice_id
            invoice.deposited_at = now
            invoice.next_submit_at = None
            invoice.last_error = None
            invoice.next_poll_at = now + (
                timedelta(0) if result.outcome is Outcome.FOUND else policy.first_poll_after
            )
            comment = (
                f"Deposited on Chorus Pro, flux {result.flux_number}"
                if result.outcome is Outcome.DEPOSITED
                else f"The deposit whose answer was lost was found: flux {result.flux_number}"
            )
            await history.record(
                session,
                invoice,
                InvoiceStatus.SUBMITTED,
                source="gateway",
                comment=comment,
                details={"attempt": claim.attempt_number},
            )
        case Outcome.REFUSED:
            invoice.next_submit_at = None
            invoice.reuses_number_allowed = True
            invoice.last_error = result.error
            await history.record(
                session,
                invoice,
                InvoiceStatus.REJECTED,
                source="chorus",
                comment=f"Chorus Pro refused the deposit: {result.error}",
            )
        case Outcome.RETRY | Outcome.UNKNOWN:
            invoice.last_error = result.error
            if claim.mode is Mode.LOOK_UP:
                invoice.next_submit_at = now + policy.lookup_interval
            elif result.outcome is Outcome.RETRY and invoice.submit_attempts >= policy.max_attempts:
                await _give_up(session, invoice, f"deposit failed: {result.error}")
            elif result.outcome is Outcome.UNKNOWN:
                invoice.next_submit_at = now + policy.lookup_interval
            else:
                invoice.next_submit_at = now + backoff(
                    invoice.submit_attempts, policy, result.retry_after
                )
        case Outcome.NOT_FOUND:
            if now - claim.attempt_started_at < policy.lookup_grace:
                invoice.next_submit_at = now + policy.lookup_interval
                return False
            attempt.outcome = Outcome.NOT_FOUND.value
            attempt.error = (
                attempt.error or ""
            ) + " | not found on Chorus Pro after the grace period"
            invoice.next_submit_at = now
            return True
    return False


async def _give_up(session: AsyncSession, invoice: Invoice, reason: str) -> None:
    invoice.next_submit_at = None
    invoice.lease_token = None
    invoice.lease_expires_at = None
    await history.record(session, invoice, InvoiceStatus.FAILED, source="gateway", comment=reason)
