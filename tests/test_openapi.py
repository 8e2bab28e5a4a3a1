"""openapi/openapi.json is generated from the app; regenerate with `make openapi`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from jsonschema_rs import Draft202012Validator  # comes with schemathesis

from app.config import Settings
from app.kit.errors import PROBLEM_JSON
from app.main import create_app

SPEC = Path(__file__).parents[1] / "openapi" / "openapi.json"


def test_openapi_document_matches_the_app() -> None:
    generated = create_app(Settings()).openapi()
    committed = json.loads(SPEC.read_text(encoding="utf-8"))
    assert committed == generated, "openapi/openapi.json drifted: run `make openapi`"


def _operation(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    operation: dict[str, Any] = spec["paths"][path][method.lower()]
    return operation


async def test_error_bodies_are_the_problems_the_document_describes(
    client: httpx.AsyncClient,
) -> None:
    """Real error answers, each checked against its operation's documented response."""
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    validator = Draft202012Validator(
        {"$ref": "#/components/schemas/Problem", "components": spec["components"]}
    )
    missing = "/v1/invoices/00000000-0000-0000-0000-000000000000"
    deep = b"[" * 100_000 + b"]" * 100_000
    calls: list[tuple[str, str, str, dict[str, Any]]] = [
        ("GET", missing, "/v1/invoices/{invoice_id}", {}),
        ("GET", "/v1/invoices", "/v1/invoices", {"headers": {"Authorization": "Bearer nope"}}),
        ("GET", "/v1/invoices", "/v1/invoices", {"params": {"cursor": "not-a-cursor"}}),
        ("GET", "/v1/invoices", "/v1/invoices", {"params": {"status": "x\0"}}),
        ("POST", "/v1/invoices/validate", "/v1/invoices/validate", {"json": {"number": 1}}),
        ("POST", "/v1/invoices/validate", "/v1/invoices/validate", {"content": deep}),
        (
            "POST",
            "/v1/invoices",
            "/v1/invoices",
            {"content": b"{}", "headers": {"Content-Type": "text/plain"}},
        ),
        (
            "POST",
            "/v1/invoices",
            "/v1/invoices",
            {"content": b"x" * (16 * 1024 * 1024), "headers": {"Content-Type": "application/json"}},
        ),
    ]
    seen = set()
    for method, url, path, options in calls:
        if "content" in options and "headers" not in options:
            options["headers"] = {"Content-Type": "application/json"}
        response = await client.request(method, url, **options)
        status = str(response.status_code)
        seen.add(status)
        documented = _operation(spec, method, path)["responses"]
        assert status in documented, f"{method} {path} answered {status}, undocumented"
        assert set(documented[status]["content"]) == {PROBLEM_JSON}
        assert response.headers["content-type"] == PROBLEM_JSON
        problem = response.json()
        validator.validate(problem)
        assert problem["status"] == response.status_code
    assert seen == {"400", "401", "404", "413", "415", "422"}
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            for status, answer in operation["responses"].items():
                if status[0] in "45" and path.startswith("/v1/"):
                    assert set(answer["content"]) == {PROBLEM_JSON}, (path, status)
