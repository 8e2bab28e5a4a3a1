"""UBL 2.1 aggregates: parties, delivery, payment, allowances, VAT, totals and lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from app.document import (
    Address,
    AllowanceCharge,
    InvoiceDocument,
    InvoiceLine,
    Party,
    Period,
)
from app.formats.elements import XmlWriter, attrs, currency_id, unit_code
from app.formats.values import (
    ELECTRONIC_ADDRESS_SCHEME,
    SIRET_IDENTIFIER_SCHEME,
    SIRET_LEGAL_SCHEME,
    VAT_SCHEME_UBL,
    allowance_vat,
    exemption_for,
    format_amount,
    format_decimal,
    line_id,
    payment_means_code,
    price_discount,
)

_SIRET_LEGAL: Final = attrs(schemeID=SIRET_LEGAL_SCHEME)
_SIRET_IDENTIFIER: Final = attrs(schemeID=SIRET_IDENTIFIER_SCHEME)


def period(w: XmlWriter, value: Period) -> None:
    w.start("cac:InvoicePeriod")
    if value.start is not None:
        w.code("cbc:StartDate", value.start.isoformat())
    if value.end is not None:
        w.code("cbc:EndDate", value.end.isoformat())
    w.end("cac:InvoicePeriod")


def party(w: XmlWriter, role: str, party: Party, service_code: str | None) -> None:
    w.start(role)
    w.start("cac:Party")
    if party.electronic_address:
        w.leaf("cbc:EndpointID", party.electronic_address, schemeID=ELECTRONIC_ADDRESS_SCHEME)
    # BT-29/BT-46: where Chorus Pro reads the supplier of a UBL flux (API.md 5.3).
    w.start("cac:PartyIdentification")
    w.code("cbc:ID", party.siret, _SIRET_IDENTIFIER)
    w.end("cac:PartyIdentification")
    if party.trading_name:
        w.start("cac:PartyName")
        w.leaf("cbc:Name", party.trading_name)
        w.end("cac:PartyName")
    address(w, "cac:PostalAddress", party.address)
    if party.vat_id:
        w.start("cac:PartyTaxScheme")
        w.leaf("cbc:CompanyID", party.vat_id)
        w.start("cac:TaxScheme")
        w.code("cbc:ID", VAT_SCHEME_UBL)
        w.end("cac:TaxScheme")
        w.end("cac:PartyTaxScheme")
    w.start("cac:PartyLegalEntity")
    w.leaf("cbc:RegistrationName", party.name)
    w.code("cbc:CompanyID", party.siret, _SIRET_LEGAL)
    w.end("cac:PartyLegalEntity")
    contact = party.contact
    has_contact = contact is not None and bool(contact.name or contact.phone or contact.email)
    if service_code or has_contact:
        w.start("cac:Contact")
        if service_code:
            # OCA l10n_fr_chorus_ubl puts the service code in the buyer contact ID, where Chorus
            # Pro's UBL mapping has read it since 2017 (API.md 6.5); EN 16931 only warns.
            w.leaf("cbc:ID", service_code)
        if contact is not None:
            if contact.name:
                w.leaf("cbc:Name", contact.name)
            if contact.phone:
                w.leaf("cbc:Telephone", contact.phone)
            if contact.email:
                w.leaf("cbc:ElectronicMail", contact.email)
        w.end("cac:Contact")
    w.end("cac:Party")
    w.end(role)


def address(w: XmlWriter, tag: str, value: Address) -> None:
    w.start(tag)
    if value.line1:
        w.leaf("cbc:StreetName", value.line1)
    if value.line2:
        w.leaf("cbc:AdditionalStreetName", value.line2)
    if value.city:
        w.leaf("cbc:CityName", value.city)
    if value.postal_code:
        w.leaf("cbc:PostalZone", value.postal_code)
    if value.subdivision:
        w.leaf("cbc:CountrySubentity", value.subdivision)
    if value.line3:
        w.start("cac:AddressLine")
        w.leaf("cbc:Line", value.line3)
        w.end("cac:AddressLine")
    w.start("cac:Country")
    w.code("cbc:IdentificationCode", value.country_code)
    w.end("cac:Country")
    w.end(tag)


def delivery(w: XmlWriter, document: InvoiceDocument) -> None:
    value = document.delivery
    if value is None or (value.date is None and value.address is None and not value.party_name):
        return
    w.start("cac:Delivery")
    if value.date is not None:
        w.code("cbc:ActualDeliveryDate", value.date.isoformat())
    if value.address is not None:
        w.start("cac:DeliveryLocation")
        address(w, "cac:Address", value.address)
        w.end("cac:DeliveryLocation")
    if value.party_name:
        w.start("cac:DeliveryParty")
        w.start("cac:PartyName")
        w.leaf("cbc:Name", value.party_name)
        w.end("cac:PartyName")
        w.end("cac:DeliveryParty")
    w.end("cac:Delivery")


DUE_DATE_ONLY_MEANS: Final = "97"
"""UNTDID 4461 "clearing between partners": a credit note's refund with no account given."""


