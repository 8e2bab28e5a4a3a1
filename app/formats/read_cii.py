"""CII D16B (and the CII inside a Factur-X) back to the invoice model, as far as it carries it.

The inverse of `cii`: same XPaths, read leniently where producers differ (SIRET in the legal
organisation or in the party identifiers, contact person or department).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from app.document import DeclaredVat
from app.formats.names import NSMAP
from app.formats.reader import Fields, Reader, frame_payload, put
from app.formats.values import ATTACHMENT_TYPE_CODE

_ADDRESS: Fields = (
    ("postal_code", "ram:PostcodeCode"),
    ("line1", "ram:LineOne"),
    ("line2", "ram:LineTwo"),
    ("line3", "ram:LineThree"),
    ("city", "ram:CityName"),
    ("country_code", "ram:CountryID"),
    ("subdivision", "ram:CountrySubDivisionName"),
)
_TOTALS: Fields = (
    ("line_total", "ram:LineTotalAmount"),
    ("allowance_total", "ram:AllowanceTotalAmount"),
    ("charge_total", "ram:ChargeTotalAmount"),
    ("tax_exclusive", "ram:TaxBasisTotalAmount"),
    ("tax_inclusive", "ram:GrandTotalAmount"),
    ("prepaid", "ram:TotalPrepaidAmount"),
    ("payable", "ram:DuePayableAmount"),
)


def read_cii(root: etree._Element) -> tuple[dict[str, Any], Reader]:
    """The JSON-shaped payload of the invoice and the reader holding what could not be read."""
    r = Reader(NSMAP)
    doc: dict[str, Any] = {}
    context = r.find(root, "rsm:ExchangedDocumentContext")
    frame = r.find(context, "ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID")
    frame_payload(r, frame, doc)

    header = r.find(root, "rsm:ExchangedDocument")
    put(doc, "number", r.text(header, "ram:ID"))
    put(doc, "type_code", r.text(header, "ram:TypeCode"))
    put(doc, "issue_date", r.cii_date(header, "ram:IssueDateTime"))
    notes = []
    for note in r.all(header, "ram:IncludedNote"):
        content = r.text(note, "ram:Content")
        if content:
            notes.append({"text": content, "subject_code": r.text(note, "ram:SubjectCode")})
    put(doc, "notes", notes)

    transaction = r.find(root, "rsm:SupplyChainTradeTransaction")
    lines = [_line(r, item) for item in r.all(transaction, "ram:IncludedSupplyChainTradeLineItem")]
    put(doc, "lines", lines)
    _agreement(r, r.find(transaction, "ram:ApplicableHeaderTradeAgreement"), doc)
    _delivery(r, r.find(transaction, "ram:ApplicableHeaderTradeDelivery"), doc)
    settlement = r.find(transaction, "ram:ApplicableHeaderTradeSettlement")
    _settlement(r, settlement, doc)
    r.vat_breakdown = [
        DeclaredVat(
            category=r.text(tax, "ram:CategoryCode"),
            rate=r.decimal(tax, "ram:RateApplicablePercent"),
            taxable_amount=r.decimal(tax, "ram:BasisAmount"),
            tax_amount=r.decimal(tax, "ram:CalculatedAmount"),
        )
        for tax in r.all(settlement, "ram:ApplicableTradeTax")
    ]
    # CII puts currencyID only on the tax totals; the one in the accounting currency (BT-111)
    # may differ, so only a single tax total must be in the invoice currency.
    summation = r.find(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    tax_totals = r.all(summation, "ram:TaxTotalAmount")
    if len(tax_totals) == 1:
        r.check_currencies(tax_totals[0], doc.get("currency"))
    return doc, r


def _agreement(r: Reader, agreement: etree._Element | None, doc: dict[str, Any]) -> None:
    put(doc, "service_code", r.text(agreement, "ram:BuyerReference"))
    put(doc, "supplier", _party(r, r.find(agreement, "ram:SellerTradeParty")))
    put(doc, "recipient", _party(r, r.find(agreement, "ram:BuyerTradeParty")))
    order = "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"
    put(doc, "engagement_number", r.text(agreement, order))
    contract = "ram:ContractReferencedDocument/ram:IssuerAssignedID"
    put(doc, "contract_reference", r.text(agreement, contract))
    put(doc, "project_reference", r.text(agreement, "ram:SpecifiedProcuringProject/ram:ID"))
    attachments = []
    for reference in r.all(agreement, "ram:AdditionalReferencedDocument"):
        binary = r.find(reference, "ram:AttachmentBinaryObject")
        code = r.text(reference, "ram:TypeCode")
        # Only embedded supporting documents fit the model (no external URI, BT-17, BT-18).
        if binary is None or code not in (None, ATTACHMENT_TYPE_CODE):
            continue
        attachments.append(
            {
                "id": r.text(reference, "ram:IssuerAssignedID"),
                "description": r.text(reference, "ram:Name"),
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
    put(party, "name", r.text(node, "ram:Name"))
    legal = r.find(node, "ram:SpecifiedLegalOrganization")
    siret = r.text(legal, "ram:ID") or r.text(node, "ram:ID") or r.text(node, "ram:GlobalID")
    put(party, "siret", siret)
    put(party, "trading_name", r.text(legal, "ram:TradingBusinessName"))
    for registration in r.all(node, "ram:SpecifiedTaxRegistration/ram:ID"):
        if registration.get("schemeID") == "VA":
            put(party, "vat_id", r.text(registration))
    put(party, "electronic_address", r.text(node, "ram:URIUniversalCommunication/ram:URIID"))
    put(party, "address", _address(r, r.find(node, "ram:PostalTradeAddress")))
    contact = r.find(node, "ram:DefinedTradeContact")
    if contact is not None:
        values: dict[str, Any] = {}
        name = r.text(contact, "ram:PersonName") or r.text(contact, "ram:DepartmentName")
        put(values, "name", name)
        phone = "ram:TelephoneUniversalCommunication/ram:CompleteNumber"
        put(values, "phone", r.text(contact, phone))
        put(values, "email", r.text(contact, "ram:EmailURIUniversalCommunication/ram:URIID"))
        put(party, "contact", values)
    return party


def _address(r: Reader, node: etree._Element | None) -> dict[str, Any] | None:
    return None if node is None else r.texts(node, _ADDRESS)


def _delivery(r: Reader, node: etree._Element | None, doc: dict[str, Any]) -> None:
    delivery: dict[str, Any] = {}
    ship_to = r.find(node, "ram:ShipToTradeParty")
    put(delivery, "party_name", r.text(ship_to, "ram:Name"))
    put(delivery, "address", _address(r, r.find(ship_to, "ram:PostalTradeAddress")))
    event = "ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime"
    put(delivery, "date", r.cii_date(node, event))
    put(doc, "delivery", delivery)


def _settlement(r: Reader, node: etree._Element | None, doc: dict[str, Any]) -> None:
    currency = r.text(node, "ram:InvoiceCurrencyCode")
    put(doc, "currency", currency)
    payment: dict[str, Any] = {}
    put(payment, "remittance_information", r.text(node, "ram:PaymentReference"))
    means = r.find(node, "ram:SpecifiedTradeSettlementPaymentMeans")
    if means is not None:
        put(payment, "type_code", r.text(means, "ram:TypeCode"))
        account = r.find(means, "ram:PayeePartyCreditorFinancialAccount")
        put(payment, "iban", r.text(account, "ram:IBANID"))
        put(payment, "account_name", r.text(account, "ram:AccountName"))
        put(
            payment,
            "bic",
            r.text(means, "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID"),
        )
    if means is not None or payment:
        doc["payment"] = payment

    exemptions: dict[str, dict[str, Any]] = {}
    for tax in r.all(node, "ram:ApplicableTradeTax"):
        category = r.text(tax, "ram:CategoryCode")
        reason = r.text(tax, "ram:ExemptionReason")
        code = r.text(tax, "ram:ExemptionReasonCode")
        if category and (reason or code) and category not in exemptions:
            exemptions[category] = {"category": category, "reason": reason, "code": code}
        if "tax_point_date" not in doc:
            put(doc, "tax_point_date", r.cii_date(tax, "ram:TaxPointDate"))
    put(doc, "vat_exemptions", list(exemptions.values()))

    put(doc, "invoicing_period", _period(r, r.find(node, "ram:BillingSpecifiedPeriod")))
    allowances, charges = _allowances_charges(r, node, with_vat=True)
    put(doc, "allowances", allowances)
    put(doc, "charges", charges)
    terms = r.find(node, "ram:SpecifiedTradePaymentTerms")
    put(doc, "payment_terms", r.text(terms, "ram:Description"))
    put(doc, "due_date", r.cii_date(terms, "ram:DueDateDateTime"))

    summation = r.find(node, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    put(doc, "prepaid_amount", r.number(summation, "ram:TotalPrepaidAmount"))
    put(doc, "rounding_amount", r.number(summation, "ram:RoundingAmount"))
    tax_totals = r.all(summation, "ram:TaxTotalAmount")
    tax_total = next((t for t in tax_totals if t.get("currencyID") in (None, currency)), None)
    totals = r.numbers(summation, _TOTALS)
    put(totals, "tax", r.number(tax_total))
    put(doc, "totals", totals)

    preceding = []
    for reference in r.all(node, "ram:InvoiceReferencedDocument"):
        number = r.text(reference, "ram:IssuerAssignedID")
        if number:
            day = r.cii_date(reference, "ram:FormattedIssueDateTime")
            preceding.append({"number": number, "issue_date": day})
    put(doc, "preceding_invoices", preceding)


def _period(r: Reader, node: etree._Element | None) -> dict[str, Any] | None:
    if node is None:
        return None
    period: dict[str, Any] = {}
    put(period, "start", r.cii_date(node, "ram:StartDateTime"))
    put(period, "end", r.cii_date(node, "ram:EndDateTime"))
    return period


def _allowances_charges(
    r: Reader, node: etree._Element | None, *, with_vat: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    allowances: list[dict[str, Any]] = []
    charges: list[dict[str, Any]] = []
    for entry in r.all(node, "ram:SpecifiedTradeAllowanceCharge"):
        values: dict[str, Any] = {}
        put(values, "amount", r.number(entry, "ram:ActualAmount"))
        put(values, "base_amount", r.number(entry, "ram:BasisAmount"))
        put(values, "percentage", r.number(entry, "ram:CalculationPercent"))
        put(values, "reason", r.text(entry, "ram:Reason"))
        put(values, "reason_code", r.text(entry, "ram:ReasonCode"))
        if with_vat:
            tax = r.find(entry, "ram:CategoryTradeTax")
            put(values, "vat_category", r.text(tax, "ram:CategoryCode"))
            put(values, "vat_rate", r.number(tax, "ram:RateApplicablePercent"))
        indicator = r.text(entry, "ram:ChargeIndicator/udt:Indicator")
        (charges if indicator in ("true", "1") else allowances).append(values)
    return allowances, charges


def _line(r: Reader, item: etree._Element) -> dict[str, Any]:
    line: dict[str, Any] = {}
    line_document = r.find(item, "ram:AssociatedDocumentLineDocument")
    put(line, "id", r.text(line_document, "ram:LineID"))
    put(line, "note", r.text(line_document, "ram:IncludedNote/ram:Content"))
    product = r.find(item, "ram:SpecifiedTradeProduct")
    put(line, "name", r.text(product, "ram:Name"))
    put(line, "description", r.text(product, "ram:Description"))

    agreement = r.find(item, "ram:SpecifiedLineTradeAgreement")
    order_line = "ram:BuyerOrderReferencedDocument/ram:LineID"
    put(line, "order_line_reference", r.text(agreement, order_line))
    gross = r.find(agreement, "ram:GrossPriceProductTradePrice")
    net = r.find(agreement, "ram:NetPriceProductTradePrice")
    put(line, "gross_price", r.number(gross, "ram:ChargeAmount"))
    put(line, "unit_price", r.number(net, "ram:ChargeAmount"))
    base = r.number(net, "ram:BasisQuantity") or r.number(gross, "ram:BasisQuantity")
    put(line, "price_base_quantity", base)

    quantity = r.find(item, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity")
    put(line, "quantity", r.number(quantity))
    if quantity is not None:
        put(line, "unit_code", quantity.get("unitCode"))

    settlement = r.find(item, "ram:SpecifiedLineTradeSettlement")
    summation = "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"
    r.line_net_amounts.append(r.decimal(settlement, summation))
    tax = r.find(settlement, "ram:ApplicableTradeTax")
    category = r.text(tax, "ram:CategoryCode")
    put(line, "vat_category", category)
    # Category O has no rate in the file (BR-O-05); the model's rate is then 0.
    line["vat_rate"] = r.number(tax, "ram:RateApplicablePercent") or 0
    put(line, "period", _period(r, r.find(settlement, "ram:BillingSpecifiedPeriod")))
    allowances, charges = _allowances_charges(r, settlement, with_vat=False)
    put(line, "allowances", allowances)
    put(line, "charges", charges)
    account = "ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID"
    put(line, "buyer_accounting_reference", r.text(settlement, account))
    return line
