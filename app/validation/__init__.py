"""The gateway's rule engine: every EN 16931 and Chorus Pro rule that applies to the model.

`validate` runs all of them and returns every violation at once (an ERP fixes an invoice in
one round trip, not one per rule), each with the official rule id, the JSON path and a message
in English and French. The official EN 16931 artefacts (`schematron`: bundled, or a newer
release in `EN16931_SCHEMATRON_DIR`) run on the bytes to deposit, failing closed.
The rules are listed, with those that do not apply, in docs/validation-rules.md.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Final

from app.document import InvoiceDocument
from app.kit.errors import FieldError
from app.validation import (  # noqa: F401  (importing them registers the rules)
    calculation,
    chorus,
    core,
    inapplicable,
    vat,
)
from app.validation.context import build_context
from app.validation.payload import check_payload, schema_errors, schema_rule_id
from app.validation.registry import NOT_APPLICABLE, RULES, Family, NotApplicable, Rule
from app.validation.schematron import (
    SchematronUnavailable,
    SchematronValidator,
    official_rules,
    run_configured_schematron,
)

__all__ = [
    "NOT_APPLICABLE",
    "RULES",
    "Family",
    "NotApplicable",
    "Rule",
    "SchematronUnavailable",
    "SchematronValidator",
    "check_payload",
    "check_rules",
    "official_rules",
    "schema_errors",
    "schema_rule_id",
    "validate",
]

_FAMILIES: Final = list(Family)
_ORDERED: Final = tuple(sorted(RULES.values(), key=lambda rule: _FAMILIES.index(rule.family)))
"""Core rules first, then calculations, VAT, Chorus Pro, gateway; registration order within."""
_POSITION: Final = {rule.id: position for position, rule in enumerate(_ORDERED)}
_INDEX: Final = re.compile(r"\[(\d+)\]")
_TOP: Final = re.compile(r"[.\[]")
_FIELD_ORDER: Final = {name: order for order, name in enumerate(InvoiceDocument.model_fields)}


def _pad(match: re.Match[str]) -> str:
    return f"[{int(match[1]):08d}]"


def _sort_key(error: FieldError) -> tuple[int, str, int]:
    """In the document's own field order (number, dates, parties... lines, totals), then by
    path with indices compared as numbers (lines[2] before lines[10]), then by rule."""
    top = _TOP.split(error.field, maxsplit=1)[0]
    return (
        _FIELD_ORDER.get(top, len(_FIELD_ORDER)),
        _INDEX.sub(_pad, error.field),
        _POSITION.get(error.code or "", len(_POSITION)),
    )


def check_rules(document: InvoiceDocument, *, today: date) -> list[FieldError]:
    """Our own rules only: pure, fast, no I/O (the benchmark and the corpus measure this)."""
    context = build_context(document, today)
    errors = [rule.error(path, params) for rule in _ORDERED for path, params in rule.check(context)]
    errors.sort(key=_sort_key)
    return errors


def validate(
    document: InvoiceDocument,
    *,
    today: date,
    official_rules: Path | None = None,
    official: SchematronValidator | None = None,
) -> list[FieldError]:
    """Every violation of the invoice, in document order; an empty list means it may be sent.

    `today` is the deposit day in Chorus Pro's calendar (Europe/Paris). `official_rules` is
    the folder of the official CEN artefacts (`EN16931_SCHEMATRON_DIR`), run after ours;
    raises `SchematronUnavailable` when they are given but cannot run. `official` is a
    validator to run instead (`official_rules(None)`: the bundled artefacts).
    """
    errors = check_rules(document, today=today)
    if errors:
        return errors
    if official is not None:
        return official.check_document(document)
    return run_configured_schematron(document, official_rules)
