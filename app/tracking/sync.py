"""The supplier status sync: what changed on Chorus Pro since last time, in one search.

Per supplier SIRET, a cycle asks `rechercherFactureParFournisseur` for the invoices whose
current status changed in [watermark - overlap, now), all pages, and matches them to ours by
`identifiantFactureCPP`. A cycle therefore costs one call per page of *changed* invoices,
plus one `consulterHistoriqueFacture` per changed invoice whose reason the ERP needs
(rejected, suspended, to recycle...) or whose status jumped past others between two cycles
(`app.tracking.steps`), whatever the number of invoices in flight.

Like submission and tracking, a cycle reads what it needs (`claim`), calls Chorus Pro outside
any transaction (`search`, `fetch_histories`) and stores the outcome (`record`). The
watermark only moves once the changes it covers are committed, in the same transaction.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.chorus import ChorusClient, ChorusError, ChorusUnavailableError
from app.chorus.schemas import ConsulterHistoriqueResponse, FactureFournisseur
from app.config import Settings
from app.invoices.lifecycle import needs_comment
from app.kit.ids import uuid7
from app.kit.queue import JobQueue
from app.tracking import observations
from app.tracking.observations import Observation
from app.tracking.policy import SyncPolicy
from app.tracking.repository import TrackingRepository
from app.tracking.steps import is_jump

logger = logging.getLogger(__name__)

SYNC_JOB = "sync_supplier_statuses"
# A supplier whose idStructureCPP could not be found is looked up again this often.
STRUCTURE_RECHECK = timedelta(days=1)
MAX_AGE_BATCH = 500


@dataclass(frozen=True)
class SyncClaim:
    supplier_siret: str
    lease_token: uuid.UUID
    watermark: datetime
    window_from: datetime
    window_to: datetime
    structure_id: int | None
    check_structure: bool


@dataclass
class Fetched:
    structure_id: int | None = None
    structure_checked: bool = False
    items: list[FactureFournisseur] = field(default_factory=list)
    histories: dict[int, ConsulterHistoriqueResponse] = field(default_factory=dict)
    history_errors: dict[int, str] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class Report:
    seen: int
    changed: int
    history_calls: int
    stopped: int
    error: str | None = None


async def claim(
    session: AsyncSession, supplier_siret: str, now: datetime, policy: SyncPolicy
) -> SyncClaim | None:
    """Take the supplier's cursor for one cycle; None when idle or another cycle holds it."""
    repository = TrackingRepository(session)
    cursor = await repository.ensure_cursor(supplier_siret, None, now)
    if cursor.lease_expires_at is not None and cursor.lease_expires_at > now:
        return None
    if not await repository.has_followed(supplier_siret):
        cursor.next_sync_at = None  # idle until an invoice of this supplier joins
        return None
    if cursor.watermark is None:
        cursor.watermark = await repository.oldest_followed_status_at(supplier_siret) or now
    cursor.lease_token = uuid7()
    cursor.lease_expires_at = now + policy.lease
    checked = cursor.structure_checked_at
    return SyncClaim(
        supplier_siret=supplier_siret,
        lease_token=cursor.lease_token,
        watermark=cursor.watermark,
        window_from=cursor.watermark - policy.overlap,
        window_to=now,
        structure_id=cursor.supplier_structure_id,
        check_structure=cursor.supplier_structure_id is None
        and (checked is None or checked < now - STRUCTURE_RECHECK),
    )


async def search(chorus: ChorusClient, claim: SyncClaim, policy: SyncPolicy) -> Fetched:
    """Every invoice of the supplier whose status changed in the claim's window."""
    fetched = Fetched(structure_id=claim.structure_id)
    if claim.check_structure:
        await _resolve_structure(chorus, claim.supplier_siret, fetched)
    try:
        async for item in chorus.search_supplier_invoices(
            status_changed_from=claim.window_from,
            status_changed_to=claim.window_to,
            supplier_id=fetched.structure_id,
            page_size=policy.page_size,
        ):
            # Without idFournisseur the search covers every structure of the technical
            # account: keep this supplier's invoices only.
            if item.code_fournisseur in (None, "", claim.supplier_siret):
                fetched.items.append(item)
    except ChorusError as exc:
        fetched.error = str(exc)
    return fetched


async def _resolve_structure(chorus: ChorusClient, siret: str, fetched: Fetched) -> None:
    """The supplier's idStructureCPP, to filter the search on Chorus's side (idFournisseur).

    Optional: when the structure API is not subscribed (403) or the SIRET is ambiguous, the
    search runs without idFournisseur and is filtered on `codeFournisseur` here instead.
    """
    try:
        found = await chorus.search_structures(siret)
    except ChorusUnavailableError as exc:
        logger.info("supplier %s: structure lookup postponed: %s", siret, exc)
        return
    except ChorusError as exc:
        logger.warning(
            "supplier %s: no idStructureCPP (%s); filtering on codeFournisseur", siret, exc
        )
        fetched.structure_checked = True
        return
    fetched.structure_checked = True
    mine = [s for s in found if s.identifiant_structure == siret]
    if len(mine) == 1:
        fetched.structure_id = mine[0].id_structure_cpp
    else:
        logger.warning(
            "supplier %s: %d structures found; filtering on codeFournisseur", siret, len(mine)
        )


