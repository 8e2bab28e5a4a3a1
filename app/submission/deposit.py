"""Depositing an invoice on Chorus Pro exactly once, whatever crashes or times out.

A deposit runs in three steps so that no transaction stays open during the HTTP call:
`claim` (take a lease, write an `in_flight` attempt and commit), `deposit` or `look_up`
(HTTP only), then `record`. An attempt left `in_flight` or ending `unknown` may have
reached Chorus Pro: the next run first looks for it with `rechercherFactureParFournisseur`
and deposits again only when it is still not found after a grace period.
"""

from __future__ import annotations

import logging
import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.chorus import (
    ChorusAuthError,
    ChorusClient,
    ChorusError,
    ChorusFunctionalError,
    ChorusUnavailableError,
)
from app.chorus.auth import TOKEN_OPERATION
from app.document import InvoiceDocument
from app.formats import Syntax, render_document
from app.invoices import history
from app.invoices.lifecycle import EventSource, InvoiceStatus
from app.invoices.repository import InvoiceRepository
from app.kit.ids import uuid7
from app.kit.time import utcnow
from app.models.invoice import Invoice, SubmissionAttempt
from app.submission.attempts import (
    MAY_HAVE_ARRIVED,
    AttemptOutcome,
    DepositClaim,
    DepositResult,
    Mode,
)
from app.submission.policy import SubmissionPolicy
from app.submission.repository import SUBMITTABLE, SubmissionRepository
from app.tracking.flux import expect_flux_report

logger = logging.getLogger(__name__)

DEPOSIT_OPERATION = "deposerFluxFacture"
NOT_RECORDED = (
    "no answer was recorded for this attempt within its lease: the worker was killed, could "
    "not reach the database to record it, or was still waiting for Chorus Pro; it is looked "
    "up on Chorus Pro before any new deposit"
)
DEFAULT_FILE_NAME = "invoice"


async def claim(
    session: AsyncSession, invoice_id: uuid.UUID, policy: SubmissionPolicy
) -> DepositClaim | None:
    """Take the invoice for one run; None when it is done or another run holds it."""
    invoice = await InvoiceRepository(session).get_for_update(invoice_id)
    if invoice is None:
        return None
    return await claim_locked(session, invoice, policy)


async def claim_locked(
    session: AsyncSession, invoice: Invoice, policy: SubmissionPolicy
) -> DepositClaim | None:
    """`claim` for an invoice this transaction already holds locked."""
    if invoice.status not in SUBMITTABLE:
        return None
    now = utcnow()
    if invoice.lease_expires_at is not None and invoice.lease_expires_at > now:
        return None
    repository = SubmissionRepository(session)
    latest = await repository.latest_attempt(invoice.id) if invoice.submit_attempts else None
    if latest is not None and latest.outcome in MAY_HAVE_ARRIVED:
        if latest.outcome == AttemptOutcome.IN_FLIGHT:
            latest.outcome = AttemptOutcome.UNKNOWN.value
            latest.finished_at = now
            latest.error = latest.error or NOT_RECORDED
        attempt, mode = latest, Mode.LOOK_UP
    else:
        if invoice.submit_attempts >= policy.max_attempts:
            await give_up(session, invoice, "too many failed deposit attempts")
            return None
        invoice.submit_attempts += 1
        attempt = SubmissionAttempt(
            id=uuid7(),
            invoice_id=invoice.id,
            number=invoice.submit_attempts,
            operation=DEPOSIT_OPERATION,
            outcome=AttemptOutcome.IN_FLIGHT.value,
            started_at=now,
        )
        repository.add(attempt)
        mode = Mode.DEPOSIT
    invoice.lease_token = uuid7()
    invoice.lease_expires_at = now + policy.lease
    invoice.next_submit_at = now + policy.lease
    if invoice.status != InvoiceStatus.SUBMITTING:
        await history.record(
            session,
            invoice,
            InvoiceStatus.SUBMITTING,
            source=EventSource.GATEWAY,
            comment="Submitting",
        )
    await session.flush()
    deposits_file = mode is Mode.DEPOSIT and invoice.has_original_file
    original = await repository.original_file(invoice.id) if deposits_file else None
    return DepositClaim(
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
    """Only a refused connection, a 429 or no token proves Chorus Pro did not take it."""
    if exc.http_status == 429 or exc.operation == TOKEN_OPERATION:
        return False
    cause = exc.__cause__
    return not isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout)


def file_to_deposit(claim: DepositClaim) -> tuple[bytes, str]:
    """The ERP's own file, unchanged, when it sent one; else the file we generate."""
    if claim.original_content is not None:
        return claim.original_content, claim.original_file_name or DEFAULT_FILE_NAME
    rendered = render_document(InvoiceDocument.model_validate(claim.document), Syntax(claim.syntax))
    return rendered.content, rendered.file_name


def _credentials_refused(exc: ChorusAuthError) -> DepositResult:
    """Nothing reached Chorus Pro: try again, once a person has fixed the access.

    Only a refusal of the credentials themselves marks the supplier's credentials refused;
    a 403 (a route the PISTE application is not subscribed to) leaves them alone.
    """
    return DepositResult(
        AttemptOutcome.RETRY,
        http_status=exc.http_status,
        error=str(exc),
        credentials_refused=exc.credentials_refused,
    )