def payment(w: XmlWriter, document: InvoiceDocument, *, credit_note: bool) -> None:
    value = document.payment
    due_here = credit_note and document.due_date is not None
    # The only place a CreditNote can carry BT-9 is its payment means.
    # Not 30 (transfer): BR-61 would then want the account that no payment block gives.
    code = payment_means_code(document) or (DUE_DATE_ONLY_MEANS if due_here else None)
    if code is not None:
        w.start("cac:PaymentMeans")
        w.code("cbc:PaymentMeansCode", code)
        if due_here and document.due_date is not None:
            w.code("cbc:PaymentDueDate", document.due_date.isoformat())
        if value is not None and value.remittance_information:
            w.leaf("cbc:PaymentID", value.remittance_information)
        if value is not None and value.iban:
            # BT-84 is mandatory in the UBL account: a name or BIC without an IBAN is dropped.
            w.start("cac:PayeeFinancialAccount")
            w.code("cbc:ID", value.iban)
            if value.account_name:
                w.leaf("cbc:Name", value.account_name)
            if value.bic:
                w.start("cac:FinancialInstitutionBranch")
                w.code("cbc:ID", value.bic)
                w.end("cac:FinancialInstitutionBranch")
            w.end("cac:PayeeFinancialAccount")
        w.end("cac:PaymentMeans")
    if document.payment_terms:
        w.start("cac:PaymentTerms")
        w.leaf("cbc:Note", document.payment_terms)
        w.end("cac:PaymentTerms")


def allowance_charge(
    w: XmlWriter,
    entry: AllowanceCharge,
    currency: str,
    *,
    charge: bool,
    vat: tuple[str, Decimal | None] | None = None,
) -> None:
    w.start("cac:AllowanceCharge")
    w.code("cbc:ChargeIndicator", "true" if charge else "false")
    if entry.reason_code:
        w.leaf("cbc:AllowanceChargeReasonCode", entry.reason_code)
    if entry.reason:
        w.leaf("cbc:AllowanceChargeReason", entry.reason)
    if entry.percentage is not None:
        w.code("cbc:MultiplierFactorNumeric", format_decimal(entry.percentage))
    w.code("cbc:Amount", format_amount(entry.computed_amount()), currency_id(currency))
    if entry.base_amount is not None:
        w.code("cbc:BaseAmount", format_amount(entry.base_amount), currency_id(currency))
    if vat is not None:
        tax_category(w, "cac:TaxCategory", vat[0], vat[1])
    w.end("cac:AllowanceCharge")


def tax_category(
    w: XmlWriter,
    tag: str,
    category: str,
    rate: Decimal | None,
    exemption: tuple[str | None, str | None] | None = None,
) -> None:
    w.start(tag)
    w.code("cbc:ID", category)
    if rate is not None and category != "O":
        w.code("cbc:Percent", format_decimal(rate))
    if exemption is not None:
        if exemption[1]:
            w.leaf("cbc:TaxExemptionReasonCode", exemption[1])
        if exemption[0]:
            w.leaf("cbc:TaxExemptionReason", exemption[0])
    w.start("cac:TaxScheme")
    w.code("cbc:ID", VAT_SCHEME_UBL)
    w.end("cac:TaxScheme")
    w.end(tag)


