"""Checking an invoice against the recipient's directory settings before it is deposited.

Two callers: an ERP request (`directory_errors`, bounded by a timeout, answers from the
cache when Chorus is slow) and the submission job (`prepare` -> `gather` -> `apply`, with
the HTTP calls between two short transactions). An unreachable directory never makes an
invoice `invalid`: the job tries again later.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from app.chorus import ChorusClient, ChorusError
from app.config import Settings, get_settings
from app.directory.checks import check_invoice, engagement_unknown, supplier_unknown
from app.directory.entries import StructureEntry
from app.directory.fetching import engagement_exists, resolve
from app.directory.service import DirectoryPolicy, DirectoryUnavailable, directory_service
from app.document import InvoiceDocument
from app.invoices import history
from app.invoices.lifecycle import InvoiceStatus
from app.invoices.repository import InvoiceRepository
from app.invoices.submission import SubmissionPolicy
from app.kit.errors import FieldError
from app.kit.time import utcnow
from app.models.invoice import Invoice

logger = logging.getLogger(__name__)

UNREACHABLE = "Chorus Pro's directory could not be read; the deposit waits for it"


async def directory_errors(
    session: AsyncSession,
    chorus: ChorusClient,
    document: InvoiceDocument,
    timeout: float,  # noqa: ASYNC109 - the signature agreed with POST /v1/invoices/validate
    *,
    policy: DirectoryPolicy | None = None,
) -> list[FieldError]:
    """The directory rules `document` breaks, answered within `timeout` seconds.

    Uses the cache (stale if Chorus is slow); raises DirectoryUnavailable (503) when Chorus
    does not answer in time and nothing is cached.
    """
    policy = policy or DirectoryPolicy.from_settings(get_settings())
    deadline = asyncio.get_running_loop().time() + timeout
    recipient = await directory_service.lookup(
        session,
        chorus,
        document.recipient.siret,
        policy,
        service_code=document.service_code,
        deadline=deadline,
    )
    errors = check_invoice(recipient, document.service_code, document.engagement_number)
    number = document.engagement_number
    if errors or not (policy.verify_engagement and number):
        return errors
    supplier = await directory_service.lookup(
        session, chorus, document.supplier.siret, policy, deadline=deadline
    )
    if supplier.active_count != 1 or supplier.id_structure_cpp is None:
        return [supplier_unknown(document.supplier.siret)]
    try:
        found = await asyncio.wait_for(
            engagement_exists(chorus, supplier.id_structure_cpp, number),
            timeout=max(deadline - asyncio.get_running_loop().time(), 0.0),
        )
    except (TimeoutError, ChorusError) as exc:
        raise DirectoryUnavailable("the engagement number could not be checked in time") from exc
    return [] if found else [engagement_unknown(number)]


class Verdict(StrEnum):
    PASSED = "passed"
    INVALID = "invalid"
    DEFERRED = "deferred"
    SKIPPED = "skipped"  # not (or no longer) an accepted invoice waiting for its first deposit


@dataclass(frozen=True)
class Target:
    invoice_id: uuid.UUID
    recipient_siret: str
    supplier_siret: str
    service_code: str | None
    engagement_number: str | None
    recipient: StructureEntry | None
    supplier: StructureEntry | None


@dataclass(frozen=True)
class Findings:
    recipient: StructureEntry | None
    supplier: StructureEntry | None = None
    engagement_found: bool | None = None
    error: str | None = None  # Chorus could not be asked: what is known may be incomplete
    retry_after: float | None = None


async def prepare(
    session: AsyncSession, invoice_id: uuid.UUID, policy: DirectoryPolicy
) -> Target | None:
    """What the check needs, read before any HTTP call; None when there is nothing to check."""
    invoice = await InvoiceRepository(session).get(invoice_id)
    if invoice is None or invoice.status != InvoiceStatus.ACCEPTED or invoice.submit_attempts:
        return None
    verify = policy.verify_engagement and bool(invoice.engagement_number)
    supplier = await directory_service.cached(session, invoice.supplier_siret) if verify else None
    return Target(
        invoice_id=invoice.id,
        recipient_siret=invoice.recipient_siret,
        supplier_siret=invoice.supplier_siret,
        service_code=invoice.service_code or None,
        engagement_number=invoice.engagement_number or None,
        recipient=await directory_service.cached(session, invoice.recipient_siret),
        supplier=supplier,
    )


async def gather(chorus: ChorusClient, target: Target, policy: DirectoryPolicy) -> Findings:
    """The Chorus calls the check needs (none when the cache is fresh); no database."""
    now = utcnow()
    recipient, supplier = target.recipient, target.supplier
    try:
        recipient = await resolve(
            chorus,
            target.recipient_siret,
            recipient,
            service_code=target.service_code,
            ttl=policy.ttl,
            now=now,
        )
        number = target.engagement_number
        if not (policy.verify_engagement and number) or check_invoice(
            recipient, target.service_code, number
        ):
            return Findings(recipient)
        supplier = await resolve(
            chorus, target.supplier_siret, supplier, service_code=None, ttl=policy.ttl, now=now
        )
        if supplier.active_count != 1 or supplier.id_structure_cpp is None:
            return Findings(recipient, supplier)
        found = await engagement_exists(chorus, supplier.id_structure_cpp, number)
        return Findings(recipient, supplier, engagement_found=found)
    except ChorusError as exc:
        return Findings(
            recipient, supplier, error=str(exc), retry_after=getattr(exc, "retry_after", None)
        )


def _engagement_errors(target: Target, findings: Findings) -> list[FieldError]:
    """Only called when the check was asked for and Chorus answered every call."""
    number = target.engagement_number
    supplier = findings.supplier
    if number is None:
        return []
    if supplier is None or supplier.active_count != 1:
        return [supplier_unknown(target.supplier_siret)]
    return [] if findings.engagement_found else [engagement_unknown(number)]


async def apply(
    session: AsyncSession,
    target: Target,
    findings: Findings,
    policy: DirectoryPolicy,
    retry: SubmissionPolicy,
) -> Verdict:
    """Cache what Chorus said, then pass the invoice, make it `invalid`, or postpone it."""
    invoice = await InvoiceRepository(session).get_for_update(target.invoice_id)
    if invoice is None or invoice.status != InvoiceStatus.ACCEPTED or invoice.submit_attempts:
        return Verdict.SKIPPED
    recipient = findings.recipient
    if recipient is not None:
        await directory_service.store(session, recipient, target.recipient, used=True)
        # Tells the status sync whether to wait for MISE_EN_PAIEMENT or stop at MANDATEE.
        invoice.recipient_reports_payment = (
            not recipient.payment_status_not_reported if recipient.details_known else None
        )
    if findings.supplier is not None:
        await directory_service.store(session, findings.supplier, target.supplier, used=True)
    now = utcnow()
    verify = policy.verify_engagement and target.engagement_number is not None
    if recipient is not None:
        errors = check_invoice(recipient, target.service_code, target.engagement_number)
        if findings.error is None:
            if verify and not errors:
                errors = _engagement_errors(target, findings)
            if errors:
                await history.record_invalid(session, invoice, errors, source="gateway")
                return Verdict.INVALID
            return _passed(invoice)
        # Chorus failed part-way: what is cached may be old or incomplete. It may let the
        # invoice through (Chorus judges it anyway), never make it invalid.
        if not (errors or verify or _may_need_engagement(target, recipient)):
            return _passed(invoice)
    delay = _backoff(now - invoice.created_at, retry, findings.retry_after)
    invoice.next_submit_at = now + delay
    invoice.last_error = f"{UNREACHABLE}: {findings.error}"
    logger.info("invoice %s: pre-flight postponed by %s", invoice.id, delay)
    return Verdict.DEFERRED


def _passed(invoice: Invoice) -> Verdict:
    if invoice.last_error and invoice.last_error.startswith(UNREACHABLE):
        invoice.last_error = None
    return Verdict.PASSED


def _may_need_engagement(target: Target, recipient: StructureEntry) -> bool:
    """Without an EJ, a service whose flag is unknown might still require one."""
    return not target.engagement_number and recipient.needs_service_details(target.service_code)


def _backoff(age: timedelta, retry: SubmissionPolicy, retry_after: float | None) -> timedelta:
    """Half the invoice's age, within the retry bounds: each wait is 1.5 times the last."""
    delay = min(max(age / 2, retry.retry_base), retry.retry_max) * random.uniform(0.8, 1.2)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def directory_check(
    session: AsyncSession, chorus: ChorusClient, settings: Settings
) -> Callable[[InvoiceDocument], Awaitable[list[FieldError]]] | None:
    """`directory_errors` bound to a request, or None when the pre-flight is switched off."""
    if not settings.directory_preflight_enabled:
        return None
    policy = DirectoryPolicy.from_settings(settings)

    async def check(document: InvoiceDocument) -> list[FieldError]:
        return await directory_errors(
            session, chorus, document, settings.directory_lookup_timeout_seconds, policy=policy
        )

    return check
