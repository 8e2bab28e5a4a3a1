"""UBL 2.1 Invoice and CreditNote back to the invoice model, as far as they carry it.

The inverse of `ubl`: same XPaths, plus the places other Chorus Pro producers use (service code
in the buyer contact ID as OCA writes it, SIRET in PartyIdentification only).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from app.document import DeclaredVat
from app.formats.names import UBL_CREDIT_NOTE_ROOT, UBL_NS
from app.formats.reader import Fields, Reader, frame_payload, put
from app.formats.values import PROJECT_DOCUMENT_TYPE_CODE, split_note

_ADDRESS: Fields = (
    ("line1", "cbc:StreetName"),
    ("line2", "cbc:AdditionalStreetName"),
    ("city", "cbc:CityName"),
    ("postal_code", "cbc:PostalZone"),
    ("subdivision", "cbc:CountrySubentity"),
    ("line3", "cac:AddressLine/cbc:Line"),
    ("country_code", "cac:Country/cbc:IdentificationCode"),
)
_TOTALS: Fields = (
    ("line_total", "cbc:LineExtensionAmount"),
    ("allowance_total", "cbc:AllowanceTotalAmount"),
    ("charge_total", "cbc:ChargeTotalAmount"),
    ("tax_exclusive", "cbc:TaxExclusiveAmount"),
    ("tax_inclusive", "cbc:TaxInclusiveAmount"),
    ("prepaid", "cbc:PrepaidAmount"),
    ("payable", "cbc:PayableAmount"),
)


def read_ubl(root: etree._Element) -> tuple[dict[str, Any], Reader]:
    """The JSON-shaped payload of the invoice and the reader holding what could not be read."""
    r = Reader(UBL_NS)
    credit_note = root.tag == UBL_CREDIT_NOTE_ROOT
    doc: dict[str, Any] = {}
    frame_payload(r, r.find(root, "cbc:ProfileID"), doc)
    put(doc, "number", r.text(root, "cbc:ID"))
    put(doc, "issue_date", r.iso_date(root, "cbc:IssueDate"))
    type_path = "cbc:CreditNoteTypeCode" if credit_note else "cbc:InvoiceTypeCode"
    put(doc, "type_code", r.text(root, type_path) or ("381" if credit_note else "380"))
    put(doc, "due_date", r.iso_date(root, "cbc:DueDate"))
    put(doc, "tax_point_date", r.iso_date(root, "cbc:TaxPointDate"))
    notes = []
    for node in r.all(root, "cbc:Note"):
        raw = r.text(node)
        if raw:
            text, subject = split_note(raw)
            notes.append({"text": text, "subject_code": subject})
    put(doc, "notes", notes)
    currency = r.text(root, "cbc:DocumentCurrencyCode")
    put(doc, "currency", currency)
    put(doc, "invoicing_period", _period(r, r.find(root, "cac:InvoicePeriod")))
    put(doc, "engagement_number", r.text(root, "cac:OrderReference/cbc:ID"))
    preceding = []
    for reference in r.all(root, "cac:BillingReference/cac:InvoiceDocumentReference"):
        number = r.text(reference, "cbc:ID")
        if number:
            day = r.iso_date(reference, "cbc:IssueDate")
            preceding.append({"number": number, "issue_date": day})
    put(doc, "preceding_invoices", preceding)
    put(doc, "contract_reference", r.text(root, "cac:ContractDocumentReference/cbc:ID"))
    put(doc, "project_reference", r.text(root, "cac:ProjectReference/cbc:ID"))
    _document_references(r, root, doc)

    supplier = r.find(root, "cac:AccountingSupplierParty/cac:Party")
    customer = r.find(root, "cac:AccountingCustomerParty/cac:Party")
    put(doc, "supplier", _party(r, supplier))
    put(doc, "recipient", _party(r, customer))
    # BT-10, else the buyer contact ID where OCA's Chorus UBL puts the service code.
    service = r.text(root, "cbc:BuyerReference") or r.text(customer, "cac:Contact/cbc:ID")
    put(doc, "service_code", service)

    _delivery(r, r.find(root, "cac:Delivery"), doc)
    _payment(r, root, doc)
    allowances, charges = _allowances_charges(r, root, with_vat=True)
    put(doc, "allowances", allowances)
    put(doc, "charges", charges)
    _taxes_and_totals(r, root, doc, currency)
    line_path = "cac:CreditNoteLine" if credit_note else "cac:InvoiceLine"
    quantity_path = "cbc:CreditedQuantity" if credit_note else "cbc:InvoicedQuantity"
    put(doc, "lines", [_line(r, node, quantity_path) for node in r.all(root, line_path)])
    r.check_currencies(root, currency)
    return doc, r


def _document_references(r: Reader, root: etree._Element, doc: dict[str, Any]) -> None:
    attachments = []
    for reference in r.all(root, "cac:AdditionalDocumentReference"):
        code = r.text(reference, "cbc:DocumentTypeCode")
        if code == PROJECT_DOCUMENT_TYPE_CODE and "project_reference" not in doc:
            put(doc, "project_reference", r.text(reference, "cbc:ID"))
            continue
        binary = r.find(reference, "cac:Attachment/cbc:EmbeddedDocumentBinaryObject")
        # Only embedded supporting documents fit the model (no external URI, no BT-18).
        if binary is None or code is not None:
            continue
        attachments.append(
            {
                "id": r.text(reference, "cbc:ID"),
                "description": r.text(reference, "cbc:DocumentDescription"),
                "file_name": binary.get("filename"),
                "mime_type": binary.get("mimeCode"),
                "content": r.base64(binary),
            }
        )
    put(doc, "attachments", attachments)


def _party(r: Reader, node: etree._Element | None) -> dict[str, Any] | None:
    if node is None:
        return None
    party: dict[str, Any] = {}
    legal = r.find(node, "cac:PartyLegalEntity")
    # BT-27/BT-44 is the legal name only: a trading name (PartyName) does not stand in (BR-06).
    put(party, "name", r.text(legal, "cbc:RegistrationName"))
    siret = r.text(legal, "cbc:CompanyID") or r.text(node, "cac:PartyIdentification/cbc:ID")
    put(party, "siret", siret)
    put(party, "trading_name", r.text(node, "cac:PartyName/cbc:Name"))
    for scheme in r.all(node, "cac:PartyTaxScheme"):
        if r.text(scheme, "cac:TaxScheme/cbc:ID") == "VAT":
            put(party, "vat_id", r.text(scheme, "cbc:CompanyID"))
    put(party, "electronic_address", r.text(node, "cbc:EndpointID"))
    put(party, "address", _address(r, r.find(node, "cac:PostalAddress")))
    contact = r.find(node, "cac:Contact")
    values: dict[str, Any] = {}
    put(values, "name", r.text(contact, "cbc:Name"))
    put(values, "phone", r.text(contact, "cbc:Telephone"))
    put(values, "email", r.text(contact, "cbc:ElectronicMail"))
    put(party, "contact", values)
    return party


def _address(r: Reader, node: etree._Element | None) -> dict[str, Any] | None:
    return None if node is None else r.texts(node, _ADDRESS)


def _period(r: Reader, node: etree._Element | None) -> dict[str, Any] | None:
    if node is None:
        return None
    period: dict[str, Any] = {}
    put(period, "start", r.iso_date(node, "cbc:StartDate"))
    put(period, "end", r.iso_date(node, "cbc:EndDate"))
    return period


def _delivery(r: Reader, node: etree._Element | None, doc: dict[str, Any]) -> None:
    delivery: dict[str, Any] = {}
    put(delivery, "date", r.iso_date(node, "cbc:ActualDeliveryDate"))
    put(delivery, "address", _address(r, r.find(node, "cac:DeliveryLocation/cac:Address")))
    put(delivery, "party_name", r.text(node, "cac:DeliveryParty/cac:PartyName/cbc:Name"))
    put(doc, "delivery", delivery)


def _payment(r: Reader, root: etree._Element, doc: dict[str, Any]) -> None:
    means = r.find(root, "cac:PaymentMeans")
    if means is not None:
        payment: dict[str, Any] = {}
        put(payment, "type_code", r.text(means, "cbc:PaymentMeansCode"))
        put(payment, "remittance_information", r.text(means, "cbc:PaymentID"))
        account = r.find(means, "cac:PayeeFinancialAccount")
        put(payment, "iban", r.text(account, "cbc:ID"))
        put(payment, "account_name", r.text(account, "cbc:Name"))
        put(payment, "bic", r.text(account, "cac:FinancialInstitutionBranch/cbc:ID"))
        doc["payment"] = payment
        if "due_date" not in doc:
            put(doc, "due_date", r.iso_date(means, "cbc:PaymentDueDate"))
    put(doc, "payment_terms", r.text(root, "cac:PaymentTerms/cbc:Note"))


def _allowances_charges(
    r: Reader, node: etree._Element | None, *, with_vat: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    allowances: list[dict[str, Any]] = []
    charges: list[dict[str, Any]] = []
    for entry in r.all(node, "cac:AllowanceCharge"):
        values: dict[str, Any] = {}
        put(values, "amount", r.number(entry, "cbc:Amount"))
        put(values, "base_amount", r.number(entry, "cbc:BaseAmount"))
        put(values, "percentage", r.number(entry, "cbc:MultiplierFactorNumeric"))
        put(values, "reason", r.text(entry, "cbc:AllowanceChargeReason"))
        put(values, "reason_code", r.text(entry, "cbc:AllowanceChargeReasonCode"))
        if with_vat:
            category = r.find(entry, "cac:TaxCategory")
            put(values, "vat_category", r.text(category, "cbc:ID"))
            put(values, "vat_rate", r.number(category, "cbc:Percent"))
        charge = r.text(entry, "cbc:ChargeIndicator") in ("true", "1")
        (charges if charge else allowances).append(values)
    return allowances, charges


def _taxes_and_totals(
    r: Reader, root: etree._Element, doc: dict[str, Any], currency: str | None
) -> None:
    exemptions: dict[str, dict[str, Any]] = {}
    tax_amount = None
    for tax_total in r.all(root, "cac:TaxTotal"):
        amount = r.find(tax_total, "cbc:TaxAmount")
        if tax_amount is None and amount is not None and amount.get("currencyID") == currency:
            tax_amount = r.number(amount)
        for subtotal in r.all(tax_total, "cac:TaxSubtotal"):
            category = r.find(subtotal, "cac:TaxCategory")
            code = r.text(category, "cbc:ID")
            r.vat_breakdown.append(
                DeclaredVat(
                    category=code,
                    rate=r.decimal(category, "cbc:Percent"),
                    taxable_amount=r.decimal(subtotal, "cbc:TaxableAmount"),
                    tax_amount=r.decimal(subtotal, "cbc:TaxAmount"),
                )
            )
            reason = r.text(category, "cbc:TaxExemptionReason")
            vatex = r.text(category, "cbc:TaxExemptionReasonCode")
            if code and (reason or vatex) and code not in exemptions:
                exemptions[code] = {"category": code, "reason": reason, "code": vatex}
    put(doc, "vat_exemptions", list(exemptions.values()))

    monetary = r.find(root, "cac:LegalMonetaryTotal")
    put(doc, "prepaid_amount", r.number(monetary, "cbc:PrepaidAmount"))
    put(doc, "rounding_amount", r.number(monetary, "cbc:PayableRoundingAmount"))
    totals = r.numbers(monetary, _TOTALS)
    put(totals, "tax", tax_amount)
    put(doc, "totals", totals)


def _line(r: Reader, node: etree._Element, quantity_path: str) -> dict[str, Any]:
    line: dict[str, Any] = {}
    put(line, "id", r.text(node, "cbc:ID"))
    put(line, "note", r.text(node, "cbc:Note"))
    r.line_net_amounts.append(r.decimal(node, "cbc:LineExtensionAmount"))
    quantity = r.find(node, quantity_path)
    put(line, "quantity", r.number(quantity))
    if quantity is not None:
        put(line, "unit_code", quantity.get("unitCode"))
    put(line, "buyer_accounting_reference", r.text(node, "cbc:AccountingCost"))
    put(line, "period", _period(r, r.find(node, "cac:InvoicePeriod")))
    put(line, "order_line_reference", r.text(node, "cac:OrderLineReference/cbc:LineID"))
    allowances, charges = _allowances_charges(r, node, with_vat=False)
    put(line, "allowances", allowances)
    put(line, "charges", charges)
    item = r.find(node, "cac:Item")
    put(line, "description", r.text(item, "cbc:Description"))
    put(line, "name", r.text(item, "cbc:Name"))
    category = r.find(item, "cac:ClassifiedTaxCategory")
    put(line, "vat_category", r.text(category, "cbc:ID"))
    # Category O has no rate in the file (BR-O-05); the model's rate is then 0.
    line["vat_rate"] = r.number(category, "cbc:Percent") or 0
    price = r.find(node, "cac:Price")
    put(line, "unit_price", r.number(price, "cbc:PriceAmount"))
    put(line, "price_base_quantity", r.number(price, "cbc:BaseQuantity"))
    put(line, "gross_price", r.number(price, "cac:AllowanceCharge/cbc:BaseAmount"))
    return line
