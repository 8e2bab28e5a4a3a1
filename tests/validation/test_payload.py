"""Raw JSON: shape errors that are also rules come back under the rule's id."""

from __future__ import annotations

from app.validation import check_payload, schema_rule_id

from .conftest import TODAY, payload


def codes(data: dict[str, object]) -> set[tuple[str, str | None]]:
    document, errors = check_payload(data, today=TODAY)
    assert (document is None) == bool(errors) or document is not None
    return {(e.field, e.code) for e in errors}


def test_valid_payload_gives_the_document_and_no_error() -> None:
    document, errors = check_payload(payload(), today=TODAY)
    assert document is not None and errors == []


def test_siret_iban_and_missing_parts_keep_their_rule_ids() -> None:
    def breaking(p: dict[str, object]) -> None:
        p["supplier"]["siret"] = "81234567600018"  # type: ignore[index]
        p["recipient"]["siret"] = "123"  # type: ignore[index]
        p["payment"]["iban"] = "FR7630006000011234567890188"  # type: ignore[index]
        p["number"] = "N" * 51
        del p["lines"][0]["name"]  # type: ignore[index]
        p["quantity_typo"] = 1

    assert codes(payload(breaking)) == {
        ("supplier.siret", "CPP-SIRET-01"),
        ("recipient.siret", "CPP-SIRET-01"),
        ("payment.iban", "CPP-IBAN-02"),
        ("number", "CPP-NUM-01"),
        ("lines[0].name", "BR-25"),
        ("quantity_typo", "extra_forbidden"),  # no rule: pydantic's type stays the code
    }


def test_rule_ids_carry_both_messages() -> None:
    _, errors = check_payload(payload(lambda p: p.update(lines=[])), today=TODAY)
    (error,) = errors
    assert (error.field, error.code) == ("lines", "BR-16")
    assert error.message and error.message_fr


def test_schema_rule_lookup_ignores_indices() -> None:
    assert schema_rule_id("attachments[3].file_name", "string_too_long") == "CPP-ATT-01"
    assert schema_rule_id("lines[12].unit_price", "missing") == "BR-26"
    assert schema_rule_id("lines[0].unit_price", "decimal_parsing") is None


def test_business_rules_run_once_the_shape_is_right() -> None:
    assert codes(payload(lambda p: p.update(service_code="FACTURES_PUBLIQUES"))) == {
        ("service_code", "CPP-SRV-01")
    }
