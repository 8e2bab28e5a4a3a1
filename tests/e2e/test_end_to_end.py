"""The whole path on real parts: ERP -> API -> PostgreSQL -> arq worker -> Chorus Pro
simulator over HTTP -> status sync -> signed webhooks to a real receiver."""

from __future__ import annotations

import copy
import signal
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tests.e2e.stack import (
    FAST,
    Stack,
    deposits_of,
    post_invoice,
    run_stack,
    status_of,
    wait_for_status,
    wait_or_dump,
)
from tests.factories import EXAMPLE
from tests.support.live import wait_until
from tests.support.receiver import Receiver as WebhookReceiver

pytestmark = pytest.mark.e2e

REJECTING_RECIPIENT = "21750001600019"


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def stack(
    database_url: str,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    clean_db_once: None,
) -> Iterator[Stack]:
    log_dir = tmp_path_factory.mktemp("e2e-logs")
    with run_stack(database_url, redis_url, log_dir, FAST) as stack:
        yield stack


@pytest.fixture(scope="module")
def endpoint_secret(stack: Stack, receiver: WebhookReceiver) -> str:
    response = httpx.post(
        f"{stack.api_url}/v1/webhook-endpoints", json={"url": receiver.url}, headers=stack.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["secret"])


def events_for(receiver: WebhookReceiver, secret: str, invoice_id: str) -> list[dict[str, Any]]:
    """Every webhook for this invoice, each verified with the reference library."""
    verifier = Webhook(secret)
    events = []
    for hook in receiver.received:
        payload = verifier.verify(hook.body, hook.headers)
        if payload["data"]["invoice_id"] == invoice_id:
            events.append(payload)
    return events


def test_invoice_goes_to_payment_with_signed_webhooks(
    stack: Stack, receiver: WebhookReceiver, endpoint_secret: str
) -> None:
    created = post_invoice(stack, "e2e-paid", number="E2E-PAID-1")
    invoice = wait_for_status(stack, created["id"], "paid")
    assert invoice["chorus_status"] == "MISE_EN_PAIEMENT"
    assert invoice["flux_number"].startswith("CPP001")
    assert isinstance(invoice["chorus_invoice_id"], int)
    chorus_path = [h["chorus_status"] for h in invoice["history"] if h["source"] == "chorus"]
    # The supplier sync sees the status at each sync, so it may skip intermediate ones.
    full_path = iter(["DEPOSEE", "MISE_A_DISPOSITION", "SERVICE_FAIT", "MANDATEE"])
    assert chorus_path[-1] == "MISE_EN_PAIEMENT", chorus_path
    assert all(status in full_path for status in chorus_path[:-1]), chorus_path
    times = [h["recorded_at"] for h in invoice["history"]]
    assert times == sorted(times)
    assert deposits_of(stack, "E2E-PAID-1") == 1

    def all_events() -> list[str] | None:
        types = [e["type"] for e in events_for(receiver, endpoint_secret, created["id"])]
        return types if "invoice.paid" in types else None

    types = wait_or_dump(stack, all_events, "invoice.paid webhook")
    for expected in (
        "invoice.accepted",
        "invoice.submitted",
        "invoice.delivered",
        "invoice.approved",
        "invoice.paid",
    ):
        assert expected in types
    assert len({h.headers["webhook-id"] for h in receiver.received}) == len(receiver.received)


def test_recipient_rejection_reaches_status_and_webhook_with_reason(
    stack: Stack, receiver: WebhookReceiver, endpoint_secret: str
) -> None:
    created = post_invoice(
        stack, "e2e-rejected", number="E2E-REJ-1", recipient_siret=REJECTING_RECIPIENT
    )
    invoice = wait_for_status(stack, created["id"], "rejected")
    assert invoice["chorus_status"] == "REJETEE"
    assert "engagement" in invoice["status_comment"]
    assert invoice["history"][-1]["comment"] == invoice["status_comment"]

    def rejected_event() -> dict[str, Any] | None:
        events = events_for(receiver, endpoint_secret, created["id"])
        return next((e for e in events if e["type"] == "invoice.rejected"), None)

    event = wait_or_dump(stack, rejected_event, "invoice.rejected webhook")
    assert event["data"]["reason"] == invoice["status_comment"]
    assert event["data"]["chorus_status"] == "REJETEE"


def test_rejected_flux_is_reported_with_chorus_errors(stack: Stack) -> None:
    created = post_invoice(stack, "e2e-flux-rejected", number="XREJ-E2E-1")
    invoice = wait_for_status(stack, created["id"], "rejected")
    assert invoice["flux_status"] == "IN_REJETE"
    assert invoice["chorus_invoice_id"] is None
    assert "SIMULATED" in invoice["status_comment"]


def test_lost_answer_is_looked_up_not_deposited_again(stack: Stack) -> None:
    created = post_invoice(stack, "e2e-lost", number="XLOST-E2E-1")
    invoice = wait_for_status(stack, created["id"], "paid")
    assert deposits_of(stack, "XLOST-E2E-1") == 1
    outcomes = [a["outcome"] for a in invoice["attempts"]]
    assert outcomes == ["found"], invoice["attempts"]


def test_throttled_deposit_is_retried(stack: Stack) -> None:
    created = post_invoice(stack, "e2e-429", number="X429-E2E-1")
    invoice = wait_for_status(stack, created["id"], "paid")
    assert [a["outcome"] for a in invoice["attempts"]] == ["retry", "deposited"]
    assert deposits_of(stack, "X429-E2E-1") == 1


def test_worker_killed_during_deposit_still_deposits_exactly_once(stack: Stack) -> None:
    created = post_invoice(stack, "e2e-crash", number="XSLOW-E2E-1")
    wait_until(lambda: deposits_of(stack, "XSLOW-E2E-1") == 1, what="the deposit to arrive")
    worker = stack.processes["worker"]
    worker.stop(signal.SIGKILL)
    assert status_of(stack, created["id"])["status"] == "submitting"
    worker.start()
    invoice = wait_for_status(stack, created["id"], "paid")
    assert deposits_of(stack, "XSLOW-E2E-1") == 1
    assert [a["outcome"] for a in invoice["attempts"]] == ["found"]


def test_ready_made_ubl_file_is_deposited_unchanged_and_followed(stack: Stack) -> None:
    from app.document import InvoiceDocument
    from app.formats import Syntax, render

    document = copy.deepcopy(EXAMPLE)
    document["number"] = "E2E-UBL-1"
    content = render(InvoiceDocument.model_validate(document), Syntax.UBL_INVOICE).content
    response = httpx.post(
        f"{stack.api_url}/v1/invoices",
        files={"file": ("erp-ubl.xml", content, "application/xml")},
        headers={**stack.headers, "Idempotency-Key": "e2e-ubl"},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    invoice = wait_for_status(stack, response.json()["id"], "paid")
    assert invoice["syntax"] == "IN_DP_E1_UBL_INVOICE"
    stats = httpx.get(f"{stack.simulator_url}/_simulator/stats", timeout=10).json()
    deposits = [d for d in stats["deposits"] if d["numeroFacture"] == "E2E-UBL-1"]
    assert [d["syntaxeFlux"] for d in deposits] == ["IN_DP_E1_UBL_INVOICE"]
