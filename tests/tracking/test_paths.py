"""Every lifecycle path, through the real API, the job functions and the simulator."""

from __future__ import annotations

import base64
import uuid

from sqlalchemy import select

from app.models import WebhookMessage
from tests.factories import NO_PAYMENT_STATUS, RECYCLES, REJECTS, SUSPENDS, invoice_body
from tests.support.flow import Flow, calls_between, chorus_path


async def test_paid_path_step_by_step(flow: Flow) -> None:
    invoice_id = await flow.delivered("LC-PAID-1")
    first = await flow.invoice(invoice_id)
    assert first["status"] == "delivered"
    assert first["chorus_status"] == "DEPOSEE"
    assert isinstance(first["chorus_invoice_id"], int)
    row = await flow.row(invoice_id)
    assert row.followed and row.next_poll_at is None  # the flux poll is over

    assert await flow.walk(invoice_id, 4) == [
        "MISE_A_DISPOSITION",
        "SERVICE_FAIT",
        "MANDATEE",
        "MISE_EN_PAIEMENT",
    ]
    invoice = await flow.invoice(invoice_id)
    assert invoice["status"] == "paid"
    assert chorus_path(invoice) == [
        "DEPOSEE",
        "MISE_A_DISPOSITION",
        "SERVICE_FAIT",
        "MANDATEE",
        "MISE_EN_PAIEMENT",
    ]
    assert not (await flow.row(invoice_id)).followed
    # Nothing left to follow for this supplier: the next cycles cost nothing.
    before = await flow.stats()
    await flow.advance()
    assert await flow.sync() is None
    assert calls_between(before, await flow.stats()) == {}
    cursor = await flow.cursor()
    assert cursor is not None and cursor.next_sync_at is None


async def test_steps_passed_between_two_syncs_are_read_from_the_history(flow: Flow) -> None:
    invoice_id = await flow.delivered("LC-PAID-2")
    before = await flow.stats()
    await flow.advance(4)
    report = await flow.sync()
    # The search shows MISE_EN_PAIEMENT right after DEPOSEE: one history call recovers the
    # steps in between (and the first cycle of a supplier looks up its idStructureCPP).
    assert report is not None and report.changed == 1 and report.history_calls == 1
    assert calls_between(before, await flow.stats()) == {
        "rechercherStructure": 1,
        "rechercherFactureParFournisseur": 1,
        "consulterHistoriqueFacture": 1,
    }
    invoice = await flow.invoice(invoice_id)
    assert invoice["status"] == "paid"
    assert chorus_path(invoice) == [
        "DEPOSEE",
        "MISE_A_DISPOSITION",
        "SERVICE_FAIT",
        "MANDATEE",
        "MISE_EN_PAIEMENT",
    ]


async def test_a_sync_that_sees_every_step_makes_no_history_call(flow: Flow) -> None:
    invoice_id = await flow.delivered("LC-PAID-3")
    await flow.walk(invoice_id, 1)  # MISE_A_DISPOSITION
    before = await flow.stats()
    await flow.advance()  # SERVICE_FAIT: the next step, nothing skipped
    report = await flow.sync()
    assert report is not None and report.changed == 1 and report.history_calls == 0
    assert "consulterHistoriqueFacture" not in calls_between(before, await flow.stats())


