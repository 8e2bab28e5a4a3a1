"""Where the data Chorus Pro routes and pays on lands, in each of the three syntaxes.

Service code (BT-10, and the UBL buyer contact ID), engagement juridique (BT-13), SIRETs (legal
id scheme 0002; UBL PartyIdentification scheme 0009), cadre de facturation (BT-23), payment
means TypeCode and IBAN. The Factur-X case reads the XML back out of the PDF.
"""

from __future__ import annotations

import facturx
import pytest
from lxml import etree

from app.document import InvoiceDocument
from app.formats import Syntax, render
from app.formats.xml import parse_xml

from .samples import DOCUMENTS, IBAN, RECIPIENT_SIRET, SUPPLIER_SIRET
from .xpaths import CII_AGREEMENT, CII_SETTLEMENT, nodes, text, with_attribute

CII_PATHS = {
    "service_code": [f"{CII_AGREEMENT}/ram:BuyerReference"],
    "engagement": [f"{CII_AGREEMENT}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"],
    "frame": [
        "/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext"
        "/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"
    ],
    "payment_code": [f"{CII_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode"],
    "iban": [
        f"{CII_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
        "/ram:PayeePartyCreditorFinancialAccount/ram:IBANID"
    ],
}
UBL_PATHS = {
    "service_code": [
        "/*/cbc:BuyerReference",
        "/*/cac:AccountingCustomerParty/cac:Party/cac:Contact/cbc:ID",
    ],
    "engagement": ["/*/cac:OrderReference/cbc:ID"],
    "frame": ["/*/cbc:ProfileID"],
    "payment_code": ["/*/cac:PaymentMeans/cbc:PaymentMeansCode"],
    "iban": ["/*/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID"],
}


def xml_of(document: InvoiceDocument, syntax: Syntax) -> etree._Element:
    content = render(document, syntax).content
    if syntax is Syntax.FACTURX:
        name, content = facturx.get_xml_from_pdf(content, check_xsd=True)
        assert name == "factur-x.xml"
    return parse_xml(content)


@pytest.fixture(scope="module", params=list(Syntax), ids=lambda s: s.name)
def rendered(request: pytest.FixtureRequest) -> tuple[Syntax, etree._Element]:
    return request.param, xml_of(DOCUMENTS["everything"], request.param)


def paths_for(syntax: Syntax) -> dict[str, list[str]]:
    return UBL_PATHS if syntax is Syntax.UBL_INVOICE else CII_PATHS


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("service_code", "SERV-FINANCES"),
        ("engagement", "EJ-1300012345"),
        ("frame", "A1"),
        ("payment_code", "30"),
        ("iban", IBAN),
    ],
)
def test_chorus_data_lands_where_chorus_reads_it(
    rendered: tuple[Syntax, etree._Element], key: str, expected: str
) -> None:
    syntax, root = rendered
    for path in paths_for(syntax)[key]:
        assert text(root, path) == expected, path


def test_sirets_and_their_schemes(rendered: tuple[Syntax, etree._Element]) -> None:
    syntax, root = rendered
    for role, siret in (("Seller", SUPPLIER_SIRET), ("Buyer", RECIPIENT_SIRET)):
        if syntax is Syntax.UBL_INVOICE:
            party = "Supplier" if role == "Seller" else "Customer"
            base = f"/*/cac:Accounting{party}Party/cac:Party"
            legal = with_attribute(root, f"{base}/cac:PartyLegalEntity/cbc:CompanyID", "schemeID")
            assert legal == [(siret, "0002")]
            ident = with_attribute(root, f"{base}/cac:PartyIdentification/cbc:ID", "schemeID")
            assert ident == [(siret, "0009")]
        else:
            path = f"{CII_AGREEMENT}/ram:{role}TradeParty/ram:SpecifiedLegalOrganization/ram:ID"
            assert with_attribute(root, path, "schemeID") == [(siret, "0002")]


@pytest.mark.parametrize(
    ("name", "code"),
    [("already_paid", "A2"), ("subcontractor", "A9"), ("co_contractor", "A12")],
)
@pytest.mark.parametrize("syntax", [Syntax.CII_D16B, Syntax.UBL_INVOICE], ids=lambda s: s.name)
def test_billing_frame_short_code(name: str, code: str, syntax: Syntax) -> None:
    root = xml_of(DOCUMENTS[name], syntax)
    assert text(root, paths_for(syntax)["frame"][0]) == code


@pytest.mark.parametrize("syntax", [Syntax.CII_D16B, Syntax.UBL_INVOICE], ids=lambda s: s.name)
def test_service_code_and_engagement_absent_when_not_given(syntax: Syntax) -> None:
    root = xml_of(DOCUMENTS["minimal"], syntax)
    for key in ("service_code", "engagement"):
        for path in paths_for(syntax)[key]:
            assert nodes(root, path) == [], path
