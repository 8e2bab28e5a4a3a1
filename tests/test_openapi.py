"""openapi/openapi.json is generated from the app; regenerate with `make openapi`."""

from __future__ import annotations

import json
from pathlib import Path

from app.config import Settings
from app.main import create_app

SPEC = Path(__file__).parents[1] / "openapi" / "openapi.json"


def test_openapi_document_matches_the_app() -> None:
    generated = create_app(Settings()).openapi()
    committed = json.loads(SPEC.read_text(encoding="utf-8"))
    assert committed == generated, "openapi/openapi.json drifted: run `make openapi`"
