"""Directory operations (API.md 3.11-3.15), answered from the seeded `directory` module.

Field names are those of API.md and examples/05_structures.json. The directory is static,
so these handlers only read: no lock is needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse

from app.simulator import directory
from app.simulator import payloads as p
from app.simulator.chorus import MAX_PAGE, MAX_PAGE_SIZE, NO_RESULT, Context, Operation
from app.simulator.directory import Service, Structure
from app.simulator.views import OK_GCU, OK_TRA

# Invented codes: the real ones for an unknown structure or service are not documented.
UNKNOWN_STRUCTURE = (20001, "SIM_MSG_STRUCTURE_INCONNUE")
UNKNOWN_SERVICE = (20002, "SIM_MSG_SERVICE_INCONNU")


def _paging(body: dict[str, Any], name: str) -> tuple[int, int]:
    """(page size, page) of a paging object; triColonne/triSens are accepted and ignored."""
    paging = p.optional_object(body, name)
    p.optional_str(paging, "triColonne")
    p.optional_str(paging, "triSens")
    page_size = p.positive_int(paging, "nbResultatsParPage", 10, MAX_PAGE_SIZE)
    return page_size, p.positive_int(paging, "pageResultatDemandee", 1, MAX_PAGE)


def _page(
    ctx: Context, key: str, items: Sequence[dict[str, Any]], page_size: int, page: int
) -> Response:
    code, libelle = 0, OK_TRA
    if not items and ctx.state.settings.empty_search_returns_20000:
        code, libelle = NO_RESULT
    answer = {
        "codeRetour": code,
        "libelle": libelle,
        key: list(items[(page - 1) * page_size :][:page_size]),
        "parametresRetour": {
            "nbResultatsParPage": page_size,
            "pageCourante": page,
            "pages": math.ceil(len(items) / page_size),
            "total": len(items),
        },
    }
    status = 200 if code == 0 else ctx.state.settings.functional_error_http_status
    return JSONResponse(answer, status_code=status)


def _identifier(criteria: dict[str, Any]) -> str | None:
    """`identifiantStructure`; the community example prints it as a number (API.md 3.11)."""
    value = criteria.get("identifiantStructure")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = p.optional_str(criteria, "identifiantStructure")
    return text.strip() if text else None


def _attached(structure: Structure) -> bool:
    """Private structures the technical account is attached to: only the supplier's own."""
    return structure.id == directory.SUPPLIER_ID


async def rechercher_structure(ctx: Context, body: dict[str, Any]) -> Response:
    criteria = p.optional_object(body, "structure")
    identifier = _identifier(criteria)
    id_type = p.optional_str(criteria, "typeIdentifiantStructure")
    name = p.optional_str(criteria, "raisonSocialeStructure") or p.optional_str(
        criteria, "libelleStructure"
    )
    kind = p.optional_str(criteria, "typeStructure")
    status = p.optional_str(criteria, "statutStructure")
    restrict = p.optional_bool(body, "restreindreStructuresPrivees")
    page_size, page = _paging(body, "parametres")

    def keep(structure: Structure) -> bool:
        checks = (
            identifier is None or structure.siret == identifier,
            id_type is None or id_type == "SIRET",
            name is None or name.casefold() in structure.designation.casefold(),
            kind is None or kind == ("PRIVEE" if structure.private else "PUBLIQUE"),
            # Input says ACTIF where answers say ACTIVE (API.md 4.6).
            status is None or (status == "ACTIF") == structure.active,
            # Absent or true: private structures only when attached (API.md 3.11).
            not structure.private or restrict is False or _attached(structure),
        )
        return all(checks)

    found = sorted((s for s in directory.STRUCTURES if keep(s)), key=lambda s: s.id)
    items = [
        {
            "idStructureCPP": s.id,
            "identifiantStructure": s.siret,
            "typeIdentifiantStructure": "SIRET",
            "designationStructure": s.designation,
            "statut": s.status,
        }
        for s in found
    ]
    return _page(ctx, "listeStructures", items, page_size, page)


async def consulter_structure(ctx: Context, body: dict[str, Any]) -> Response:
    found = directory.structure(p.required_int(body, "idStructureCPP"))
    p.optional_str(body, "codeLangue")
    if found is None:
        return ctx.functional_error(UNKNOWN_STRUCTURE)
    return JSONResponse(
        {
            "codeRetour": 0,
            "libelle": OK_GCU,
            "adressePostaleDuSiege": {
                "adresse": found.street,
                "complementAdresse1": "",
                "complementAdresse2": "",
                "codePostal": found.postal_code,
                "ville": found.city,
                "pays": "France",
                "telephone": "",
                "indicatifTelephone": "+33",
                "fax": "",
                "indicatifFax": "",
            },
            "informationGenerales": {
                "idStructureCPP": found.id,
                "identifiantStructure": found.siret,
                "typeIdentifiantStructure": "SIRET",
                "libelleStructure": found.designation,
                "raisonSocialeStructure": found.designation,
                "emailStructure": "",
                "structurePriveePublique": "PRIVEE" if found.private else "PUBLIQUE",
                **_password_expiry(ctx, found),
            },
            "parametres": {
                "codeServiceDoitEtreRenseigne": found.service_required,
                "numeroEJDoitEtreRenseigne": found.engagement_required,
                "gestionNumeroEJOuCodeService": found.engagement_or_service,
                "statutMiseEnPaiementNestPasRemonte": found.payment_status_not_reported,
                "connexionEDI": False,
                "recevoirDonneesViaEDI": False,
                "estMoaUniquement": False,
                "estValideurDelegue": False,
                "nonDiffusibleInsee": False,
            },
        }
    )