def totals(w: XmlWriter, document: InvoiceDocument) -> None:
    currency = document.currency
    for allowance in document.allowances:
        allowance_charge(w, allowance, currency, charge=False, vat=allowance_vat(allowance))
    for charge in document.charges:
        allowance_charge(w, charge, currency, charge=True, vat=allowance_vat(charge))
    computed = document.compute_totals()
    w.start("cac:TaxTotal")
    w.code("cbc:TaxAmount", format_amount(computed.tax), currency_id(currency))
    for breakdown in computed.vat_breakdown:
        w.start("cac:TaxSubtotal")
        w.code("cbc:TaxableAmount", format_amount(breakdown.taxable_amount), currency_id(currency))
        w.code("cbc:TaxAmount", format_amount(breakdown.tax_amount), currency_id(currency))
        exemption = exemption_for(breakdown)
        tax_category(w, "cac:TaxCategory", breakdown.category, breakdown.rate, exemption)
        w.end("cac:TaxSubtotal")
    w.end("cac:TaxTotal")
    w.start("cac:LegalMonetaryTotal")
    for tag, value, present in (
        ("cbc:LineExtensionAmount", computed.line_total, True),
        ("cbc:TaxExclusiveAmount", computed.tax_exclusive, True),
        ("cbc:TaxInclusiveAmount", computed.tax_inclusive, True),
        ("cbc:AllowanceTotalAmount", computed.allowance_total, True),
        ("cbc:ChargeTotalAmount", computed.charge_total, True),
        ("cbc:PrepaidAmount", computed.prepaid, document.prepaid_amount is not None),
        ("cbc:PayableRoundingAmount", computed.rounding, document.rounding_amount is not None),
        ("cbc:PayableAmount", computed.payable, True),
    ):
        if present:
            w.code(tag, format_amount(value), currency_id(currency))
    w.end("cac:LegalMonetaryTotal")


def line(
    w: XmlWriter,
    value: InvoiceLine,
    position: int,
    tag: str,
    quantity_tag: str,
    currency: str,
) -> None:
    w.start(tag)
    w.leaf("cbc:ID", line_id(value, position))
    if value.note:
        w.leaf("cbc:Note", value.note)
    w.code(quantity_tag, format_decimal(value.quantity), unit_code(value.unit_code))
    w.code("cbc:LineExtensionAmount", format_amount(value.net_amount()), currency_id(currency))
    if value.buyer_accounting_reference:
        w.leaf("cbc:AccountingCost", value.buyer_accounting_reference)
    if value.period is not None:
        period(w, value.period)
    if value.order_line_reference:
        w.start("cac:OrderLineReference")
        w.leaf("cbc:LineID", value.order_line_reference)
        w.end("cac:OrderLineReference")
    for allowance in value.allowances:
        allowance_charge(w, allowance, currency, charge=False)
    for charge in value.charges:
        allowance_charge(w, charge, currency, charge=True)

    w.start("cac:Item")
    if value.description:
        w.leaf("cbc:Description", value.description)
    w.leaf("cbc:Name", value.name)
    tax_category(w, "cac:ClassifiedTaxCategory", value.vat_category, value.vat_rate)
    w.end("cac:Item")

    w.start("cac:Price")
    w.code("cbc:PriceAmount", format_decimal(value.unit_price), currency_id(currency))
    if value.price_base_quantity is not None:
        base = format_decimal(value.price_base_quantity)
        w.code("cbc:BaseQuantity", base, unit_code(value.unit_code))
    discount = price_discount(value)
    if value.gross_price is not None and discount is not None:
        # BT-148 can only travel as the base of the price discount BT-147.
        w.start("cac:AllowanceCharge")
        w.code("cbc:ChargeIndicator", "false")
        w.code("cbc:Amount", format_decimal(discount), currency_id(currency))
        w.code("cbc:BaseAmount", format_decimal(value.gross_price), currency_id(currency))
        w.end("cac:AllowanceCharge")
    w.end("cac:Price")
    w.end(tag)
