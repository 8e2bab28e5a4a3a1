"""Refusals and failures of the actions; the happy paths are in test_paths.py."""

from __future__ import annotations

import base64

from tests.factories import RECYCLES, SUSPENDS
from tests.support.flow import Flow

PDF = base64.b64encode(b"%PDF-1.4 proof").decode()


async def suspended(flow: Flow, number: str) -> tuple[str, int]:
    invoice_id = await flow.delivered(number, SUSPENDS)
    await flow.walk(invoice_id, 2)
    invoice = await flow.invoice(invoice_id)
    assert invoice["chorus_status"] == "SUSPENDUE"
    return invoice_id, int(invoice["chorus_invoice_id"])


async def test_complete_needs_a_suspended_invoice(flow: Flow) -> None:
    invoice_id = await flow.delivered("ACT-1")
    response = await flow.api.post(f"/v1/invoices/{invoice_id}/complete", json={"comment": "x"})
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/invoice-not-suspended")
    recycle = await flow.api.post(
        f"/v1/invoices/{invoice_id}/recycle", json={"recipient_siret": "21330063500025"}
    )
    assert recycle.status_code == 409
    assert recycle.json()["type"].endswith("/invoice-not-to-recycle")


async def test_unknown_invoice_is_404(flow: Flow) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    response = await flow.api.post(f"/v1/invoices/{unknown}/complete", json={"comment": "x"})
    assert response.status_code == 404


async def test_complete_body_problems_name_each_field(flow: Flow) -> None:
    invoice_id, _ = await suspended(flow, "ACT-2")
    url = f"/v1/invoices/{invoice_id}/complete"
    empty = await flow.api.post(url, json={})
    assert empty.status_code == 422
    body = {
        "attachments": [
            {"file_name": "virus.exe", "content": PDF},
            {"file_name": "note.pdf", "content": "not base64!"},
            {"file_name": "no-extension", "content": PDF},
        ]
    }
    response = await flow.api.post(url, json=body)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert "attachments[2].file_name" in fields  # the schema's pattern
    del body["attachments"][2]
    response = await flow.api.post(url, json=body)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"attachments[0].file_name", "attachments[1].content"}
    assert "ajouterFichierDansSysteme" not in await flow.stats()  # nothing was uploaded


async def test_chorus_refusing_the_completion_is_reported_and_recorded(flow: Flow) -> None:
    invoice_id, chorus_id = await suspended(flow, "ACT-3")
    await flow.decide(chorus_id, "REJETEE", "Trop tard")  # the gateway has not synced yet
    response = await flow.api.post(
        f"/v1/invoices/{invoice_id}/complete", json={"comment": "voici le bon"}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/chorus-refused-action")
    assert "GDP_MSG_11.033" in problem["detail"]
    last = (await flow.invoice(invoice_id))["history"][-1]
    assert last["source"] == "erp" and last["comment"].startswith("Completion failed")


async def test_chorus_not_answering_is_503(flow: Flow) -> None:
    invoice_id, _ = await suspended(flow, "ACT-4")
    await flow.sim.post("/_simulator/faults", json={"operation": "completerFacture", "status": 503})
    response = await flow.api.post(
        f"/v1/invoices/{invoice_id}/complete",
        json={"comment": "voici", "attachments": [{"file_name": "bl.pdf", "content": PDF}]},
    )
    assert response.status_code == 503
    assert response.json()["type"].endswith("/chorus-unavailable")
    invoice = await flow.invoice(invoice_id)
    assert invoice["status"] == "action_required"
    assert invoice["history"][-1]["comment"].startswith("Completion failed")


async def test_recycle_body_is_checked(flow: Flow) -> None:
    invoice_id = await flow.delivered("ACT-5", RECYCLES)
    await flow.walk(invoice_id, 2)
    response = await flow.api.post(
        f"/v1/invoices/{invoice_id}/recycle", json={"recipient_siret": "2133"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "recipient_siret"
