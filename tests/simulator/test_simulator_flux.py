"""deposerFluxFacture, the flux reports and the supplier search."""

from __future__ import annotations

import base64
import re

import pytest

from .helpers import (
    CII,
    FACTURX,
    PAYS,
    SUPPLIER,
    UBL,
    Harness,
    b64,
    cii_invoice,
    facturx_pdf,
    tar_gz,
    ubl_invoice,
    zip_archive,
)

PENDING = "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP"


async def test_deposit_answer_matches_the_documented_shape(sim: Harness) -> None:
    answer = await sim.deposit(cii_invoice("FA-2025-00042"))
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"codeRetour", "libelle", "numeroFluxDepot", "dateDepot", "syntaxeFlux"}
    assert body["codeRetour"] == 0
    assert body["libelle"] == "GCU_MSG_01_000"
    assert re.fullmatch(r"CPP0011106\d{15}", body["numeroFluxDepot"])
    assert body["dateDepot"] == "2025-03-14"
    assert body["syntaxeFlux"] == CII


async def test_cr_detaille_pending_then_integrated(sim: Harness) -> None:
    flux = await sim.deposit_ok(cii_invoice("FA-1"))
    pending = await sim.cr(flux)
    assert pending == {
        "codeRetour": 0,
        "libelle": "TRA_MSG_00.000",
        "codeInterfaceDepotFlux": "FSO1106A",
        "dateDepotFlux": "2025-03-14T10:00:00.000+01:00",
        "dateHeureEtatCourantFlux": "2025-03-14T10:00:00.000+01:00",
        "etatCourantDepotFlux": PENDING,
        "nomFichier": f"FSO1106A_CPP001_{flux}",
        "listeErreurDP": [],
        "listeErreurTechnique": [],
    }
    assert (await sim.search(numeroFluxDepot=flux))["listeFactures"] == []
    await sim.advance(0.99)
    assert (await sim.cr(flux))["etatCourantDepotFlux"] == PENDING
    await sim.advance(0.01)
    done = await sim.cr(flux)
    assert done["etatCourantDepotFlux"] == "IN_INTEGRE"
    assert done["dateHeureEtatCourantFlux"] == "2025-03-14T10:00:05.000+01:00"
    assert done["dateDepotFlux"] == pending["dateDepotFlux"]


async def test_consulter_cr_shape_and_pdf_report(sim: Harness) -> None:
    flux = await sim.deposit_ok(cii_invoice("FA-1"))
    await sim.advance()
    body = await sim.call("transverses/v1/consulterCR", {"numeroFluxDepot": flux})
    assert body["codeRetour"] == 0
    assert body["numeroFluxDepot"] == flux
    assert body["etatCourantFlux"] == "IN_INTEGRE"
    assert body["nomFichierFlux"] == f"FSO1106A_CPP001_{flux}"
    assert body["codeInterfaceFlux"] == "FSO1106A"
    assert body["dateDepotFlux"].startswith("2025-03-14T10:00:00")
    assert base64.b64decode(body["fichierCR"]).startswith(b"%PDF-")


@pytest.mark.parametrize(
    "path", ["transverses/v1/consulterCRDetaille", "transverses/v1/consulterCR"]
)
async def test_unknown_flux(sim: Harness, path: str) -> None:
    body = await sim.call(path, {"numeroFluxDepot": "CPP0011106000000000999999"})
    assert body == {"codeRetour": 20000, "libelle": "TRA_MSG_00.015"}


async def test_search_item_has_the_invoice_facts(sim: Harness) -> None:
    flux = await sim.deposit_ok(cii_invoice("FA-2025-00042"))
    await sim.advance()
    found = await sim.search(
        numeroFluxDepot=flux, rechercheFactureParFournisseur={"nbResultatsParPage": 10}
    )
    assert found["codeRetour"] == 0
    assert found["parametresRetour"] == {
        "nbResultatsParPage": 10,
        "pageCourante": 1,
        "pages": 1,
        "total": 1,
    }
    item = found["listeFactures"][0]
    assert isinstance(item["identifiantFactureCPP"], int)
    expected = {
        "numeroFacture": "FA-2025-00042",
        "statut": "DEPOSEE",
        "typeFacture": "FACTURE",
        "typeDemandePaiement": "FACTURE",
        "dateFacture": "2025-03-13",
        "dateDepot": "2025-03-14",
        "dateHeureEtatCourant": "2025-03-14T10:00:05.000+01:00",
        "montantHT": 1336.5,
        "montantTTC": 1603.8,
        "montantAPayer": 1603.8,
        "devise": "EUR",
        "numeroFluxDepot": flux,
        "modeDepot": "UPLOAD_API",
        "codeFournisseur": SUPPLIER,
        "typeIdentifiantFournisseur": "SIRET",
        "designationFournisseur": "EXEMPLE SERVICES SAS",
        "idDestinataire": 26346731,
        "codeDestinataire": PAYS,
        "designationDestinataire": "COMMUNE DE SAINT-EXEMPLE",
        "codeServiceExecutant": "SERV-FINANCES",
        "numeroBonCommande": "EJ-2025-001",
        "commentaireEtatCourant": "",
        "rejetTraite": False,
    }
    assert {k: item[k] for k in expected} == expected


