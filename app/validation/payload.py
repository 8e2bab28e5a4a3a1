"""From raw JSON to rule ids: the shape errors that are also business rules keep their id.

`InvoiceDocument` itself refuses a SIRET failing the Luhn check, an invalid IBAN, a number over
50 characters or a missing line, before any rule can run. Those are EN 16931 or Chorus Pro rules
too, so `schema_errors` names them by rule id (CPP-SIRET-01, CPP-IBAN-02, BR-16...) instead of
pydantic's error type; other shape errors keep the pydantic type as their code, as the API's
422 does today.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from pydantic import ValidationError

from app.document import InvoiceDocument
from app.kit.errors import FieldError, field_path
from app.validation.registry import RULES

_INDEX: Final = re.compile(r"\[\d+\]")
_MISSING: Final = frozenset({"missing", "string_too_short", "too_short"})

SCHEMA_RULES: Final[dict[tuple[str, str], str]] = {
    ("supplier.siret", "value_error"): "CPP-SIRET-01",
    ("recipient.siret", "value_error"): "CPP-SIRET-01",
    ("payment.iban", "value_error"): "CPP-IBAN-02",
    ("number", "string_too_long"): "CPP-NUM-01",
    ("service_code", "string_too_long"): "CPP-SRV-02",
    ("engagement_number", "string_too_long"): "CPP-EJ-01",
    ("attachments[].file_name", "string_too_long"): "CPP-ATT-01",
    **{
        (path, kind): rule_id
        for path, rule_id in (
            ("number", "BR-02"),
            ("issue_date", "BR-03"),
            ("supplier.name", "BR-06"),
            ("recipient.name", "BR-07"),
            ("lines", "BR-16"),
            ("lines[].quantity", "BR-22"),
            ("lines[].name", "BR-25"),
            ("lines[].unit_price", "BR-26"),
            ("attachments[].id", "BR-52"),
            ("preceding_invoices[].number", "BR-55"),
        )
        for kind in _MISSING
    },
}
"""(JSON path with indices removed, pydantic error type) -> rule id."""


def schema_rule_id(path: str, error_type: str) -> str | None:
    """The rule a shape error also breaks, if any (for the API's 422 handler, for instance)."""
    return SCHEMA_RULES.get((_INDEX.sub("[]", path), error_type))


def schema_errors(exc: ValidationError) -> list[FieldError]:
    errors = []
    for error in exc.errors(include_url=False):
        path = field_path(error["loc"])
        rule_id = schema_rule_id(path, error["type"])
        rule = RULES.get(rule_id) if rule_id else None
        if rule is not None:
            errors.append(
                FieldError(
                    field=path, code=rule.id, message=rule.message, message_fr=rule.message_fr
                )
            )
        else:
            errors.append(FieldError(field=path, code=error["type"], message=error["msg"]))
    return errors


def check_payload(
    data: Mapping[str, Any], *, today: date
) -> tuple[InvoiceDocument | None, list[FieldError]]:
    """Parse and validate raw JSON: the document (None if unreadable) and every error found."""
    from app.validation import validate

    try:
        document = InvoiceDocument.model_validate(data)
    except ValidationError as exc:
        return None, schema_errors(exc)
    return document, validate(document, today=today)
