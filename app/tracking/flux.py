"""The flux phase: a deposited flux, followed one by one until Chorus Pro has processed it.

Fluxes waiting for processing are few and each answer is news, so each is asked
`consulterCRDetaille`. Once integrated, the invoice is found in its flux (search by
`numeroFluxDepot`, all pages), its first status recorded, and it joins its supplier's status
sync (`app.tracking.sync`), which follows it from then on at no per-invoice cost.

Like submission, a poll reads what it needs (`load`), calls Chorus Pro outside any
transaction (`fetch`) and stores the changes (`apply`), each change as a history line.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.chorus import ChorusClient, ChorusError
from app.chorus.schemas import ConsulterHistoriqueResponse, FactureFournisseur
from app.config import Settings
from app.invoices import history
from app.invoices.lifecycle import (
    FINAL_STATUSES,
    EventSource,
    FluxOutcome,
    InvoiceStatus,
    flux_outcome,
    gateway_status,
    needs_comment,
)
from app.invoices.repository import InvoiceRepository
from app.kit.queue import JobQueue
from app.kit.time import utcnow
from app.models.invoice import Invoice
from app.tracking import observations
from app.tracking.observations import Observation
from app.tracking.policy import TrackingPolicy
from app.tracking.repository import TrackingRepository
from app.tracking.steps import is_jump

logger = logging.getLogger(__name__)

# An integrated flux whose invoice cannot be found is treated as rejected after this many
# polls (Chorus sometimes omits the error; OCA handles it the same way).
MISSING_AFTER_INTEGRATION_POLLS = 3
POLL_JOB = "poll_invoice"


@dataclass(frozen=True)
class PollTarget:
    invoice_id: uuid.UUID
    number: str
    supplier_siret: str
    flux_number: str | None
    chorus_invoice_id: int | None


@dataclass
class PollResult:
    flux_state: str | None = None
    flux_changed_at: datetime | None = None
    flux_errors: list[str] = field(default_factory=list)
    found: FactureFournisseur | None = None
    history: ConsulterHistoriqueResponse | None = None
    error: str | None = None


async def load(session: AsyncSession, invoice_id: uuid.UUID) -> PollTarget | None:
    """Invoices deposited whose first Chorus status is not known yet; others need no poll."""
    invoice = await InvoiceRepository(session).get(invoice_id)
    if (
        invoice is None
        or invoice.status in FINAL_STATUSES
        or invoice.chorus_status is not None
        or (invoice.flux_number is None and invoice.chorus_invoice_id is None)
    ):
        return None
    return PollTarget(
        invoice.id,
        invoice.number,
        invoice.supplier_siret,
        invoice.flux_number,
        invoice.chorus_invoice_id,
    )


async def fetch(chorus: ChorusClient, target: PollTarget) -> PollResult:
    result = PollResult()
    try:
        ours = []
        if target.chorus_invoice_id is None and target.flux_number is not None:
            report = await chorus.get_flux_report(target.flux_number)
            result.flux_state = report.etat_courant_depot_flux
            result.flux_changed_at = report.date_heure_etat_courant_flux
            ours = [e for e in report.liste_erreur_dp if e.numero_dp in (None, target.number)]
            result.flux_errors = [e.libelle_erreur_dp or "rejected without a reason" for e in ours]
            result.flux_errors += [
                t.libelle_erreur or t.code_erreur or "technical error"
                for t in report.liste_erreur_technique
            ]
        integrated = result.flux_state and flux_outcome(result.flux_state) is FluxOutcome.INTEGRATED
        if target.chorus_invoice_id is not None or (integrated and not ours):
            result.found = await _find(chorus, target)
        status = result.found.statut or "" if result.found is not None else ""
        if result.found is not None and (needs_comment(status) or is_jump(None, status)):
            result.history = await chorus.get_invoice_history(result.found.identifiant_facture_cpp)
    except ChorusError as exc:
        result.error = str(exc)
    return result


async def _find(chorus: ChorusClient, target: PollTarget) -> FactureFournisseur | None:
    """Our invoice in its flux (every page), or by number when only the Chorus id is known."""
    if target.flux_number is not None:
        found = chorus.search_supplier_invoices(flux_number=target.flux_number)
    else:
        found = chorus.search_supplier_invoices(invoice_number=target.number)
    async for item in found:
        if target.chorus_invoice_id is not None:
            if item.identifiant_facture_cpp == target.chorus_invoice_id:
                return item
        elif item.numero_facture == target.number and item.code_fournisseur in (
            None,
            "",
            target.supplier_siret,
        ):
            return item
    return None


async def apply(
    session: AsyncSession, target: PollTarget, result: PollResult, policy: TrackingPolicy
) -> None:
    invoice = await InvoiceRepository(session).get_for_update(target.invoice_id)
    if invoice is None or invoice.status in FINAL_STATUSES or invoice.chorus_status is not None:
        if invoice is not None:
            invoice.next_poll_at = None
        return
    now = utcnow()
    if result.error is not None:
        invoice.poll_failures += 1
        invoice.next_poll_at = now + policy.backoff.after(invoice.poll_failures)
        invoice.last_error = result.error
        logger.warning("invoice %s: poll failed: %s", invoice.id, result.error)
        return
    invoice.next_poll_at = now + policy.poll_interval
    state = result.flux_state
    if state is not None and state != invoice.flux_status:
        invoice.flux_status = state
    if invoice.chorus_invoice_id is None and state is not None:
        outcome = flux_outcome(state)
        if outcome is FluxOutcome.INTEGRATED and result.found is None and not result.flux_errors:
            invoice.poll_failures += 1
            if invoice.poll_failures < MISSING_AFTER_INTEGRATION_POLLS:
                return
            result.flux_errors = ["the flux was integrated but the invoice is not in it"]
        if outcome is FluxOutcome.FAILED:
            invoice.next_poll_at = None
            await history.record(
                session,
                invoice,
                InvoiceStatus.FAILED,
                source=EventSource.CHORUS,
                comment=f"Flux {state}: Chorus Pro could not process it",
                occurred_at=result.flux_changed_at,
                details={"flux_state": state, "errors": result.flux_errors},
            )
            return
        if outcome is FluxOutcome.REJECTED or result.flux_errors:
            invoice.next_poll_at = None
            invoice.reuses_number_allowed = True
            await history.record(
                session,
                invoice,
                InvoiceStatus.REJECTED,
                source=EventSource.CHORUS,
                comment=f"Flux {state}: " + "; ".join(result.flux_errors or ["no reason given"]),
                occurred_at=result.flux_changed_at,
                details={"flux_state": state, "errors": result.flux_errors},
            )
            return
    found = result.found
    if found is None or not found.statut:
        return
    invoice.chorus_invoice_id = found.identifiant_facture_cpp
    invoice.poll_failures = 0
    invoice.next_poll_at = None
    seen = Observation.of(found, result.history)
    if gateway_status(seen.statut, InvoiceStatus(invoice.status)) is not InvoiceStatus.DELIVERED:
        # Found already past its first statuses: it was delivered all the same, say so.
        await history.record(
            session,
            invoice,
            InvoiceStatus.DELIVERED,
            source=EventSource.GATEWAY,
            comment=f"Integrated by Chorus Pro as invoice {found.identifiant_facture_cpp}",
            occurred_at=result.flux_changed_at,
        )
    await observations.apply(session, invoice, seen)
    if invoice.followed:
        await observations.follow(session, invoice, since=found.date_heure_etat_courant or now)


def expect_flux_report(invoice: Invoice, at: datetime) -> None:
    """A flux was just deposited (or found): ask for its report from `at` on."""
    invoice.next_poll_at = at


def poll_job_id(invoice_id: str) -> str:
    """One live poll per invoice (see `submission.scheduling.submit_job_id`)."""
    return f"poll:{invoice_id}"


async def enqueue_due_polls(
    session: AsyncSession, queue: JobQueue, now: datetime, settings: Settings
) -> int:
    """The tick's step: fluxes due for a poll, each leased so that no other tick takes it."""
    lease = TrackingPolicy.from_settings(settings).lease
    invoices = await TrackingRepository(session).claim_due_polls(now, settings.poll_batch_size)
    for invoice in invoices:
        invoice.next_poll_at = now + lease
        invoice_id = str(invoice.id)
        args = {"invoice_id": invoice_id}
        await queue.enqueue(POLL_JOB, poll_job_id(invoice_id), args, urgent=True)
    return len(invoices)