async def deposit(chorus: ChorusClient, claim: DepositClaim) -> DepositResult:
    content, file_name = file_to_deposit(claim)
    try:
        response = await chorus.deposit_flux(content, file_name, claim.syntax)
    except ChorusUnavailableError as exc:
        arrived = _may_have_arrived(exc)
        return DepositResult(
            AttemptOutcome.UNKNOWN if arrived else AttemptOutcome.RETRY,
            http_status=exc.http_status,
            error=str(exc),
            retry_after=exc.retry_after,
        )
    except ChorusFunctionalError as exc:
        return DepositResult(AttemptOutcome.REFUSED, http_status=exc.http_status, error=str(exc))
    except ChorusAuthError as exc:
        return _credentials_refused(exc)
    except ChorusError as exc:
        return DepositResult(AttemptOutcome.UNKNOWN, http_status=exc.http_status, error=str(exc))
    return DepositResult(
        AttemptOutcome.DEPOSITED, flux_number=response.numero_flux_depot, http_status=200
    )


async def look_up(chorus: ChorusClient, claim: DepositClaim) -> DepositResult:
    """Find the invoice a lost deposit created: same supplier, same number.

    Only an integrated flux can be found: a flux Chorus Pro rejects creates no invoice (no
    `identifiantFactureCPP`, API.md §6 item 7), and no operation lists a supplier's fluxes
    without their `numeroFluxDepot` (API.md §3: consulterCR(Detaille) needs it, the searches
    return invoices). So a rejected flux whose answer was lost is deposited again after the
    grace period and rejected again: no invoice reaches the buyer, and the invoice ends
    `rejected` with Chorus's reason either way. No client can avoid that second deposit.
    """
    try:
        async for found in chorus.search_supplier_invoices(invoice_number=claim.number):
            if found.numero_facture != claim.number:
                continue
            if found.code_fournisseur not in (None, claim.supplier_siret):
                continue
            return DepositResult(
                AttemptOutcome.FOUND,
                flux_number=found.numero_flux_depot,
                chorus_invoice_id=found.identifiant_facture_cpp,
            )
    except ChorusAuthError as exc:
        return _credentials_refused(exc)
    except ChorusError as exc:
        return DepositResult(AttemptOutcome.RETRY, http_status=exc.http_status, error=str(exc))
    return DepositResult(AttemptOutcome.NOT_FOUND)


async def record(
    session: AsyncSession, claim: DepositClaim, result: DepositResult, policy: SubmissionPolicy
) -> bool:
    """Store what the deposit or look-up gave; True when a new deposit should follow at once."""
    locked = await SubmissionRepository(session).lock_with_attempt(
        claim.invoice_id, claim.attempt_id
    )
    if locked is None:
        return False
    invoice, attempt = locked
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
    elif result.outcome is AttemptOutcome.FOUND:
        # The attempt stays `unknown` until found: only then is a new deposit ruled out.
        attempt.outcome = AttemptOutcome.FOUND.value
        attempt.flux_number = result.flux_number
    if not owns_lease:
        logger.warning("invoice %s: lease lost during the deposit; result kept", invoice.id)
        return False

    match result.outcome:
        case AttemptOutcome.DEPOSITED | AttemptOutcome.FOUND:
            invoice.flux_number = result.flux_number
            invoice.chorus_invoice_id = result.chorus_invoice_id
            invoice.deposited_at = now
            invoice.next_submit_at = None
            invoice.last_error = None
            found = result.outcome is AttemptOutcome.FOUND
            expect_flux_report(invoice, now if found else now + policy.first_poll_after)
            comment = (
                f"The deposit whose answer was lost was found: flux {result.flux_number}"
                if found
                else f"Deposited on Chorus Pro, flux {result.flux_number}"
            )
            await history.record(
                session,
                invoice,
                InvoiceStatus.SUBMITTED,
                source=EventSource.GATEWAY,
                comment=comment,
                details={"attempt": claim.attempt_number},
            )
        case AttemptOutcome.REFUSED:
            invoice.next_submit_at = None
            invoice.reuses_number_allowed = True
            invoice.last_error = result.error
            await history.record(
                session,
                invoice,
                InvoiceStatus.REJECTED,
                source=EventSource.CHORUS,
                comment=f"Chorus Pro refused the deposit: {result.error}",
            )
        case AttemptOutcome.RETRY | AttemptOutcome.UNKNOWN:
            invoice.last_error = result.error
            if claim.mode is Mode.LOOK_UP or result.outcome is AttemptOutcome.UNKNOWN:
                invoice.next_submit_at = now + policy.lookup_interval
            elif invoice.submit_attempts >= policy.max_attempts:
                await give_up(session, invoice, f"deposit failed: {result.error}")
            else:
                invoice.next_submit_at = now + policy.backoff.after(
                    invoice.submit_attempts, retry_after=result.retry_after
                )
        case AttemptOutcome.NOT_FOUND:
            if now - claim.attempt_started_at < policy.lookup_grace:
                invoice.next_submit_at = now + policy.lookup_interval
                return False
            attempt.outcome = AttemptOutcome.NOT_FOUND.value
            attempt.error = (
                attempt.error or ""
            ) + " | not found on Chorus Pro after the grace period"
            invoice.next_submit_at = now
            return True
    return False


async def give_up(session: AsyncSession, invoice: Invoice, reason: str) -> None:
    invoice.next_submit_at = None
    invoice.lease_token = None
    invoice.lease_expires_at = None
    await history.record(
        session, invoice, InvoiceStatus.FAILED, source=EventSource.GATEWAY, comment=reason
    )
