"""The rule registry: one entry per official rule id, so tests and docs can enumerate them.

A rule is a plain function over a precomputed `Context` that yields `(json_path, params)` for
each violation; `params` fill the message templates. Rules never raise for bad data and never
stop the run: `validate` collects every violation of every rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from app.kit.errors import FieldError

if TYPE_CHECKING:
    from app.validation.context import Context

Params = Mapping[str, object]
Violation = tuple[str, Params]
Check = Callable[["Context"], Iterable[Violation]]

NO_PARAMS: Final[Params] = {}


class Family(StrEnum):
    """Groups in docs/validation-rules.md and in the modules of this package."""

    CORE = "EN 16931 core (BR-xx)"
    CALCULATION = "EN 16931 calculation and decimals (BR-CO, BR-DEC)"
    VAT = "EN 16931 VAT categories (BR-S/Z/E/AE/IC/G/O)"
    CHORUS = "Chorus Pro (CPP-*)"
    GATEWAY = "Gateway consistency (GW-*)"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    family: Family
    message: str
    message_fr: str
    paths: tuple[str, ...]
    check: Check

    def error(self, path: str, params: Params) -> FieldError:
        if params:
            return FieldError(
                field=path,
                code=self.id,
                message=self.message.format_map(params),
                message_fr=self.message_fr.format_map(params),
            )
        return FieldError(
            field=path, code=self.id, message=self.message, message_fr=self.message_fr
        )


@dataclass(frozen=True, slots=True)
class NotApplicable:
    """An official rule the engine does not run, and why: docs list these next to the rules."""

    id: str
    family: Family
    reason: str


RULES: dict[str, Rule] = {}
"""Every implemented rule by id, in registration order (the order `validate` runs them)."""

NOT_APPLICABLE: dict[str, NotApplicable] = {}


def register(
    rule_id: str, family: Family, *, en: str, fr: str, paths: tuple[str, ...], check: Check
) -> Rule:
    if rule_id in RULES or rule_id in NOT_APPLICABLE:
        raise ValueError(f"rule {rule_id} registered twice")
    rule = Rule(rule_id, family, en, fr, paths, check)
    RULES[rule_id] = rule
    return rule


def rule(
    rule_id: str, family: Family, *, en: str, fr: str, paths: tuple[str, ...]
) -> Callable[[Check], Check]:
    """Decorator form of `register` for a check that serves one rule id."""

    def decorate(check: Check) -> Check:
        register(rule_id, family, en=en, fr=fr, paths=paths, check=check)
        return check

    return decorate


def not_applicable(family: Family, reason: str, *rule_ids: str) -> None:
    for rule_id in rule_ids:
        if rule_id in RULES or rule_id in NOT_APPLICABLE:
            raise ValueError(f"rule {rule_id} registered twice")
        NOT_APPLICABLE[rule_id] = NotApplicable(rule_id, family, reason)


def each(paths: Iterable[str]) -> Iterable[Violation]:
    """Violations without parameters, one per path."""
    return [(path, NO_PARAMS) for path in paths]
