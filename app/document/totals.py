"""EN 16931 document totals (BG-22) and VAT breakdown (BG-23), computed from the lines.

The rounding rules are the standard's: two decimals per line net amount, per allowance or
charge and per VAT breakdown; the totals add those rounded parts up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from app.document.fields import HUNDRED, round_amount

if TYPE_CHECKING:
    from app.document.model import InvoiceDocument, VatExemption


def compute_totals(document: InvoiceDocument) -> ComputedTotals:
    """EN 16931 document totals (BG-22) and VAT breakdown (BG-23) from the lines."""
    groups: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
    for line in document.lines:
        groups[(line.vat_category, _rate_key(line.vat_category, line.vat_rate))] += (
            line.net_amount()
        )
    for sign, entries in ((-1, document.allowances), (1, document.charges)):
        for entry in entries:
            category = entry.vat_category or "S"
            key = (category, _rate_key(category, entry.vat_rate or Decimal(0)))
            groups[key] += sign * entry.computed_amount()
    exemptions: dict[str, VatExemption] = {e.category: e for e in document.vat_exemptions}
    breakdown = []
    for (group_category, rate), base in sorted(groups.items()):
        exemption = exemptions.get(group_category)
        breakdown.append(
            VatBreakdown(
                category=group_category,
                rate=rate,
                taxable_amount=round_amount(base),
                tax_amount=round_amount(base * rate / HUNDRED),
                exemption_reason=exemption.reason if exemption else None,
                exemption_code=exemption.code if exemption else None,
            )
        )
    zero = Decimal("0.00")
    line_total = sum((line.net_amount() for line in document.lines), zero)
    allowance_total = sum((a.computed_amount() for a in document.allowances), zero)
    charge_total = sum((c.computed_amount() for c in document.charges), zero)
    tax_exclusive = line_total - allowance_total + charge_total
    tax = sum((b.tax_amount for b in breakdown), zero)
    tax_inclusive = tax_exclusive + tax
    prepaid = round_amount(document.prepaid_amount) if document.prepaid_amount is not None else zero
    rounding = (
        round_amount(document.rounding_amount) if document.rounding_amount is not None else zero
    )
    return ComputedTotals(
        line_total=line_total,
        allowance_total=allowance_total,
        charge_total=charge_total,
        tax_exclusive=tax_exclusive,
        tax=tax,
        tax_inclusive=tax_inclusive,
        prepaid=prepaid,
        rounding=rounding,
        payable=tax_inclusive - prepaid + rounding,
        vat_breakdown=breakdown,
    )


def _rate_key(category: str, rate: Decimal) -> Decimal:
    """Group by normalised rate; category O has no rate at all (BR-O-05)."""
    return Decimal(0) if category == "O" else rate.normalize() + Decimal(0)


@dataclass(frozen=True)
class VatBreakdown:
    category: str
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal
    exemption_reason: str | None = None
    exemption_code: str | None = None


@dataclass(frozen=True)
class ComputedTotals:
    line_total: Decimal
    allowance_total: Decimal
    charge_total: Decimal
    tax_exclusive: Decimal
    tax: Decimal
    tax_inclusive: Decimal
    prepaid: Decimal
    rounding: Decimal
    payable: Decimal
    vat_breakdown: list[VatBreakdown]
