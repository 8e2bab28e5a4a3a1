"""Every generated XML of every shape validates against the official XSDs, credit notes too.

Shapes: the hand-made samples and every document of the shared fixture corpus
(tests/fixtures/invoices) the model accepts. Our cached validators run on all of them; the
factur-x package's own check (which compiles the XSD each time) confirms a few.
"""

from __future__ import annotations

import facturx
import pytest

from app.document import InvoiceDocument
from app.formats.cii import build_cii, build_cii_tree, validate_cii
from app.formats.names import UBL_CREDIT_NOTE_ROOT, UBL_INVOICE_ROOT
from app.formats.ubl import UblValidationError, build_ubl, build_ubl_tree, validate_ubl

from .samples import DOCUMENTS, all_documents

ALL = all_documents()


@pytest.mark.parametrize("name", sorted(ALL))
def test_cii_matches_the_facturx_en16931_xsd(name: str) -> None:
    validate_cii(build_cii_tree(ALL[name]))


@pytest.mark.parametrize("name", sorted(ALL))
def test_ubl_matches_the_ubl_21_maindoc_xsd(name: str) -> None:
    document = ALL[name]
    root = build_ubl_tree(document)
    expected = UBL_CREDIT_NOTE_ROOT if document.type_code == "381" else UBL_INVOICE_ROOT
    assert root.tag == expected
    validate_ubl(root)


@pytest.mark.parametrize("name", ["everything", "credit_note", "corrective", "prepayment"])
def test_factur_x_package_agrees(name: str) -> None:
    document = DOCUMENTS[name]
    assert facturx.xml_check_xsd(build_cii(document), flavor="factur-x", level="en16931")
    flavor = "ubl-2.1-creditnote" if document.type_code == "381" else "ubl-2.1-invoice"
    assert facturx.xml_check_xsd(build_ubl(document), flavor=flavor)


def test_the_shapes_cover_every_document_type() -> None:
    assert {d.type_code for d in DOCUMENTS.values()} == {"380", "381", "384", "386"}
    assert {d.billing_frame for d in DOCUMENTS.values()} == {
        "A1_FACTURE_FOURNISSEUR",
        "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE",
        "A9_FACTURE_SOUSTRAITANT",
        "A12_FACTURE_COTRAITANT",
    }
    categories = {line.vat_category for d in DOCUMENTS.values() for line in d.lines}
    assert categories == {"S", "Z", "E", "AE", "K", "G", "O"}


def test_every_model_field_is_set_by_some_sample() -> None:
    """A field no sample sets is a field no test renders: keep the samples complete."""

    def unset(model: type, documents: list[object]) -> set[str]:
        fields = set(model.model_fields)  # type: ignore[attr-defined]
        for doc in documents:
            fields -= doc.model_fields_set  # type: ignore[attr-defined]
        return fields

    documents = list(DOCUMENTS.values())
    # not written to the XML: the syntax choice, declared totals, the Factur-X visible pages
    assert unset(InvoiceDocument, documents) == {"syntax", "totals", "visual_pdf"}
    lines = [line for d in documents for line in d.lines]
    assert unset(type(lines[0]), lines) == set()
    parties = [p for d in documents for p in (d.supplier, d.recipient)]
    assert unset(type(parties[0]), parties) == set()


def test_validator_reports_a_broken_ubl(minimal_document: InvoiceDocument) -> None:
    root = build_ubl_tree(minimal_document)
    root.remove(root[2])  # cbc:ID is mandatory
    with pytest.raises(UblValidationError, match="ID"):
        validate_ubl(root)
