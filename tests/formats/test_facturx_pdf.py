"""Factur-X: a PDF/A-3 that carries our CII, with the ERP's PDF or the gateway's rendering."""

from __future__ import annotations

import io
import re
from typing import Any

import facturx
import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, IndirectObject

from app.document import InvoiceDocument
from app.formats import Syntax, render
from app.formats.cii import build_cii
from app.formats.facturx_pdf import InvalidVisualPdf, build_facturx
from app.formats.facturx_visual import render_visual_pdf
from app.formats.xml import parse_xml

from .samples import DOCUMENTS, make_document

XMP = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
}


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render(DOCUMENTS["everything"], Syntax.FACTURX).content


def resolve(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_pdf_carries_exactly_our_cii(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert name == "factur-x.xml"
    assert xml == build_cii(DOCUMENTS["everything"])


def test_pdfa3_xmp_metadata_declares_factur_x_en16931(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    metadata = resolve(reader.trailer["/Root"]["/Metadata"]).get_data()
    root = parse_xml(re.sub(rb"<\?xpacket[^>]*\?>", b"", metadata).strip())
    assert root.findtext(".//pdfaid:part", namespaces=XMP) == "3"
    assert root.findtext(".//pdfaid:conformance", namespaces=XMP) == "B"
    assert root.findtext(".//fx:ConformanceLevel", namespaces=XMP) == "EN 16931"
    assert root.findtext(".//fx:DocumentFileName", namespaces=XMP) == "factur-x.xml"
    assert root.findtext(".//fx:DocumentType", namespaces=XMP) == "INVOICE"


def test_xml_is_an_associated_file_with_relationship_data(pdf: bytes) -> None:
    catalog = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    associated = [resolve(spec) for spec in resolve(catalog["/AF"])]
    assert [(spec["/F"], spec["/AFRelationship"]) for spec in associated] == [
        ("factur-x.xml", "/Data")
    ]


def test_our_rendering_meets_the_pdfa_basics(pdf: bytes) -> None:
    """What we can check without veraPDF: output intent, embedded fonts, no encryption."""
    reader = PdfReader(io.BytesIO(pdf))
    assert not reader.is_encrypted
    intents = [resolve(i) for i in resolve(reader.trailer["/Root"]["/OutputIntents"])]
    assert [i["/S"] for i in intents] == ["/GTS_PDFA1"]
    assert resolve(intents[0]["/DestOutputProfile"]).get_data()[36:40] == b"acsp"  # ICC magic
    for page in reader.pages:
        fonts = resolve(resolve(page["/Resources"])["/Font"])
        assert fonts
        for font in fonts.values():
            descriptor = resolve(resolve(font)["/FontDescriptor"])
            assert isinstance(descriptor, DictionaryObject)
            assert "/FontFile2" in descriptor  # embedded TrueType subset
    assert reader.metadata is not None
    assert reader.metadata["/Producer"] == "pypdf"  # the value factur-x writes in the XMP
    assert "/Keywords" not in reader.metadata  # not mirrored in factur-x's XMP
    assert "/Trapped" not in reader.metadata


def test_the_rendering_shows_the_invoice_with_real_text(pdf: bytes) -> None:
    text = text_of(pdf)
    for expected in (
        "FACTURE FX-2024-0099",
        "Société Générale d'Études Ç&Œ",
        "SIRET : 81234567600017",
        "SERV-FINANCES",
        "EJ-1300012345",
        "Étude de faisabilité",
        "Net à payer",
        "2 115,61 EUR",
    ):
        assert expected in text.replace("\u00a0", " "), expected


def test_many_lines_flow_onto_several_pages() -> None:
    lines = [
        {"name": f"Article n°{i}", "quantity": "1", "unit_price": "10", "vat_rate": "20"}
        for i in range(1, 121)
    ]
    document = make_document(
        DOCUMENTS["full"].model_dump(mode="json", exclude_none=True), lines=lines
    )
    content = render(document, Syntax.FACTURX).content
    pages = PdfReader(io.BytesIO(content)).pages
    assert len(pages) > 2
    assert "Article n°120" in pages[-1].extract_text() + pages[-2].extract_text()
    assert "Net à payer" in pages[-1].extract_text()


def test_credit_note_title() -> None:
    assert "AVOIR AV-2024-0007" in text_of(render_visual_pdf(DOCUMENTS["credit_note"]))


def erp_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_the_erps_own_pdf_is_used_when_given(full_document: InvoiceDocument) -> None:
    own = erp_pdf()
    rendered = render(full_document, Syntax.FACTURX, visual_pdf=own)
    reader = PdfReader(io.BytesIO(rendered.content))
    assert len(reader.pages) == 1
    assert reader.pages[0].extract_text() == ""  # our rendering is not there
    assert facturx.get_xml_from_pdf(rendered.content)[1] == build_cii(full_document)
    assert rendered.file_name == "facturx_F-2024_0042_B.pdf"
    assert reader.metadata is not None
    assert reader.metadata["/Producer"] == "pypdf"


def test_a_visual_pdf_that_is_not_a_pdf_is_refused(full_document: InvoiceDocument) -> None:
    with pytest.raises(InvalidVisualPdf):
        build_facturx(full_document, visual_pdf=b"<html>not a pdf</html>")


def test_visual_rendering_is_deterministic(full_document: InvoiceDocument) -> None:
    assert render_visual_pdf(full_document) == render_visual_pdf(full_document)