async def test_cii_seller_id_fallback_and_credit_note(sim: Harness) -> None:
    xml = cii_invoice("AV-1", type_code="381", legal_org=False, engagement=None)
    flux = await sim.deposit_ok(xml)
    await sim.advance()
    item = (await sim.search(numeroFluxDepot=flux))["listeFactures"][0]
    assert item["codeFournisseur"] == SUPPLIER
    assert item["typeFacture"] == "AVOIR"
    assert item["numeroBonCommande"] == ""


@pytest.mark.parametrize(("credit_note", "kind"), [(False, "FACTURE"), (True, "AVOIR")])
async def test_ubl_invoice_and_credit_note(sim: Harness, credit_note: bool, kind: str) -> None:
    flux = await sim.deposit_ok(ubl_invoice("UBL-1", credit_note=credit_note), UBL)
    assert flux.startswith("CPP0011100")
    await sim.advance()
    assert (await sim.cr(flux))["codeInterfaceDepotFlux"] == "FSO1100A"
    item = (await sim.search(numeroFluxDepot=flux))["listeFactures"][0]
    assert item["typeFacture"] == kind
    assert item["codeFournisseur"] == SUPPLIER
    assert item["codeDestinataire"] == PAYS
    assert item["codeServiceExecutant"] == "SERV-UBL"
    assert item["numeroBonCommande"] == "PO-77"
    assert item["designationFournisseur"] == "UBL SARL"
    assert (item["montantHT"], item["montantTTC"], item["montantAPayer"]) == (100.0, 120.0, 120.0)


async def test_ubl_service_code_from_buyer_contact(sim: Harness) -> None:
    flux = await sim.deposit_ok(ubl_invoice("UBL-2", service_in_contact=True), UBL)
    await sim.advance()
    item = (await sim.search(numeroFluxDepot=flux))["listeFactures"][0]
    assert item["codeServiceExecutant"] == "SERV-UBL"


async def test_facturx_pdf(sim: Harness) -> None:
    pdf = facturx_pdf(cii_invoice("FX-2025-1"))
    flux = await sim.deposit_ok(pdf, FACTURX, "factur-x.pdf")
    assert flux.startswith("CPP0011117")
    await sim.advance()
    report = await sim.cr(flux)
    assert report["etatCourantDepotFlux"] == "IN_INTEGRE"
    assert report["codeInterfaceDepotFlux"] == "FSO1117A"
    item = (await sim.search(numeroFluxDepot=flux))["listeFactures"][0]
    assert item["numeroFacture"] == "FX-2025-1"
    assert item["montantAPayer"] == 1603.8


async def test_unsupported_syntax_is_a_functional_error(sim: Harness) -> None:
    answer = await sim.deposit(cii_invoice("FA-1"), "IN_DP_E1_XCBL")
    assert answer.status_code == 200
    assert answer.json() == {"codeRetour": 20002, "libelle": "SIM_MSG_SYNTAXE_FLUX_NON_SUPPORTEE"}
    assert (await sim.stats())["deposits"] == []


async def test_bad_base64_is_a_functional_error(sim: Harness) -> None:
    body = {"fichierFlux": "%%%not base64", "nomFichier": "f.xml", "syntaxeFlux": CII}
    answer = await sim.post("factures/v1/deposer/flux", body)
    assert answer.json() == {"codeRetour": 20003, "libelle": "SIM_MSG_FICHIER_FLUX_INVALIDE"}


async def test_too_large_flux(sim: Harness) -> None:
    sim.settings.max_flux_bytes = 100
    answer = await sim.deposit(cii_invoice("FA-1"))
    assert answer.json() == {"codeRetour": 20001, "libelle": "GDP_MSG_11.022"}


