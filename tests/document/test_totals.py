"""Totals computed from the lines with EN 16931's rounding, whatever the ERP declared."""

from __future__ import annotations

from decimal import Decimal

from tests.factories import invoice_document

LINE = {"name": "Audit", "quantity": "3", "unit_price": "33.333", "vat_rate": "20"}


def test_each_line_is_rounded_before_the_sum() -> None:
    totals = invoice_document(lines=[LINE, LINE]).compute_totals()
    assert totals.line_total == Decimal("200.00")  # 2 x round(99.999), not round(199.998)
    assert totals.tax == Decimal("40.00")
    assert totals.payable == Decimal("240.00")


def test_allowances_charges_and_prepaid_amounts() -> None:
    totals = invoice_document(
        lines=[{**LINE, "unit_price": "100"}],
        allowances=[{"amount": "10", "vat_category": "S", "vat_rate": "20", "reason": "Remise"}],
        charges=[{"base_amount": "50", "percentage": "10", "vat_category": "S", "vat_rate": "20"}],
        prepaid_amount="100",
    ).compute_totals()
    assert (totals.allowance_total, totals.charge_total) == (Decimal("10.00"), Decimal("5.00"))
    assert totals.tax_exclusive == Decimal("295.00")
    assert totals.tax == Decimal("59.00")
    assert totals.payable == Decimal("254.00")


def test_the_vat_breakdown_groups_by_category_and_rate() -> None:
    lines = [
        {**LINE, "unit_price": "10", "vat_rate": "20"},
        {**LINE, "unit_price": "10", "vat_rate": "20.0"},
        {**LINE, "unit_price": "10", "vat_rate": "5.5"},
    ]
    breakdown = invoice_document(lines=lines).compute_totals().vat_breakdown
    assert [(b.category, b.rate, b.taxable_amount, b.tax_amount) for b in breakdown] == [
        ("S", Decimal("5.5"), Decimal("30.00"), Decimal("1.65")),
        ("S", Decimal("20"), Decimal("60.00"), Decimal("12.00")),
    ]
