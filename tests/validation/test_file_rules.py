"""Rules that only a ready-made file can break: its declared VAT breakdown (BR-x-01/08/09,
BR-CO-17). JSON invoices never carry one (the gateway computes it), so they never fire there."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from app.document import DeclaredVat, FileValues, InvoiceDocument
from app.validation import check_rules

from .conftest import TODAY
from .corpus import fixture

BY_CATEGORY = {
    "S": ("valid_s_standard_20", "S"),
    "Z": ("valid_z_zero_rated", "Z"),
    "E": ("valid_e_exempt_with_reason", "E"),
    "AE": ("valid_ae_reverse_charge", "AE"),
    "K": ("valid_k_intra_community", "IC"),
    "G": ("valid_g_export", "G"),
    "O": ("valid_o_not_subject", "O"),
}
EXERCISED = {f"BR-{stem}-{n}" for _, stem in BY_CATEGORY.values() for n in ("01", "08", "09")}
EXERCISED |= {"BR-CO-17", "GW-CURRENCY"}
TEN = Decimal(10)


def as_read(name: str, change: str | None = None) -> InvoiceDocument:
    """The fixture as a file declaring its own computed amounts, then one of them altered."""
    document = InvoiceDocument.model_validate(fixture(name).document)
    totals = document.compute_totals()
    breakdown = [
        DeclaredVat(vat.category, vat.rate, vat.taxable_amount, vat.tax_amount)
        for vat in totals.vat_breakdown
    ]
    if change == "none":
        breakdown = []
    elif change == "taxable":
        breakdown[0] = dataclasses.replace(
            breakdown[0], taxable_amount=breakdown[0].taxable_amount + TEN
        )
    elif change == "tax":
        breakdown[0] = dataclasses.replace(breakdown[0], tax_amount=breakdown[0].tax_amount + TEN)
    lines = tuple(line.net_amount() for line in document.lines)
    return document.with_file_values(FileValues(lines, tuple(breakdown)))


def codes(document: InvoiceDocument) -> set[str]:
    return {str(error.code) for error in check_rules(document, today=TODAY)}


@pytest.mark.parametrize("category", sorted(BY_CATEGORY))
def test_declared_breakdown_is_checked(category: str) -> None:
    name, stem = BY_CATEGORY[category]
    assert codes(as_read(name)) == set()
    assert f"BR-{stem}-01" in codes(as_read(name, "none"))
    assert f"BR-{stem}-08" in codes(as_read(name, "taxable"))
    altered_tax = codes(as_read(name, "tax"))
    assert {f"BR-{stem}-09", "BR-CO-17"} <= altered_tax


def test_json_invoices_never_fire_the_file_rules() -> None:
    for name, _ in BY_CATEGORY.values():
        document = InvoiceDocument.model_validate(fixture(name).document)
        assert codes(document) & EXERCISED == set()


def test_an_amount_in_another_currency_is_refused_by_the_gateway_rule() -> None:
    document = InvoiceDocument.model_validate(fixture("valid_s_standard_20").document)
    lines = tuple(line.net_amount() for line in document.lines)
    breakdown = tuple(
        DeclaredVat(vat.category, vat.rate, vat.taxable_amount, vat.tax_amount)
        for vat in document.compute_totals().vat_breakdown
    )
    where = "/Invoice/cac:InvoiceLine[1]/cbc:LineExtensionAmount"
    document.with_file_values(FileValues(lines, breakdown, (where,)))
    errors = check_rules(document, today=TODAY)
    assert [(e.code, e.field) for e in errors] == [("GW-CURRENCY", "currency")]
    assert where in errors[0].message
