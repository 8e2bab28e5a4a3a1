"""UBL 2.1: Invoice or CreditNote, and where each field of the model lands (EN 16931 binding)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from lxml import etree

from app.document import InvoiceDocument, Note
from app.formats.names import UBL_CREDIT_NOTE_ROOT, UBL_INVOICE_ROOT
from app.formats.ubl import build_ubl, build_ubl_tree
from app.formats.xml import parse_xml

from .samples import DOCUMENTS
from .xpaths import nodes, text, texts, with_attribute

SUPPLIER = "/*/cac:AccountingSupplierParty/cac:Party"
CUSTOMER = "/*/cac:AccountingCustomerParty/cac:Party"
MONETARY = "/*/cac:LegalMonetaryTotal"


@pytest.fixture(scope="module")
def root() -> etree._Element:
    return build_ubl_tree(DOCUMENTS["everything"])


@pytest.mark.parametrize(
    ("name", "tag", "type_element"),
    [
        ("full", UBL_INVOICE_ROOT, "cbc:InvoiceTypeCode"),
        ("corrective", UBL_INVOICE_ROOT, "cbc:InvoiceTypeCode"),
        ("prepayment", UBL_INVOICE_ROOT, "cbc:InvoiceTypeCode"),
        ("credit_note", UBL_CREDIT_NOTE_ROOT, "cbc:CreditNoteTypeCode"),
    ],
)
def test_root_and_type_code(name: str, tag: str, type_element: str) -> None:
    document = DOCUMENTS[name]
    root = build_ubl_tree(document)
    assert root.tag == tag
    assert text(root, f"/*/{type_element}") == document.type_code
    assert text(root, "/*/cbc:CustomizationID") == "urn:cen.eu:en16931:2017"
    assert root.nsmap["cbc"].endswith("CommonBasicComponents-2")


def test_output_is_utf8_deterministic_and_escaped(full_document: InvoiceDocument) -> None:
    content = build_ubl(full_document)
    assert content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    assert content == build_ubl(full_document)
    assert "Bâtiment B".encode() in content
    root = parse_xml(content)
    assert text(root, f"{SUPPLIER}/cac:PartyLegalEntity/cbc:RegistrationName") == (
        "Atelier Dupont & Fils <SARL>"
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/*/cbc:IssueDate", "2024-05-31"),
        ("/*/cbc:DueDate", "2024-06-30"),
        ("/*/cbc:TaxPointDate", "2024-05-31"),
        ("/*/cbc:DocumentCurrencyCode", "EUR"),
        ("/*/cac:InvoicePeriod/cbc:StartDate", "2024-05-01"),
        ("/*/cac:ContractDocumentReference/cbc:ID", "MARCHE-2023-17"),
        ("/*/cac:ProjectReference/cbc:ID", "PRJ-TRAM-D"),
        (f"{SUPPLIER}/cac:PartyName/cbc:Name", "SGE Conseil"),
        (f"{SUPPLIER}/cac:PostalAddress/cbc:StreetName", "1 avenue de l'Opéra"),
        (f"{SUPPLIER}/cac:PostalAddress/cac:AddressLine/cbc:Line", "Boîte 12"),
        (f"{SUPPLIER}/cac:PostalAddress/cbc:CountrySubentity", "Île-de-France"),
        (f"{SUPPLIER}/cac:PartyTaxScheme/cbc:CompanyID", "FR44812345676"),
        (f"{SUPPLIER}/cac:Contact/cbc:Telephone", "+33 1 23 45 67 89"),
        (f"{CUSTOMER}/cac:Contact/cbc:ElectronicMail", "compta@bordeaux.fr"),
        ("/*/cac:Delivery/cbc:ActualDeliveryDate", "2024-05-20"),
        ("/*/cac:Delivery/cac:DeliveryLocation/cac:Address/cbc:PostalZone", "33100"),
        ("/*/cac:Delivery/cac:DeliveryParty/cac:PartyName/cbc:Name", "Dépôt municipal"),
        ("/*/cac:PaymentMeans/cbc:PaymentID", "FX-2024-0099"),
        ("/*/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:Name", "SGE Conseil"),
        (
            "/*/cac:PaymentMeans/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID",
            "AGRIFRPP",
        ),
        ("/*/cac:PaymentTerms/cbc:Note", "Paiement à 30 jours fin de mois, sans escompte."),
        ("/*/cac:AdditionalDocumentReference/cbc:DocumentDescription", "Bon de livraison signé"),
        (f"{MONETARY}/cbc:PrepaidAmount", "100.00"),
        (f"{MONETARY}/cbc:PayableRoundingAmount", "0.01"),
        (f"{MONETARY}/cbc:PayableAmount", "2115.61"),
    ],
)
def test_header_field(root: etree._Element, path: str, expected: str) -> None:
    assert text(root, path) == expected


def test_notes_carry_subject_codes_as_prefix(root: etree._Element) -> None:
    assert [note[:5] for note in texts(root, "/*/cbc:Note")] == ["#PMD#", "#PMT#", "Note "]


def test_endpoint_ids_and_attachment_attributes(root: etree._Element) -> None:
    assert with_attribute(root, f"{SUPPLIER}/cbc:EndpointID", "schemeID") == [
        ("81234567600017", "0225")
    ]
    binary = nodes(
        root, "/*/cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject"
    )
    assert [(b.get("mimeCode"), b.get("filename")) for b in binary] == [
        ("application/pdf", "bon_livraison.pdf")
    ]


def test_every_amount_has_the_currency(root: etree._Element) -> None:
    amounts = nodes(
        root, "//*[substring(local-name(), string-length(local-name()) - 5) = 'Amount']"
    )
    assert amounts
    assert {a.get("currencyID") for a in amounts} == {"EUR"}


def test_vat_breakdown_and_totals_equal_compute_totals(document: InvoiceDocument) -> None:
    root = build_ubl_tree(document)
    totals = document.compute_totals()
    rendered = [
        (
            sub.findtext("{*}TaxCategory/{*}ID"),
            None
            if sub.find("{*}TaxCategory/{*}Percent") is None
            else Decimal(str(sub.findtext("{*}TaxCategory/{*}Percent"))),
            Decimal(str(sub.findtext("{*}TaxableAmount"))),
            Decimal(str(sub.findtext("{*}TaxAmount"))),
        )
        for sub in nodes(root, "/*/cac:TaxTotal/cac:TaxSubtotal")
    ]
    assert rendered == [
        (b.category, None if b.category == "O" else b.rate, b.taxable_amount, b.tax_amount)
        for b in totals.vat_breakdown
    ]
    assert Decimal(text(root, "/*/cac:TaxTotal/cbc:TaxAmount")) == totals.tax
    assert Decimal(text(root, f"{MONETARY}/cbc:LineExtensionAmount")) == totals.line_total
    assert Decimal(text(root, f"{MONETARY}/cbc:TaxExclusiveAmount")) == totals.tax_exclusive
    assert Decimal(text(root, f"{MONETARY}/cbc:TaxInclusiveAmount")) == totals.tax_inclusive
    assert Decimal(text(root, f"{MONETARY}/cbc:PayableAmount")) == totals.payable
    for tag in ("LineExtensionAmount", "TaxAmount", "TaxableAmount", "PayableAmount"):
        for value in texts(root, f"//cbc:{tag}"):
            assert re.fullmatch(r"-?\d+\.\d\d", value), (tag, value)


def test_exemptions(root: etree._Element) -> None:
    exempt = "/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory[cbc:ID='E']"
    assert text(root, f"{exempt}/cbc:TaxExemptionReasonCode") == "VATEX-EU-132-1I"
    assert text(root, f"{exempt}/cbc:TaxExemptionReason").startswith("Exonération - article")
    not_subject = build_ubl_tree(DOCUMENTS["not_subject"])
    category = "/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory"
    assert text(not_subject, f"{category}/cbc:TaxExemptionReasonCode") == "VATEX-EU-O"
    assert nodes(not_subject, "//cbc:Percent") == []


def test_document_allowance_and_charge(root: etree._Element) -> None:
    entries = nodes(root, "/*/cac:AllowanceCharge")
    shape = [
        (
            e.findtext("{*}ChargeIndicator"),
            e.findtext("{*}AllowanceChargeReasonCode"),
            e.findtext("{*}MultiplierFactorNumeric"),
            e.findtext("{*}Amount"),
            e.findtext("{*}BaseAmount"),
            e.findtext("{*}TaxCategory/{*}ID"),
            e.findtext("{*}TaxCategory/{*}Percent"),
        )
        for e in entries
    ]
    assert shape == [
        ("false", "95", "5.00", "50.00", "1000.00", "S", "20.00"),
        ("true", "FC", None, "15.00", None, "S", "20.00"),
    ]


def test_line_fields(root: etree._Element) -> None:
    line = "/*/cac:InvoiceLine[1]"
    assert text(root, f"{line}/cbc:ID") == "10"
    assert text(root, f"{line}/cbc:Note") == "Selon devis D-2024-03"
    assert with_attribute(root, f"{line}/cbc:InvoicedQuantity", "unitCode") == [("12.50", "HUR")]
    assert text(root, f"{line}/cbc:LineExtensionAmount") == "1186.25"
    assert text(root, f"{line}/cbc:AccountingCost") == "6226-ETUDES"
    assert text(root, f"{line}/cac:InvoicePeriod/cbc:EndDate") == "2024-05-15"
    assert text(root, f"{line}/cac:OrderLineReference/cbc:LineID") == "EJ-L1"
    assert texts(root, f"{line}/cac:AllowanceCharge/cbc:Amount") == ["25.00", "23.75"]
    assert text(root, f"{line}/cac:Item/cbc:Description").startswith("Phase 1")
    assert text(root, f"{line}/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent") == "20.00"
    assert text(root, f"{line}/cac:Price/cbc:PriceAmount") == "95.00"
    assert text(root, f"{line}/cac:Price/cac:AllowanceCharge/cbc:Amount") == "5.00"
    assert text(root, f"{line}/cac:Price/cac:AllowanceCharge/cbc:BaseAmount") == "100.00"
    assert with_attribute(root, "/*/cac:InvoiceLine[2]/cac:Price/cbc:BaseQuantity", "unitCode") == [
        ("100.00", "H87")
    ]


def test_credit_note_specifics() -> None:
    root = build_ubl_tree(DOCUMENTS["credit_note"])
    assert nodes(root, "/*/cbc:DueDate") == []
    assert text(root, "/*/cac:PaymentMeans/cbc:PaymentDueDate") == "2024-06-10"
    assert texts(root, "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == [
        "F2024-0001",
        "F2024-0002",
    ]
    project = "/*/cac:AdditionalDocumentReference[cbc:DocumentTypeCode='50']/cbc:ID"
    assert text(root, project) == "PRJ-TRAM-D"
    assert with_attribute(root, "/*/cac:CreditNoteLine/cbc:CreditedQuantity", "unitCode") == [
        ("1.00", "C62")
    ]
    assert nodes(root, "/*/cac:InvoiceLine") == []


def test_bare_credit_note_has_no_payment_means() -> None:
    assert nodes(build_ubl_tree(DOCUMENTS["credit_note_minimal"]), "/*/cac:PaymentMeans") == []


def test_control_characters_are_replaced(minimal_document: InvoiceDocument) -> None:
    document = minimal_document.model_copy(update={"notes": [Note(text="a\x01b\x0bc")]})
    assert text(build_ubl_tree(document), "/*/cbc:Note") == "a b c"