async def test_rejected_with_reason_then_replaced(flow: Flow) -> None:
    invoice_id = await flow.delivered("LC-REJ-1", REJECTS)
    before = await flow.stats()
    await flow.advance(2)  # MISE_A_DISPOSITION then REJETEE, both between two syncs
    await flow.sync()
    assert calls_between(before, await flow.stats()) == {
        "rechercherStructure": 1,
        "rechercherFactureParFournisseur": 1,
        "consulterHistoriqueFacture": 1,
    }
    rejected = await flow.invoice(invoice_id)
    assert rejected["status"] == "rejected"
    assert rejected["chorus_status"] == "REJETEE"
    assert "engagement" in rejected["status_comment"]
    # The history call filled in the status skipped between the two syncs.
    assert chorus_path(rejected) == ["DEPOSEE", "MISE_A_DISPOSITION", "REJETEE"]
    assert not (await flow.row(invoice_id)).followed

    replace = f"/v1/invoices/{invoice_id}/replace"
    same_number = await flow.api.post(
        replace, json=invoice_body(number="LC-REJ-1"), headers={"Idempotency-Key": "r-1"}
    )
    assert same_number.status_code == 409
    assert same_number.json()["type"].endswith("/replacement-number-reused")

    response = await flow.api.post(
        replace, json=invoice_body(number="LC-REJ-1B"), headers={"Idempotency-Key": "r-2"}
    )
    assert response.status_code == 202, response.text
    new = response.json()
    assert new["number"] == "LC-REJ-1B" and new["status"] == "accepted"
    assert new["replaces_invoice_id"] == invoice_id
    assert response.headers["location"] == f"/v1/invoices/{new['id']}"
    old = await flow.invoice(invoice_id)
    assert old["replaced_by_invoice_id"] == new["id"]
    assert old["status"] == "rejected"
    assert "Replaced by invoice LC-REJ-1B" in old["history"][-1]["comment"]

    replay = await flow.api.post(
        replace, json=invoice_body(number="LC-REJ-1B"), headers={"Idempotency-Key": "r-2"}
    )
    assert replay.status_code == 202 and replay.json()["id"] == new["id"]
    assert replay.headers["idempotent-replayed"] == "true"
    again = await flow.api.post(
        replace, json=invoice_body(number="LC-REJ-1C"), headers={"Idempotency-Key": "r-3"}
    )
    assert again.status_code == 409
    assert again.json()["type"].endswith("/invoice-already-replaced")
    # The old number stays refused for a plain new invoice too (Chorus would refuse it).
    reuse = await flow.api.post(
        "/v1/invoices", json=invoice_body(number="LC-REJ-1"), headers={"Idempotency-Key": "r-4"}
    )
    assert reuse.status_code == 409

    # The replacement goes to Chorus Pro like any invoice.
    assert await flow.submit(new["id"]) == "deposited"
    await flow.advance()
    await flow.poll(new["id"])
    assert (await flow.invoice(new["id"]))["status"] == "delivered"


async def test_only_a_rejected_invoice_is_replaced(flow: Flow) -> None:
    invoice_id = await flow.delivered("LC-NOREP-1")
    response = await flow.api.post(
        f"/v1/invoices/{invoice_id}/replace",
        json=invoice_body(number="LC-NOREP-2"),
        headers={"Idempotency-Key": "nr-1"},
    )
    assert response.status_code == 409
    assert response.json()["type"].endswith("/invoice-not-rejected")


async def test_suspended_completed_with_attachments_then_paid(flow: Flow) -> None:
    invoice_id = await flow.delivered("LC-SUSP-1", SUSPENDS)
    await flow.walk(invoice_id, 2)
    suspended = await flow.invoice(invoice_id)
    assert suspended["status"] == "action_required"
    assert suspended["chorus_status"] == "SUSPENDUE"
    assert suspended["status_comment"] == "Merci de joindre le bon de livraison signé"

    pdf = base64.b64encode(b"%PDF-1.4 delivery note").decode()
    body = {
        "comment": "Bon de livraison signé joint",
        "attachments": [
            {"file_name": "bon-livraison.pdf", "content": pdf, "designation": "Bon de livraison"},
            {"file_name": "photos.zip", "content": base64.b64encode(b"PK..").decode()},
        ],
    }
    before = await flow.stats()
    response = await flow.api.post(f"/v1/invoices/{invoice_id}/complete", json=body)
    assert response.status_code == 200, response.text
    calls = calls_between(before, await flow.stats())
    calls.pop("token", None)  # the API process's first call
    assert calls == {"ajouterFichierDansSysteme": 2, "completerFacture": 1}
    action = response.json()["history"][-1]
    assert action["source"] == "erp"
    assert action["comment"] == "Completed on Chorus Pro: Bon de livraison signé joint"

    on_chorus = await flow.sim_invoice(suspended["chorus_invoice_id"])
    pieces = on_chorus["piecesJointesComplementaires"]
    assert [(p["pieceJointeNom"], p["designation"]) for p in pieces] == [
        ("bon-livraison.pdf", "Bon de livraison"),
        ("photos.zip", "photos.zip"),
    ]
    assert pieces[0]["pieceJointeTypeMime"] == "application/pdf"

    await flow.advance(0)  # a moment later
    await flow.sync()  # COMPLETEE is now on Chorus
    assert (await flow.invoice(invoice_id))["status"] == "delivered"
    await flow.walk(invoice_id, 4)
    paid = await flow.invoice(invoice_id)
    assert paid["status"] == "paid"
    path = chorus_path(paid)
    assert path[path.index("SUSPENDUE") :] == [
        "SUSPENDUE",
        "COMPLETEE",
        "MISE_A_DISPOSITION",
        "SERVICE_FAIT",
        "MANDATEE",
        "MISE_EN_PAIEMENT",
    ]


