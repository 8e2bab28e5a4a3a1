"""What Chorus Pro says about one invoice, applied to it: statuses, reasons, end of following.

Shared by the flux phase (first status of an integrated invoice), the supplier sync (every
later change) and the actions (which put an invoice back under the sync).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.chorus.schemas import ConsulterHistoriqueResponse, FactureFournisseur, HistoStatut
from app.invoices import history
from app.invoices.lifecycle import (
    FINAL_STATUSES,
    PAYMENT_NOT_REPORTED_END,
    EventSource,
    InvoiceStatus,
    gateway_status,
)
from app.kit.time import utcnow
from app.models.invoice import Invoice
from app.tracking.repository import TrackingRepository

logger = logging.getLogger(__name__)

SAME_STATUS_GAP = timedelta(minutes=1)


@dataclass(frozen=True)
class Observation:
    """One invoice as a search answer shows it, with its history when it was worth a call."""

    chorus_invoice_id: int
    statut: str
    at: datetime | None
    comment: str | None
    history: tuple[HistoStatut, ...] | None = None

    @classmethod
    def of(
        cls, item: FactureFournisseur, answer: ConsulterHistoriqueResponse | None = None
    ) -> Observation:
        entries = None
        if answer is not None:
            entries = tuple(sorted(answer.statuses, key=lambda e: e.histo_statut_id or 0))
        return cls(
            chorus_invoice_id=item.identifiant_facture_cpp,
            statut=item.statut or "",
            at=item.date_heure_etat_courant,
            comment=item.commentaire_etat_courant or None,
            history=entries,
        )


def is_new(invoice: Invoice, seen: Observation) -> bool:
    """A status we have not stored yet: another code, or the same code reached again later.

    "Later" means a minute or more: a time read from a history entry is cut to the minute,
    and the same status reached twice within a minute cannot be told apart anyway.
    """
    if not seen.statut:
        return False
    known_at = invoice.chorus_status_changed_at
    if seen.at is not None and known_at is not None and seen.at < known_at:
        return False  # older than what we stored: a slow answer overtaken by a newer one
    if invoice.chorus_status != seen.statut:
        return True
    return seen.at is not None and known_at is not None and seen.at - known_at >= SAME_STATUS_GAP


def _unseen_entries(invoice: Invoice, seen: Observation) -> list[HistoStatut]:
    """History entries after the last one we stored, up to the observed status (inclusive).

    Entries newer than the observation are left to the next sync, so that the stored status
    and its time always come from the same (search) answer.
    """
    entries = list(seen.history or ())
    last = max((i for i, e in enumerate(entries) if e.histo_statut_code == seen.statut), default=-1)
    entries = entries[: last + 1]
    if invoice.last_history_id is not None:
        return [e for e in entries if (e.histo_statut_id or 0) > invoice.last_history_id]
    known_at = invoice.chorus_status_changed_at
    start = 0
    for i, entry in enumerate(entries[:-1]):
        when = entry.histo_statut_date_passage
        if entry.histo_statut_code == invoice.chorus_status and (
            known_at is None or when is None or when <= known_at
        ):
            start = i + 1
    return entries[start:]


async def apply(session: AsyncSession, invoice: Invoice, seen: Observation) -> bool:
    """Record a new Chorus status (and the skipped ones the history shows); True if recorded."""
    if InvoiceStatus(invoice.status) in FINAL_STATUSES:
        invoice.followed = False
        return False
    if not is_new(invoice, seen):
        return False
    entries = _unseen_entries(invoice, seen)
    final = entries[-1] if entries and entries[-1].histo_statut_code == seen.statut else None
    for entry in entries if final is None else entries[:-1]:
        await _record(
            session,
            invoice,
            entry.histo_statut_code,
            _not_before(entry.histo_statut_date_passage, invoice.chorus_status_changed_at),
            entry.histo_statut_commentaire,
            entry.histo_statut_id,
        )
    comment = (final.histo_statut_commentaire if final else None) or seen.comment
    await _record(
        session,
        invoice,
        seen.statut,
        seen.at,
        comment,
        final.histo_statut_id if final else None,
    )
    for entry in entries:
        if entry.histo_statut_id is not None:
            invoice.last_history_id = max(invoice.last_history_id or 0, entry.histo_statut_id)
    await _settle(session, invoice)
    return True


def _not_before(at: datetime | None, previous: datetime | None) -> datetime | None:
    """A history time is cut to the minute: never before the status it followed, so the
    history stays in Chorus's order (the true time lies between the two)."""
    if at is None or previous is None:
        return at
    return max(at, previous)


async def _record(
    session: AsyncSession,
    invoice: Invoice,
    code: str,
    at: datetime | None,
    comment: str | None,
    history_id: int | None,
) -> None:
    status = gateway_status(code, InvoiceStatus(invoice.status))
    details = {"histoStatutId": history_id} if history_id is not None else None
    await history.record(
        session,
        invoice,
        status,
        source=EventSource.CHORUS,
        chorus_status=code,
        comment=comment or None,
        occurred_at=at,
        details=details,
    )


async def _settle(session: AsyncSession, invoice: Invoice) -> None:
    """Whether the sync keeps following the invoice after its new status."""
    status = InvoiceStatus(invoice.status)
    if status in FINAL_STATUSES:
        invoice.followed = False
        return
    if invoice.recipient_reports_payment is False and (
        invoice.chorus_status in PAYMENT_NOT_REPORTED_END
    ):
        if invoice.followed:
            invoice.followed = False
            await history.record(
                session,
                invoice,
                status,
                source=EventSource.GATEWAY,
                comment=f"Following ends at {invoice.chorus_status}: this recipient does not "
                "report payment on Chorus Pro (statutMiseEnPaiementNestPasRemonte)",
            )
        return
    invoice.followed = True


async def follow(session: AsyncSession, invoice: Invoice, since: datetime | None) -> None:
    """Put the invoice under its supplier's sync, which will look back to `since` at least."""
    invoice.followed = True
    invoice.next_poll_at = None
    repository = TrackingRepository(session)
    cursor = await repository.ensure_cursor(invoice.supplier_siret, since, utcnow())
    if since is not None and (cursor.watermark is None or since < cursor.watermark):
        cursor.watermark = since
    if cursor.next_sync_at is None:
        cursor.next_sync_at = utcnow()


async def stop_following(session: AsyncSession, invoice: Invoice, reason: str) -> None:
    """Leave the status as it is and say why nothing more will be learnt."""
    invoice.followed = False
    await history.record(
        session, invoice, InvoiceStatus(invoice.status), source=EventSource.GATEWAY, comment=reason
    )
