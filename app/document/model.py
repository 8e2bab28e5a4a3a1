"""The invoice document as the ERP sends it: the one model that checks, formats and storage share.

It covers the EN 16931 semantic model as French public invoicing uses it; every field's
BT/BG number and its place in CII and UBL are in docs/invoice-model.md. Amounts are
`Decimal`. Totals are always computed from the lines (`app.document.totals`); totals sent
by the ERP are only compared with them (see `app.validation`).

Field constraints here are only those of the JSON shape (types, lengths, enumerations);
business rules (BR-*, Chorus Pro rules) live in `app.validation` so that every failure of
a document is reported at once with its rule id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from app.document.fields import (
    HUNDRED,
    Amount,
    BillingFrame,
    CountryCode,
    DocumentType,
    EncodedPdf,
    Iban,
    PaymentMeansCode,
    Percent,
    Siret,
    Text,
    VatCategory,
    round_amount,
)
from app.document.totals import ComputedTotals, compute_totals


class DocumentModel(BaseModel):
    """Inputs refuse unknown fields so that a typo in an ERP mapping is an error, not a loss."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Address(DocumentModel):
    line1: str | None = Field(default=None, max_length=200, description="BT-35 / BT-50")
    line2: str | None = Field(default=None, max_length=200, description="BT-36 / BT-51")
    line3: str | None = Field(default=None, max_length=200, description="BT-162 / BT-163")
    postal_code: str | None = Field(default=None, max_length=20, description="BT-38 / BT-53")
    city: str | None = Field(default=None, max_length=100, description="BT-37 / BT-52")
    subdivision: str | None = Field(default=None, max_length=100, description="BT-39 / BT-54")
    country_code: CountryCode = Field(default="FR", description="BT-40 / BT-55")


class Contact(DocumentModel):
    name: str | None = Field(default=None, max_length=200, description="BT-41 / BT-56")
    phone: str | None = Field(default=None, max_length=50, description="BT-42 / BT-57")
    email: str | None = Field(default=None, max_length=200, description="BT-43 / BT-58")


class Party(DocumentModel):
    name: str = Field(min_length=1, max_length=200, description="BT-27 / BT-44")
    trading_name: str | None = Field(default=None, max_length=200, description="BT-28 / BT-45")
    siret: Siret = Field(description="SIRET (14 digits), legal id with scheme 0002: BT-30 / BT-47")
    vat_id: str | None = Field(
        default=None, max_length=30, description="Intra-EU VAT number: BT-31 / BT-48"
    )
    electronic_address: str | None = Field(
        default=None, max_length=200, description="BT-34 / BT-49 (scheme 0225 = SIRET)"
    )
    address: Address = Field(default_factory=Address, description="BG-5 / BG-8")
    contact: Contact | None = Field(default=None, description="BG-6 / BG-9")


class PaymentMeans(DocumentModel):
    type_code: PaymentMeansCode = Field(
        default="30", description="UNTDID 4461 payment means code (BT-81); 30 = credit transfer."
    )
    iban: Iban | None = Field(default=None, description="Payment account identifier (BT-84)")
    account_name: str | None = Field(default=None, max_length=200, description="BT-85")
    bic: str | None = Field(
        default=None, pattern=r"^[A-Z0-9]{8}([A-Z0-9]{3})?$", description="BT-86"
    )
    remittance_information: str | None = Field(default=None, max_length=140, description="BT-83")


class Period(DocumentModel):
    start: date | None = Field(default=None, description="BT-73 / BT-134")
    end: date | None = Field(default=None, description="BT-74 / BT-135")


class Delivery(DocumentModel):
    date: dt.date | None = Field(default=None, description="Actual delivery date (BT-72)")
    party_name: str | None = Field(default=None, max_length=200, description="BT-70")
    address: Address | None = Field(default=None, description="Deliver-to address (BG-15)")


class PrecedingInvoice(DocumentModel):
    number: str = Field(min_length=1, max_length=50, description="BT-25")
    issue_date: date | None = Field(default=None, description="BT-26")


class Note(DocumentModel):
    text: Text = Field(description="BT-22")
    subject_code: str | None = Field(default=None, max_length=3, description="UNTDID 4451 (BT-21)")


