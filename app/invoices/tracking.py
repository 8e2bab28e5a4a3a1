"""Following a deposited invoice on Chorus Pro: flux report, then the invoice's history.

Like submission, a poll reads what it needs (`load`), calls Chorus Pro outside any
transaction (`fetch`) and stores the changes (`apply`), each change as a history line.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.chorus import ChorusClient, ChorusError
from app.chorus.schemas import HistoStatut
from app.core.time import utcnow
from app.invoices import history
from app.invoices.lifecycle import (
    CHORUS_FINAL_STATUSES,
    FINAL_STATUSES,
    FLUX_INTEGRATED_STATES,
    FLUX_REJECTED_STATES,
    InvoiceStatus,
    gateway_status,
)
from app.invoices.repository import InvoiceRepository

logger = logging.getLogger(__name__)

# An integrated flux whose invoice cannot be found is treated as rejected after this many
# polls (Chorus sometimes omits the error; OCA handles it the same way).
MISSING_AFTER_INTEGRATION_POLLS = 3
POLL_JOB = "poll_invoice"


@dataclass(frozen=True)
class TrackingPolicy:
    poll_interval: timedelta
    retry_base: timedelta
    retry_max: timedelta


@dataclass(frozen=True)
class PollTarget:
    invoice_id: uuid.UUID
    number: str
    flux_number: str
    chorus_invoice_id: int | None
    last_history_id: int | None


@dataclass
class PollResult:
    flux_state: str | None = None
    flux_changed_at: datetime | None = None
    flux_errors: list[str] = field(default_factory=list)
    chorus_invoice_id: int | None = None
    new_history: list[HistoStatut] = field(default_factory=list)
    error: str | None = None


async def load(session: AsyncSession, invoice_id: uuid.UUID) -> PollTarget | None:
    invoice = await InvoiceRepository(session).get(invoice_id)
    if invoice is None or invoice.flux_number is None or invoice.status in FINAL_STATUSES:
        return None
    return PollTarget(
        invoice.id,
        invoice.number,
        invoice.flux_number,
        invoice.chorus_invoice_id,
        invoice.last_history_id,
    )


async def fetch(chorus: ChorusClient, target: PollTarget) -> PollResult:
    result = PollResult(chorus_invoice_id=target.chorus_invoice_id)
    try:
        if result.chorus_invoice_id is None:
            report = await chorus.get_flux_report(target.flux_number)
            result.flux_state = report.etat_courant_depot_flux
            result.flux_changed_at = report.date_heure_etat_courant_flux
            ours = [e for e in report.liste_erreur_dp if e.numero_dp in (None, target.number)]
            result.flux_errors = [e.libelle_erreur_dp or "rejected without a reason" for e in ours]
            result.flux_errors += [
                t.libelle_erreur or t.code_erreur or "technical error"
                for t in report.liste_erreur_technique
            ]
            if result.flux_state in FLUX_INTEGRATED_STATES and not ours:
                async for found in chorus.search_supplier_invoices(flux_number=target.flux_number):
                    if found.numero_facture == target.number:
                        result.chorus_invoice_id = found.identifiant_facture_cpp
                        break
        if result.chorus_invoice_id is not None:
            answer = await chorus.get_invoice_history(result.chorus_invoice_id)
            entries = answer.historiques_des_statuts.histo_statut
            last = target.last_history_id or 0
            result.new_history = sorted(
                (e for e in entries if (e.histo_statut_id or 0) > last),
                key=lambda e: e.histo_statut_id or 0,
            )
    except ChorusError as exc:
        result.error = str(exc)
    return result


async def apply(
    session: AsyncSession, target: PollTarget, result: PollResult, policy: TrackingPolicy
) -> None:
    invoice = await InvoiceRepository(session).get_for_update(target.invoice_id)
    if invoice is None or invoice.status in FINAL_STATUSES:
        if invoice is not None:
            invoice.next_poll_at = None
        return
    now = utcnow()
    if result.error is not None:
        invoice.poll_failures += 1
        delay = min(policy.retry_base * 2 ** min(invoice.poll_failures, 10), policy.retry_max)
        invoice.next_poll_at = now + max(delay, policy.retry_base)
        invoice.last_error = result.error
        logger.warning("invoice %s: poll failed: %s", invoice.id, result.error)
        return
    invoice.next_poll_at = now + policy.poll_interval
    if result.flux_state is not None and result.flux_state != invoice.flux_status:
        invoice.flux_status = result.flux_state
    state = result.flux_state
    if invoice.chorus_invoice_id is None and state is not None:
        missing = state in FLUX_INTEGRATED_STATES and result.chorus_invoice_id is None
        if missing and not result.flux_errors:
            invoice.poll_failures += 1
            if invoice.poll_failures < MISSING_AFTER_INTEGRATION_POLLS:
                return
            result.flux_errors = ["the flux was integrated but the invoice is not in it"]
        if state in FLUX_REJECTED_STATES or result.flux_errors:
            invoice.next_poll_at = None
            invoice.reuses_number_allowed = True
            await history.record(
                session,
                invoice,
                InvoiceStatus.REJECTED,
                source="chorus",
                comment=f"Flux {state}: " + "; ".join(result.flux_errors or ["no reason given"]),
                occurred_at=result.flux_changed_at,
                details={"flux_state": state, "errors": result.flux_errors},
            )
            return
    if result.chorus_invoice_id is not None:
        invoice.chorus_invoice_id = result.chorus_invoice_id
    invoice.poll_failures = 0
    for entry in result.new_history:
        status = gateway_status(entry.histo_statut_code, InvoiceStatus(invoice.status))
        await history.record(
            session,
            invoice,
            status,
            source="chorus",
            chorus_status=entry.histo_statut_code,
            comment=entry.histo_statut_commentaire or None,
            occurred_at=entry.histo_statut_date_passage,
            details={"histoStatutId": entry.histo_statut_id},
        )
        invoice.last_history_id = entry.histo_statut_id
    if invoice.chorus_status in CHORUS_FINAL_STATUSES:
        invoice.next_poll_at = None


async def schedule_due(
    session: AsyncSession, now: datetime, limit: int, lease: timedelta
) -> list[str]:
    """Claim invoices due for a poll; push their next poll out so no other tick takes them."""
    invoices = await InvoiceRepository(session).claim_due_polls(now, limit)
    for invoice in invoices:
        invoice.next_poll_at = now + lease
    return [str(invoice.id) for invoice in invoices]
