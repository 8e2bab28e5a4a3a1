"""Loading tests/fixtures/invoices/*.json: `{description, expect_rules, document[, expand]}`.

`expand` keeps huge attachments out of the repository: it maps a JSON path of the document to
`{"zero_bytes": N}`, replaced at load time by the base64 of N zero bytes (the 10 MB and 120 MB
Chorus Pro limits).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parents[1] / "fixtures" / "invoices"
_PART = re.compile(r"[^.\[\]]+|\[\d+\]")


@dataclass(frozen=True)
class Fixture:
    name: str
    description: str
    expect_rules: list[str]
    document: dict[str, Any]

    @property
    def valid(self) -> bool:
        return not self.expect_rules


@cache
def _zeros(size: int) -> str:
    return base64.b64encode(bytes(size)).decode("ascii")


def _expand(document: dict[str, Any], spec: dict[str, dict[str, int]]) -> None:
    for path, how in spec.items():
        parts = _PART.findall(path)
        target: Any = document
        for part in parts[:-1]:
            target = target[int(part[1:-1])] if part.startswith("[") else target[part]
        last = parts[-1]
        value = _zeros(how["zero_bytes"])
        if last.startswith("["):
            target[int(last[1:-1])] = value
        else:
            target[last] = value


def load(path: Path) -> Fixture:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) <= {"description", "expect_rules", "document", "expand"}, path.name
    document = data["document"]
    if "expand" in data:
        _expand(document, data["expand"])
    return Fixture(path.stem, data["description"], list(data["expect_rules"]), document)


def expands(name: str) -> bool:
    """Whether the fixture has huge generated content (read without generating it)."""
    return "expand" in json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def names() -> list[str]:
    return sorted(path.stem for path in FIXTURES.glob("*.json"))


def fixture(name: str) -> Fixture:
    return load(FIXTURES / f"{name}.json")
