"""`render`: the one entry point the deposit code uses, whatever the syntax."""

from __future__ import annotations

import dataclasses

import pytest

from app.formats import (
    MAX_FILE_NAME_LENGTH,
    RenderedInvoice,
    Syntax,
    UnsupportedSyntaxError,
    file_name_for,
    render,
)
from app.formats.cii import build_cii
from app.invoices.document import InvoiceDocument

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


def test_rendered_invoice_is_frozen(minimal_document: InvoiceDocument) -> None:
    rendered = render(minimal_document)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rendered.file_name = "other.xml"  # type: ignore[misc]


def test_file_name_replaces_unsafe_characters() -> None:
    rendered = render(DOCUMENTS["full"], Syntax.CII_D16B)
    assert rendered.file_name == "cii_F-2024_0042_B.xml"


@pytest.mark.parametrize("syntax", [Syntax.UBL_INVOICE, Syntax.FACTURX])
def test_other_syntaxes_are_refused_clearly(
    minimal_document: InvoiceDocument, syntax: Syntax
) -> None:
    with pytest.raises(UnsupportedSyntaxError, match=syntax.value) as excinfo:
        render(minimal_document, syntax)
    assert isinstance(excinfo.value, ValueError)


def test_file_name_is_capped() -> None:
    name = file_name_for("x" * 500, "cii", "xml")
    assert len(name) == MAX_FILE_NAME_LENGTH
    assert name.startswith("cii_xxx")
    assert name.endswith(".xml")
