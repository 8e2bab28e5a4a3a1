"""CII D16B output: XSD-valid for every document shape, Chorus Pro data where Chorus reads it."""

from __future__ import annotations

import re
from decimal import Decimal

import facturx
import pytest
from lxml import etree

from app.document import InvoiceDocument, Note
from app.formats.cii import (
    NSMAP,
    CiiValidationError,
    build_cii,
    build_cii_tree,
    format_amount,
    format_decimal,
    validate_cii,
)
from app.formats.xml import parse_xml

from .samples import DOCUMENTS, RECIPIENT_SIRET, SUPPLIER_SIRET, make_document

AGREEMENT = (
    "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
)
SETTLEMENT = (
    "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
)
SUMMATION = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"


def render_tree(document: InvoiceDocument) -> etree._Element:
    return parse_xml(build_cii(document))


def nodes(root: etree._Element, path: str) -> list[etree._Element]:
    found = root.xpath(path, namespaces=NSMAP)
    assert isinstance(found, list)
    return [node for node in found if isinstance(node, etree._Element)]


def xpath_texts(root: etree._Element, path: str) -> list[str]:
    return [str(node.text) for node in nodes(root, path)]


def xpath_text(root: etree._Element, path: str) -> str:
    texts = xpath_texts(root, path)
    assert len(texts) == 1, f"{path} matched {len(texts)} nodes"
    return texts[0]


def test_every_document_validates_against_the_facturx_en16931_xsd(
    document: InvoiceDocument,
) -> None:
    assert facturx.xml_check_xsd(build_cii(document), flavor="factur-x", level="en16931")


def test_own_validator_accepts_every_document(document: InvoiceDocument) -> None:
    validate_cii(build_cii_tree(document))


def test_own_validator_rejects_a_broken_tree(minimal_document: InvoiceDocument) -> None:
    root = build_cii_tree(minimal_document)
    settlement = root.find(".//ram:ApplicableHeaderTradeSettlement", namespaces=NSMAP)
    assert settlement is not None
    settlement.remove(settlement[0])  # InvoiceCurrencyCode is mandatory
    with pytest.raises(CiiValidationError, match="InvoiceCurrencyCode"):
        validate_cii(root)


def test_output_starts_with_utf8_declaration_and_cii_root(
    minimal_document: InvoiceDocument,
) -> None:
    content = build_cii(minimal_document)
    assert content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    root = parse_xml(content)
    assert (
        root.tag
        == "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"
    )
    assert root.nsmap == NSMAP


def test_header_fields(full_document: InvoiceDocument) -> None:
    root = render_tree(full_document)
    context = "/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext"
    assert xpath_text(root, f"{context}/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == (
        "urn:cen.eu:en16931:2017"
    )
    header = "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument"
    assert xpath_text(root, f"{header}/ram:ID") == "F-2024/0042+B"
    assert xpath_text(root, f"{header}/ram:TypeCode") == "380"
    issue = nodes(root, f"{header}/ram:IssueDateTime/udt:DateTimeString")
    assert [(node.text, node.get("format")) for node in issue] == [("20240502", "102")]
    assert xpath_text(root, f"{header}/ram:IncludedNote/ram:Content") == full_document.notes[0].text


def test_service_code_is_the_buyer_reference(full_document: InvoiceDocument) -> None:
    root = render_tree(full_document)
    assert xpath_text(root, f"{AGREEMENT}/ram:BuyerReference") == "SERVICE-FACTURES-01"


def test_engagement_number_is_the_buyer_order_reference(full_document: InvoiceDocument) -> None:
    root = render_tree(full_document)
    path = f"{AGREEMENT}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"
    assert xpath_text(root, path) == "EJ-1300012345"


