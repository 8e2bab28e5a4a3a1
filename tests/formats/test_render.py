"""`render`: the one entry point the deposit code uses, whatever the syntax."""

from __future__ import annotations

import dataclasses

import pytest

from app.document import InvoiceDocument
from app.formats import MAX_FILE_NAME_LENGTH, RenderedInvoice, Syntax, file_name_for, render
from app.formats.cii import build_cii
from app.formats.ubl import build_ubl

from .samples import DOCUMENTS


def test_syntax_values_are_chorus_codes() -> None:
    assert {s.name: str(s) for s in Syntax} == {
        "CII_D16B": "IN_DP_E1_CII_16B",
        "UBL_INVOICE": "IN_DP_E1_UBL_INVOICE",
        "FACTURX": "IN_DP_E2_CII_FACTURX",
    }
    assert Syntax("IN_DP_E1_CII_16B") is Syntax.CII_D16B


def test_default_is_cii(minimal_document: InvoiceDocument) -> None:
    rendered = render(minimal_document)
    assert rendered == RenderedInvoice(
        content=build_cii(minimal_document), file_name="cii_F2024-0001.xml", syntax=Syntax.CII_D16B
    )


def test_ubl(minimal_document: InvoiceDocument) -> None:
    assert render(minimal_document, Syntax.UBL_INVOICE) == RenderedInvoice(
        content=build_ubl(minimal_document),
        file_name="ubl_F2024-0001.xml",
        syntax=Syntax.UBL_INVOICE,
    )


def test_facturx(minimal_document: InvoiceDocument) -> None:
    rendered = render(minimal_document, Syntax.FACTURX)
    assert rendered.content.startswith(b"%PDF-")
    assert rendered.file_name == "facturx_F2024-0001.pdf"
    assert rendered.syntax is Syntax.FACTURX


def test_visual_pdf_is_ignored_by_the_xml_syntaxes(minimal_document: InvoiceDocument) -> None:
    rendered = render(minimal_document, Syntax.UBL_INVOICE, visual_pdf=b"%PDF-1.7 whatever")
    assert rendered.content == build_ubl(minimal_document)


def test_rendered_invoice_is_frozen(minimal_document: InvoiceDocument) -> None:
    rendered = render(minimal_document)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rendered.file_name = "other.xml"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("syntax", "name"),
    [
        (Syntax.CII_D16B, "cii_F-2024_0042_B.xml"),
        (Syntax.UBL_INVOICE, "ubl_F-2024_0042_B.xml"),
        (Syntax.FACTURX, "facturx_F-2024_0042_B.pdf"),
    ],
)
def test_file_name_replaces_unsafe_characters(syntax: Syntax, name: str) -> None:
    assert render(DOCUMENTS["full"], syntax).file_name == name


def test_file_name_is_capped() -> None:
    name = file_name_for("x" * 500, "facturx", "pdf")
    assert len(name) == MAX_FILE_NAME_LENGTH
    assert name.startswith("facturx_xxx")
    assert name.endswith(".pdf")
