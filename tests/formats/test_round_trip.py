"""render -> parse_invoice_file gives the document back, in all three syntaxes.

Equality is exact up to the normalisations listed (and applied) in `normalise.py`.
"""

from __future__ import annotations

import facturx
import pytest

from app.formats import Syntax, render
from app.formats.cii import build_cii
from app.formats.parse import parse_invoice_file

from .normalise import comparable, expected_round_trip
from .samples import DOCUMENTS, all_documents

ALL = all_documents()


@pytest.mark.parametrize("syntax", list(Syntax), ids=lambda s: s.name)
@pytest.mark.parametrize("name", sorted(ALL))
def test_round_trip(name: str, syntax: Syntax) -> None:
    document = ALL[name]
    parsed = parse_invoice_file(render(document, syntax).content)
    assert parsed.syntax is syntax
    assert comparable(parsed.document) == comparable(expected_round_trip(document, syntax))


def test_normalisation_hides_no_loss_on_the_richest_sample() -> None:
    """On a document that sets every field, only computed values may differ after the trip."""
    document = DOCUMENTS["everything"]
    for syntax in Syntax:
        parsed = parse_invoice_file(render(document, syntax).content).document
        before, after = document.model_dump(), parsed.model_dump()
        changed = {key for key in before if before[key] != after[key]}
        assert changed <= {"syntax", "totals", "allowances", "charges", "lines"}, syntax
        for old, new in zip(before["lines"], after["lines"], strict=True):
            assert {k for k in old if old[k] != new[k]} <= {"allowances", "charges"}
        for key in ("allowances", "charges"):
            for old, new in zip(before[key], after[key], strict=True):
                assert {k for k in old if old[k] != new[k]} <= {"amount"}


@pytest.mark.parametrize("syntax", [Syntax.CII_D16B, Syntax.UBL_INVOICE], ids=lambda s: s.name)
def test_parsed_xml_is_the_file(syntax: Syntax) -> None:
    content = render(DOCUMENTS["full"], syntax).content
    assert parse_invoice_file(content).xml == content


def test_facturx_parsed_xml_is_the_embedded_cii() -> None:
    document = DOCUMENTS["credit_note"]
    pdf = render(document, Syntax.FACTURX).content
    parsed = parse_invoice_file(pdf)
    assert parsed.xml == build_cii(document)
    assert parsed.xml == facturx.get_xml_from_pdf(pdf, check_xsd=False)[1]
    assert parsed.document.syntax == Syntax.FACTURX.value


@pytest.mark.parametrize("syntax", list(Syntax), ids=lambda s: s.name)
def test_markup_characters_survive_in_texts_and_attributes(syntax: Syntax) -> None:
    tricky = "R&D \"quoted\" <tag> 'apos'\ttab"
    document = DOCUMENTS["everything"]
    attachment = document.attachments[0].model_copy(
        update={"file_name": f"{tricky}.pdf", "description": tricky, "mime_type": "text/plain"}
    )
    line = document.lines[0].model_copy(update={"name": tricky, "note": "line1\nline2"})
    changed = document.model_copy(
        update={
            "attachments": [attachment],
            "lines": [line, *document.lines[1:]],
            "payment_terms": "a\r\nb",
        }
    )
    parsed = parse_invoice_file(render(changed, syntax).content).document
    assert parsed.attachments == [attachment]
    assert (parsed.lines[0].name, parsed.lines[0].note) == (tricky, "line1\nline2")
    assert parsed.payment_terms == "a\r\nb"
