"""The simulator's ajouterFichierDansSysteme and its seeding controls, on their own."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.simulator import FixedClock, SimulatorSettings, create_app
from tests.simulator.helpers import START, SUPPLIER, SUSPENDS, account


@pytest.fixture
async def sim() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(SimulatorSettings(step_seconds=5), clock=FixedClock(START))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
        token = await client.post(
            "/api/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "sim-client-id",
                "client_secret": "sim-client-secret",
            },
        )
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        client.headers["cpro-account"] = account()
        yield client


async def call(sim: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await sim.post(f"/cpro/{path}", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def attachment(name: str = "bl.pdf", content: bytes = b"%PDF-1.4") -> dict[str, Any]:
    return {
        "pieceJointeFichier": base64.b64encode(content).decode(),
        "pieceJointeNom": name,
        "pieceJointeTypeMime": "application/pdf",
        "pieceJointeExtension": "PDF",
    }


async def test_attachments_are_uploaded_then_cited_by_completer(sim: httpx.AsyncClient) -> None:
    added = await call(sim, "transverses/v1/ajouter/fichier", attachment())
    assert added["codeRetour"] == 0 and isinstance(added["pieceJointeId"], int)
    assert (await call(sim, "transverses/v1/ajouter/fichier", attachment("x")))["codeRetour"] == (
        20001
    )
    too_long = attachment("n" * 47 + ".pdf")
    assert (await call(sim, "transverses/v1/ajouter/fichier", too_long))["codeRetour"] == 20001

    seeded = (
        await sim.post(
            "/_simulator/invoices/seed",
            json={
                "supplier_siret": SUPPLIER,
                "recipient_siret": SUSPENDS,
                "count": 1,
                "status": "SUSPENDUE",
            },
        )
    ).json()
    invoice_id = seeded["invoices"][0]["identifiantFactureCPP"]
    done = await call(
        sim,
        "factures/v1/completer",
        {
            "identifiantFactureCPP": invoice_id,
            "commentaire": "ci-joint",
            "pieceJointeComplementaire": [
                {
                    "pieceJointeComplementaireId": added["pieceJointeId"],
                    "pieceJointeComplementaireDesignation": "Bon de livraison",
                },
                {"pieceJointeComplementaireId": 1, "pieceJointeComplementaireDesignation": "?"},
            ],
        },
    )
    assert done["codeRetour"] == 0
    view = (await sim.get(f"/_simulator/invoices/{invoice_id}")).json()
    assert view["statut"] == "COMPLETEE"
    assert view["piecesJointesComplementaires"] == [
        {
            "pieceJointeId": added["pieceJointeId"],
            "pieceJointeNom": "bl.pdf",
            "pieceJointeTypeMime": "application/pdf",
            "pieceJointeExtension": "PDF",
            "taille": 8,
            "designation": "Bon de livraison",
        },
        {"pieceJointeId": 1, "inconnue": True, "designation": "?"},
    ]
    stats = (await sim.get("/_simulator/stats")).json()["calls"]
    assert stats["ajouterFichierDansSysteme"] == 3


async def test_seeded_invoices_change_only_when_told(sim: httpx.AsyncClient) -> None:
    body = {"supplier_siret": SUPPLIER, "recipient_siret": "21330063500025", "count": 12}
    seeded = (await sim.post("/_simulator/invoices/seed", json=body)).json()
    assert [i["numeroFacture"] for i in seeded["invoices"]][:2] == ["SEED-01", "SEED-02"]
    assert (await sim.post("/_simulator/invoices/seed", json=body)).status_code == 409
    await sim.post("/_simulator/clock/advance", json={"seconds": 600})
    search = await call(
        sim,
        "factures/v1/rechercher/fournisseur",
        {"rechercheFactureParFournisseur": {"nbResultatsParPage": 100}},
    )
    assert {i["statut"] for i in search["listeFactures"]} == {"MISE_A_DISPOSITION"}

    first = seeded["invoices"][0]["identifiantFactureCPP"]
    decided = await sim.post(
        f"/_simulator/invoices/{first}/status", json={"status": "REFUSEE_1", "comment": "Non"}
    )
    assert decided.status_code == 200 and decided.json()["statut"] == "REFUSEE_1"
    history = await call(sim, "factures/v1/consulter/historique", {"idFacture": first})
    assert history["statutCourantCode"] == "REFUSEE_1"
    assert history["historiquesDesStatuts"]["histoStatut"][0]["histoStatutCommentaire"] == "Non"
    since = decided.json()["dateHeureEtatCourant"]
    changed = await call(
        sim,
        "factures/v1/rechercher/fournisseur",
        {"periodeDateHeureEtatCourantDu": since},
    )
    assert [i["identifiantFactureCPP"] for i in changed["listeFactures"]] == [first]
    assert (await sim.post("/_simulator/invoices/1/status", json={"status": "X"})).status_code == (
        404
    )