async def test_to_recycle_recycled_then_paid(flow: Flow) -> None:
    invoice_id = await flow.delivered("LC-RECY-1", RECYCLES)
    await flow.walk(invoice_id, 2)
    to_recycle = await flow.invoice(invoice_id)
    assert to_recycle["status"] == "action_required"
    assert to_recycle["chorus_status"] == "A_RECYCLER"
    assert "Code service inconnu" in to_recycle["status_comment"]

    body = {
        "recipient_siret": "21330063500025",
        "service_code": "SERV-COMPTA",
        "engagement_number": "EJ1300458722",
        "comment": "Bon service",
    }
    response = await flow.api.post(f"/v1/invoices/{invoice_id}/recycle", json=body)
    assert response.status_code == 200, response.text
    recycled = response.json()
    assert recycled["recipient_siret"] == "21330063500025"
    assert recycled["service_code"] == "SERV-COMPTA"
    assert recycled["engagement_number"] == "EJ1300458722"
    assert (
        recycled["history"][-1]["comment"]
        == "Recycled on Chorus Pro to 21330063500025: Bon service"
    )
    on_chorus = await flow.sim_invoice(to_recycle["chorus_invoice_id"])
    assert on_chorus["destinataire"] == "21330063500025"
    assert on_chorus["codeServiceExecutant"] == "SERV-COMPTA"

    await flow.advance(0)
    await flow.sync()
    assert (await flow.invoice(invoice_id))["chorus_status"] == "MISE_A_DISPOSITION"
    await flow.walk(invoice_id, 3)
    paid = await flow.invoice(invoice_id)
    assert paid["status"] == "paid"
    assert paid["number"] == "LC-RECY-1"
    path = chorus_path(paid)
    assert path[path.index("A_RECYCLER") :][:2] == ["A_RECYCLER", "MISE_A_DISPOSITION"]
    assert path[-1] == "MISE_EN_PAIEMENT"


async def test_following_ends_at_mandatee_when_payment_is_not_reported(flow: Flow) -> None:
    invoice_id = await flow.delivered("LC-NOPAY-1", NO_PAYMENT_STATUS)
    await flow.set_column(invoice_id, recipient_reports_payment=False)
    await flow.walk(invoice_id, 3)
    invoice = await flow.invoice(invoice_id)
    assert invoice["status"] == "approved"
    assert invoice["chorus_status"] == "MANDATEE"
    assert "does not report payment" in invoice["history"][-1]["comment"]
    assert invoice["history"][-1]["source"] == "gateway"
    assert not (await flow.row(invoice_id)).followed
    before = await flow.stats()
    await flow.advance(3)
    assert await flow.sync() is None  # nothing left to follow: no call at all
    assert calls_between(before, await flow.stats()) == {}


async def test_payment_report_unknown_keeps_following_up_to_the_max_age(flow: Flow) -> None:
    invoice_id = await flow.delivered("LC-NOPAY-2", NO_PAYMENT_STATUS)
    await flow.walk(invoice_id, 3)
    assert (await flow.invoice(invoice_id))["chorus_status"] == "MANDATEE"
    assert (await flow.row(invoice_id)).followed  # None: it may still be paid one day

    row = await flow.row(invoice_id)
    assert row.deposited_at is not None
    await flow.set_column(invoice_id, deposited_at=row.deposited_at.replace(year=2020))
    await flow.advance()
    report = await flow.sync()
    assert report is not None and report.stopped == 1
    invoice = await flow.invoice(invoice_id)
    assert invoice["status"] == "approved"  # nothing marked failed
    assert "Not followed any more after 120 days" in invoice["history"][-1]["comment"]
    assert not (await flow.row(invoice_id)).followed