async def histories_needed(session: AsyncSession, fetched: Fetched) -> list[int]:
    """Chorus ids of our invoices whose status changed to one whose reason matters, or that
    jumped past statuses the search cannot show (passed between two syncs, `steps`)."""
    ids = [item.identifiant_facture_cpp for item in fetched.items]
    ours = {i.chorus_invoice_id: i for i in await TrackingRepository(session).by_chorus_ids(ids)}
    wanted = []
    for item in fetched.items:
        invoice = ours.get(item.identifiant_facture_cpp)
        if invoice is None or not item.statut:
            continue
        if not (needs_comment(item.statut) or is_jump(invoice.chorus_status, item.statut)):
            continue
        if observations.is_new(invoice, Observation.of(item)):
            wanted.append(item.identifiant_facture_cpp)
    return wanted


async def fetch_histories(chorus: ChorusClient, fetched: Fetched, wanted: list[int]) -> None:
    for chorus_id in wanted:
        try:
            fetched.histories[chorus_id] = await chorus.get_invoice_history(chorus_id)
        except ChorusError as exc:
            fetched.history_errors[chorus_id] = str(exc)


async def record(
    session: AsyncSession, claim: SyncClaim, fetched: Fetched, now: datetime, policy: SyncPolicy
) -> Report:
    """Apply the changes, then move the watermark over them, in one transaction."""
    repository = TrackingRepository(session)
    changed = stopped = 0
    if fetched.error is None:
        # Invoices before the cursor: the flux phase locks in that order too.
        ids = [item.identifiant_facture_cpp for item in fetched.items]
        ours = {
            i.chorus_invoice_id: i for i in await repository.by_chorus_ids(ids, for_update=True)
        }
        for item in fetched.items:
            invoice = ours.get(item.identifiant_facture_cpp)
            if invoice is None or item.identifiant_facture_cpp in fetched.history_errors:
                continue  # not ours, or its reason could not be read: the next cycle retries
            seen = Observation.of(item, fetched.histories.get(item.identifiant_facture_cpp))
            if await observations.apply(session, invoice, seen):
                changed += 1
        await session.flush()
        stale = await repository.followed_deposited_before(
            claim.supplier_siret, now - policy.follow_max_age, MAX_AGE_BATCH
        )
        for invoice in stale:
            await observations.stop_following(
                session,
                invoice,
                f"Not followed any more after {policy.follow_max_age.days} days on Chorus Pro: "
                "the recipient may not report payment; the last status stays",
            )
        stopped = len(stale)
        await session.flush()

    cursor = await repository.get_for_update(claim.supplier_siret)
    error = fetched.error or next(iter(fetched.history_errors.values()), None)
    report = Report(len(fetched.items), changed, len(fetched.histories), stopped, error)
    if cursor is None or cursor.lease_token != claim.lease_token:
        logger.warning("supplier %s: sync lease lost; changes kept", claim.supplier_siret)
        return report
    cursor.lease_token = None
    cursor.lease_expires_at = None
    if fetched.structure_checked:
        cursor.structure_checked_at = now
        cursor.supplier_structure_id = fetched.structure_id
    cursor.last_error = error
    if fetched.error is not None:
        cursor.failures += 1
        cursor.next_sync_at = now + max(policy.backoff.after(cursor.failures), policy.interval)
        logger.warning("supplier %s: sync failed: %s", claim.supplier_siret, fetched.error)
        return report
    cursor.failures = 0
    cursor.last_synced_at = now
    # A change the flux phase or an action made meanwhile may have moved it back: keep that.
    if not fetched.history_errors and cursor.watermark == claim.watermark:
        cursor.watermark = claim.window_to
    has_followed = await repository.has_followed(claim.supplier_siret)
    cursor.next_sync_at = now + policy.interval if has_followed else None
    return report


async def release(session: AsyncSession, claim: SyncClaim, policy: SyncPolicy) -> bool:
    """Give back the lease of a cycle that failed before `record`; due again soon."""
    cursor = await TrackingRepository(session).get_for_update(claim.supplier_siret)
    if cursor is None or cursor.lease_token != claim.lease_token:
        return False
    cursor.lease_token = None
    cursor.lease_expires_at = None
    cursor.failures += 1
    cursor.next_sync_at = claim.window_to + policy.backoff.after(cursor.failures)
    return True


def sync_job_id(supplier_siret: str) -> str:
    """One live cycle job per supplier (see `submission.scheduling.submit_job_id`)."""
    return f"sync:{supplier_siret}"


async def enqueue_due_syncs(
    session: AsyncSession, queue: JobQueue, now: datetime, settings: Settings
) -> int:
    """The tick's step: suppliers due for a cycle, each leased so no other tick takes it."""
    lease = SyncPolicy.from_settings(settings).lease
    cursors = await TrackingRepository(session).claim_due_cursors(now, settings.poll_batch_size)
    for cursor in cursors:
        cursor.next_sync_at = now + lease
        siret = cursor.supplier_siret
        args = {"supplier_siret": siret}
        await queue.enqueue(SYNC_JOB, sync_job_id(siret), args, urgent=True)
    return len(cursors)