class AllowanceCharge(DocumentModel):
    """A line-level (BG-27/28) or document-level (BG-20/21) allowance or charge.

    Either `amount`, or `base_amount` with `percentage` (the amount is then computed).
    """

    amount: Amount | None = Field(default=None, description="BT-92/99, BT-136/141")
    base_amount: Amount | None = Field(default=None, description="BT-93/100, BT-137/142")
    percentage: Percent | None = Field(default=None, description="BT-94/101, BT-138/143")
    reason: str | None = Field(default=None, max_length=200, description="BT-97/104, BT-139/144")
    reason_code: str | None = Field(
        default=None, max_length=3, description="UNTDID 5189 / 7161: BT-98/105, BT-140/145"
    )
    # Document level only: the VAT that applies to it.
    vat_category: VatCategory | None = Field(default=None, description="BT-95 / BT-102")
    vat_rate: Percent | None = Field(default=None, description="BT-96 / BT-103")

    def computed_amount(self) -> Decimal:
        if self.amount is not None:
            return round_amount(self.amount)
        if self.base_amount is not None and self.percentage is not None:
            return round_amount(self.base_amount * self.percentage / HUNDRED)
        return Decimal("0.00")


class InvoiceLine(DocumentModel):
    id: str | None = Field(default=None, max_length=50, description="BT-126; defaults to position.")
    name: str = Field(min_length=1, max_length=200, description="Item name (BT-153)")
    description: str | None = Field(default=None, max_length=1000, description="BT-154")
    note: str | None = Field(default=None, max_length=1000, description="BT-127")
    quantity: Amount = Field(description="Invoiced quantity (BT-129)")
    unit_code: str = Field(
        default="C62", pattern=r"^[A-Z0-9]{1,3}$", description="UN/ECE rec. 20/21 (BT-130)"
    )
    unit_price: Amount = Field(description="Item net price, without VAT (BT-146)")
    gross_price: Amount | None = Field(default=None, description="Item gross price (BT-148)")
    price_base_quantity: Amount | None = Field(
        default=None, description="Quantity the price applies to (BT-149); 1 when absent."
    )
    allowances: list[AllowanceCharge] = Field(default_factory=list, description="BG-27")
    charges: list[AllowanceCharge] = Field(default_factory=list, description="BG-28")
    vat_category: VatCategory = Field(default="S", description="BT-151")
    vat_rate: Percent = Field(default=Decimal(20), description="VAT rate in percent (BT-152)")
    period: Period | None = Field(default=None, description="Line invoicing period (BG-26)")
    order_line_reference: str | None = Field(default=None, max_length=50, description="BT-132")
    buyer_accounting_reference: str | None = Field(
        default=None, max_length=100, description="BT-133"
    )

    def gross_amount(self) -> Decimal:
        """Quantity x net price / base quantity, before line allowances and charges."""
        base = self.price_base_quantity or Decimal(1)
        return round_amount(self.quantity * self.unit_price / base)

    def net_amount(self) -> Decimal:
        """Invoice line net amount (BT-131), as BR-CO-... defines it."""
        return (
            self.gross_amount()
            - sum((a.computed_amount() for a in self.allowances), Decimal("0.00"))
            + sum((c.computed_amount() for c in self.charges), Decimal("0.00"))
        )


class VatExemption(DocumentModel):
    category: VatCategory = Field(description="The VAT category the reason is for (BT-118)")
    reason: str | None = Field(default=None, max_length=300, description="BT-120")
    code: str | None = Field(default=None, max_length=30, description="VATEX code (BT-121)")


class Attachment(DocumentModel):
    id: str = Field(min_length=1, max_length=100, description="Supporting document ref (BT-122)")
    description: str | None = Field(default=None, max_length=200, description="BT-123")
    file_name: str = Field(min_length=1, max_length=255, description="Attached document name")
    mime_type: str = Field(min_length=3, max_length=100, description="BT-125 mimeCode")
    content: str = Field(min_length=1, description="The file, base64-encoded (BT-125)")


class DeclaredTotals(DocumentModel):
    """Totals as the ERP computed them; each one present must equal the gateway's (BG-22)."""

    line_total: Amount | None = Field(default=None, description="BT-106")
    allowance_total: Amount | None = Field(default=None, description="BT-107")
    charge_total: Amount | None = Field(default=None, description="BT-108")
    tax_exclusive: Amount | None = Field(default=None, description="BT-109")
    tax: Amount | None = Field(default=None, description="BT-110")
    tax_inclusive: Amount | None = Field(default=None, description="BT-112")
    prepaid: Amount | None = Field(default=None, description="BT-113")
    payable: Amount | None = Field(default=None, description="BT-115")


@dataclass(frozen=True, slots=True)
class DeclaredVat:
    """One VAT breakdown (BG-23) as a ready-made file states it; None where it is missing or
    not a number (the XSD and BR-45..48 report that)."""

    category: str | None
    rate: Decimal | None
    taxable_amount: Decimal | None
    tax_amount: Decimal | None


