"""The code stays typed and linted: ruff and mypy run as part of the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_lint_and_format() -> None:
    paths = ["app", "tests", "bench", "migrations/env.py"]
    lint = run(str(BIN / "ruff"), "check", *paths)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = run(str(BIN / "ruff"), "format", "--check", *paths)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_strict_on_app() -> None:
    result = run(str(BIN / "mypy"), "app")
    assert result.returncode == 0, result.stdout + result.stderr
