"""parse_invoice_file: syntax detection, every error reported, hostile files refused."""

from __future__ import annotations

import io
import pathlib

import pytest
from pypdf import PdfWriter

from app.document import InvoiceDocument
from app.formats import Syntax, render
from app.formats.parse import MAX_FILE_BYTES, UnreadableInvoiceFile, parse_invoice_file

from .samples import DOCUMENTS, SUPPLIER_SIRET

SECRET = "TOP-SECRET-CONTENT-42"
CII_ID = b"<ram:ID>F2024-0001</ram:ID>"
BOMB_DTD = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def xml(document: InvoiceDocument, syntax: Syntax) -> bytes:
    return render(document, syntax).content


def errors_of(content: bytes) -> list[tuple[str, str | None]]:
    with pytest.raises(UnreadableInvoiceFile) as excinfo:
        parse_invoice_file(content)
    errors = excinfo.value.errors
    assert errors
    assert all(e.message and e.message_fr for e in errors)
    return [(e.field, e.code) for e in errors]


def pdf_with(name: str, data: bytes) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_dtd(content: bytes, dtd: bytes) -> bytes:
    declaration, _, rest = content.partition(b"\n")
    return declaration + b"\n" + dtd + rest


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "FILE-EMPTY"),
        (b"   \n", "FILE-EMPTY"),
        (b"not xml at all", "FILE-NOT-XML"),
        (b"<?xml version='1.0'?><nothing/>", "FILE-UNKNOWN-SYNTAX"),
        (b"%PDF-1.4 broken", "FILE-PDF"),
    ],
)
def test_unreadable_files(content: bytes, code: str) -> None:
    assert errors_of(content) == [("file", code)]


def test_too_large() -> None:
    assert errors_of(b"<a>" + b" " * MAX_FILE_BYTES + b"</a>") == [("file", "FILE-TOO-LARGE")]


def test_pdf_without_facturx_xml() -> None:
    assert errors_of(pdf_with("notes.txt", b"hello")) == [("file", "FILE-NO-FACTURX-XML")]


def test_pdf_carrying_ubl_is_not_facturx() -> None:
    content = pdf_with("factur-x.xml", xml(DOCUMENTS["minimal"], Syntax.UBL_INVOICE))
    assert errors_of(content) == [("file:factur-x.xml", "FILE-NOT-FACTURX")]


def test_xsd_errors_point_at_the_element() -> None:
    content = xml(DOCUMENTS["minimal"], Syntax.CII_D16B).replace(CII_ID, b"")
    errors = errors_of(content)
    assert {code for _, code in errors} == {"FILE-XSD"}
    assert errors[0][0].startswith("/rsm:CrossIndustryInvoice/rsm:ExchangedDocument")


def test_model_errors_name_the_field() -> None:
    bad = xml(DOCUMENTS["minimal"], Syntax.UBL_INVOICE).replace(
        SUPPLIER_SIRET.encode(), b"81234567600018"
    )
    assert errors_of(bad) == [("supplier.siret", "value_error")]


def test_every_problem_is_reported_at_once() -> None:
    content = (
        xml(DOCUMENTS["everything"], Syntax.CII_D16B)
        .replace(b"20240531", b"20240532", 1)
        .replace(b"<ram:ID>A1</ram:ID>", b"<ram:ID>A4</ram:ID>")
    )
    errors = errors_of(content)
    assert ("issue_date", "date_from_datetime_parsing") in errors
    assert [code for _, code in errors].count("FILE-FRAME") == 1
    assert len(errors) == 2


def test_unknown_frames_that_are_not_chorus_ones_keep_the_default() -> None:
    content = xml(DOCUMENTS["full"], Syntax.UBL_INVOICE).replace(
        b"<cbc:ProfileID>A1</cbc:ProfileID>",
        b"<cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>",
    )
    assert parse_invoice_file(content).document.billing_frame == "A1_FACTURE_FOURNISSEUR"


def test_long_frame_names_are_accepted() -> None:
    content = xml(DOCUMENTS["subcontractor"], Syntax.CII_D16B).replace(
        b"<ram:ID>A9</ram:ID>", b"<ram:ID>A9_FACTURE_SOUSTRAITANT</ram:ID>"
    )
    assert parse_invoice_file(content).document.billing_frame == "A9_FACTURE_SOUSTRAITANT"


