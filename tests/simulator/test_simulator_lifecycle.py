"""Invoice lifecycle per recipient SIRET, history, completerFacture and recyclerFacture."""

from __future__ import annotations

from .helpers import (
    NO_PAYMENT_STATUS,
    PAYS,
    RECYCLES,
    REJECTS,
    SUSPENDS,
    Harness,
    cii_invoice,
)


async def _integrated(sim: Harness, number: str, recipient: str = PAYS) -> int:
    flux = await sim.deposit_ok(cii_invoice(number, recipient=recipient))
    await sim.advance()
    return await sim.invoice_id(flux)


async def _walk(sim: Harness, invoice_id: int, steps: int) -> list[str]:
    """The status after each of `steps` clock steps."""
    seen = []
    for _ in range(steps):
        await sim.advance()
        seen.append(await sim.status(invoice_id))
    return seen


async def test_paying_recipient(sim: Harness) -> None:
    invoice_id = await _integrated(sim, "PAY-1")
    assert await sim.status(invoice_id) == "DEPOSEE"
    assert await _walk(sim, invoice_id, 5) == [
        "MISE_A_DISPOSITION",
        "SERVICE_FAIT",
        "MANDATEE",
        "MISE_EN_PAIEMENT",
        "MISE_EN_PAIEMENT",
    ]


async def test_unlisted_recipient_pays_too(sim: Harness) -> None:
    invoice_id = await _integrated(sim, "PAY-2", recipient="11000201100044")
    item = (await sim.search(numeroFacture="PAY-2"))["listeFactures"][0]
    assert isinstance(item["idDestinataire"], int)
    assert item["codeDestinataire"] == "11000201100044"
    assert (await _walk(sim, invoice_id, 4))[-1] == "MISE_EN_PAIEMENT"


async def test_history_newest_first_with_documented_fields(sim: Harness) -> None:
    invoice_id = await _integrated(sim, "HIST-1")
    await sim.advance(4)
    history = await sim.history(invoice_id)
    assert history["codeRetour"] == 0
    assert history["idFacture"] == invoice_id
    assert history["numeroFacture"] == "HIST-1"
    assert history["modeDepot"] == "UPLOAD_API"
    assert history["statutCourantCode"] == "MISE_EN_PAIEMENT"
    assert set(history["derniereAction"]) == {"derniereActionCode", "derniereActionId"}
    block = history["historiquesDesStatuts"]
    codes = [h["histoStatutCode"] for h in block["histoStatut"]]
    assert codes == [
        "MISE_EN_PAIEMENT",
        "MANDATEE",
        "SERVICE_FAIT",
        "MISE_A_DISPOSITION",
        "DEPOSEE",
    ]
    assert block["totalHistoStatut"] == 5
    assert block["pagesHistoStatut"] == 1
    assert block["pageCouranteHistoStatut"] == 1
    assert block["nbResultatsParPageHistoStatut"] == 10
    first = block["histoStatut"][0]
    assert set(first) == {
        "histoStatutId",
        "histoStatutCode",
        "histoStatutDatePassage",
        "histoStatutCommentaire",
        "histoStatutUtilisateurNom",
        "histoStatutUtilisateurPrenom",
    }
    assert first["histoStatutDatePassage"] == "2025-03-14 10:00"
    ids = [h["histoStatutId"] for h in block["histoStatut"]]
    assert ids == sorted(ids, reverse=True)


async def test_history_paging(sim: Harness) -> None:
    invoice_id = await _integrated(sim, "HIST-2")
    await sim.advance(4)
    answer = await sim.call(
        "factures/v1/consulter/historique",
        {
            "idFacture": invoice_id,
            "paramRechercheHistoStatuts": {
                "nbResultatsParPageListeHistoStatut": 2,
                "pageResultatDemandeeListeHistoStatut": 3,
            },
        },
    )
    block = answer["historiquesDesStatuts"]
    assert [h["histoStatutCode"] for h in block["histoStatut"]] == ["DEPOSEE"]
    assert block["pagesHistoStatut"] == 3
    assert answer["statutCourantCode"] == "MISE_EN_PAIEMENT"


