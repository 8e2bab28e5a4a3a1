"""The seeded Chorus Pro directory: structures, their services, and legal commitments (EJ).

Each recipient exercises one combination of the mandatory-data parameters of API.md 3.12, so
every pre-flight rule of a client can be reproduced on purpose. The data is static (a reset
does not change it) and docs/simulator.md lists the same rows; a test keeps the two in step.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

FACTURES_PUBLIQUES = "FACTURES_PUBLIQUES"


@dataclass(frozen=True)
class Service:
    id: int
    code: str
    name: str
    active: bool = True
    # consulterServiceStructure `parametres.numeroEngagement`: an EJ is mandatory for it.
    engagement_required: bool = False
    start: str = "2019-01-07 09:15"
    end: str = "2050-12-31 00:00"


@dataclass(frozen=True)
class Structure:
    id: int
    siret: str
    designation: str
    active: bool = True
    private: bool = False
    service_required: bool = False
    engagement_required: bool = False
    engagement_or_service: bool = False
    payment_status_not_reported: bool = False
    services: tuple[Service, ...] = ()
    street: str = "1 place de la Mairie"
    postal_code: str = "33000"
    city: str = "SAINT-EXEMPLE"

    @property
    def status(self) -> str:
        """`statut` of rechercherStructure; only ACTIVE is confirmed (API.md 4.6)."""
        return "ACTIVE" if self.active else "INACTIVE"

    def service(self, id_service: int) -> Service | None:
        return next((s for s in self.services if s.id == id_service), None)


@dataclass(frozen=True)
class Commitment:
    """A legal commitment (EJ) as rechercherEngagementJuridique finds it for a supplier."""

    number: str
    supplier_id: int
    state: str = "COMMANDE"


SUPPLIER_ID = 26262961


def _finances(service_id: int, *, engagement_required: bool = False) -> Service:
    return Service(service_id, "SERV-FINANCES", "Direction des finances", True, engagement_required)


STRUCTURES: tuple[Structure, ...] = (
    # The scenario recipients of scenarios.py: each accepts examples/invoice.json
    # (service SERV-FINANCES, engagement EJ1300458721).
    Structure(
        26346731,
        "21330063500025",
        "COMMUNE DE SAINT-EXEMPLE",
        service_required=True,
        services=(
            _finances(10657671, engagement_required=True),
            Service(
                10657672,
                "SERV-TECH",
                "Services techniques",
                active=False,
                start="2019-01-07 09:16",
                end="2023-12-31 00:00",
            ),
            Service(
                10657600,
                FACTURES_PUBLIQUES,
                "Service des factures publiques",
                start="2017-01-01 00:00",
            ),
        ),
    ),
    Structure(
        26346732,
        "21750001600019",
        "COMMUNE QUI REJETTE",
        engagement_required=True,
        services=(_finances(10660001),),
        postal_code="75001",
        city="PARIS",
    ),
    Structure(
        26346733,
        "21690123100011",
        "COMMUNE QUI SUSPEND",
        services=(_finances(10660002),),
        postal_code="69001",
        city="LYON",
    ),
    Structure(
        26346734,
        "21130055300016",
        "COMMUNE QUI RECYCLE",
        engagement_or_service=True,
        services=(_finances(10660003), Service(10660004, "SERV-ACHATS", "Service des achats")),
        postal_code="13001",
        city="MARSEILLE",
    ),
    Structure(
        26346735,
        "21310555400017",
        "COMMUNE SANS STATUT DE PAIEMENT",
        service_required=True,
        engagement_required=True,
        payment_status_not_reported=True,
        services=(_finances(10660005),),
        postal_code="31000",
        city="TOULOUSE",
    ),
    # One structure per combination of the mandatory-data parameters.
    Structure(
        26346740,
        "21330100500012",
        "COMMUNE CODE SERVICE OBLIGATOIRE",
        service_required=True,
        services=(_finances(10660010), Service(10660011, "SERV-ACCUEIL", "Accueil")),
    ),
    Structure(
        26346741,
        "21330101300016",
        "COMMUNE ENGAGEMENT OBLIGATOIRE",
        engagement_required=True,
        services=(_finances(10660012),),
    ),
    Structure(
        26346742,
        "21330102100019",
        "COMMUNE CODE SERVICE ET ENGAGEMENT OBLIGATOIRES",
        service_required=True,
        engagement_required=True,
        services=(_finances(10660013),),
    ),
    Structure(
        26346743,
        "21330103900011",
        "COMMUNE CODE SERVICE OU ENGAGEMENT",
        engagement_or_service=True,
        services=(_finances(10660014),),
    ),
    Structure(
        # gestionNumeroEJOuCodeService wins over the other two flags (OCA mapping, API.md 3.12).
        26346744,
        "21330104700014",
        "COMMUNE GESTION EJ OU SERVICE PRIORITAIRE",
        service_required=True,
        engagement_required=True,
        engagement_or_service=True,
        services=(_finances(10660015),),
    ),
    Structure(
        26346745,
        "21330105400010",
        "COMMUNE SANS DONNEE OBLIGATOIRE",
        services=(_finances(10660016),),
    ),
    Structure(
        26346746,
        "21330106200013",
        "ANCIENNE COMMUNE FUSIONNEE",
        active=False,
        service_required=True,
        services=(_finances(10660017),),
    ),
    Structure(
        26346747,
        "21330107000016",
        "COMMUNE AU SERVICE FERME",
        service_required=True,
        services=(
            Service(
                10660018,
                "SERV-FINANCES",
                "Direction des finances (fermée)",
                active=False,
                end="2024-06-30 00:00",
            ),
            Service(10660019, "SERV-COMPTABILITE", "Service comptabilité"),
        ),
    ),
    Structure(
        26346748,
        "21330108800018",
        "ETABLISSEMENT AUX SEULES FACTURES PUBLIQUES",
        service_required=True,
        services=(Service(10660020, FACTURES_PUBLIQUES, "Service des factures publiques"),),
    ),
    Structure(
        26346749,
        "21330109600011",
        "COMMUNE AU SERVICE EXIGEANT UN ENGAGEMENT",
        services=(
            _finances(10660021),
            Service(10660022, "SERV-MARCHES", "Service des marchés", engagement_required=True),
        ),
    ),
    # The same SIRET registered twice, both active: it does not resolve to one structure.
    Structure(
        26346750, "21330110400013", "SYNDICAT EN DOUBLE (1)", services=(_finances(10660023),)
    ),
    Structure(
        26346751, "21330110400013", "SYNDICAT EN DOUBLE (2)", services=(_finances(10660024),)
    ),
    # Enough services to need several pages of rechercherServicesStructure.
    Structure(
        26346752,
        "21330111200016",
        "COMMUNE AUX NOMBREUX SERVICES",
        services=tuple(
            Service(
                10661000 + n,
                f"SERV-{n:03d}",
                f"Service numéro {n}",
                active=n % 5 != 0,
                end="2050-12-31 00:00" if n % 5 else "2024-12-31 00:00",
            )
            for n in range(1, 26)
        ),
    ),
    # The supplier of examples/invoice.json: the technical account's own (private) structure.
    Structure(
        SUPPLIER_ID,
        "81234567600017",
        "EXEMPLE SERVICES SAS",
        private=True,
        street="12 rue des Exemples",
        postal_code="75011",
        city="PARIS",
    ),
)

COMMITMENTS: tuple[Commitment, ...] = (
    Commitment("EJ1300458721", SUPPLIER_ID),
    Commitment("EJ1300458722", SUPPLIER_ID),
    Commitment("EJ2026000001", SUPPLIER_ID),
    # Any state other than COMMANDE; the real state names are not documented.
    Commitment("EJ2019000099", SUPPLIER_ID, state="CLOTURE"),
)

_BY_ID: dict[int, Structure] = {s.id: s for s in STRUCTURES}
_BY_SIRET: dict[str, list[Structure]] = defaultdict(list)
for _structure in STRUCTURES:
    _BY_SIRET[_structure.siret].append(_structure)


def structure(id_structure: int) -> Structure | None:
    return _BY_ID.get(id_structure)


def structures_for(siret: str) -> list[Structure]:
    """Every structure registered under the SIRET (usually one; none when unknown)."""
    return list(_BY_SIRET.get(siret, ()))


def structure_id_for(siret: str) -> int | None:
    """The idStructureCPP of a SIRET registered once, else None."""
    found = _BY_SIRET.get(siret, [])
    return found[0].id if len(found) == 1 else None


def service_id_for(siret: str, code: str) -> int | None:
    """The idService of the active service with this code at this recipient, if any."""
    for candidate in _BY_SIRET.get(siret, ()):
        for service in candidate.services:
            if service.code == code and service.active:
                return service.id
    return None
