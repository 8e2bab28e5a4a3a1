"""Directory and health operations: bodies as API.md spells them, parsed answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from app.chorus import ChorusAuthError, ChorusClient, ChorusProtocolError

from .fakes import FakePiste, body_of, json_response, ok

PARIS = ZoneInfo("Europe/Paris")


async def test_search_structures(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(
        "structures/v1/rechercher",
        ok(
            listeStructures=[
                {
                    "idStructureCPP": 26346731,
                    "identifiantStructure": 21330063500025,
                    "typeIdentifiantStructure": "SIRET",
                    "designationStructure": "COMMUNE DE SAINT-EXEMPLE",
                    "statut": "ACTIVE",
                }
            ],
            parametresRetour={"nbResultatsParPage": 100, "pageCourante": 1, "pages": 1, "total": 1},
        ),
    )

    (structure,) = await client.search_structures("21330063500025")

    assert body_of(piste.api_requests[0]) == {
        "structure": {
            "identifiantStructure": "21330063500025",
            "typeIdentifiantStructure": "SIRET",
        },
        "restreindreStructuresPrivees": False,
        "parametres": {"nbResultatsParPage": 100, "pageResultatDemandee": 1},
    }
    assert structure.id_structure_cpp == 26346731
    assert structure.identifiant_structure == "21330063500025"
    assert structure.statut == "ACTIVE"


async def test_search_structures_none_found(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(
        "structures/v1/rechercher",
        json_response(200, {"codeRetour": 20000, "libelle": "TRA_MSG_00.015"}),
    )

    assert await client.search_structures("21330063500025") == []


async def test_get_structure(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(
        "structures/v1/consulter",
        ok(
            libelle="GCU_MSG_01_000",
            informationGenerales={
                "idStructureCPP": 26346731,
                "identifiantStructure": "21330063500025",
                "libelleStructure": "COMMUNE DE SAINT-EXEMPLE",
                "structurePriveePublique": "PUBLIQUE",
            },
            parametres={
                "codeServiceDoitEtreRenseigne": True,
                "numeroEJDoitEtreRenseigne": False,
                "gestionNumeroEJOuCodeService": None,
                "connexionEDI": False,
            },
        ),
    )

    structure = await client.get_structure(26346731)

    assert body_of(piste.api_requests[0]) == {"idStructureCPP": 26346731, "codeLangue": "FR"}
    params = structure.parametres
    assert params.code_service_doit_etre_renseigne is True
    assert params.numero_ej_doit_etre_renseigne is False
    assert params.gestion_numero_ej_ou_code_service is False
    assert params.statut_mise_en_paiement_nest_pas_remonte is False
    assert structure.information_generales.id_structure_cpp == 26346731


async def test_get_structure_without_parametres_is_protocol_error(
    client: ChorusClient, piste: FakePiste
) -> None:
    # Reading a missing block as "nothing mandatory" would send invoices to rejection.
    piste.on("structures/v1/consulter", ok(informationGenerales={"idStructureCPP": 1}))

    with pytest.raises(ChorusProtocolError):
        await client.get_structure(1)


async def test_search_services_walks_pages(client: ChorusClient, piste: FakePiste) -> None:
    def service(n: int, active: bool) -> dict[str, Any]:
        return {
            "idService": 10657670 + n,
            "codeService": f"SERV-{n}",
            "libelleService": f"Service {n}",
            "dateDbtService": "2019-01-07 09:15",
            "dateFinService": "2050-12-31 00:00",
            "estActif": active,
        }

    piste.on(
        "structures/v1/rechercher/services",
        ok(listeServices=[service(1, True), service(2, False)], parametresRetour={"pages": 2}),
        ok(listeServices=[service(3, True)], parametresRetour={"pages": 2}),
    )

    services = await client.search_services(26346731, page_size=2)

    assert [s.code_service for s in services] == ["SERV-1", "SERV-2", "SERV-3"]
    assert [s.est_actif for s in services] == [True, False, True]
    assert services[0].date_dbt_service == datetime(2019, 1, 7, 9, 15, tzinfo=PARIS)
    assert [body_of(r) for r in piste.api_requests] == [
        {
            "idStructure": 26346731,
            "parametresRechercherServicesStructure": {
                "nbResultatsParPage": 2,
                "pageResultatDemandee": page,
            },
        }
        for page in (1, 2)
    ]


async def test_get_service(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(
        "structures/v1/consulter/service",
        ok(
            informationsGenerales={"codeService": "SERV-FINANCES", "nomService": "Finances"},
            parametres={
                "dateCreation": "2019-01-07T09:15:02.114+01:00",
                "dateDebutValidite": "2019-01-07T09:15:00.000+01:00",
                "numeroEngagement": True,
            },
        ),
    )

    service = await client.get_service(26346731, 10657671)

    assert body_of(piste.api_requests[0]) == {
        "idStructure": 26346731,
        "idService": 10657671,
        "codeLangue": "FR",
    }
    assert service.parametres.numero_engagement is True
    assert service.informations_generales.code_service == "SERV-FINANCES"


async def test_search_legal_commitments(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(
        "engagementsJuridiques/v1/rechercher",
        ok(listeEngagementJuridique=[{"numeroEngagementJuridique": "EJ1300458721"}]),
    )

    found = await client.search_legal_commitments(26262961, "EJ1300458721")

    assert found == [{"numeroEngagementJuridique": "EJ1300458721"}]
    assert body_of(piste.api_requests[0]) == {
        "structureReceptriceEngagementJuridique": "26262961",
        "numeroEngagementJuridique": "EJ1300458721",
        "etatCourantEngagementJuridique": "COMMANDE",
    }


async def test_search_legal_commitments_none(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(
        "engagementsJuridiques/v1/rechercher",
        json_response(200, {"codeRetour": 20000, "libelle": "TRA_MSG_00.015"}),
    )

    assert await client.search_legal_commitments(26262961, "EJ0") == []


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (json_response(200, {"body": "ok", "statusCodeValue": 200, "statusCode": "OK"}), True),
        (httpx.Response(200, text="ok"), True),
        (json_response(200, {"statusCodeValue": 503}), False),
        (httpx.Response(503), False),
        (httpx.ConnectError("down"), False),
    ],
    ids=["json", "text", "inner-503", "503", "down"],
)
async def test_health_check(
    client: ChorusClient, piste: FakePiste, reply: Any, expected: bool
) -> None:
    piste.on("transverses/v1/health-check", reply)

    assert await client.health_check() is expected
    request = piste.api_requests[0]
    assert request.method == "GET"
    assert request.content == b""
    assert request.headers["Authorization"] == "Bearer token-1"
    assert request.headers["Content-Type"] == "application/json;charset=utf-8"


async def test_health_check_raises_on_auth_problems(client: ChorusClient, piste: FakePiste) -> None:
    piste.on("transverses/v1/health-check", httpx.Response(403))

    with pytest.raises(ChorusAuthError):
        await client.health_check()
