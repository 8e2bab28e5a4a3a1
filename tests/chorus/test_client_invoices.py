"""Invoice operations: bodies as API.md spells them, answers parsed into wire models."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from app.chorus import (
    ChorusClient,
    ChorusFunctionalError,
    ChorusProtocolError,
    PieceJointeComplementaire,
)

from .fakes import FakePiste, body_of, json_response, ok

PARIS = ZoneInfo("Europe/Paris")
FLUX = "CPP0011117000000000512347"
SEARCH = "factures/v1/rechercher/fournisseur"
HISTORY = "factures/v1/consulter/historique"
REPORT = "transverses/v1/consulterCRDetaille"

ERREUR_DP = {
    "numeroDP": "FA-2025-00045",
    "identifiantFournisseur": 81234567600017,
    "identifiantDestinataire": "21330063500025",
    "libelleErreurDP": "L'element ...TypeCode.value est obligatoire.",
}
REPORT_BASE = {
    "codeInterfaceDepotFlux": "FSO1117A",
    "dateDepotFlux": "2025-03-15T09:00:00.000+01:00",
    "dateHeureEtatCourantFlux": "2025-03-15T09:03:12.331+01:00",
    "nomFichier": f"FSO1117A_CPP001_{FLUX}",
}


def invoice(number: int, **extra: Any) -> dict[str, Any]:
    return {
        "identifiantFactureCPP": 8316860 + number,
        "numeroFacture": f"FA-2025-{number:05d}",
        "statut": "MISE_A_DISPOSITION",
        **extra,
    }


def paged(items: list[dict[str, Any]], page: int, pages: int, total: int) -> httpx.Response:
    return ok(
        listeFactures=items,
        parametresRetour={
            "nbResultatsParPage": 3,
            "pageCourante": page,
            "pages": pages,
            "total": total,
        },
    )


async def test_deposit_flux_sends_base64_file(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(
        "factures/v1/deposer/flux",
        ok(
            libelle="GCU_MSG_01_000",
            numeroFluxDepot=FLUX,
            dateDepot="2025-03-14",
            syntaxeFlux="IN_DP_E2_CII_FACTURX",
        ),
    )
    content = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"

    result = await client.deposit_flux(
        content, "factur-x_FA-2025-00042.pdf", "IN_DP_E2_CII_FACTURX"
    )

    assert result.numero_flux_depot == FLUX
    assert result.date_depot == date(2025, 3, 14)
    assert result.syntaxe_flux == "IN_DP_E2_CII_FACTURX"
    body = body_of(piste.api_requests[0])
    assert body == {
        "fichierFlux": base64.b64encode(content).decode(),
        "nomFichier": "factur-x_FA-2025-00042.pdf",
        "syntaxeFlux": "IN_DP_E2_CII_FACTURX",
        "avecSignature": False,
    }


async def test_deposit_flux_signed_flag(client: ChorusClient, piste: FakePiste) -> None:
    piste.on("factures/v1/deposer/flux", ok(numeroFluxDepot=FLUX))

    await client.deposit_flux(b"<x/>", "ubl.xml", "IN_DP_E1_UBL_INVOICE", signed=True)

    assert body_of(piste.api_requests[0])["avecSignature"] is True


async def test_deposit_without_flux_number_is_functional_error(
    client: ChorusClient, piste: FakePiste
) -> None:
    piste.on("factures/v1/deposer/flux", ok(libelle="GCU_MSG_01_000"))

    with pytest.raises(ChorusFunctionalError) as caught:
        await client.deposit_flux(b"<x/>", "ubl.xml", "IN_DP_E1_UBL_INVOICE")
    assert caught.value.code_retour == 0
    assert caught.value.libelle == "GCU_MSG_01_000"


async def test_deposit_too_large_is_functional_error(
    client: ChorusClient, piste: FakePiste
) -> None:
    piste.on(
        "factures/v1/deposer/flux",
        json_response(200, {"codeRetour": 20001, "libelle": "GDP_MSG_11.022"}),
    )

    with pytest.raises(ChorusFunctionalError) as caught:
        await client.deposit_flux(b"<x/>", "ubl.xml", "IN_DP_E1_UBL_INVOICE")
    assert (caught.value.code_retour, caught.value.libelle) == (20001, "GDP_MSG_11.022")


async def test_deposit_keeps_flux_number_despite_odd_date(
    client: ChorusClient, piste: FakePiste
) -> None:
    # The deposit happened: an unreadable date must not turn it into an error.
    piste.on("factures/v1/deposer/flux", ok(numeroFluxDepot=FLUX, dateDepot="14/03/2025"))

    result = await client.deposit_flux(b"<x/>", "ubl.xml", "IN_DP_E1_UBL_INVOICE")
    assert (result.numero_flux_depot, result.date_depot) == (FLUX, None)


async def test_flux_report_pending(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(
        REPORT,
        ok(**REPORT_BASE, etatCourantDepotFlux="IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP"),
    )

    report = await client.get_flux_report(FLUX)

    assert body_of(piste.api_requests[0]) == {"numeroFluxDepot": FLUX}
    assert report.etat_courant_depot_flux == "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP"
    assert report.liste_erreur_dp == []
    assert report.liste_erreur_technique == []
    assert report.code_interface_depot_flux == "FSO1117A"
    assert report.date_depot_flux == datetime(
        2025, 3, 15, 9, 0, tzinfo=timezone(timedelta(hours=1))
    )


@pytest.mark.parametrize("shape", ["list", "object"])
async def test_flux_report_errors_as_list_or_object(
    client: ChorusClient, piste: FakePiste, shape: str
) -> None:
    errors: Any = [ERREUR_DP] if shape == "list" else ERREUR_DP
    piste.on(
        REPORT,
        ok(
            **REPORT_BASE,
            etatCourantDepotFlux="IN_REJETE",
            listeErreurDP=errors,
            listeErreurTechnique={
                "codeErreur": 12,
                "libelleErreur": "Fichier illisible",
                "natureErreur": "TECHNIQUE",
            },
        ),
    )

    report = await client.get_flux_report(FLUX)

    (error,) = report.liste_erreur_dp
    assert error.numero_dp == "FA-2025-00045"
    assert error.identifiant_fournisseur == "81234567600017"
    assert error.libelle_erreur_dp is not None
    (technical,) = report.liste_erreur_technique
    assert (technical.code_erreur, technical.nature_erreur) == ("12", "TECHNIQUE")


async def test_flux_report_without_state_is_protocol_error(
    client: ChorusClient, piste: FakePiste
) -> None:
    piste.on(REPORT, ok(**REPORT_BASE))

    with pytest.raises(ChorusProtocolError) as caught:
        await client.get_flux_report(FLUX)
    assert "etatCourantDepotFlux" in str(caught.value)


async def test_search_walks_all_pages(client: ChorusClient, piste: FakePiste) -> None:
    pages = {
        1: paged([invoice(1), invoice(2), invoice(3)], 1, 3, 7),
        2: paged([invoice(4), invoice(5), invoice(6)], 2, 3, 7),
        3: paged([invoice(7)], 3, 3, 7),
    }
    piste.on(
        SEARCH,
        lambda request: pages[
            body_of(request)["rechercheFactureParFournisseur"]["pageResultatDemandee"]
        ],
    )

    invoices = await client.search_supplier_invoices_all(flux_number=FLUX, page_size=3)

    assert [i.numero_facture for i in invoices] == [f"FA-2025-{n:05d}" for n in range(1, 8)]
    bodies = [body_of(r) for r in piste.api_requests]
    assert [b["rechercheFactureParFournisseur"] for b in bodies] == [
        {"nbResultatsParPage": 3, "pageResultatDemandee": page} for page in (1, 2, 3)
    ]
    assert all(b["numeroFluxDepot"] == FLUX for b in bodies)


async def test_search_can_be_consumed_lazily(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(SEARCH, paged([invoice(1), invoice(2)], 1, 5, 10))

    async for found in client.search_supplier_invoices(flux_number=FLUX):
        assert found.identifiant_facture_cpp == 8316861
        break

    assert len(piste.api_requests) == 1


async def test_search_sends_criteria(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(SEARCH, paged([], 1, 0, 0))

    await client.search_supplier_invoices_all(
        invoice_number="FA-2025-00042",
        status_changed_from=datetime(2025, 3, 1, tzinfo=UTC),
        status_changed_to=datetime(2025, 3, 31, 23, 59, 59, tzinfo=PARIS),
        statuses=["SUSPENDUE", "A_RECYCLER"],
        supplier_id=26262961,
    )

    assert body_of(piste.api_requests[0]) == {
        "numeroFacture": "FA-2025-00042",
        "periodeDateHeureEtatCourantDu": "2025-03-01T00:00:00.000+00:00",
        "periodeDateHeureEtatCourantAu": "2025-03-31T23:59:59.000+02:00",
        "statutCourant": ["SUSPENDUE", "A_RECYCLER"],
        "idFournisseur": 26262961,
        "rechercheFactureParFournisseur": {"nbResultatsParPage": 100, "pageResultatDemandee": 1},
    }


async def test_search_code_20000_is_empty(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(
        SEARCH,
        json_response(
            200,
            {
                "codeRetour": 20000,
                "libelle": "TRA_MSG_00.015",
                "parametresRetour": {"pages": 0},
            },
        ),
    )

    assert await client.search_supplier_invoices_all(flux_number=FLUX) == []
    assert len(piste.api_requests) == 1


async def test_search_empty_with_code_0(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(SEARCH, paged([], 1, 0, 0))

    assert await client.search_supplier_invoices_all(flux_number=FLUX) == []


async def test_search_other_codes_still_fail(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(SEARCH, json_response(200, {"codeRetour": 20001, "libelle": "TRA_MSG_00.002"}))

    with pytest.raises(ChorusFunctionalError):
        await client.search_supplier_invoices_all(flux_number=FLUX)


async def test_search_amounts_are_exact_decimals(client: ChorusClient, piste: FakePiste) -> None:
    raw = (
        '{"codeRetour": 0, "libelle": "TRA_MSG_00.000", "listeFactures": [{'
        '"identifiantFactureCPP": 8316860, "numeroFacture": "FA-2025-00042",'
        '"typeFacture": "FACTURE", "dateFacture": "2025-03-13", "dateDepot": "2025-03-14",'
        '"dateHeureEtatCourant": "2025-03-14T10:08:00.000+01:00",'
        '"montantHT": 1336.5, "montantTTC": 1603.80, "montantAPayer": 12345678901234.123456,'
        '"devise": "EUR", "numeroFluxDepot": "CPP0011117000000000512347",'
        '"codeDestinataire": "21330063500025", "codeServiceExecutant": "SERV-FINANCES",'
        '"numeroBonCommande": "EJ1300458721", "commentaireEtatCourant": null}],'
        '"parametresRetour": {"pages": 1}}'
    )
    piste.on(SEARCH, httpx.Response(200, text=raw, headers={"Content-Type": "application/json"}))

    (found,) = await client.search_supplier_invoices_all(flux_number=FLUX)

    assert found.montant_ht == Decimal("1336.5")
    assert found.montant_ttc == Decimal("1603.80")
    assert str(found.montant_ttc) == "1603.80"
    assert found.montant_a_payer == Decimal("12345678901234.123456")
    assert all(
        isinstance(v, Decimal) for v in (found.montant_ht, found.montant_ttc, found.montant_a_payer)
    )
    assert found.date_facture == date(2025, 3, 13)
    assert found.date_heure_etat_courant is not None
    assert found.date_heure_etat_courant.utcoffset() == timedelta(hours=1)
    assert found.code_service_executant == "SERV-FINANCES"
    assert found.commentaire_etat_courant is None


async def test_invoice_history(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(
        HISTORY,
        ok(
            idFacture=8316860,
            numeroFacture="FA-2025-00042",
            modeDepot="UPLOAD_API",
            statutCourantCode="SUSPENDUE",
            derniereAction={"derniereActionCode": "SUSPENDRE", "derniereActionId": 55120934},
            historiquesDesStatuts={
                "histoStatut": [
                    {
                        "histoStatutId": 99120003,
                        "histoStatutCode": "SUSPENDUE",
                        "histoStatutDatePassage": "2025-03-20 14:05",
                        "histoStatutCommentaire": "Merci de joindre le bon de livraison signe",
                        "histoStatutUtilisateurNom": "DURAND",
                        "histoStatutUtilisateurPrenom": "Claire",
                    },
                    {
                        "histoStatutId": 99120001,
                        "histoStatutCode": "DEPOSEE",
                        "histoStatutDatePassage": "2025-03-14 10:07",
                        "histoStatutCommentaire": "",
                    },
                ],
                "totalHistoStatut": 2,
            },
        ),
    )

    history = await client.get_invoice_history(8316860)

    assert body_of(piste.api_requests[0]) == {
        "idFacture": 8316860,
        "paramRechercheHistoStatuts": {
            "nbResultatsParPageListeHistoStatut": 100,
            "pageResultatDemandeeListeHistoStatut": 1,
        },
    }
    assert len(piste.api_requests) == 1  # no paging fields: one page
    assert history.statut_courant_code == "SUSPENDUE"
    assert [s.histo_statut_code for s in history.statuses] == ["SUSPENDUE", "DEPOSEE"]
    latest = history.statuses[0]
    assert latest.histo_statut_commentaire == "Merci de joindre le bon de livraison signe"
    assert latest.histo_statut_utilisateur_nom == "DURAND"
    assert latest.histo_statut_date_passage == datetime(2025, 3, 20, 14, 5, tzinfo=PARIS)
    assert history.derniere_action is not None
    assert history.derniere_action.derniere_action_id == 55120934


def _history_page(page: int, pages: int, *codes: tuple[int, str]) -> httpx.Response:
    return ok(
        idFacture=8316860,
        statutCourantCode="MANDATEE",
        historiquesDesStatuts={
            "histoStatut": [
                {"histoStatutId": i, "histoStatutCode": c, "histoStatutDatePassage": None}
                for i, c in codes
            ],
            "nbResultatsParPageHistoStatut": 2,
            "pageCouranteHistoStatut": page,
            "pagesHistoStatut": pages,
            "totalHistoStatut": 5,
        },
    )


async def test_invoice_history_reads_every_page(client: ChorusClient, piste: FakePiste) -> None:
    """A history longer than a page is read page after page, as `pagesHistoStatut` says."""
    piste.on(
        HISTORY,
        _history_page(1, 3, (5, "MANDATEE"), (4, "SERVICE_FAIT")),
        _history_page(2, 3, (3, "MISE_A_DISPOSITION"), (2, "EN_COURS_ACHEMINEMENT")),
        _history_page(3, 3, (1, "DEPOSEE")),
    )

    history = await client.get_invoice_history(8316860, page_size=2)

    asked = [body_of(r)["paramRechercheHistoStatuts"] for r in piste.api_requests]
    assert [a["pageResultatDemandeeListeHistoStatut"] for a in asked] == [1, 2, 3]
    assert {a["nbResultatsParPageListeHistoStatut"] for a in asked} == {2}
    assert [s.histo_statut_id for s in history.statuses] == [5, 4, 3, 2, 1]
    assert history.historiques_des_statuts.pages_histo_statut == 1
    assert history.statut_courant_code == "MANDATEE"


async def test_invoice_history_stops_at_an_empty_page(
    client: ChorusClient, piste: FakePiste
) -> None:
    """An answer that claims more pages but has no entries ends the reading."""
    piste.on(
        HISTORY,
        _history_page(1, 9, (2, "MISE_A_DISPOSITION"), (1, "DEPOSEE")),
        _history_page(2, 9),
    )

    history = await client.get_invoice_history(8316860, page_size=2)

    assert len(piste.api_requests) == 2
    assert [s.histo_statut_code for s in history.statuses] == ["MISE_A_DISPOSITION", "DEPOSEE"]


async def test_invoice_history_checks_echoed_id(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(HISTORY, ok(idFacture=1, statutCourantCode="DEPOSEE"))

    with pytest.raises(ChorusProtocolError):
        await client.get_invoice_history(8316860)


async def test_complete_invoice(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(
        "factures/v1/completer",
        ok(
            libelle="GCU_MSG_01_000",
            identifiantFactureCPP=8316860,
            numeroFacture="FA-2025-00042",
            dateTraitement="2025-03-21 09:30",
        ),
    )
    attachment = PieceJointeComplementaire(designation="Bon de livraison", piece_jointe_id=10321590)

    result = await client.complete_invoice(
        8316860, "Bon de livraison signe joint", attachments=[attachment]
    )

    assert body_of(piste.api_requests[0]) == {
        "identifiantFactureCPP": 8316860,
        "commentaire": "Bon de livraison signe joint",
        "pieceJointeComplementaire": [
            {
                "pieceJointeComplementaireDesignation": "Bon de livraison",
                "pieceJointeComplementaireId": 10321590,
                "pieceJointeComplementaireIdLiaison": 0,
                "pieceJointeComplementaireNumeroLigneFacture": 0,
                "pieceJointeComplementaireType": "DIVERS",
            }
        ],
    }
    assert result.date_traitement == datetime(2025, 3, 21, 9, 30, tzinfo=PARIS)


async def test_complete_invoice_not_suspended(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(
        "factures/v1/completer",
        json_response(200, {"codeRetour": 20002, "libelle": "GDP_MSG_11.033"}),
    )

    with pytest.raises(ChorusFunctionalError) as caught:
        await client.complete_invoice(8316860, "x")
    assert caught.value.code_retour == 20002


async def test_recycle_invoice(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(
        "factures/v1/recycler",
        ok(identifiantFactureCPP=8316860, numeroFacture="FA-2025-00042", statutFacture="DEPOSEE"),
    )

    result = await client.recycle_invoice(
        8316860, "21330063500025", "SERV-FINANCES", "EJ1300458721", "Nouveau service"
    )

    assert body_of(piste.api_requests[0]) == {
        "identifiantFactureCPP": 8316860,
        "destinataire": {
            "codeDestinataire": "21330063500025",
            "codeServiceExecutant": "SERV-FINANCES",
        },
        "reference": {"numeroBonCommande": "EJ1300458721"},
        "commentaire": "Nouveau service",
    }
    assert result.statut_facture == "DEPOSEE"


async def test_recycle_invoice_minimal_body(client: ChorusClient, piste: FakePiste) -> None:
    piste.on("factures/v1/recycler", ok())

    await client.recycle_invoice(8316860, "21330063500025")

    assert body_of(piste.api_requests[0]) == {
        "identifiantFactureCPP": 8316860,
        "destinataire": {"codeDestinataire": "21330063500025"},
    }
