"""What a document looks like after render -> parse: the explicit list of normalisations.

Every difference between a document and its round trip is one of these, each a value the file
cannot carry differently or a default the gateway computes:

1. `syntax` becomes the syntax of the file.
2. A line without `id` gets its position (BT-126 is mandatory).
3. A line of category O gets rate 0 (the file has no rate, BR-O-05).
4. No payment means: an invoice gets type 30 (always written for Chorus Pro), a credit note
   stays without, except a UBL CreditNote with a due date (BT-9 can only sit in its payment
   means, written with type 97, clearing: 30 would want an account, BR-61). UBL drops an
   account name or BIC that has no IBAN (BT-84 is mandatory there).
5. Allowances and charges carry their computed amount (BT-92 is mandatory) and base amounts
   rounded to two decimals; at document level the VAT category defaults to S and the rate to 0
   (as `compute_totals` groups them), no rate for O; at line level they have no VAT.
6. VAT exemptions: one per exempt category of the breakdown, the document's or the default
   reason (BR-E/AE/IC/G/O-10); others are dropped (S and Z never carry one).
7. `totals` are the computed ones (the file holds the gateway's totals, never the ERP's).
8. Prepaid and rounding amounts are rounded to two decimals.
9. Empty delivery, period and contact objects disappear.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.document import (
    AllowanceCharge,
    Contact,
    DeclaredTotals,
    InvoiceDocument,
    PaymentMeans,
    Period,
    VatExemption,
    round_amount,
)
from app.formats import Syntax
from app.formats.values import allowance_vat, exemption_for


def _allowance(entry: AllowanceCharge, *, document_level: bool) -> AllowanceCharge:
    update: dict[str, Any] = {
        "amount": entry.computed_amount(),
        "base_amount": None if entry.base_amount is None else round_amount(entry.base_amount),
    }
    if document_level:
        update["vat_category"], update["vat_rate"] = allowance_vat(entry)
    else:
        update["vat_category"] = update["vat_rate"] = None
    return entry.model_copy(update=update)


def _period(period: Period | None) -> Period | None:
    if period is None or (period.start is None and period.end is None):
        return None
    return period


def _contact(contact: Contact | None) -> Contact | None:
    if contact is None or not (contact.name or contact.phone or contact.email):
        return None
    return contact


def expected_round_trip(document: InvoiceDocument, syntax: Syntax) -> InvoiceDocument:
    computed = document.compute_totals()
    lines = [
        line.model_copy(
            update={
                "id": line.id or str(position),
                "vat_rate": Decimal(0) if line.vat_category == "O" else line.vat_rate,
                "allowances": [_allowance(a, document_level=False) for a in line.allowances],
                "charges": [_allowance(c, document_level=False) for c in line.charges],
                "period": _period(line.period),
            }
        )
        for position, line in enumerate(document.lines, start=1)
    ]
    payment = document.payment
    credit_note = document.type_code == "381"
    due_in_means = credit_note and syntax is Syntax.UBL_INVOICE and document.due_date is not None
    if payment is None and not credit_note:
        payment = PaymentMeans(type_code="30")
    elif payment is None and due_in_means:
        payment = PaymentMeans(type_code="97")
    if payment is not None and syntax is Syntax.UBL_INVOICE and payment.iban is None:
        payment = payment.model_copy(update={"account_name": None, "bic": None})
    exemptions: dict[str, VatExemption] = {}
    for breakdown in computed.vat_breakdown:
        effective = exemption_for(breakdown)
        if effective is not None and breakdown.category not in exemptions:
            reason, code = effective
            exemptions[breakdown.category] = VatExemption(
                category=breakdown.category,  # type: ignore[arg-type]
                reason=reason,
                code=code,
            )
    delivery = document.delivery
    if delivery is not None and not (delivery.date or delivery.party_name or delivery.address):
        delivery = None
    parties = {
        role: party.model_copy(update={"contact": _contact(party.contact)})
        for role, party in (("supplier", document.supplier), ("recipient", document.recipient))
    }
    return document.model_copy(
        update={
            "syntax": syntax.value,
            "lines": lines,
            "payment": payment,
            "allowances": [_allowance(a, document_level=True) for a in document.allowances],
            "charges": [_allowance(c, document_level=True) for c in document.charges],
            "vat_exemptions": sorted(exemptions.values(), key=lambda e: e.category),
            "totals": DeclaredTotals(
                line_total=computed.line_total,
                allowance_total=computed.allowance_total,
                charge_total=computed.charge_total,
                tax_exclusive=computed.tax_exclusive,
                tax=computed.tax,
                tax_inclusive=computed.tax_inclusive,
                prepaid=computed.prepaid if document.prepaid_amount is not None else None,
                payable=computed.payable,
            ),
            "prepaid_amount": None
            if document.prepaid_amount is None
            else round_amount(document.prepaid_amount),
            "rounding_amount": None
            if document.rounding_amount is None
            else round_amount(document.rounding_amount),
            "delivery": delivery,
            "invoicing_period": _period(document.invoicing_period),
            **parties,
        }
    )


def comparable(document: InvoiceDocument) -> InvoiceDocument:
    """Exemptions compared as a set (their order in the file follows the breakdown)."""
    return document.model_copy(
        update={"vat_exemptions": sorted(document.vat_exemptions, key=lambda e: e.category)}
    )
