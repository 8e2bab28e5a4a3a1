"""Read the few invoice facts Chorus Pro needs out of CII D16B, UBL 2.1 and Factur-X files.

Deposited files are untrusted, so XML goes through a parser that resolves no entities, never
touches the network and refuses DTDs altogether. Nothing here validates EN 16931: the simulator
only needs the routing data, the number and the totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import facturx
from lxml import etree

SYNTAX_CII = "IN_DP_E1_CII_16B"
SYNTAX_UBL = "IN_DP_E1_UBL_INVOICE"
SYNTAX_FACTURX = "IN_DP_E2_CII_FACTURX"

# syntaxeFlux -> 4-digit interface code (API.md 4.1 and 9.10: only these three are known).
INTERFACE_CODES = {SYNTAX_UBL: "1100", SYNTAX_CII: "1106", SYNTAX_FACTURX: "1117"}

CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
UBL_NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CII_ROOT = f"{{{CII_NS['rsm']}}}CrossIndustryInvoice"
UBL_ROOTS = {f"{{{UBL_INVOICE_NS}}}Invoice", f"{{{UBL_CREDIT_NOTE_NS}}}CreditNote"}


class DocumentError(Exception):
    """The content cannot be read: becomes a listeErreurTechnique entry, not an HTTP error."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ParsedInvoice:
    number: str | None
    issue_date: date | None
    kind: str  # FACTURE | AVOIR
    supplier_siret: str | None
    supplier_name: str | None
    recipient_siret: str | None
    service_code: str | None
    engagement: str | None
    currency: str
    amount_ht: Decimal | None
    amount_ttc: Decimal | None
    amount_payable: Decimal | None
    source: str


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
    )


def parse_xml(data: bytes, source: str) -> etree._Element:
    try:
        root = etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise DocumentError("SIM_XML_ILLISIBLE", f"{source}: XML illisible ({exc})") from exc
    docinfo = root.getroottree().docinfo
    doctype: object = getattr(docinfo, "doctype", None)  # missing from lxml-stubs
    if docinfo.internalDTD is not None or doctype:
        raise DocumentError("SIM_XML_DTD_INTERDITE", f"{source}: les DTD ne sont pas acceptées")
    return root


def read_document(data: bytes, syntax: str, source: str) -> ParsedInvoice:
    """One file of a flux (the flux itself, or one member of an archive)."""
    is_pdf = data.lstrip()[:5] == b"%PDF-"
    if syntax == SYNTAX_FACTURX:
        if not is_pdf:
            raise DocumentError(
                "SIM_FACTURX_PAS_UN_PDF", f"{source}: un flux {syntax} doit contenir un PDF"
            )
        return read_cii(parse_xml(extract_facturx_xml(data, source), source), source)
    if is_pdf:
        raise DocumentError(
            "SIM_SYNTAXE_INCOHERENTE", f"{source}: un PDF ne correspond pas à la syntaxe {syntax}"
        )
    root = parse_xml(data, source)
    if syntax == SYNTAX_CII and root.tag == CII_ROOT:
        return read_cii(root, source)
    if syntax == SYNTAX_UBL and root.tag in UBL_ROOTS:
        return read_ubl(root, source)
    raise DocumentError(
        "SIM_SYNTAXE_INCOHERENTE",
        f"{source}: l'élément racine {etree.QName(root).localname} ne correspond pas à {syntax}",
    )


def extract_facturx_xml(pdf: bytes, source: str) -> bytes:
    try:
        _name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    except Exception as exc:  # the PDF library raises many unrelated types
        raise DocumentError("SIM_PDF_ILLISIBLE", f"{source}: PDF illisible") from exc
    if not xml:
        raise DocumentError(
            "SIM_FACTURX_SANS_XML", f"{source}: aucun XML Factur-X trouvé dans le PDF"
        )
    return bytes(xml)


def _text(node: etree._Element | None, path: str, ns: dict[str, str]) -> str | None:
    if node is None:
        return None
    found = node.find(path, namespaces=ns)
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    return value or None


def _first(node: etree._Element | None, paths: tuple[str, ...], ns: dict[str, str]) -> str | None:
    for path in paths:
        value = _text(node, path, ns)
        if value:
            return value
    return None