async def test_history_of_unknown_or_not_yet_integrated_invoice(sim: Harness) -> None:
    assert await sim.history(424242) == {"codeRetour": 20000, "libelle": "GDP_MSG_11.008"}
    flux = await sim.deposit_ok(cii_invoice("EARLY-1"))
    await sim.advance()
    invoice_id = await sim.invoice_id(flux)
    await sim.deposit_ok(cii_invoice("EARLY-2"))
    assert (await sim.history(invoice_id + 1))["codeRetour"] == 20000


async def test_rejecting_recipient(sim: Harness) -> None:
    invoice_id = await _integrated(sim, "REJ-1", REJECTS)
    assert await _walk(sim, invoice_id, 3) == ["MISE_A_DISPOSITION", "REJETEE", "REJETEE"]
    latest = (await sim.history(invoice_id))["historiquesDesStatuts"]["histoStatut"][0]
    assert latest["histoStatutCommentaire"] == (
        "Facture rejetée : le numéro d'engagement ne correspond à aucune commande"
    )
    item = (await sim.search(numeroFacture="REJ-1"))["listeFactures"][0]
    assert item["statut"] == "REJETEE"
    assert item["designationDestinataire"] == "COMMUNE QUI REJETTE"
    assert item["commentaireEtatCourant"].startswith("Facture rejetée")


async def test_suspend_complete_then_paid(sim: Harness) -> None:
    invoice_id = await _integrated(sim, "SUS-1", SUSPENDS)
    complete = {"identifiantFactureCPP": invoice_id, "commentaire": "BL joint"}
    early = await sim.call("factures/v1/completer", complete)
    assert early == {"codeRetour": 20002, "libelle": "GDP_MSG_11.033"}
    assert await _walk(sim, invoice_id, 4) == [
        "MISE_A_DISPOSITION",
        "SUSPENDUE",
        "SUSPENDUE",
        "SUSPENDUE",
    ]
    history = await sim.history(invoice_id)
    assert history["historiquesDesStatuts"]["histoStatut"][0]["histoStatutCommentaire"] == (
        "Merci de joindre le bon de livraison signé"
    )
    attachment = {
        "pieceJointeComplementaireDesignation": "Bon de livraison",
        "pieceJointeComplementaireId": 10321590,
        "pieceJointeComplementaireIdLiaison": 0,
        "pieceJointeComplementaireNumeroLigneFacture": 0,
        "pieceJointeComplementaireType": "DIVERS",
    }
    done = await sim.call(
        "factures/v1/completer", {**complete, "pieceJointeComplementaire": [attachment]}
    )
    assert done == {
        "codeRetour": 0,
        "libelle": "GCU_MSG_01_000",
        "identifiantFactureCPP": invoice_id,
        "numeroFacture": "SUS-1",
        "dateTraitement": "2025-03-14 10:00",
    }
    assert await sim.status(invoice_id) == "COMPLETEE"
    assert await _walk(sim, invoice_id, 4) == [
        "MISE_A_DISPOSITION",
        "SERVICE_FAIT",
        "MANDATEE",
        "MISE_EN_PAIEMENT",
    ]
    codes = [
        h["histoStatutCode"]
        for h in (await sim.history(invoice_id))["historiquesDesStatuts"]["histoStatut"]
    ]
    assert codes[:6] == [
        "MISE_EN_PAIEMENT",
        "MANDATEE",
        "SERVICE_FAIT",
        "MISE_A_DISPOSITION",
        "COMPLETEE",
        "SUSPENDUE",
    ]
    again = await sim.call("factures/v1/completer", complete)
    assert again["codeRetour"] == 20002


async def test_complete_unknown_invoice(sim: Harness) -> None:
    answer = await sim.call("factures/v1/completer", {"identifiantFactureCPP": 1})
    assert answer == {"codeRetour": 20000, "libelle": "GDP_MSG_11.008"}