def test_service_code_in_the_buyer_contact_only_as_oca_writes_it() -> None:
    content = xml(DOCUMENTS["full"], Syntax.UBL_INVOICE).replace(
        b"<cbc:BuyerReference>SERVICE-FACTURES-01</cbc:BuyerReference>", b""
    )
    parsed = parse_invoice_file(content).document
    assert parsed.service_code == "SERVICE-FACTURES-01"
    assert parsed.recipient.contact is None


def test_extended_profile_is_checked_against_its_own_xsd() -> None:
    content = xml(DOCUMENTS["full"], Syntax.CII_D16B).replace(
        b"<ram:ID>urn:cen.eu:en16931:2017</ram:ID>",
        b"<ram:ID>urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended</ram:ID>",
    )
    assert parse_invoice_file(content).document.number == "F-2024/0042+B"


def test_minimum_profile_has_no_lines_to_read() -> None:
    content = xml(DOCUMENTS["full"], Syntax.CII_D16B).replace(
        b"<ram:ID>urn:cen.eu:en16931:2017</ram:ID>", b"<ram:ID>urn:factur-x.eu:1p0:minimum</ram:ID>"
    )
    assert errors_of(content) == [("file", "FILE-PROFILE")]


def test_wrapped_base64_attachments_are_joined() -> None:
    document = DOCUMENTS["everything"]
    content = document.attachments[0].content
    wrapped = content[:10] + "\n  " + content[10:]
    data = xml(document, Syntax.CII_D16B).replace(content.encode(), wrapped.encode())
    assert parse_invoice_file(data).document.attachments == document.attachments


def test_trailing_comment_after_the_root_is_fine() -> None:
    content = xml(DOCUMENTS["minimal"], Syntax.UBL_INVOICE) + b"\n<!-- the ERP's own bytes -->\n"
    assert parse_invoice_file(content).syntax is Syntax.UBL_INVOICE


@pytest.fixture
def secret_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


@pytest.mark.parametrize("syntax", [Syntax.CII_D16B, Syntax.UBL_INVOICE], ids=lambda s: s.name)
def test_xxe_is_refused(syntax: Syntax, secret_file: pathlib.Path) -> None:
    dtd = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "{secret_file.as_uri()}">]>'.encode()
    content = with_dtd(xml(DOCUMENTS["minimal"], syntax), dtd).replace(
        b"F2024-0001</", b"&xxe;</", 1
    )
    with pytest.raises(UnreadableInvoiceFile) as excinfo:
        parse_invoice_file(content)
    assert [(e.field, e.code) for e in excinfo.value.errors] == [("file", "FILE-DTD")]
    assert SECRET not in str(excinfo.value)


@pytest.mark.parametrize("syntax", [Syntax.CII_D16B, Syntax.UBL_INVOICE], ids=lambda s: s.name)
def test_billion_laughs_is_refused(syntax: Syntax) -> None:
    content = with_dtd(xml(DOCUMENTS["minimal"], syntax), BOMB_DTD).replace(
        b"F2024-0001</", b"&lol3;</", 1
    )
    assert errors_of(content) == [("file", "FILE-DTD")]


def test_hostile_xml_inside_a_pdf_is_refused(secret_file: pathlib.Path) -> None:
    dtd = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "{secret_file.as_uri()}">]>'.encode()
    cii = with_dtd(xml(DOCUMENTS["minimal"], Syntax.CII_D16B), dtd).replace(
        b"F2024-0001</", b"&xxe;</", 1
    )
    assert errors_of(pdf_with("factur-x.xml", cii)) == [("file:factur-x.xml", "FILE-DTD")]
    bomb = with_dtd(xml(DOCUMENTS["minimal"], Syntax.CII_D16B), BOMB_DTD)
    assert errors_of(pdf_with("factur-x.xml", bomb)) == [("file:factur-x.xml", "FILE-DTD")]


def test_network_entities_are_never_fetched() -> None:
    # An unroutable address: a parser that tried would hang the test.
    dtd = b'<!DOCTYPE x [<!ENTITY net SYSTEM "http://192.0.2.1/x">]>'
    content = with_dtd(xml(DOCUMENTS["minimal"], Syntax.CII_D16B), dtd)
    assert errors_of(content) == [("file", "FILE-DTD")]
