"""`make chaos` in its short form: 200 invoices, fewer kills, every check must pass."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.chaos.run import main
from bench.chaos.servers import PG_BIN

pytestmark = pytest.mark.e2e


@pytest.mark.skipif(
    not (PG_BIN / "initdb").exists() or shutil.which("redis-server") is None,
    reason="the chaos run starts its own PostgreSQL and Redis",
)
def test_nothing_lost_nothing_sent_twice_whatever_breaks(tmp_path: Path) -> None:
    result_path = tmp_path / "chaos.json"
    code = main(["--short", "--json", str(result_path)])
    result = json.loads(result_path.read_text())
    failed = [c for c in result["checks"] if not c["passed"]]
    assert not failed, json.dumps(failed, indent=2)
    assert code == 0
    names = {c["check"] for c in result["checks"]}
    assert len(names) == 8
    assert result["invoices"] == 200
    injected = result["injected"]
    assert injected["worker SIGKILLed (started again)"] >= 5
    assert any(k.startswith("Redis stopped") for k in injected)
    assert any(k.startswith("PostgreSQL restarted") for k in injected)