def test_optional_references_are_omitted_when_absent(minimal_document: InvoiceDocument) -> None:
    root = render_tree(minimal_document)
    assert xpath_texts(root, f"{AGREEMENT}/ram:BuyerReference") == []
    assert nodes(root, f"{AGREEMENT}/ram:BuyerOrderReferencedDocument") == []
    assert nodes(root, "//ram:IncludedNote") == []
    assert nodes(root, "//ram:SpecifiedTaxRegistration") == []
    assert nodes(root, f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms") == []


def test_each_reference_alone() -> None:
    only_service = render_tree(DOCUMENTS["service_code_only"])
    assert xpath_text(only_service, f"{AGREEMENT}/ram:BuyerReference") == "SRV42"
    assert nodes(only_service, f"{AGREEMENT}/ram:BuyerOrderReferencedDocument") == []
    only_engagement = render_tree(DOCUMENTS["engagement_only"])
    assert xpath_texts(only_engagement, f"{AGREEMENT}/ram:BuyerReference") == []
    path = f"{AGREEMENT}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"
    assert xpath_text(only_engagement, path) == "EJ42"


@pytest.mark.parametrize(
    ("party", "siret"), [("Seller", SUPPLIER_SIRET), ("Buyer", RECIPIENT_SIRET)]
)
def test_party_siret_is_the_legal_organization_id_scheme_0002(
    document: InvoiceDocument, party: str, siret: str
) -> None:
    root = render_tree(document)
    ids = nodes(root, f"{AGREEMENT}/ram:{party}TradeParty/ram:SpecifiedLegalOrganization/ram:ID")
    assert [(node.text, node.get("schemeID")) for node in ids] == [(siret, "0002")]


def test_party_names_vat_ids_and_addresses(full_document: InvoiceDocument) -> None:
    root = render_tree(full_document)
    seller = f"{AGREEMENT}/ram:SellerTradeParty"
    buyer = f"{AGREEMENT}/ram:BuyerTradeParty"
    assert xpath_text(root, f"{seller}/ram:Name") == "Atelier Dupont & Fils <SARL>"
    assert xpath_text(root, f"{buyer}/ram:Name") == "Commune de Bordeaux"
    vat = nodes(root, f"{seller}/ram:SpecifiedTaxRegistration/ram:ID")
    assert [(node.text, node.get("schemeID")) for node in vat] == [("FR44812345676", "VA")]
    assert xpath_text(root, f"{buyer}/ram:SpecifiedTaxRegistration/ram:ID") == "FR59213300635"
    address = nodes(root, f"{seller}/ram:PostalTradeAddress/*")
    assert [(etree.QName(node).localname, node.text) for node in address] == [
        ("PostcodeCode", "33000"),
        ("LineOne", "12 rue des Lilas"),
        ("LineTwo", "Bâtiment B"),
        ("CityName", "Bordeaux"),
        ("CountryID", "FR"),
    ]


def test_address_without_details_still_has_country(minimal_document: InvoiceDocument) -> None:
    root = render_tree(minimal_document)
    for party in ("Seller", "Buyer"):
        address = nodes(root, f"{AGREEMENT}/ram:{party}TradeParty/ram:PostalTradeAddress/*")
        assert [(etree.QName(node).localname, node.text) for node in address] == [
            ("CountryID", "FR")
        ]


def test_payment_means_type_code_is_present_except_on_bare_credit_notes(
    document: InvoiceDocument,
) -> None:
    root = render_tree(document)
    codes = xpath_texts(root, f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode")
    if document.payment is not None:
        assert codes == [document.payment.type_code]
    elif document.type_code == "381":
        assert codes == []  # OCA sends credit notes without payment means (API.md 6.10)
    else:
        assert codes == ["30"]  # Chorus Pro wants a TypeCode (OCA l10n-france #414)


def test_payment_account_details(full_document: InvoiceDocument) -> None:
    root = render_tree(full_document)
    means = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
    path = f"{means}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID"
    assert xpath_text(root, path) == "FR7630006000011234567890189"
    path = f"{means}/ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID"
    assert xpath_text(root, path) == "AGRIFRPP"
    iban_only = render_tree(DOCUMENTS["iban_without_bic"])
    assert xpath_texts(iban_only, f"{means}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID")
    assert nodes(iban_only, f"{means}/ram:PayeeSpecifiedCreditorFinancialInstitution") == []


def test_due_date_uses_format_102(full_document: InvoiceDocument) -> None:
    root = render_tree(full_document)
    dates = nodes(
        root, f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString"
    )
    assert [(node.text, node.get("format")) for node in dates] == [("20240601", "102")]


def test_totals_equal_compute_totals(document: InvoiceDocument) -> None:
    root = render_tree(document)
    totals = document.compute_totals()
    assert Decimal(xpath_text(root, f"{SUMMATION}/ram:LineTotalAmount")) == totals.line_total
    assert Decimal(xpath_text(root, f"{SUMMATION}/ram:TaxBasisTotalAmount")) == totals.tax_exclusive
    assert Decimal(xpath_text(root, f"{SUMMATION}/ram:TaxTotalAmount")) == totals.tax
    assert Decimal(xpath_text(root, f"{SUMMATION}/ram:GrandTotalAmount")) == totals.tax_inclusive
    assert Decimal(xpath_text(root, f"{SUMMATION}/ram:DuePayableAmount")) == totals.payable
    tax_total = nodes(root, f"{SUMMATION}/ram:TaxTotalAmount")[0]
    assert tax_total.get("currencyID") == document.currency


def test_vat_breakdown_equals_compute_totals(document: InvoiceDocument) -> None:
    root = render_tree(document)
    rendered = []
    for tax in nodes(root, f"{SETTLEMENT}/ram:ApplicableTradeTax"):
        rate = tax.findtext("ram:RateApplicablePercent", namespaces=NSMAP)
        rendered.append(
            (
                tax.findtext("ram:CategoryCode", namespaces=NSMAP),
                None if rate is None else Decimal(rate),
                Decimal(str(tax.findtext("ram:BasisAmount", namespaces=NSMAP))),
                Decimal(str(tax.findtext("ram:CalculatedAmount", namespaces=NSMAP))),
                tax.findtext("ram:TypeCode", namespaces=NSMAP),
            )
        )
    expected = [
        (b.category, None if b.category == "O" else b.rate, b.taxable_amount, b.tax_amount, "VAT")
        for b in document.compute_totals().vat_breakdown
    ]
    assert rendered == expected


def test_rounding_edge_cases_two_rates(full_document: InvoiceDocument) -> None:
    root = render_tree(full_document)
    # 3 x 33.335 = 100.005 -> 100.01; 7 x 12.345 = 86.415 -> 86.42; 0.333 x 19.99 = 6.65667 -> 6.66
    assert xpath_texts(
        root, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"
    ) == [
        "100.01",
        "86.42",
        "6.66",
    ]
    assert xpath_text(root, f"{SUMMATION}/ram:LineTotalAmount") == "193.09"
    # 20 %: 106.67 -> 21.334 -> 21.33 ; 5.5 %: 86.42 -> 4.7531 -> 4.75
    assert xpath_texts(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:CalculatedAmount") == [
        "4.75",
        "21.33",
    ]
    assert xpath_text(root, f"{SUMMATION}/ram:TaxTotalAmount") == "26.08"
    assert xpath_text(root, f"{SUMMATION}/ram:GrandTotalAmount") == "219.17"


def test_lines(full_document: InvoiceDocument) -> None:
    root = render_tree(full_document)
    items = nodes(root, "//ram:IncludedSupplyChainTradeLineItem")
    assert len(items) == 3

    def field(item: etree._Element, path: str) -> str | None:
        return item.findtext(path, namespaces=NSMAP)

    assert [field(i, "ram:AssociatedDocumentLineDocument/ram:LineID") for i in items] == [
        "A1",
        "2",
        "3",
    ]
    assert [field(i, "ram:SpecifiedTradeProduct/ram:Name") for i in items] == [
        "Fournitures",
        "Livres",
        "Abonnement",
    ]
    price = "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount"
    assert [field(i, price) for i in items] == ["33.335", "12.345", "19.99"]
    quantities = [
        i.find("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", namespaces=NSMAP) for i in items
    ]
    assert [(q.text, q.get("unitCode")) for q in quantities if q is not None] == [
        ("3.00", "C62"),
        ("7.00", "H87"),
        ("0.333", "C62"),
    ]
    tax = "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax"
    assert [field(i, f"{tax}/ram:CategoryCode") for i in items] == ["S", "S", "S"]
    assert [field(i, f"{tax}/ram:RateApplicablePercent") for i in items] == [
        "20.00",
        "5.50",
        "20.00",
    ]


def test_zero_rated_category_z_keeps_rate_zero() -> None:
    root = render_tree(DOCUMENTS["zero_rated"])
    line_tax = "//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax"
    assert xpath_text(root, f"{line_tax}/ram:CategoryCode") == "Z"
    assert xpath_text(root, f"{line_tax}/ram:RateApplicablePercent") == "0.00"
    assert (
        xpath_text(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:RateApplicablePercent") == "0.00"
    )
    assert xpath_text(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:CalculatedAmount") == "0.00"
    assert xpath_text(root, f"{SUMMATION}/ram:GrandTotalAmount") == "99.90"


def test_category_o_has_no_rate_and_an_exemption_reason() -> None:
    root = render_tree(DOCUMENTS["not_subject"])
    line_taxes = nodes(root, "//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax")
    assert [t.findtext("ram:CategoryCode", namespaces=NSMAP) for t in line_taxes] == ["O", "O"]
    assert nodes(root, "//ram:RateApplicablePercent") == []
    breakdown = nodes(root, f"{SETTLEMENT}/ram:ApplicableTradeTax")
    assert len(breakdown) == 1
    assert breakdown[0].findtext("ram:BasisAmount", namespaces=NSMAP) == "151.00"
    assert breakdown[0].findtext("ram:CalculatedAmount", namespaces=NSMAP) == "0.00"
    assert breakdown[0].findtext("ram:ExemptionReasonCode", namespaces=NSMAP) == "VATEX-EU-O"
    assert breakdown[0].findtext("ram:ExemptionReason", namespaces=NSMAP)


@pytest.mark.parametrize("category", ["E", "AE", "K", "G"])
def test_exempt_categories_validate_with_rate_zero_and_reason(category: str) -> None:
    document = make_document(
        {
            "number": f"X-{category}",
            "issue_date": "2024-05-02",
            "supplier": {"name": "S", "siret": SUPPLIER_SIRET, "vat_id": "FR44812345676"},
            "recipient": {"name": "B", "siret": RECIPIENT_SIRET, "vat_id": "DE123456789"},
            "lines": [
                {
                    "name": "x",
                    "quantity": "1",
                    "unit_price": "5",
                    "vat_category": category,
                    "vat_rate": "0",
                }
            ],
        }
    )
    root = build_cii_tree(document)
    validate_cii(root)
    tax = f"{SETTLEMENT}/ram:ApplicableTradeTax"
    assert xpath_text(root, f"{tax}/ram:RateApplicablePercent") == "0.00"
    assert xpath_text(root, f"{tax}/ram:ExemptionReason")


def test_amounts_have_exactly_two_decimals_and_no_exponent(document: InvoiceDocument) -> None:
    root = render_tree(document)
    amount_tags = (
        "LineTotalAmount",
        "TaxBasisTotalAmount",
        "TaxTotalAmount",
        "GrandTotalAmount",
        "DuePayableAmount",
        "CalculatedAmount",
        "BasisAmount",
    )
    for tag in amount_tags:
        for text in xpath_texts(root, f"//ram:{tag}"):
            assert re.fullmatch(r"-?\d+\.\d\d", text), (tag, text)
    for text in xpath_texts(
        root, "//ram:ChargeAmount | //ram:BilledQuantity | //ram:RateApplicablePercent"
    ):
        assert re.fullmatch(r"-?\d+\.\d{2,6}", text), text


def test_line_ids_default_to_position(minimal_document: InvoiceDocument) -> None:
    root = render_tree(DOCUMENTS["ten_lines"])
    assert xpath_texts(root, "//ram:AssociatedDocumentLineDocument/ram:LineID") == [
        str(i) for i in range(1, 11)
    ]


def test_control_characters_in_free_text_are_replaced(minimal_document: InvoiceDocument) -> None:
    document = minimal_document.model_copy(update={"notes": [Note(text="avant\x01après\x0bfin")]})
    root = render_tree(document)
    assert xpath_text(root, "//ram:IncludedNote/ram:Content") == "avant après fin"


def test_special_characters_round_trip(full_document: InvoiceDocument) -> None:
    content = build_cii(full_document)
    assert "Bâtiment B".encode() in content  # raw UTF-8, not character references
    root = parse_xml(content)
    assert (
        xpath_text(root, f"{AGREEMENT}/ram:SellerTradeParty/ram:Name")
        == "Atelier Dupont & Fils <SARL>"
    )


def test_output_is_deterministic(full_document: InvoiceDocument) -> None:
    assert build_cii(full_document) == build_cii(full_document)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("100"), "100.00"),
        (Decimal("100.005"), "100.01"),
        (Decimal("2E+1"), "20.00"),
        (Decimal("-0.004"), "0.00"),
        (Decimal("12345678901234567.5"), "12345678901234567.50"),
    ],
)
def test_format_amount(value: Decimal, expected: str) -> None:
    assert format_amount(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("2E+1"), "20.00"),
        (Decimal("5.5"), "5.50"),
        (Decimal("33.335000"), "33.335"),
        (Decimal("0.000001"), "0.000001"),
        (Decimal("1E+6"), "1000000.00"),
        (Decimal("0"), "0.00"),
        (Decimal("-0E-6"), "0.00"),
        (Decimal("-1.5"), "-1.50"),
    ],
)
def test_format_decimal(value: Decimal, expected: str) -> None:
    assert format_decimal(value) == expected


def test_validator_works_from_other_threads(minimal_document: InvoiceDocument) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        trees = [build_cii_tree(minimal_document) for _ in range(4)]
        list(pool.map(validate_cii, trees))
