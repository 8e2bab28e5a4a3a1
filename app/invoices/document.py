"""The invoice document as the ERP sends it: the one model that checks, formats and storage share.

Amounts are `Decimal`. Totals are always computed here from the lines with the EN 16931
rounding rules (two decimals per line net amount and per VAT breakdown); totals sent by the
ERP are only compared with them (see `app.invoices.checks`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.fr import siret as stdnum_siret

CENT = Decimal("0.01")
INVOICE_NUMBER_PATTERN = re.compile(r"^[A-Za-z0-9\-_/+]{1,20}$")


def round_amount(value: Decimal) -> Decimal:
    """EN 16931 amounts carry two decimals, rounded half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _check_siret(value: str) -> str:
    compact = stdnum_siret.compact(value)
    try:
        return str(stdnum_siret.validate(compact))
    except StdnumValidationError as exc:
        raise ValueError("must be a SIRET of 14 digits that passes the Luhn check") from exc


def _check_iban(value: str) -> str:
    try:
        return str(stdnum_iban.validate(value))
    except StdnumValidationError as exc:
        raise ValueError("must be a valid IBAN (ISO 13616, mod 97 check)") from exc


Siret = Annotated[str, AfterValidator(_check_siret)]
Iban = Annotated[str, AfterValidator(_check_iban)]
Amount = Annotated[Decimal, Field(max_digits=19, decimal_places=6)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


class DocumentModel(BaseModel):
    """Inputs refuse unknown fields so that a typo in an ERP mapping is an error, not a loss."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Address(DocumentModel):
    line1: str | None = Field(default=None, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=100)
    country_code: CountryCode = "FR"


class Party(DocumentModel):
    name: str = Field(min_length=1, max_length=200)
    siret: Siret = Field(description="SIRET (14 digits), the legal id with scheme 0002.")
    vat_id: str | None = Field(default=None, max_length=30, description="Intra-EU VAT number.")
    address: Address = Field(default_factory=Address)


class PaymentMeans(DocumentModel):
    type_code: Literal["30", "31", "42", "49", "58", "59", "10", "20", "48", "97"] = Field(
        default="30", description="UNTDID 4461 payment means code; 30 = credit transfer."
    )
    iban: Iban | None = None
    bic: str | None = Field(default=None, pattern=r"^[A-Z0-9]{8}([A-Z0-9]{3})?$")


VatCategory = Literal["S", "Z", "E", "AE", "K", "G", "O"]


class InvoiceLine(DocumentModel):
    id: str | None = Field(default=None, max_length=50, description="Defaults to the position.")
    name: str = Field(min_length=1, max_length=200)
    quantity: Amount
    unit_code: str = Field(
        default="C62", pattern=r"^[A-Z0-9]{1,3}$", description="UN/ECE rec. 20 unit code."
    )
    unit_price: Amount = Field(ge=0, description="Net unit price, without VAT.")
    vat_category: VatCategory = "S"
    vat_rate: Amount = Field(ge=0, le=100, description="VAT rate in percent, e.g. 20.")

    def net_amount(self) -> Decimal:
        return round_amount(self.quantity * self.unit_price)


class DeclaredTotals(DocumentModel):
    """Totals as the ERP computed them; each present one must equal the gateway's."""

    line_total: Amount | None = None
    tax_exclusive: Amount | None = None
    tax: Amount | None = None
    tax_inclusive: Amount | None = None
    payable: Amount | None = None


class InvoiceDocument(DocumentModel):
    number: str = Field(
        min_length=1,
        max_length=20,
        pattern=INVOICE_NUMBER_PATTERN.pattern,
        description="Invoice number, unique per supplier: letters, digits and - _ / +.",
    )
    type_code: Literal["380"] = Field(default="380", description="UNTDID 1001; 380 = invoice.")
    issue_date: date
    due_date: date | None = None
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    supplier: Party
    recipient: Party
    service_code: str | None = Field(
        default=None, max_length=100, description="Chorus Pro service code of the recipient."
    )
    engagement_number: str | None = Field(
        default=None, max_length=50, description="Engagement (EJ) or purchase-order number."
    )
    payment: PaymentMeans | None = None
    note: str | None = Field(default=None, max_length=1000)
    lines: list[InvoiceLine] = Field(min_length=1, max_length=10_000)
    totals: DeclaredTotals | None = None

    def compute_totals(self) -> ComputedTotals:
        groups: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
        for line in self.lines:
            groups[(line.vat_category, line.vat_rate.normalize())] += line.net_amount()
        breakdown = [
            VatBreakdown(
                category=category,
                rate=rate,
                taxable_amount=round_amount(base),
                tax_amount=round_amount(base * rate / 100),
            )
            for (category, rate), base in sorted(groups.items())
        ]
        line_total = round_amount(sum((line.net_amount() for line in self.lines), Decimal(0)))
        tax = round_amount(sum((b.tax_amount for b in breakdown), Decimal(0)))
        return ComputedTotals(
            line_total=line_total,
            tax_exclusive=line_total,
            tax=tax,
            tax_inclusive=line_total + tax,
            payable=line_total + tax,
            vat_breakdown=breakdown,
        )


@dataclass(frozen=True)
class VatBreakdown:
    category: str
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class ComputedTotals:
    line_total: Decimal
    tax_exclusive: Decimal
    tax: Decimal
    tax_inclusive: Decimal
    payable: Decimal
    vat_breakdown: list[VatBreakdown]
