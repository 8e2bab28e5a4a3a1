"""CII: where each field of the full model lands (the EN 16931 CII binding, BT by BT)."""

from __future__ import annotations

import pytest
from lxml import etree

from app.document import InvoiceDocument
from app.formats.cii import build_cii_tree

from .samples import DOCUMENTS
from .xpaths import CII_AGREEMENT, CII_DELIVERY, CII_LINES, CII_SETTLEMENT, nodes, text, texts

SUMMATION = f"{CII_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"


@pytest.fixture(scope="module")
def root() -> etree._Element:
    return build_cii_tree(DOCUMENTS["everything"])


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID",
            "A1",
        ),
        (f"{CII_AGREEMENT}/ram:ContractReferencedDocument/ram:IssuerAssignedID", "MARCHE-2023-17"),
        (f"{CII_AGREEMENT}/ram:SpecifiedProcuringProject/ram:ID", "PRJ-TRAM-D"),
        (
            f"{CII_AGREEMENT}/ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:TradingBusinessName",
            "SGE Conseil",
        ),
        (
            f"{CII_AGREEMENT}/ram:SellerTradeParty/ram:DefinedTradeContact/ram:PersonName",
            "Élodie Martin",
        ),
        (
            f"{CII_AGREEMENT}/ram:SellerTradeParty/ram:DefinedTradeContact/ram:TelephoneUniversalCommunication/ram:CompleteNumber",
            "+33 1 23 45 67 89",
        ),
        (
            f"{CII_AGREEMENT}/ram:SellerTradeParty/ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID",
            "e@sge.fr",
        ),
        (f"{CII_AGREEMENT}/ram:SellerTradeParty/ram:PostalTradeAddress/ram:LineThree", "Boîte 12"),
        (
            f"{CII_AGREEMENT}/ram:SellerTradeParty/ram:PostalTradeAddress/ram:CountrySubDivisionName",
            "Île-de-France",
        ),
        (f"{CII_DELIVERY}/ram:ShipToTradeParty/ram:Name", "Dépôt municipal"),
        (f"{CII_DELIVERY}/ram:ShipToTradeParty/ram:PostalTradeAddress/ram:PostcodeCode", "33100"),
        (
            f"{CII_DELIVERY}/ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString",
            "20240520",
        ),
        (f"{CII_SETTLEMENT}/ram:PaymentReference", "FX-2024-0099"),
        (
            f"{CII_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/ram:AccountName",
            "SGE Conseil",
        ),
        (
            f"{CII_SETTLEMENT}/ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString",
            "20240501",
        ),
        (
            f"{CII_SETTLEMENT}/ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString",
            "20240531",
        ),
        (
            f"{CII_SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:Description",
            "Paiement à 30 jours fin de mois, sans escompte.",
        ),
        (f"{SUMMATION}/ram:ChargeTotalAmount", "15.00"),
        (f"{SUMMATION}/ram:AllowanceTotalAmount", "50.00"),
        (f"{SUMMATION}/ram:RoundingAmount", "0.01"),
        (f"{SUMMATION}/ram:TotalPrepaidAmount", "100.00"),
        (f"{SUMMATION}/ram:DuePayableAmount", "2115.61"),
    ],
)
def test_header_field(root: etree._Element, path: str, expected: str) -> None:
    assert text(root, path) == expected


def test_electronic_addresses_use_scheme_0225(root: etree._Element) -> None:
    for party in ("Seller", "Buyer"):
        uri = nodes(
            root, f"{CII_AGREEMENT}/ram:{party}TradeParty/ram:URIUniversalCommunication/ram:URIID"
        )
        assert [node.get("schemeID") for node in uri] == ["0225"]


