"""The directory operations: seeded data, field names of API.md 3.11-3.15, paging, errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from stdnum.fr import siret as stdnum_siret

from app.simulator.directory import COMMITMENTS, STRUCTURES, SUPPLIER_ID, structures_for
from app.simulator.scenarios import RECIPIENTS, structure_id

from .helpers import NO_PAYMENT_STATUS, PAYS, SUPPLIER, Harness, cii_invoice

DOCS = Path(__file__).parents[2] / "docs" / "simulator.md"
UNKNOWN = "21330063500033"  # Luhn-valid, in no directory


def search_body(siret: str, **extra: Any) -> dict[str, Any]:
    return {
        "structure": {"identifiantStructure": siret, "typeIdentifiantStructure": "SIRET"},
        "restreindreStructuresPrivees": False,
        "parametres": {"nbResultatsParPage": 10, "pageResultatDemandee": 1},
        **extra,
    }


def test_every_seeded_siret_is_valid_and_scenario_ids_agree() -> None:
    for structure in STRUCTURES:
        assert stdnum_siret.is_valid(structure.siret), structure.siret
    for siret, recipient in RECIPIENTS.items():
        (seeded,) = structures_for(siret)
        assert seeded.id == recipient.id_structure
        finances = next(s for s in seeded.services if s.code == "SERV-FINANCES")
        assert finances.active
    assert structures_for(NO_PAYMENT_STATUS)[0].payment_status_not_reported
    assert structure_id(SUPPLIER) == SUPPLIER_ID
    assert stdnum_siret.is_valid(UNKNOWN)
    assert not structures_for(UNKNOWN)


def test_docs_table_lists_every_seeded_structure() -> None:
    section = DOCS.read_text().split("### Seeded directory", 1)[1].split("\n## ", 1)[0]
    rows = {
        (match.group(1), int(match.group(2)))
        for match in re.finditer(r"^\| `(\d{14})` \| (\d+) \|", section, re.MULTILINE)
    }
    assert rows == {(s.siret, s.id) for s in STRUCTURES}
    for commitment in COMMITMENTS:
        assert f"`{commitment.number}`" in section


async def test_rechercher_structure_matches_example_05(sim: Harness) -> None:
    answer = await sim.call("structures/v1/rechercher", search_body(PAYS))
    assert answer == {
        "codeRetour": 0,
        "libelle": "TRA_MSG_00.000",
        "listeStructures": [
            {
                "idStructureCPP": 26346731,
                "identifiantStructure": "21330063500025",
                "typeIdentifiantStructure": "SIRET",
                "designationStructure": "COMMUNE DE SAINT-EXEMPLE",
                "statut": "ACTIVE",
            }
        ],
        "parametresRetour": {"nbResultatsParPage": 10, "pageCourante": 1, "pages": 1, "total": 1},
    }


async def test_unknown_siret_gives_an_empty_list(sim: Harness) -> None:
    answer = await sim.call("structures/v1/rechercher", search_body(UNKNOWN))
    assert answer["codeRetour"] == 0
    assert answer["listeStructures"] == []
    assert answer["parametresRetour"]["total"] == 0


async def test_empty_search_may_answer_20000(sim: Harness) -> None:
    sim.settings.empty_search_returns_20000 = True
    answer = await sim.call("structures/v1/rechercher", search_body(UNKNOWN))
    assert (answer["codeRetour"], answer["libelle"]) == (20000, "TRA_MSG_00.015")


async def test_inactive_and_duplicated_structures(sim: Harness) -> None:
    inactive = await sim.call("structures/v1/rechercher", search_body("21330106200013"))
    assert [s["statut"] for s in inactive["listeStructures"]] == ["INACTIVE"]
    twice = await sim.call("structures/v1/rechercher", search_body("21330110400013"))
    assert [s["idStructureCPP"] for s in twice["listeStructures"]] == [26346750, 26346751]


async def test_search_criteria_and_private_structures(sim: Harness) -> None:
    by_name = await sim.call(
        "structures/v1/rechercher",
        {"structure": {"raisonSocialeStructure": "qui rejette"}},
    )
    assert [s["identifiantStructure"] for s in by_name["listeStructures"]] == ["21750001600019"]
    supplier = await sim.call(
        "structures/v1/rechercher", {"structure": {"typeStructure": "PRIVEE"}}
    )
    assert [s["idStructureCPP"] for s in supplier["listeStructures"]] == [SUPPLIER_ID]
    inactive = await sim.call(
        "structures/v1/rechercher",
        {"structure": {"statutStructure": "INACTIF"}, "parametres": {"nbResultatsParPage": 50}},
    )
    assert [s["identifiantStructure"] for s in inactive["listeStructures"]] == ["21330106200013"]


async def test_consulter_structure_gives_the_four_flags(sim: Harness) -> None:
    answer = await sim.call(
        "structures/v1/consulter", {"idStructureCPP": 26346735, "codeLangue": "FR"}
    )
    assert answer["libelle"] == "GCU_MSG_01_000"
    assert answer["informationGenerales"]["identifiantStructure"] == NO_PAYMENT_STATUS
    assert answer["informationGenerales"]["structurePriveePublique"] == "PUBLIQUE"
    assert {k: answer["parametres"][k] for k in list(answer["parametres"])[:4]} == {
        "codeServiceDoitEtreRenseigne": True,
        "numeroEJDoitEtreRenseigne": True,
        "gestionNumeroEJOuCodeService": False,
        "statutMiseEnPaiementNestPasRemonte": True,
    }
    assert set(answer["adressePostaleDuSiege"]) >= {"adresse", "codePostal", "ville", "pays"}


async def test_consulter_structure_unknown_is_a_functional_error(sim: Harness) -> None:
    answer = await sim.call("structures/v1/consulter", {"idStructureCPP": 1})
    assert (answer["codeRetour"], answer["libelle"]) == (20001, "SIM_MSG_STRUCTURE_INCONNUE")
    refused = await sim.post("structures/v1/consulter", {"codeLangue": "FR"})
    assert refused.status_code == 400
    assert refused.json()["libelle"] == "SIM_MSG_CHAMP_OBLIGATOIRE"


async def test_rechercher_services_matches_example_05(sim: Harness) -> None:
    answer = await sim.call(
        "structures/v1/rechercher/services",
        {
            "idStructure": 26346731,
            "parametresRechercherServicesStructure": {
                "nbResultatsParPage": 100,
                "pageResultatDemandee": 1,
            },
        },
    )
    assert answer["parametresRetour"] == {
        "nbResultatsParPage": 100,
        "pageCourante": 1,
        "pages": 1,
        "total": 3,
    }
    by_code = {s["codeService"]: s for s in answer["listeServices"]}
    assert by_code["SERV-FINANCES"] == {
        "idService": 10657671,
        "codeService": "SERV-FINANCES",
        "libelleService": "Direction des finances",
        "dateDbtService": "2019-01-07 09:15",
        "dateFinService": "2050-12-31 00:00",
        "estActif": True,
    }
    assert by_code["SERV-TECH"]["estActif"] is False
    assert by_code["FACTURES_PUBLIQUES"]["estActif"] is True


async def test_rechercher_services_pages(sim: Harness) -> None:
    def body(page: int) -> dict[str, Any]:
        paging = {"pageResultatDemandee": page}  # default page size: 10
        return {"idStructure": 26346752, "parametresRechercherServicesStructure": paging}

    pages = [await sim.call("structures/v1/rechercher/services", body(n)) for n in (1, 2, 3)]
    assert [len(p["listeServices"]) for p in pages] == [10, 10, 5]
    assert pages[0]["parametresRetour"] == {
        "nbResultatsParPage": 10,
        "pageCourante": 1,
        "pages": 3,
        "total": 25,
    }
    codes = [s["codeService"] for p in pages for s in p["listeServices"]]
    assert codes == [f"SERV-{n:03d}" for n in range(1, 26)]


async def test_consulter_service_flag_and_errors(sim: Harness) -> None:
    answer = await sim.call(
        "structures/v1/consulter/service",
        {"idStructure": 26346731, "idService": 10657671, "codeLangue": "FR"},
    )
    assert answer["informationsGenerales"]["codeService"] == "SERV-FINANCES"
    assert answer["parametres"]["numeroEngagement"] is True
    assert answer["parametres"]["dateDebutValidite"] == "2019-01-07T09:15:00.000+01:00"
    other = await sim.call(
        "structures/v1/consulter/service", {"idStructure": 26346749, "idService": 10660021}
    )
    assert other["parametres"]["numeroEngagement"] is False
    wrong = await sim.call(
        "structures/v1/consulter/service", {"idStructure": 26346749, "idService": 10657671}
    )
    assert (wrong["codeRetour"], wrong["libelle"]) == (20002, "SIM_MSG_SERVICE_INCONNU")


async def test_rechercher_engagement_juridique(sim: Harness) -> None:
    def body(number: str) -> dict[str, Any]:
        return {
            "structureReceptriceEngagementJuridique": str(SUPPLIER_ID),
            "numeroEngagementJuridique": number,
            "etatCourantEngagementJuridique": "COMMANDE",
        }

    found = await sim.call("engagementsJuridiques/v1/rechercher", body("EJ1300458721"))
    assert found["codeRetour"] == 0
    assert [e["numeroEngagementJuridique"] for e in found["listeEngagementJuridique"]] == [
        "EJ1300458721"
    ]
    closed = await sim.call("engagementsJuridiques/v1/rechercher", body("EJ2019000099"))
    assert closed["listeEngagementJuridique"] == []
    other_supplier = {**body("EJ1300458721"), "structureReceptriceEngagementJuridique": "1"}
    none = await sim.call("engagementsJuridiques/v1/rechercher", other_supplier)
    assert none["listeEngagementJuridique"] == []


async def test_directory_calls_are_counted_and_take_faults(sim: Harness) -> None:
    fault = {"operation": "consulterStructure", "status": 503}
    assert (await sim.client.post("/_simulator/faults", json=fault)).status_code == 200
    failed = await sim.post("structures/v1/consulter", {"idStructureCPP": 26346731})
    assert failed.status_code == 503
    await sim.call("structures/v1/consulter", {"idStructureCPP": 26346731})
    await sim.call("structures/v1/rechercher", search_body(PAYS))
    calls = (await sim.client.get("/_simulator/stats")).json()["calls"]
    assert calls["consulterStructure"] == 2
    assert calls["rechercherStructure"] == 1


async def test_flux_invoices_use_directory_ids(sim: Harness) -> None:
    await sim.deposit_ok(
        cii_invoice("DIR-IDS-1", recipient="21330109600011", service="SERV-MARCHES")
    )
    await sim.client.post("/_simulator/clock/advance", json={"seconds": sim.step})
    found = await sim.call("factures/v1/rechercher/fournisseur", {"numeroFacture": "DIR-IDS-1"})
    (item,) = found["listeFactures"]
    assert item["idDestinataire"] == 26346749
    assert item["designationDestinataire"] == "COMMUNE AU SERVICE EXIGEANT UN ENGAGEMENT"
    assert item["idServiceExecutant"] == 10660022
