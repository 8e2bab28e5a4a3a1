"""Checking an invoice's routing against the recipient's directory settings before it is sent.

Two callers: an ERP request (`directory_errors`, bounded by a timeout, answers from the
cache when Chorus is slow) and the submission stage (`prepare` -> `gather` -> `judge`, with
the HTTP calls between two short transactions). The directory only gives a verdict; the
stage that owns the invoice applies it. An unreachable directory never makes an invoice
invalid: the verdict is to wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from app.chorus import ChorusClient, ChorusError
from app.config import Settings, get_settings
from app.directory.checks import check_invoice, engagement_unknown, supplier_unknown
from app.directory.entries import StructureEntry
from app.directory.fetching import engagement_exists, resolve
from app.directory.service import DirectoryPolicy, DirectoryUnavailable, directory_service
from app.document import InvoiceDocument
from app.kit.errors import FieldError
from app.kit.time import utcnow

UNREACHABLE = "Chorus Pro's directory could not be read; the deposit waits for it"


async def directory_errors(
    session: AsyncSession,
    chorus: ChorusClient,
    document: InvoiceDocument,
    timeout: timedelta,  # noqa: ASYNC109 - the signature agreed with POST /v1/invoices/validate
    *,
    policy: DirectoryPolicy | None = None,
) -> list[FieldError]:
    """The directory rules `document` breaks, answered within `timeout`.

    Uses the cache (stale if Chorus is slow); raises DirectoryUnavailable (503) when Chorus
    does not answer in time and nothing is cached.
    """
    policy = policy or DirectoryPolicy.from_settings(get_settings())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout.total_seconds()
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
            timeout=max(deadline - loop.time(), 0.0),
        )
    except (TimeoutError, ChorusError) as exc:
        raise DirectoryUnavailable("the engagement number could not be checked in time") from exc
    return [] if found else [engagement_unknown(number)]


def directory_check(
    session: AsyncSession, chorus: ChorusClient, settings: Settings
) -> Callable[[InvoiceDocument], Awaitable[list[FieldError]]] | None:
    """`directory_errors` bound to a request, or None when the pre-flight is switched off."""
    if not settings.directory_preflight_enabled:
        return None
    policy = DirectoryPolicy.from_settings(settings)

    async def check(document: InvoiceDocument) -> list[FieldError]:
        return await directory_errors(
            session, chorus, document, settings.directory_lookup_timeout, policy=policy
        )

    return check


@dataclass(frozen=True)
class Routing:
    """Where an invoice goes, as the directory rules read it."""

    recipient_siret: str
    supplier_siret: str
    service_code: str | None
    engagement_number: str | None


@dataclass(frozen=True)
class Target:
    """The routing with what the cache knew before any HTTP call."""

    routing: Routing
    recipient: StructureEntry | None
    supplier: StructureEntry | None


@dataclass(frozen=True)
class Findings:
    recipient: StructureEntry | None
    supplier: StructureEntry | None = None
    engagement_found: bool | None = None
    error: str | None = None  # Chorus could not be asked: what is known may be incomplete
    retry_after: timedelta | None = None


class Decision(StrEnum):
    PASSED = "passed"
    INVALID = "invalid"
    DEFERRED = "deferred"


@dataclass(frozen=True)
class Verdict:
    """What the directory says of a routing; the invoice's stage applies it."""

    decision: Decision
    recipient: StructureEntry | None = None
    errors: list[FieldError] = field(default_factory=list)
    reason: str | None = None  # why it must wait (DEFERRED)
    retry_after: timedelta | None = None


async def prepare(session: AsyncSession, routing: Routing, policy: DirectoryPolicy) -> Target:
    """What the check needs from the cache, read before any HTTP call."""
    verify = policy.verify_engagement and bool(routing.engagement_number)
    supplier = await directory_service.cached(session, routing.supplier_siret) if verify else None
    return Target(
        routing=routing,
        recipient=await directory_service.cached(session, routing.recipient_siret),
        supplier=supplier,
    )


def answers_from_cache(target: Target, policy: DirectoryPolicy, now: datetime) -> bool:
    """Whether `gather` would make no Chorus call: the check can run inside a transaction."""
    routing, recipient = target.routing, target.recipient
    if recipient is None or not recipient.is_fresh(now):
        return False
    if routing.service_code and recipient.needs_service_details(routing.service_code):
        return False
    number = routing.engagement_number
    # Verifying an engagement number always asks Chorus, unless the routing fails before.
    return not (
        policy.verify_engagement
        and number
        and not check_invoice(recipient, routing.service_code, number)
    )


async def gather(chorus: ChorusClient, target: Target, policy: DirectoryPolicy) -> Findings:
    """The Chorus calls the check needs (none when the cache is fresh); no database."""
    now = utcnow()
    routing = target.routing
    recipient, supplier = target.recipient, target.supplier
    try:
        recipient = await resolve(
            chorus,
            routing.recipient_siret,
            recipient,
            service_code=routing.service_code,
            ttl=policy.ttl,
            now=now,
        )
        number = routing.engagement_number
        if not (policy.verify_engagement and number) or check_invoice(
            recipient, routing.service_code, number
        ):
            return Findings(recipient)
        supplier = await resolve(
            chorus, routing.supplier_siret, supplier, service_code=None, ttl=policy.ttl, now=now
        )
        if supplier.active_count != 1 or supplier.id_structure_cpp is None:
            return Findings(recipient, supplier)
        found = await engagement_exists(chorus, supplier.id_structure_cpp, number)
        return Findings(recipient, supplier, engagement_found=found)
    except ChorusError as exc:
        return Findings(
            recipient, supplier, error=str(exc), retry_after=getattr(exc, "retry_after", None)
        )


async def judge(
    session: AsyncSession, target: Target, findings: Findings, policy: DirectoryPolicy
) -> Verdict:
    """Cache what Chorus said, then pass the routing, refuse it with reasons, or wait."""
    recipient = findings.recipient
    if recipient is not None:
        await directory_service.store(session, recipient, target.recipient, used=True)
    if findings.supplier is not None:
        await directory_service.store(session, findings.supplier, target.supplier, used=True)
    routing = target.routing
    verify = policy.verify_engagement and routing.engagement_number is not None
    if recipient is not None:
        errors = check_invoice(recipient, routing.service_code, routing.engagement_number)
        if findings.error is None:
            if verify and not errors:
                errors = _engagement_errors(routing, findings)
            if errors:
                return Verdict(Decision.INVALID, recipient, errors)
            return Verdict(Decision.PASSED, recipient)
        # Chorus failed part-way: what is cached may be old or incomplete. It may let the
        # invoice through (Chorus judges it anyway), never make it invalid.
        if not (errors or verify or _may_need_engagement(routing, recipient)):
            return Verdict(Decision.PASSED, recipient)
    return Verdict(
        Decision.DEFERRED,
        recipient,
        reason=f"{UNREACHABLE}: {findings.error}",
        retry_after=findings.retry_after,
    )


def _engagement_errors(routing: Routing, findings: Findings) -> list[FieldError]:
    """Only called when the check was asked for and Chorus answered every call."""
    number = routing.engagement_number
    supplier = findings.supplier
    if number is None:
        return []
    if supplier is None or supplier.active_count != 1:
        return [supplier_unknown(routing.supplier_siret)]
    return [] if findings.engagement_found else [engagement_unknown(number)]


def _may_need_engagement(routing: Routing, recipient: StructureEntry) -> bool:
    """Without an EJ, a service whose flag is unknown might still require one."""
    return not routing.engagement_number and recipient.needs_service_details(routing.service_code)