def _amount(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _kind(type_code: str | None) -> str:
    return "AVOIR" if type_code == "381" else "FACTURE"


CII_PARTY_IDS = ("ram:SpecifiedLegalOrganization/ram:ID", "ram:ID", "ram:GlobalID")


def read_cii(root: etree._Element, source: str) -> ParsedInvoice:
    if root.tag != CII_ROOT:
        raise DocumentError("SIM_SYNTAXE_INCOHERENTE", f"{source}: le XML Factur-X n'est pas CII")
    ns = CII_NS
    doc = root.find("rsm:ExchangedDocument", namespaces=ns)
    trade = root.find("rsm:SupplyChainTradeTransaction", namespaces=ns)
    agreement = None if trade is None else trade.find("ram:ApplicableHeaderTradeAgreement", ns)
    settlement = None if trade is None else trade.find("ram:ApplicableHeaderTradeSettlement", ns)
    seller = None if agreement is None else agreement.find("ram:SellerTradeParty", ns)
    buyer = None if agreement is None else agreement.find("ram:BuyerTradeParty", ns)
    totals = (
        None
        if settlement is None
        else settlement.find("ram:SpecifiedTradeSettlementHeaderMonetarySummation", ns)
    )
    raw_date = _text(doc, "ram:IssueDateTime/udt:DateTimeString", ns)
    return ParsedInvoice(
        number=_text(doc, "ram:ID", ns),
        issue_date=_cii_date(raw_date),
        kind=_kind(_text(doc, "ram:TypeCode", ns)),
        supplier_siret=_first(seller, CII_PARTY_IDS, ns),
        supplier_name=_text(seller, "ram:Name", ns),
        recipient_siret=_first(buyer, CII_PARTY_IDS, ns),
        service_code=_text(agreement, "ram:BuyerReference", ns),
        engagement=_text(agreement, "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID", ns),
        currency=_text(settlement, "ram:InvoiceCurrencyCode", ns) or "EUR",
        amount_ht=_amount(_text(totals, "ram:TaxBasisTotalAmount", ns)),
        amount_ttc=_amount(_text(totals, "ram:GrandTotalAmount", ns)),
        amount_payable=_amount(_text(totals, "ram:DuePayableAmount", ns)),
        source=source,
    )


def _cii_date(value: str | None) -> date | None:
    """CII format 102 is YYYYMMDD; accept ISO too, some producers write it."""
    if value is None:
        return None
    for fmt in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


UBL_PARTY_IDS = ("cac:PartyLegalEntity/cbc:CompanyID", "cac:PartyIdentification/cbc:ID")
UBL_PARTY_NAMES = ("cac:PartyLegalEntity/cbc:RegistrationName", "cac:PartyName/cbc:Name")
# OCA puts the service code in the buyer contact ID; EN 16931 has BuyerReference (BT-10).
UBL_SERVICE_CODES = (
    "cbc:BuyerReference",
    "cac:AccountingCustomerParty/cac:Party/cac:Contact/cbc:ID",
)


def read_ubl(root: etree._Element, source: str) -> ParsedInvoice:
    ns = UBL_NS
    is_credit_note = etree.QName(root).localname == "CreditNote"
    seller = root.find("cac:AccountingSupplierParty/cac:Party", ns)
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", ns)
    totals = root.find("cac:LegalMonetaryTotal", ns)
    type_code = _text(
        root, "cbc:CreditNoteTypeCode" if is_credit_note else "cbc:InvoiceTypeCode", ns
    )
    raw_date = _text(root, "cbc:IssueDate", ns)
    try:
        issue_date = date.fromisoformat(raw_date) if raw_date else None
    except ValueError:
        issue_date = None
    return ParsedInvoice(
        number=_text(root, "cbc:ID", ns),
        issue_date=issue_date,
        kind="AVOIR" if is_credit_note else _kind(type_code),
        supplier_siret=_first(seller, UBL_PARTY_IDS, ns),
        supplier_name=_first(seller, UBL_PARTY_NAMES, ns),
        recipient_siret=_first(buyer, UBL_PARTY_IDS, ns),
        service_code=_text(root, "cbc:BuyerReference", ns)
        or _text(buyer, "cac:Contact/cbc:ID", ns),
        engagement=_text(root, "cac:OrderReference/cbc:ID", ns),
        currency=_text(root, "cbc:DocumentCurrencyCode", ns) or "EUR",
        amount_ht=_amount(_text(totals, "cbc:TaxExclusiveAmount", ns)),
        amount_ttc=_amount(_text(totals, "cbc:TaxInclusiveAmount", ns)),
        amount_payable=_amount(_text(totals, "cbc:PayableAmount", ns)),
        source=source,
    )
