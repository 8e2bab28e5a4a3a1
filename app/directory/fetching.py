"""Reading a SIRET's directory data from Chorus Pro: HTTP only, no database.

rechercherStructure -> consulterStructure -> rechercherServicesStructure (all pages), then
consulterServiceStructure only for the services an invoice uses: a ministry has hundreds
of services and only the one on the invoice matters, so service details are fetched lazily.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from app.chorus import ChorusClient
from app.directory.entries import ACTIVE, ServiceEntry, StructureEntry
from app.kit.singleflight import SingleFlight
from app.kit.time import utcnow

# A SIRET Chorus does not know may be registered any day: trust that answer for less long.
NOT_FOUND_TTL = timedelta(hours=1)
# Services re-consulted on a refresh because an invoice used them; a bound, not a goal.
MAX_SERVICE_DETAILS = 20


async def fetch_structure(
    chorus: ChorusClient, siret: str, *, ttl: timedelta, service_codes: Iterable[str] = ()
) -> StructureEntry:
    """Everything the checks need about `siret`, fetched now."""
    items = [s for s in await chorus.search_structures(siret) if s.identifiant_structure == siret]
    active = [s for s in items if (s.statut or "").upper() == ACTIVE]
    now = utcnow()
    chosen = active[0] if active else (items[0] if items else None)
    entry = StructureEntry(
        siret=siret,
        match_count=len(items),
        active_count=len(active),
        id_structure_cpp=chosen.id_structure_cpp if chosen else None,
        designation=chosen.designation_structure if chosen else None,
        status=chosen.statut if chosen else None,
        details_known=False,
        service_code_required=False,
        engagement_required=False,
        engagement_or_service_required=False,
        payment_status_not_reported=False,
        services=(),
        fetched_at=now,
        expires_at=now + (ttl if items else min(ttl, NOT_FOUND_TTL)),
    )
    if len(active) != 1 or chosen is None:
        return entry  # unknown, inactive or ambiguous: the parameters would not be used
    structure = await chorus.get_structure(chosen.id_structure_cpp)
    services = await chorus.search_services(chosen.id_structure_cpp)
    flags = structure.parametres
    entry = replace(
        entry,
        details_known=True,
        service_code_required=flags.code_service_doit_etre_renseigne,
        engagement_required=flags.numero_ej_doit_etre_renseigne,
        engagement_or_service_required=flags.gestion_numero_ej_ou_code_service,
        payment_status_not_reported=flags.statut_mise_en_paiement_nest_pas_remonte,
        services=tuple(
            ServiceEntry(s.id_service, s.code_service, s.libelle_service, s.est_actif)
            for s in services
        ),
    )
    for code in list(dict.fromkeys(service_codes))[:MAX_SERVICE_DETAILS]:
        entry = await fetch_service_details(chorus, entry, code)
    return entry


async def fetch_service_details(
    chorus: ChorusClient, entry: StructureEntry, code: str
) -> StructureEntry:
    """`entry` with the numeroEngagement flag of service `code`, when it needs one."""
    service = entry.service(code)
    if not entry.needs_service_details(code) or service is None or entry.id_structure_cpp is None:
        return entry
    answer = await chorus.get_service(entry.id_structure_cpp, service.id_service)
    return entry.with_service_flag(service.id_service, answer.parametres.numero_engagement)


_fetches: SingleFlight[StructureEntry] = SingleFlight()


async def resolve(
    chorus: ChorusClient,
    siret: str,
    known: StructureEntry | None,
    *,
    service_code: str | None,
    ttl: timedelta,
    now: datetime,
) -> StructureEntry:
    """`known` if it is fresh and complete for `service_code`, else completed or fetched again.

    Concurrent callers in this process that need the same SIRET (and service) share one
    fetch: the jobs of fifty invoices to one new recipient make its four calls once.
    """
    if known is not None and known.is_fresh(now):
        if service_code and known.needs_service_details(service_code):
            current, code = known, service_code
            return await _fetches.run(
                ("service", siret, code, known.fetched_at),
                lambda: fetch_service_details(chorus, current, code),
            )
        return known
    return await _fetches.run(
        ("structure", siret, service_code),
        lambda: refetch(chorus, siret, known, ttl=ttl, service_code=service_code),
    )


async def refetch(
    chorus: ChorusClient,
    siret: str,
    known: StructureEntry | None,
    *,
    ttl: timedelta,
    service_code: str | None = None,
) -> StructureEntry:
    """Fetch again, consulting again the services whose flag was known: invoices use them."""
    codes = [service_code] if service_code else []
    if known is not None:
        codes += [s.code for s in known.services if s.engagement_required is not None]
    return await fetch_structure(chorus, siret, ttl=ttl, service_codes=codes)


async def engagement_exists(chorus: ChorusClient, supplier_id: int, number: str) -> bool:
    """The commitment is known to Chorus for this supplier, in state COMMANDE (as OCA checks)."""
    return bool(await chorus.search_legal_commitments(supplier_id, number))
