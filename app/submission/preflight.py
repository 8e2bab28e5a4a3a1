"""Before the first deposit: the directory's verdict on the invoice's routing, applied to it.

The directory calls run between two short transactions; the invoice is only changed here,
by its own stage: `invalid` with the reasons, or postponed while Chorus is unreachable.
"""

from __future__ import annotations

import logging
import uuid
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from app.chorus import ChorusClient
from app.directory import preflight as directory
from app.directory.service import DirectoryPolicy
from app.invoices import history
from app.invoices.lifecycle import EventSource, InvoiceStatus
from app.invoices.repository import InvoiceRepository
from app.kit.db import Units
from app.kit.time import utcnow
from app.models.invoice import Invoice
from app.submission.policy import SubmissionPolicy

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


async def routing_of(session: AsyncSession, invoice_id: uuid.UUID) -> directory.Routing | None:
    """The routing to check; None when the invoice is past its first deposit."""
    invoice = await InvoiceRepository(session).get(invoice_id)
    if invoice is None or not _waiting_for_first_deposit(invoice):
        return None
    return directory.Routing(
        recipient_siret=invoice.recipient_siret,
        supplier_siret=invoice.supplier_siret,
        service_code=invoice.service_code or None,
        engagement_number=invoice.engagement_number or None,
    )


async def apply(
    session: AsyncSession,
    invoice_id: uuid.UUID,
    verdict: directory.Verdict,
    policy: SubmissionPolicy,
) -> PreflightOutcome:
    """Pass the invoice, make it `invalid` with the reasons, or postpone its deposit."""
    invoice = await InvoiceRepository(session).get_for_update(invoice_id)
    if invoice is None or not _waiting_for_first_deposit(invoice):
        return PreflightOutcome.SKIPPED
    if verdict.recipient is not None:
        # Tells the status sync whether to wait for MISE_EN_PAIEMENT or stop at MANDATEE.
        invoice.recipient_reports_payment = verdict.recipient.reports_payment
    match verdict.decision:
        case directory.Decision.INVALID:
            await history.record_invalid(
                session, invoice, verdict.errors, source=EventSource.GATEWAY
            )
            return PreflightOutcome.INVALID
        case directory.Decision.PASSED:
            if invoice.last_error and invoice.last_error.startswith(directory.UNREACHABLE):
                invoice.last_error = None
            return PreflightOutcome.PASSED
    now = utcnow()
    delay = policy.backoff.around((now - invoice.created_at) / 2, retry_after=verdict.retry_after)
    invoice.next_submit_at = now + delay
    invoice.last_error = verdict.reason
    logger.info("invoice %s: pre-flight postponed by %s", invoice.id, delay)
    return PreflightOutcome.DEFERRED


async def check(
    units: Units,
    chorus: ChorusClient,
    invoice_id: uuid.UUID,
    policy: DirectoryPolicy,
    retry: SubmissionPolicy,
) -> PreflightOutcome:
    """The whole pre-flight: read (transaction), ask Chorus (none), judge and apply (one)."""
    async with units() as session:
        routing = await routing_of(session, invoice_id)
        target = None if routing is None else await directory.prepare(session, routing, policy)
    if target is None:
        return PreflightOutcome.SKIPPED
    findings = await directory.gather(chorus, target, policy)
    async with units() as session:
        verdict = await directory.judge(session, target, findings, policy)
        return await apply(session, invoice_id, verdict, retry)
