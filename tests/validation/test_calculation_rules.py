"""BR-CO and BR-DEC rules: declared totals, periods, decimals; exact ids and paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.document import InvoiceDocument

from .conftest import Payload, document, failures

Case = tuple[str, Callable[[], InvoiceDocument], set[tuple[str, str]]]

# The base invoice: 1200.00 + 136.50 = 1336.50 at 20 %, VAT 267.30, total 1603.80.
GOOD_TOTALS = {
    "line_total": "1336.50",
    "allowance_total": "0.00",
    "charge_total": "0.00",
    "tax_exclusive": "1336.50",
    "tax": "267.30",
    "tax_inclusive": "1603.80",
    "prepaid": "0.00",
    "payable": "1603.80",
}
ALLOWANCE = {"amount": "10.00", "reason": "Remise", "vat_category": "S", "vat_rate": "20"}


def changed(change: Callable[[Payload], Any]) -> Callable[[], InvoiceDocument]:
    return lambda: document(change)


def declared(name: str, value: str) -> Callable[[], InvoiceDocument]:
    return changed(lambda p: p.update(totals={**GOOD_TOTALS, name: value}))


def line0(**fields: Any) -> Callable[[Payload], None]:
    return lambda p: p["lines"][0].update(fields)


def no_seller_id(doc: InvoiceDocument) -> InvoiceDocument:
    doc.supplier.siret = ""
    doc.supplier.vat_id = None
    return doc


CASES: list[Case] = [
    (
        "BR-CO-04",
        lambda: _set(document(), lambda d: setattr(d.lines[1], "vat_category", "")),
        {("BR-CO-04", "lines[1].vat_category")},
    ),
    (
        "BR-CO-09",
        changed(lambda p: p["supplier"].update(vat_id="XX19812345676")),
        {("BR-CO-09", "supplier.vat_id")},
    ),
    (
        "BR-CO-09",
        changed(lambda p: p["recipient"].update(vat_id="12345")),
        {("BR-CO-09", "recipient.vat_id")},
    ),
    ("BR-CO-10", declared("line_total", "1336.49"), {("BR-CO-10", "totals.line_total")}),
    ("BR-CO-11", declared("allowance_total", "1.00"), {("BR-CO-11", "totals.allowance_total")}),
    ("BR-CO-12", declared("charge_total", "1.00"), {("BR-CO-12", "totals.charge_total")}),
    ("BR-CO-13", declared("tax_exclusive", "1336.00"), {("BR-CO-13", "totals.tax_exclusive")}),
    ("BR-CO-14", declared("tax", "267.31"), {("BR-CO-14", "totals.tax")}),
    ("BR-CO-15", declared("tax_inclusive", "1603.81"), {("BR-CO-15", "totals.tax_inclusive")}),
    ("BR-CO-16", declared("payable", "1600.00"), {("BR-CO-16", "totals.payable")}),
    (
        "BR-CO-19",
        changed(lambda p: p.update(invoicing_period={})),
        {("BR-CO-19", "invoicing_period")},
    ),
    ("BR-CO-20", changed(line0(period={})), {("BR-CO-20", "lines[0].period")}),
    (
        "BR-CO-26",
        lambda: no_seller_id(document()),
        {
            ("BR-CO-26", "supplier.siret"),
            ("CPP-SIRET-01", "supplier.siret"),
            ("BR-S-02", "supplier.vat_id"),
        },
    ),
    (
        "BR-DEC-01",
        changed(lambda p: p.update(allowances=[{**ALLOWANCE, "amount": "10.001"}])),
        {("BR-DEC-01", "allowances[0].amount")},
    ),
    (
        "BR-DEC-02",
        changed(lambda p: p.update(allowances=[{**ALLOWANCE, "base_amount": "100.001"}])),
        {("BR-DEC-02", "allowances[0].base_amount")},
    ),
    (
        "BR-DEC-05",
        changed(lambda p: p.update(charges=[{**ALLOWANCE, "amount": "0.125"}])),
        {("BR-DEC-05", "charges[0].amount")},
    ),
    (
        "BR-DEC-06",
        changed(lambda p: p.update(charges=[{**ALLOWANCE, "base_amount": "1.999"}])),
        {("BR-DEC-06", "charges[0].base_amount")},
    ),
    (
        "BR-DEC-16",
        changed(lambda p: p.update(prepaid_amount="1.001")),
        {("BR-DEC-16", "prepaid_amount")},
    ),
    (
        "BR-DEC-17",
        changed(lambda p: p.update(rounding_amount="0.005")),
        {("BR-DEC-17", "rounding_amount")},
    ),
    (
        "BR-DEC-24",
        changed(line0(allowances=[{"amount": "1.005", "reason": "Remise"}])),
        {("BR-DEC-24", "lines[0].allowances[0].amount")},
    ),
    (
        "BR-DEC-25",
        changed(line0(allowances=[{"base_amount": "1.005", "percentage": "10", "reason": "R"}])),
        {("BR-DEC-25", "lines[0].allowances[0].base_amount")},
    ),
    (
        "BR-DEC-27",
        changed(line0(charges=[{"amount": "1.005", "reason": "Frais"}])),
        {("BR-DEC-27", "lines[0].charges[0].amount")},
    ),
    (
        "BR-DEC-28",
        changed(line0(charges=[{"base_amount": "1.005", "percentage": "10", "reason": "F"}])),
        {("BR-DEC-28", "lines[0].charges[0].base_amount")},
    ),
]


def _set(doc: InvoiceDocument, change: Callable[[InvoiceDocument], Any]) -> InvoiceDocument:
    change(doc)
    return doc


@pytest.mark.parametrize(("rule_id", "build", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rule(
    rule_id: str, build: Callable[[], InvoiceDocument], expected: set[tuple[str, str]]
) -> None:
    assert failures(build()) == expected


def test_correct_declared_totals_pass() -> None:
    assert failures(document(lambda p: p.update(totals=GOOD_TOTALS))) == set()


def test_declared_total_message_names_both_figures() -> None:
    from app.validation import check_rules

    from .conftest import TODAY

    (error,) = check_rules(declared("tax", "267.31")(), today=TODAY)
    assert "267.31" in error.message and "267.30" in error.message
    assert "267.31" in str(error.message_fr) and "267.30" in str(error.message_fr)


def test_trailing_zeros_are_not_extra_decimals() -> None:
    doc = document(lambda p: p.update(prepaid_amount="100.000", totals={"tax": "267.300"}))
    assert failures(doc) == set()


def test_rounding_and_prepaid_enter_the_amount_due() -> None:
    totals = {**GOOD_TOTALS, "prepaid": "600.00", "payable": "1003.81"}
    doc = document(
        lambda p: p.update(prepaid_amount="600.00", rounding_amount="0.01", totals=totals)
    )
    assert failures(doc) == set()


def test_nothing_due_needs_no_due_date() -> None:
    doc = document(lambda p: p.update(due_date=None, prepaid_amount="1603.80"))
    assert failures(doc) == set()