PASSWORD_ROTATION = timedelta(days=424)  # API.md §1: changed every 14 months


def _password_expiry(ctx: Context, found: Structure) -> dict[str, str]:
    """Only the technical account's own (private) structure tells its password's expiry."""
    if not found.private:
        return {}
    expires_on = ctx.state.settings.technical_password_expires_on
    if expires_on is None:
        expires_on = ctx.state.now().date() + PASSWORD_ROTATION
    return {"dateExpirationMotPasseCompteTech": expires_on.isoformat()}


def _service_item(service: Service) -> dict[str, Any]:
    return {
        "idService": service.id,
        "codeService": service.code,
        "libelleService": service.name,
        "dateDbtService": service.start,
        "dateFinService": service.end,
        "estActif": service.active,
    }


async def rechercher_services(ctx: Context, body: dict[str, Any]) -> Response:
    found = directory.structure(p.required_int(body, "idStructure"))
    page_size, page = _paging(body, "parametresRechercherServicesStructure")
    p.optional_int(body, "idUtilisateurCourant")
    if found is None:
        return ctx.functional_error(UNKNOWN_STRUCTURE)
    items = [_service_item(s) for s in sorted(found.services, key=lambda s: s.id)]
    return _page(ctx, "listeServices", items, page_size, page)


async def consulter_service(ctx: Context, body: dict[str, Any]) -> Response:
    found = directory.structure(p.required_int(body, "idStructure"))
    id_service = p.required_int(body, "idService")
    p.optional_str(body, "codeLangue")
    if found is None:
        return ctx.functional_error(UNKNOWN_STRUCTURE)
    service = found.service(id_service)
    if service is None:
        return ctx.functional_error(UNKNOWN_SERVICE)
    parameters: dict[str, Any] = {
        "dateCreation": ctx.fmt.iso(ctx.fmt.parse_instant(service.start)),
        "dateDebutValidite": ctx.fmt.iso(ctx.fmt.parse_instant(service.start)),
        "numeroEngagement": service.engagement_required,
    }
    if not service.active:
        parameters["dateFinValidite"] = ctx.fmt.iso(ctx.fmt.parse_instant(service.end))
    return JSONResponse(
        {
            "codeRetour": 0,
            "libelle": OK_TRA,
            "adressePostale": {
                "adresse": found.street,
                "codePostal": found.postal_code,
                "ville": found.city,
                "pays": "France",
            },
            "informationsGenerales": {
                "codeService": service.code,
                "nomService": service.name,
                "descriptionService": service.name,
            },
            "parametres": parameters,
        }
    )


async def rechercher_engagements(ctx: Context, body: dict[str, Any]) -> Response:
    """Only the request is documented (API.md 3.15); the item fields mirror it (invented)."""
    supplier = p.optional_int(body, "structureReceptriceEngagementJuridique")
    number = p.optional_str(body, "numeroEngagementJuridique")
    state = p.optional_str(body, "etatCourantEngagementJuridique")
    page_size, page = _paging(body, "parametres")
    items = [
        {
            "numeroEngagementJuridique": c.number,
            "etatCourantEngagementJuridique": c.state,
            "structureReceptriceEngagementJuridique": str(c.supplier_id),
        }
        for c in directory.COMMITMENTS
        if (supplier is None or c.supplier_id == supplier)
        and (number is None or c.number == number.strip())
        and (state is None or c.state == state)
    ]
    return _page(ctx, "listeEngagementJuridique", items, page_size, page)


# Paths relative to /cpro/ (API.md 3.11-3.15).
DIRECTORY_OPERATIONS: dict[str, Operation] = {
    "structures/v1/rechercher": Operation("rechercherStructure", "POST", rechercher_structure),
    "structures/v1/consulter": Operation("consulterStructure", "POST", consulter_structure),
    "structures/v1/rechercher/services": Operation(
        "rechercherServicesStructure", "POST", rechercher_services
    ),
    "structures/v1/consulter/service": Operation(
        "consulterServiceStructure", "POST", consulter_service
    ),
    "engagementsJuridiques/v1/rechercher": Operation(
        "rechercherEngagementJuridique", "POST", rechercher_engagements
    ),
}
