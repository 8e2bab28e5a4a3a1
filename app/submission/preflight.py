"""Before the first deposit: the directory's verdict on the invoice's routing, applied to it.

The directory calls run between two short transactions; the invoice is only changed here,
by its own stage: `invalid` with the reasons, or postponed while Chorus is unreachable.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from app.directory import preflight as directory
from app.directory.service import DirectoryPolicy
from app.invoices import history
from app.invoices.lifecycle import EventSource, InvoiceStatus
from app.invoices.repository import InvoiceRepository
from app.kit.db import Units
from app.kit.time import utcnow
from app.models.invoice import Invoice
from app.submission import deposit
from app.submission.attempts import DepositClaim
from app.submission.policy import SubmissionPolicy
from app.suppliers.clients import ChorusClients, SupplierNotConfigured

logger = logging.getLogger(__name__)


class PreflightOutcome(StrEnum):
    PASSED = "passed"
    INVALID = "invalid"
    DEFERRED = "deferred"
    SKIPPED = "skipped"  # not (or no longer) an accepted invoice waiting for its first deposit


def _waiting_for_first_deposit(invoice: Invoice | None) -> bool:
    return (
        invoice is not None
        and invoice.status == InvoiceStatus.ACCEPTED
        and not invoice.submit_attempts
    )


def _routing(invoice: Invoice) -> directory.Routing:
    return directory.Routing(
        recipient_siret=invoice.recipient_siret,
        supplier_siret=invoice.supplier_siret,
        service_code=invoice.service_code or None,
        engagement_number=invoice.engagement_number or None,
    )


async def apply(
    session: AsyncSession,
    invoice: Invoice,
    verdict: directory.Verdict,
    policy: SubmissionPolicy,
) -> PreflightOutcome:
    """Pass the (locked) invoice, make it `invalid` with the reasons, or postpone it."""
    if verdict.recipient is not None:
        # Tells the status sync whether to wait for MISE_EN_PAIEMENT or stop at MANDATEE.
        invoice.recipient_reports_payment = verdict.recipient.reports_payment
    match verdict.decision:
        case directory.Decision.INVALID:
            gateway = EventSource.GATEWAY
            await history.record_invalid(session, invoice, verdict.errors, source=gateway)
            return PreflightOutcome.INVALID
        case directory.Decision.PASSED:
            if invoice.last_error and invoice.last_error.startswith(directory.UNREACHABLE):
                invoice.last_error = None
            return PreflightOutcome.PASSED
    return postpone(invoice, verdict.reason, policy, retry_after=verdict.retry_after)


def postpone(
    invoice: Invoice,
    reason: str | None,
    policy: SubmissionPolicy,
    *,
    retry_after: timedelta | None = None,
) -> PreflightOutcome:
    """Try the pre-flight again later, the longer the invoice has waited."""
    now = utcnow()
    delay = policy.backoff.around((now - invoice.created_at) / 2, retry_after=retry_after)
    invoice.next_submit_at = now + delay
    invoice.last_error = reason
    logger.info("invoice %s: pre-flight postponed by %s", invoice.id, delay)
    return PreflightOutcome.DEFERRED


async def _judge_and_claim(
    session: AsyncSession,
    invoice: Invoice,
    target: directory.Target,
    findings: directory.Findings,
    policies: tuple[DirectoryPolicy, SubmissionPolicy],
) -> tuple[PreflightOutcome, DepositClaim | None]:
    directory_policy, policy = policies
    verdict = await directory.judge(session, target, findings, directory_policy)
    outcome = await apply(session, invoice, verdict, policy)
    if outcome is not PreflightOutcome.PASSED:
        return outcome, None
    return outcome, await deposit.claim_locked(session, invoice, policy)


async def check_and_claim(
    units: Units,
    clients: ChorusClients,
    invoice_id: uuid.UUID,
    directory_policy: DirectoryPolicy,
    policy: SubmissionPolicy,
) -> tuple[PreflightOutcome, DepositClaim | None]:
    """The pre-flight, then the claim of the first deposit when it passes.

    When the directory cache answers (the usual case: recipients repeat), reading,
    judging, applying and claiming are one transaction; when Chorus Pro must be asked,
    the calls run between a read and a second transaction. SKIPPED: the invoice is past
    its first deposit (a look-up, a retry), for the plain claim to take. The directory is
    asked with the supplier's own credentials.
    """
    policies = (directory_policy, policy)
    async with units() as session:
        invoice = await InvoiceRepository(session).get_for_update(invoice_id)
        if invoice is None or not _waiting_for_first_deposit(invoice):
            return PreflightOutcome.SKIPPED, None
        try:
            chorus = await clients.for_supplier(invoice.supplier_siret, session)
        except SupplierNotConfigured as exc:
            return postpone(invoice, str(exc), policy), None
        target = await directory.prepare(session, _routing(invoice), directory_policy)
        if directory.answers_from_cache(target, directory_policy, utcnow()):
            findings = await directory.gather(chorus, target, directory_policy)  # no call
            return await _judge_and_claim(session, invoice, target, findings, policies)
    findings = await directory.gather(chorus, target, directory_policy)
    async with units() as session:
        invoice = await InvoiceRepository(session).get_for_update(invoice_id)
        if invoice is None or not _waiting_for_first_deposit(invoice):
            return PreflightOutcome.SKIPPED, None
        return await _judge_and_claim(session, invoice, target, findings, policies)