async def test_rejected_flux_is_reported_and_not_synced(flow: Flow) -> None:
    invoice_id = await flow.post("XREJ-LC-1")
    assert await flow.submit(invoice_id) == "deposited"
    await flow.advance()
    assert await flow.poll(invoice_id) == "ok"
    invoice = await flow.invoice(invoice_id)
    assert invoice["status"] == "rejected"
    assert invoice["flux_status"] == "IN_REJETE"
    assert invoice["chorus_invoice_id"] is None
    assert "SIMULATED" in invoice["status_comment"]
    row = await flow.row(invoice_id)
    assert not row.followed and row.next_poll_at is None
    assert await flow.cursor() is None


async def test_a_failed_history_call_holds_the_watermark(flow: Flow) -> None:
    invoice_id = await flow.delivered("LC-HOLD-1", REJECTS)
    await flow.advance(2)
    await flow.sim.post(
        "/_simulator/faults", json={"operation": "consulterHistoriqueFacture", "status": 503}
    )
    cursor = await flow.cursor()
    assert cursor is not None
    watermark = cursor.watermark
    report = await flow.sync()
    assert report is not None and report.error is not None and report.changed == 0
    assert (await flow.invoice(invoice_id))["status"] == "delivered"
    cursor = await flow.cursor()
    assert cursor is not None and cursor.watermark == watermark
    await flow.advance()
    await flow.sync()
    invoice = await flow.invoice(invoice_id)
    assert invoice["status"] == "rejected"
    assert "engagement" in invoice["status_comment"]
    cursor = await flow.cursor()
    assert cursor is not None and cursor.watermark is not None and cursor.watermark > watermark


async def test_a_flux_polled_late_still_announces_delivery(flow: Flow) -> None:
    invoice_id = await flow.post("LC-LATE-1")
    assert await flow.submit(invoice_id) == "deposited"
    await flow.advance(3)  # integrated, DEPOSEE, MISE_A_DISPOSITION, SERVICE_FAIT
    assert await flow.poll(invoice_id) == "ok"
    invoice = await flow.invoice(invoice_id)
    assert invoice["status"] == "approved"
    assert invoice["chorus_status"] == "SERVICE_FAIT"
    async with flow.runtime.unit_of_work() as session:
        events = list(
            await session.scalars(
                select(WebhookMessage.event_type)
                .where(WebhookMessage.invoice_id == uuid.UUID(invoice_id))
                .order_by(WebhookMessage.created_at)
            )
        )
    assert events[-3:] == ["invoice.submitted", "invoice.delivered", "invoice.approved"]


async def test_suspended_again_between_two_syncs_is_seen_with_its_new_reason(flow: Flow) -> None:
    invoice_id = await flow.delivered("LC-SUSP-2", SUSPENDS)
    await flow.walk(invoice_id, 2)
    chorus_id = (await flow.invoice(invoice_id))["chorus_invoice_id"]
    await flow.sim.post("/_simulator/clock/advance", json={"seconds": 60})
    response = await flow.api.post(f"/v1/invoices/{invoice_id}/complete", json={"comment": "BL"})
    assert response.status_code == 200, response.text
    await flow.advance(1)  # COMPLETEE, then MISE_A_DISPOSITION: no sync in between
    await flow.decide(chorus_id, "SUSPENDUE", "Encore une pièce")
    await flow.advance(0)
    report = await flow.sync()
    assert report is not None and report.changed == 1 and report.history_calls == 1
    invoice = await flow.invoice(invoice_id)
    assert invoice["status"] == "action_required"
    assert invoice["status_comment"] == "Encore une pièce"
    assert chorus_path(invoice)[-4:] == [
        "SUSPENDUE",
        "COMPLETEE",
        "MISE_A_DISPOSITION",
        "SUSPENDUE",
    ]
    async with flow.runtime.unit_of_work() as session:
        events = list(
            await session.scalars(
                select(WebhookMessage.event_type).where(
                    WebhookMessage.invoice_id == uuid.UUID(invoice_id)
                )
            )
        )
    assert events.count("invoice.suspended") == 2
