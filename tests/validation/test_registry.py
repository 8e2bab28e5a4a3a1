"""The registry: official ids, complete coverage of the CEN rules, every rule tested, docs."""

from __future__ import annotations

import re
from datetime import date

from app.document import InvoiceDocument
from app.kit.errors import FieldError
from app.validation import NOT_APPLICABLE, RULES, check_rules, validate
from app.validation.docs import main as docs_main

from . import (
    test_calculation_rules,
    test_chorus_rules,
    test_core_rules,
    test_file_rules,
    test_vat_rules,
)
from .conftest import TODAY, document

ID = re.compile(
    r"^(BR-\d{2}|BR-CO-\d{2}|BR-DEC-\d{2}|BR-(S|Z|E|AE|IC|G|O|AF|AG|B)-\d{2}"
    r"|CPP-[A-Z]+-\d{2}|GW-[A-Z0-9-]+)$"
)


def _range(prefix: str, numbers: range | list[int]) -> set[str]:
    return {f"{prefix}-{n:02d}" for n in numbers}


# Every rule id of the current CEN EN 16931 validation artefacts (CII and UBL share them).
OFFICIAL = (
    _range("BR", [*range(1, 34), *range(36, 39), *range(41, 58), *range(61, 67)])
    | _range("BR-CO", range(3, 28))
    | _range("BR-DEC", [1, 2, 5, 6, *range(9, 21), 23, 24, 25, 27, 28])
    | set().union(
        *(_range(f"BR-{c}", range(1, 11)) for c in ("S", "Z", "E", "AE", "G", "AF", "AG"))
    )
    | _range("BR-IC", range(1, 13))
    | _range("BR-O", range(1, 15))
    | {"BR-B-01", "BR-B-02"}
)


def test_ids_are_well_formed_and_messages_complete() -> None:
    for rule_id, rule in RULES.items():
        assert ID.match(rule_id), rule_id
        assert rule.id == rule_id and rule.paths
        assert rule.message.strip() and rule.message_fr.strip(), rule_id
        assert rule.message != rule.message_fr, rule_id
    for rule_id, entry in NOT_APPLICABLE.items():
        assert ID.match(rule_id) and entry.reason.strip(), rule_id


def test_every_official_rule_is_implemented_or_explained() -> None:
    assert OFFICIAL - RULES.keys() - NOT_APPLICABLE.keys() == set()
    assert not RULES.keys() & NOT_APPLICABLE.keys()


def test_every_rule_has_a_unit_test() -> None:
    cases = [*test_core_rules.CASES, *test_calculation_rules.CASES, *test_chorus_rules.CASES]
    tested = {case[0] for case in cases} | {code for case in cases for code, _ in case[2]}
    tested |= test_vat_rules.EXERCISED | test_chorus_rules.EXERCISED | test_file_rules.EXERCISED
    assert RULES.keys() - tested == set()


def test_every_violation_is_reported_not_just_the_first() -> None:
    doc = document(
        lambda p: p.update(
            number="FA 2026 #42 TROP LONG POUR CHORUS",
            issue_date="2026-12-01",
            service_code="FACTURES_PUBLIQUES",
            lines=[
                {"name": f"Article {i}", "quantity": "1", "unit_price": "10", "vat_rate": "0"}
                for i in range(12)
            ],
        )
    )
    errors = check_rules(doc, today=TODAY)
    codes = [(e.field, e.code) for e in errors]
    assert ("number", "CPP-NUM-01") in codes
    assert ("issue_date", "CPP-DATE-01") in codes
    assert ("service_code", "CPP-SRV-01") in codes
    rates = [field for field, code in codes if code == "BR-S-05"]
    assert rates == [f"lines[{i}].vat_rate" for i in range(12)]  # numeric, not text, order


def test_errors_are_sorted_by_path_then_rule_order() -> None:
    doc = document(lambda p: p.update(allowances=[{"amount": "10"}]))
    errors = check_rules(doc, today=TODAY)
    assert [(e.field, e.code) for e in errors] == [
        ("allowances[0].reason", "BR-33"),
        ("allowances[0].reason", "BR-CO-21"),
        ("allowances[0].vat_category", "BR-32"),
    ]
    assert check_rules(doc, today=TODAY) == errors  # stable from one call to the next


def test_validate_without_artefacts_is_the_rules(base_document: InvoiceDocument) -> None:
    assert validate(base_document, today=TODAY) == []
    future = document(lambda p: p.update(issue_date="2027-01-01", due_date=None))
    errors = validate(future, today=date(2026, 11, 26))
    assert all(isinstance(e, FieldError) for e in errors)
    assert {e.code for e in errors} == {"CPP-DATE-01"}


def test_docs_are_up_to_date() -> None:
    assert docs_main(["--check"]) == 0, "run: python -m app.validation.docs"