async def test_missing_deposit_field_is_400(sim: Harness) -> None:
    answer = await sim.post("factures/v1/deposer/flux", {"fichierFlux": b64(b"<x/>")})
    assert answer.status_code == 400
    assert "nomFichier" in answer.json()["message"]


@pytest.mark.parametrize(
    ("content", "syntax", "code"),
    [
        (b"<Invoice", CII, "SIM_XML_ILLISIBLE"),
        (ubl_invoice("U-1"), CII, "SIM_SYNTAXE_INCOHERENTE"),
        (cii_invoice("C-1"), FACTURX, "SIM_FACTURX_PAS_UN_PDF"),
        (b"%PDF-1.4 broken", FACTURX, "SIM_PDF_ILLISIBLE"),
        (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', CII, None),
    ],
)
async def test_unreadable_content_rejects_the_flux_later(
    sim: Harness, content: bytes, syntax: str, code: str | None
) -> None:
    flux = await sim.deposit_ok(content, syntax)
    assert (await sim.cr(flux))["listeErreurTechnique"] == []
    await sim.advance()
    report = await sim.cr(flux)
    assert report["etatCourantDepotFlux"] == "IN_REJETE"
    assert report["listeErreurDP"] == []
    [error] = report["listeErreurTechnique"]
    assert set(error) == {"codeErreur", "libelleErreur", "natureErreur"}
    assert error["codeErreur"] == (code or "SIM_XML_DTD_INTERDITE")
    assert "passwd" not in str(report) or code is None
    assert "root:" not in str(report)


async def test_missing_payable_amount_rejects(sim: Harness) -> None:
    flux = await sim.deposit_ok(cii_invoice("FA-NOPAY", payable=None))
    await sim.advance()
    report = await sim.cr(flux)
    assert report["etatCourantDepotFlux"] == "IN_REJETE"
    [error] = report["listeErreurDP"]
    assert error["numeroDP"] == "FA-NOPAY"
    assert error["libelleErreurDP"].startswith("SIMULATED: ")


async def test_xrej_prefix_rejects_the_flux_without_invoice(sim: Harness) -> None:
    flux = await sim.deposit_ok(cii_invoice("XREJ-001"))
    await sim.advance()
    report = await sim.cr(flux)
    assert report["etatCourantDepotFlux"] == "IN_REJETE"
    assert report["listeErreurDP"] == [
        {
            "numeroDP": "XREJ-001",
            "identifiantFournisseur": SUPPLIER,
            "identifiantDestinataire": PAYS,
            "libelleErreurDP": "SIMULATED: rejet demandé par le préfixe XREJ",
        }
    ]
    assert (await sim.search(numeroFacture="XREJ-001"))["listeFactures"] == []
    # A number rejected at flux level was never used: it can be sent again.
    assert (await sim.deposit(cii_invoice("XREJ-001"))).json()["codeRetour"] == 0


async def test_duplicate_number_for_same_supplier_is_rejected(sim: Harness) -> None:
    first = await sim.deposit_ok(cii_invoice("FA-DUP"))
    second = await sim.deposit_ok(cii_invoice("FA-DUP"))
    other_supplier = await sim.deposit_ok(cii_invoice("FA-DUP", supplier="44306184100047"))
    await sim.advance()
    assert (await sim.cr(first))["etatCourantDepotFlux"] == "IN_INTEGRE"
    assert (await sim.cr(other_supplier))["etatCourantDepotFlux"] == "IN_INTEGRE"
    report = await sim.cr(second)
    assert report["etatCourantDepotFlux"] == "IN_REJETE"
    [error] = report["listeErreurDP"]
    assert error["libelleErreurDP"] == "SIMULATED: numéro de facture déjà utilisé"
    assert (await sim.search(numeroFacture="FA-DUP"))["parametresRetour"]["total"] == 2


async def test_invoice_number_longer_than_20_chars_is_rejected(sim: Harness) -> None:
    flux = await sim.deposit_ok(cii_invoice("F" * 21))
    await sim.advance()
    assert (await sim.cr(flux))["etatCourantDepotFlux"] == "IN_REJETE"


async def test_archive_of_25_invoices_pages_by_10(sim: Harness) -> None:
    files = {f"inv-{n:02d}.xml": cii_invoice(f"LOT-{n:02d}") for n in range(25)}
    flux = await sim.deposit_ok(tar_gz(files), CII, "lot.tar.gz")
    await sim.advance()
    assert (await sim.cr(flux))["etatCourantDepotFlux"] == "IN_INTEGRE"
    numbers: list[str] = []
    ids: list[int] = []
    for page in (1, 2, 3):
        found = await sim.search(
            numeroFluxDepot=flux,
            rechercheFactureParFournisseur={"nbResultatsParPage": 10, "pageResultatDemandee": page},
        )
        assert found["parametresRetour"] == {
            "nbResultatsParPage": 10,
            "pageCourante": page,
            "pages": 3,
            "total": 25,
        }
        assert len(found["listeFactures"]) == (10 if page < 3 else 5)
        numbers += [item["numeroFacture"] for item in found["listeFactures"]]
        ids += [item["identifiantFactureCPP"] for item in found["listeFactures"]]
    assert numbers == [f"LOT-{n:02d}" for n in range(25)]
    assert ids == sorted(ids) and len(set(ids)) == 25
    beyond = await sim.search(
        numeroFluxDepot=flux, rechercheFactureParFournisseur={"pageResultatDemandee": 4}
    )
    assert beyond["listeFactures"] == [] and beyond["parametresRetour"]["total"] == 25


async def test_zip_archive_with_one_bad_invoice_is_partially_integrated(sim: Harness) -> None:
    files = {
        "a.xml": cii_invoice("ZIP-1"),
        "b.xml": cii_invoice("ZIP-2", payable=None),
        "c.xml": cii_invoice("ZIP-3"),
        "__MACOSX/._a.xml": b"junk",
    }
    flux = await sim.deposit_ok(zip_archive(files), CII, "lot.zip")
    await sim.advance()
    report = await sim.cr(flux)
    assert report["etatCourantDepotFlux"] == "IN_INTEGRE_PARTIEL"
    assert [e["numeroDP"] for e in report["listeErreurDP"]] == ["ZIP-2"]
    found = await sim.search(numeroFluxDepot=flux)
    assert [i["numeroFacture"] for i in found["listeFactures"]] == ["ZIP-1", "ZIP-3"]


async def test_archive_bomb_is_refused(sim: Harness) -> None:
    sim.settings.max_archive_bytes = 50_000
    flux = await sim.deposit_ok(zip_archive({"big.xml": b" " * 60_000}), CII, "bomb.zip")
    await sim.advance()
    report = await sim.cr(flux)
    assert report["listeErreurTechnique"][0]["codeErreur"] == "SIM_ARCHIVE_TROP_VOLUMINEUSE"


async def test_empty_search_and_its_20000_variant(sim: Harness) -> None:
    found = await sim.search(numeroFacture="NOPE")
    assert found == {
        "codeRetour": 0,
        "libelle": "TRA_MSG_00.000",
        "listeFactures": [],
        "parametresRetour": {"nbResultatsParPage": 10, "pageCourante": 1, "pages": 0, "total": 0},
    }
    sim.settings.empty_search_returns_20000 = True
    found = await sim.search(numeroFacture="NOPE")
    assert (found["codeRetour"], found["libelle"]) == (20000, "TRA_MSG_00.015")


async def test_search_filters(sim: Harness) -> None:
    await sim.deposit_ok(cii_invoice("S-1"))
    await sim.advance()
    await sim.deposit_ok(cii_invoice("S-2", type_code="381"))
    await sim.advance()

    async def numbers(**criteria: object) -> list[str]:
        return [i["numeroFacture"] for i in (await sim.search(**criteria))["listeFactures"]]

    assert await numbers() == ["S-1", "S-2"]
    assert await numbers(numeroFacture="S-2") == ["S-2"]
    assert await numbers(statutCourant=["MISE_A_DISPOSITION"]) == ["S-1"]
    assert await numbers(statutCourant=["DEPOSEE", "MISE_A_DISPOSITION"]) == ["S-1", "S-2"]
    assert await numbers(typeFacture="AVOIR") == ["S-2"]
    assert await numbers(periodeDateDepotDu="2025-03-14", periodeDateDepotAu="2025-03-14") == [
        "S-1",
        "S-2",
    ]
    assert await numbers(periodeDateDepotDu="2025-03-15") == []


async def test_bad_paging_is_400(sim: Harness) -> None:
    answer = await sim.post(
        "factures/v1/rechercher/fournisseur",
        {"rechercheFactureParFournisseur": {"nbResultatsParPage": 0}},
    )
    assert answer.status_code == 400