async def test_recycle_to_a_paying_recipient(sim: Harness) -> None:
    invoice_id = await _integrated(sim, "REC-1", RECYCLES)
    assert await _walk(sim, invoice_id, 2) == ["MISE_A_DISPOSITION", "A_RECYCLER"]
    history = await sim.history(invoice_id)
    assert history["historiquesDesStatuts"]["histoStatut"][0]["histoStatutCommentaire"] == (
        "Code service inconnu, merci de corriger l'acheminement"
    )
    answer = await sim.call(
        "factures/v1/recycler",
        {
            "identifiantFactureCPP": invoice_id,
            "destinataire": {"codeDestinataire": PAYS, "codeServiceExecutant": "SERV-NEW"},
            "reference": {"numeroBonCommande": "EJ-NEW"},
            "commentaire": "Acheminement corrigé",
        },
    )
    assert answer == {
        "codeRetour": 0,
        "libelle": "GCU_MSG_01_000",
        "identifiantFactureCPP": invoice_id,
        "numeroFacture": "REC-1",
        "statutFacture": "MISE_A_DISPOSITION",
        "dateDepot": "2025-03-14",
    }
    item = (await sim.search(numeroFacture="REC-1"))["listeFactures"][0]
    assert item["statut"] == "MISE_A_DISPOSITION"
    assert item["codeDestinataire"] == PAYS
    assert item["designationDestinataire"] == "COMMUNE DE SAINT-EXEMPLE"
    assert item["codeServiceExecutant"] == "SERV-NEW"
    assert item["numeroBonCommande"] == "EJ-NEW"
    assert await _walk(sim, invoice_id, 3) == ["SERVICE_FAIT", "MANDATEE", "MISE_EN_PAIEMENT"]


async def test_recycle_to_a_rejecting_recipient(sim: Harness) -> None:
    invoice_id = await _integrated(sim, "REC-2", RECYCLES)
    await sim.advance(2)
    await sim.call(
        "factures/v1/recycler",
        {"identifiantFactureCPP": invoice_id, "destinataire": {"codeDestinataire": REJECTS}},
    )
    assert await _walk(sim, invoice_id, 1) == ["REJETEE"]


async def test_recycle_errors(sim: Harness) -> None:
    invoice_id = await _integrated(sim, "REC-3", RECYCLES)
    body = {"identifiantFactureCPP": invoice_id, "destinataire": {"codeDestinataire": PAYS}}
    assert (await sim.call("factures/v1/recycler", body))["codeRetour"] == 20004
    await sim.advance(2)
    bad = {"identifiantFactureCPP": invoice_id, "destinataire": {"codeDestinataire": "123"}}
    assert (await sim.call("factures/v1/recycler", bad))["codeRetour"] == 20005
    unknown = {**body, "identifiantFactureCPP": 1}
    assert (await sim.call("factures/v1/recycler", unknown))["codeRetour"] == 20000
    missing = await sim.post("factures/v1/recycler", {"identifiantFactureCPP": invoice_id})
    assert missing.status_code == 400


async def test_recipient_without_payment_status_stops_at_mandatee(sim: Harness) -> None:
    invoice_id = await _integrated(sim, "MAN-1", NO_PAYMENT_STATUS)
    assert await _walk(sim, invoice_id, 5) == [
        "MISE_A_DISPOSITION",
        "SERVICE_FAIT",
        "MANDATEE",
        "MANDATEE",
        "MANDATEE",
    ]


async def test_period_filter_on_current_status_change(sim: Harness) -> None:
    await sim.deposit_ok(cii_invoice("PER-A"))  # DEPOSEE at 10:00:05 Paris
    await sim.advance(0.5)
    await sim.deposit_ok(cii_invoice("PER-B"))  # DEPOSEE at 10:00:07.5 Paris
    await sim.advance(1)

    async def numbers(since: str, until: str) -> list[str]:
        found = await sim.search(
            periodeDateHeureEtatCourantDu=since, periodeDateHeureEtatCourantAu=until
        )
        return [i["numeroFacture"] for i in found["listeFactures"]]

    assert await numbers("2025-03-14T10:00:05+01:00", "2025-03-14T10:00:07.500+01:00") == ["PER-A"]
    assert await numbers("2025-03-14T10:00:05.001+01:00", "2025-03-14T10:00:08+01:00") == ["PER-B"]
    assert await numbers("2025-03-14T09:00:00Z", "2025-03-14T09:01:00Z") == ["PER-A", "PER-B"]
    assert await numbers("2025-03-14T10:00:00", "2025-03-14T10:00:06") == ["PER-A"]
    await sim.advance(0.5)  # PER-A moves to MISE_A_DISPOSITION at 10:00:10
    assert await numbers("2025-03-14T10:00:05+01:00", "2025-03-14T10:00:07.500+01:00") == []
    bad = await sim.post(
        "factures/v1/rechercher/fournisseur", {"periodeDateHeureEtatCourantDu": "x"}
    )
    assert bad.status_code == 400
