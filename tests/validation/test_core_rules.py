"""EN 16931 core rules: one mutation of a valid invoice per rule, exact ids and paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.document import Address, Attachment, Delivery, InvoiceDocument, PrecedingInvoice

from .conftest import Payload, document, failures

Case = tuple[str, Callable[[], InvoiceDocument], set[tuple[str, str]]]


def changed(change: Callable[[Payload], Any]) -> Callable[[], InvoiceDocument]:
    """The base payload changed before validation: the normal way in."""
    return lambda: document(change)


def mutated(change: Callable[[InvoiceDocument], Any]) -> Callable[[], InvoiceDocument]:
    """The validated document changed afterwards: reaches what the JSON schema already refuses."""

    def build() -> InvoiceDocument:
        doc = document()
        change(doc)
        return doc

    return build


def line0(**fields: Any) -> Callable[[Payload], None]:
    return lambda p: p["lines"][0].update(fields)


def with_delivery(doc: InvoiceDocument) -> InvoiceDocument:
    doc.delivery = Delivery(address=Address())
    return doc


ALLOWANCE = {"amount": "10.00", "reason": "Remise", "vat_category": "S", "vat_rate": "20"}
REVERSED = {"start": "2026-10-31", "end": "2026-10-01"}

CASES: list[Case] = [
    (
        "BR-02",
        mutated(lambda d: setattr(d, "number", "")),
        {("BR-02", "number"), ("CPP-NUM-01", "number")},
    ),
    ("BR-03", mutated(lambda d: setattr(d, "issue_date", None)), {("BR-03", "issue_date")}),
    ("BR-04", mutated(lambda d: setattr(d, "type_code", "")), {("BR-04", "type_code")}),
    ("BR-05", mutated(lambda d: setattr(d, "currency", "")), {("BR-05", "currency")}),
    ("BR-06", mutated(lambda d: setattr(d.supplier, "name", "")), {("BR-06", "supplier.name")}),
    ("BR-07", mutated(lambda d: setattr(d.recipient, "name", "")), {("BR-07", "recipient.name")}),
    (
        "BR-08",
        mutated(lambda d: setattr(d.supplier, "address", None)),
        {("BR-08", "supplier.address")},
    ),
    (
        "BR-09",
        mutated(lambda d: setattr(d.supplier.address, "country_code", "")),
        {("BR-09", "supplier.address.country_code")},
    ),
    (
        "BR-10",
        mutated(lambda d: setattr(d.recipient, "address", None)),
        {("BR-10", "recipient.address")},
    ),
    (
        "BR-11",
        mutated(lambda d: setattr(d.recipient.address, "country_code", "")),
        {("BR-11", "recipient.address.country_code")},
    ),
    ("BR-16", mutated(lambda d: setattr(d, "lines", [])), {("BR-16", "lines")}),
    (
        "BR-22",
        mutated(lambda d: setattr(d.lines[1], "quantity", None)),
        {("BR-22", "lines[1].quantity")},
    ),
    (
        "BR-23",
        mutated(lambda d: setattr(d.lines[0], "unit_code", "")),
        {("BR-23", "lines[0].unit_code")},
    ),
    ("BR-25", mutated(lambda d: setattr(d.lines[1], "name", "")), {("BR-25", "lines[1].name")}),
    (
        "BR-26",
        mutated(lambda d: setattr(d.lines[0], "unit_price", None)),
        {("BR-26", "lines[0].unit_price")},
    ),
    ("BR-27", changed(line0(unit_price="-1")), {("BR-27", "lines[0].unit_price")}),
    ("BR-28", changed(line0(gross_price="-130")), {("BR-28", "lines[0].gross_price")}),
    (
        "BR-29",
        changed(lambda p: p.update(invoicing_period=REVERSED)),
        {("BR-29", "invoicing_period.end")},
    ),
    ("BR-30", changed(line0(period=REVERSED)), {("BR-30", "lines[0].period.end")}),
    (
        "BR-31",
        changed(lambda p: p.update(allowances=[{**ALLOWANCE, "amount": None, "percentage": "5"}])),
        {("BR-31", "allowances[0].amount")},
    ),
    (
        "BR-32",
        changed(lambda p: p.update(allowances=[{"amount": "10", "reason": "Remise"}])),
        {("BR-32", "allowances[0].vat_category")},
    ),
    (
        "BR-33",
        changed(lambda p: p.update(allowances=[{**ALLOWANCE, "reason": None}])),
        {("BR-33", "allowances[0].reason"), ("BR-CO-21", "allowances[0].reason")},
    ),
    (
        "BR-36",
        changed(lambda p: p.update(charges=[{**ALLOWANCE, "amount": None, "base_amount": "10"}])),
        {("BR-36", "charges[0].amount")},
    ),
    (
        "BR-37",
        changed(lambda p: p.update(charges=[{"amount": "10", "reason_code": "FC"}])),
        {("BR-37", "charges[0].vat_category")},
    ),
    (
        "BR-38",
        changed(lambda p: p.update(charges=[{**ALLOWANCE, "reason": None}])),
        {("BR-38", "charges[0].reason"), ("BR-CO-22", "charges[0].reason")},
    ),
    (
        "BR-41",
        changed(line0(allowances=[{"base_amount": "1200", "reason": "Remise"}])),
        {("BR-41", "lines[0].allowances[0].amount")},
    ),
    (
        "BR-42",
        changed(line0(allowances=[{"amount": "12"}])),
        {("BR-42", "lines[0].allowances[0].reason"), ("BR-CO-23", "lines[0].allowances[0].reason")},
    ),
    (
        "BR-43",
        changed(line0(charges=[{"percentage": "10", "reason": "Astreinte"}])),
        {("BR-43", "lines[0].charges[0].amount")},
    ),
    (
        "BR-44",
        changed(line0(charges=[{"amount": "12"}])),
        {("BR-44", "lines[0].charges[0].reason"), ("BR-CO-24", "lines[0].charges[0].reason")},
    ),
    (
        "BR-49",
        mutated(lambda d: setattr(d.payment, "type_code", "")),
        {("BR-49", "payment.type_code")},
    ),
    (
        "BR-50",
        changed(lambda p: p.update(payment={"type_code": "49", "bic": "AGRIFRPP"})),
        {("BR-50", "payment.iban")},
    ),
    (
        "BR-52",
        mutated(
            lambda d: d.attachments.append(
                Attachment.model_construct(
                    id="", file_name="a.pdf", mime_type="application/pdf", content="QUJD"
                )
            )
        ),
        {("BR-52", "attachments[0].id")},
    ),
    (
        "BR-55",
        mutated(lambda d: d.preceding_invoices.append(PrecedingInvoice.model_construct(number=""))),
        {("BR-55", "preceding_invoices[0].number")},
    ),
    (
        "BR-57",
        mutated(lambda d: setattr(with_delivery(d).delivery.address, "country_code", "")),  # type: ignore[union-attr]
        {("BR-57", "delivery.address.country_code")},
    ),
    (
        "BR-61",
        changed(lambda p: p.update(payment={"type_code": "58"})),
        {("BR-61", "payment.iban"), ("CPP-IBAN-01", "payment.iban")},
    ),
]


@pytest.mark.parametrize(("rule_id", "build", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rule(
    rule_id: str, build: Callable[[], InvoiceDocument], expected: set[tuple[str, str]]
) -> None:
    assert failures(build()) == expected


def test_base_document_is_valid(base_document: InvoiceDocument) -> None:
    assert failures(base_document) == set()


def test_country_rules_wait_for_their_address() -> None:
    doc = document()
    doc.supplier.address = None  # type: ignore[assignment]
    assert ("BR-09", "supplier.address.country_code") not in failures(doc)
