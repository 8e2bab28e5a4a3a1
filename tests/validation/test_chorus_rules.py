"""Chorus Pro (CPP-*) and gateway (GW-*) rules: exact ids and paths."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from app.document import InvoiceDocument
from app.validation import chorus

from .conftest import TODAY, Payload, document, failures

Case = tuple[str, Callable[[], InvoiceDocument], set[tuple[str, str]]]
PDF = base64.b64encode(b"%PDF-1.4 fake").decode()


def changed(change: Callable[[Payload], Any]) -> Callable[[], InvoiceDocument]:
    return lambda: document(change)


def mutated(change: Callable[[InvoiceDocument], Any]) -> Callable[[], InvoiceDocument]:
    def build() -> InvoiceDocument:
        doc = document()
        change(doc)
        return doc

    return build


def attachment(**fields: Any) -> dict[str, Any]:
    return {
        "id": "PJ-1",
        "file_name": "bl.pdf",
        "mime_type": "application/pdf",
        "content": PDF,
    } | fields


CASES: list[Case] = [
    ("CPP-NUM-01", changed(lambda p: p.update(number="F" * 21)), {("CPP-NUM-01", "number")}),
    ("CPP-NUM-01", changed(lambda p: p.update(number="FA 2026.1")), {("CPP-NUM-01", "number")}),
    (
        "CPP-DATE-01",
        changed(lambda p: p.update(issue_date=str(TODAY + timedelta(days=1)), due_date=None)),
        {("CPP-DATE-01", "issue_date")},
    ),
    (
        "CPP-SIRET-01",
        mutated(lambda d: setattr(d.supplier, "siret", "81234567600018")),
        {("CPP-SIRET-01", "supplier.siret")},
    ),
    (
        "CPP-SIRET-01",
        mutated(lambda d: setattr(d.recipient, "siret", "2133006350002")),
        {("CPP-SIRET-01", "recipient.siret")},
    ),
    ("CPP-IBAN-01", changed(lambda p: p.pop("payment")), {("CPP-IBAN-01", "payment.iban")}),
    (
        "CPP-IBAN-01",
        changed(lambda p: p.update(payment={"type_code": "42"})),
        {("CPP-IBAN-01", "payment.iban")},
    ),
    (
        "CPP-IBAN-02",
        mutated(lambda d: setattr(d.payment, "iban", "FR7630006000011234567890188")),
        {("CPP-IBAN-02", "payment.iban")},
    ),
    (
        "CPP-PREC-01",
        changed(lambda p: p.update(type_code="381")),
        {("CPP-PREC-01", "preceding_invoices")},
    ),
    (
        "CPP-PREC-01",
        changed(lambda p: p.update(type_code="384")),
        {("CPP-PREC-01", "preceding_invoices")},
    ),
    (
        "CPP-SRV-01",
        changed(lambda p: p.update(service_code=" Factures_Publiques ")),
        {("CPP-SRV-01", "service_code")},
    ),
    (
        "CPP-SRV-02",
        mutated(lambda d: setattr(d, "service_code", "S" * 101)),
        {("CPP-SRV-02", "service_code")},
    ),
    (
        "CPP-EJ-01",
        mutated(lambda d: setattr(d, "engagement_number", "E" * 51)),
        {("CPP-EJ-01", "engagement_number")},
    ),
    (
        "CPP-ATT-01",
        changed(lambda p: p.update(attachments=[attachment(file_name="x" * 47 + ".pdf")])),
        {("CPP-ATT-01", "attachments[0].file_name")},
    ),
    (
        "CPP-ATT-02",
        changed(lambda p: p.update(attachments=[attachment(), attachment(file_name="run.sh")])),
        {("CPP-ATT-02", "attachments[1].file_name")},
    ),
    (
        "CPP-ATT-02",
        changed(lambda p: p.update(attachments=[attachment(file_name=".pdf")])),
        {("CPP-ATT-02", "attachments[0].file_name")},
    ),
    (
        "GW-ATT-01",
        changed(lambda p: p.update(attachments=[attachment(content="%PDF")])),
        {("GW-ATT-01", "attachments[0].content")},
    ),
    (
        "CPP-AMT-01",
        changed(lambda p: p["lines"][0].update(quantity="9999999999999", unit_price="10")),
        {("CPP-AMT-01", "lines[0]")},
    ),
    (
        "CPP-AMT-01",
        changed(
            lambda p: p["lines"][0].update(quantity="9999999999999", price_base_quantity="0.000001")
        ),
        {("CPP-AMT-01", "lines[0]")},
    ),
    (
        "CPP-AMT-01",
        changed(
            lambda p: p.update(
                lines=[{"name": "x", "quantity": "999999999999", "unit_price": "9"}] * 2
            )
        ),
        {("CPP-AMT-01", "lines")},  # each line fits, their total does not
    ),
    (
        "GW-BASE-QTY",
        changed(lambda p: p["lines"][1].update(price_base_quantity="-1")),
        {("GW-BASE-QTY", "lines[1].price_base_quantity")},
    ),
    (
        "GW-DUE-DATE",
        changed(lambda p: p.update(due_date="2026-11-19")),
        {("GW-DUE-DATE", "due_date")},
    ),
    (
        "GW-TOTAL-PREPAID",
        changed(lambda p: p.update(prepaid_amount="10.00", totals={"prepaid": "0.00"})),
        {("GW-TOTAL-PREPAID", "totals.prepaid")},
    ),
]


EXERCISED = {"CPP-ATT-03", "CPP-ATT-04"}  # by test_attachment_size_limits


@pytest.mark.parametrize(("rule_id", "build", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rule(
    rule_id: str, build: Callable[[], InvoiceDocument], expected: set[tuple[str, str]]
) -> None:
    assert failures(build()) == expected


def test_credit_note_may_omit_payment_means() -> None:
    doc = document(
        lambda p: p.update(type_code="381", payment=None, preceding_invoices=[{"number": "F-1"}])
    )
    assert failures(doc) == set()


def test_today_may_be_the_invoice_date() -> None:
    assert failures(document(lambda p: p.update(issue_date=str(TODAY)))) == set()


def test_line_wrapped_base64_is_accepted() -> None:
    wrapped = "\n".join(PDF[i : i + 8] for i in range(0, len(PDF), 8))
    assert (
        failures(document(lambda p: p.update(attachments=[attachment(content=wrapped)]))) == set()
    )


def test_attachment_size_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real 10 MB and 120 MB cases are in the corpus; here the limits are shrunk."""
    size = len(base64.b64decode(PDF))
    monkeypatch.setattr(chorus, "MAX_ATTACHMENT_BYTES", size - 1)
    monkeypatch.setattr(chorus, "MAX_INVOICE_ATTACHMENTS_BYTES", 2 * size)
    doc = document(lambda p: p.update(attachments=[attachment(), attachment(id="PJ-2")]))
    assert failures(doc) == {
        ("CPP-ATT-03", "attachments[0].content"),
        ("CPP-ATT-03", "attachments[1].content"),
    }
    doc.attachments.append(doc.attachments[0])
    assert ("CPP-ATT-04", "attachments") in failures(doc)