@dataclass(frozen=True, slots=True)
class FileValues:
    """What a ready-made file declares beyond the JSON shape, checked as EN 16931 checks it.

    JSON intake leaves these amounts to the gateway, which computes them; a file states them
    itself, and the official rules judge the file on what it states (BR-CO-10 sums the line
    net amounts written, not quantity x price). Never part of the JSON schema: it rides on the
    document as a private attribute set by the file readers (see docs/invoice-model.md).
    """

    line_net_amounts: tuple[Decimal | None, ...]
    """BT-131 of each line, in line order."""
    vat_breakdown: tuple[DeclaredVat, ...]
    """BG-23 in file order."""
    foreign_currency_amounts: tuple[str, ...] = ()
    """XPaths of amounts whose currencyID is not the invoice currency (BT-5)."""


Syntax = Literal["IN_DP_E1_CII_16B", "IN_DP_E1_UBL_INVOICE", "IN_DP_E2_CII_FACTURX"]


class InvoiceDocument(DocumentModel):
    number: str = Field(
        min_length=1,
        max_length=50,
        description="Invoice number (BT-1), unique per supplier. Chorus Pro takes at most 20 "
        "characters among letters, digits and - _ / + (checked as rule CPP-NUM-01).",
    )
    type_code: DocumentType = Field(default="380", description="Document type (BT-3)")
    issue_date: date = Field(description="BT-2")
    due_date: date | None = Field(default=None, description="Payment due date (BT-9)")
    tax_point_date: date | None = Field(default=None, description="VAT point date (BT-7)")
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="BT-5")
    billing_frame: BillingFrame = Field(
        default="A1_FACTURE_FOURNISSEUR", description="Chorus Pro codeCadreFacturation (BT-23)"
    )
    syntax: Syntax | None = Field(
        default=None,
        description="Chorus Pro syntaxeFlux to send; the supplier's default when absent.",
    )
    supplier: Party = Field(description="Seller (BG-4)")
    recipient: Party = Field(description="Buyer (BG-7)")
    service_code: str | None = Field(
        default=None, max_length=100, description="Chorus Pro service code: buyer reference BT-10"
    )
    engagement_number: str | None = Field(
        default=None,
        max_length=50,
        description="Engagement juridique (EJ) / purchase-order number: BT-13",
    )
    contract_reference: str | None = Field(
        default=None, max_length=50, description="Contract / numéro de marché (BT-12)"
    )
    project_reference: str | None = Field(default=None, max_length=50, description="BT-11")
    preceding_invoices: list[PrecedingInvoice] = Field(
        default_factory=list, description="Invoices a credit note or correction refers to (BG-3)"
    )
    notes: list[Note] = Field(default_factory=list, description="BG-1")
    invoicing_period: Period | None = Field(default=None, description="BG-14")
    delivery: Delivery | None = Field(default=None, description="BG-13")
    payment: PaymentMeans | None = Field(default=None, description="BG-16")
    payment_terms: str | None = Field(default=None, max_length=1000, description="BT-20")
    lines: list[InvoiceLine] = Field(min_length=1, max_length=10_000, description="BG-25")
    allowances: list[AllowanceCharge] = Field(default_factory=list, description="BG-20")
    charges: list[AllowanceCharge] = Field(default_factory=list, description="BG-21")
    vat_exemptions: list[VatExemption] = Field(
        default_factory=list, description="Exemption reasons per VAT category (BT-120/121)"
    )
    prepaid_amount: Amount | None = Field(default=None, description="Paid amount (BT-113)")
    rounding_amount: Amount | None = Field(default=None, description="BT-114")
    attachments: list[Attachment] = Field(default_factory=list, description="BG-24")
    visual_pdf: EncodedPdf | None = Field(
        default=None,
        description="The ERP's own PDF of the invoice, base64-encoded: the visible part of a "
        "Factur-X. Without it the gateway renders one. Ignored for CII and UBL.",
    )
    totals: DeclaredTotals | None = Field(default=None, description="Checked, never trusted")
    _file_values: FileValues | None = PrivateAttr(default=None)

    @property
    def file_values(self) -> FileValues | None:
        """The amounts a ready-made file declared; None for a JSON invoice."""
        return self._file_values

    def __eq__(self, other: object) -> bool:
        """Equal invoices have equal fields; where they were read from does not count."""
        if not isinstance(other, InvoiceDocument):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    def with_file_values(self, values: FileValues) -> InvoiceDocument:
        """This document, as read from a file that declared `values` (set once, by readers)."""
        self._file_values = values
        return self

    def compute_totals(self) -> ComputedTotals:
        """EN 16931 document totals (BG-22) and VAT breakdown (BG-23) from the lines."""
        return compute_totals(self)