def test_notes_keep_their_subject_codes(root: etree._Element) -> None:
    notes = nodes(root, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:IncludedNote")
    assert [n.findtext("{*}SubjectCode") for n in notes] == ["PMD", "PMT", None]


def test_tax_point_date_once_in_the_first_breakdown(root: etree._Element) -> None:
    """CII-SR-461: BT-7 may appear only once, though each breakdown has room for it."""
    dates = texts(root, f"{CII_SETTLEMENT}/ram:ApplicableTradeTax/ram:TaxPointDate/udt:DateString")
    assert dates == ["20240531"]
    first = nodes(root, f"{CII_SETTLEMENT}/ram:ApplicableTradeTax[1]/ram:TaxPointDate")
    assert len(first) == 1


def test_exemption_reason_of_the_document_replaces_the_default(root: etree._Element) -> None:
    exempt = f"{CII_SETTLEMENT}/ram:ApplicableTradeTax[ram:CategoryCode='E']"
    assert text(root, f"{exempt}/ram:ExemptionReason").startswith("Exonération - article 261")
    assert text(root, f"{exempt}/ram:ExemptionReasonCode") == "VATEX-EU-132-1I"
    assert (
        nodes(
            root,
            f"{CII_SETTLEMENT}/ram:ApplicableTradeTax[ram:CategoryCode='S']/ram:ExemptionReason",
        )
        == []
    )


def test_default_exemptions_when_the_document_gives_none() -> None:
    root = build_cii_tree(DOCUMENTS["reverse_charge_and_export"])
    tax = f"{CII_SETTLEMENT}/ram:ApplicableTradeTax"
    # AE: the document's code only, no default text added; K and G: the defaults.
    assert nodes(root, f"{tax}[ram:CategoryCode='AE']/ram:ExemptionReason") == []
    assert text(root, f"{tax}[ram:CategoryCode='AE']/ram:ExemptionReasonCode") == "VATEX-EU-AE"
    assert text(root, f"{tax}[ram:CategoryCode='K']/ram:ExemptionReasonCode") == "VATEX-EU-IC"
    assert text(root, f"{tax}[ram:CategoryCode='G']/ram:ExemptionReason")


def test_document_allowances_and_charges(root: etree._Element) -> None:
    entries = nodes(root, f"{CII_SETTLEMENT}/ram:SpecifiedTradeAllowanceCharge")
    shape = [
        (
            e.findtext("{*}ChargeIndicator/{*}Indicator"),
            e.findtext("{*}CalculationPercent"),
            e.findtext("{*}BasisAmount"),
            e.findtext("{*}ActualAmount"),
            e.findtext("{*}ReasonCode"),
            e.findtext("{*}Reason"),
            e.findtext("{*}CategoryTradeTax/{*}CategoryCode"),
            e.findtext("{*}CategoryTradeTax/{*}RateApplicablePercent"),
        )
        for e in entries
    ]
    assert shape == [
        ("false", "5.00", "1000.00", "50.00", "95", "Remise commerciale", "S", "20.00"),
        ("true", None, None, "15.00", "FC", "Frais de port", "S", "20.00"),
    ]


def test_line_fields(root: etree._Element) -> None:
    line = f"{CII_LINES}[1]"
    assert (
        text(root, f"{line}/ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content")
        == "Selon devis D-2024-03"
    )
    assert text(root, f"{line}/ram:SpecifiedTradeProduct/ram:Description").startswith("Phase 1")
    agreement = f"{line}/ram:SpecifiedLineTradeAgreement"
    assert text(root, f"{agreement}/ram:BuyerOrderReferencedDocument/ram:LineID") == "EJ-L1"
    assert text(root, f"{agreement}/ram:GrossPriceProductTradePrice/ram:ChargeAmount") == "100.00"
    discount = f"{agreement}/ram:GrossPriceProductTradePrice/ram:AppliedTradeAllowanceCharge"
    assert text(root, f"{discount}/ram:ActualAmount") == "5.00"
    settlement = f"{line}/ram:SpecifiedLineTradeSettlement"
    assert (
        text(root, f"{settlement}/ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString")
        == "20240501"
    )
    reasons = texts(root, f"{settlement}/ram:SpecifiedTradeAllowanceCharge/ram:ReasonCode")
    assert reasons == ["95", "ABL"]
    assert nodes(root, f"{settlement}/ram:SpecifiedTradeAllowanceCharge/ram:CategoryTradeTax") == []
    # 12.5 x 95 = 1187.50, - 25.00 allowance, + 2 % of 1187.50 = 23.75 charge
    assert (
        text(
            root,
            f"{settlement}/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
        )
        == "1186.25"
    )
    assert (
        text(root, f"{settlement}/ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID")
        == "6226-ETUDES"
    )


def test_price_base_quantity(root: etree._Element) -> None:
    base = nodes(
        root,
        f"{CII_LINES}[2]/ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity",
    )
    assert [(b.text, b.get("unitCode")) for b in base] == [("100.00", "H87")]
    # 250 x 12.40 / 100 = 31.00
    assert texts(root, f"{CII_LINES}[2]//ram:LineTotalAmount") == ["31.00"]


def test_attachment_is_a_typed_additional_document(root: etree._Element) -> None:
    reference = f"{CII_AGREEMENT}/ram:AdditionalReferencedDocument"
    assert text(root, f"{reference}/ram:IssuerAssignedID") == "BL-778"
    assert text(root, f"{reference}/ram:TypeCode") == "916"
    assert text(root, f"{reference}/ram:Name") == "Bon de livraison signé"
    binary = nodes(root, f"{reference}/ram:AttachmentBinaryObject")[0]
    assert (binary.get("mimeCode"), binary.get("filename")) == (
        "application/pdf",
        "bon_livraison.pdf",
    )
    assert binary.text == DOCUMENTS["everything"].attachments[0].content


def test_credit_note_refers_to_the_invoices_it_credits() -> None:
    document: InvoiceDocument = DOCUMENTS["credit_note"]
    root = build_cii_tree(document)
    assert text(root, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode") == "381"
    references = nodes(root, f"{CII_SETTLEMENT}/ram:InvoiceReferencedDocument")
    shape = [
        (
            r.findtext("{*}IssuerAssignedID"),
            r.findtext("{*}FormattedIssueDateTime/{*}DateTimeString"),
        )
        for r in references
    ]
    assert shape == [("F2024-0001", "20240502"), ("F2024-0002", None)]
    # Credit notes carry positive amounts (the type code says it is a credit).
    assert text(root, f"{SUMMATION}/ram:GrandTotalAmount") == "540.00"
