"""Every route of the API, under /v1 and behind an API key, and the errors it documents."""

import json
from typing import Any

from fastapi import APIRouter

from app.access.deps import AUTH_PROBLEMS
from app.access.router import router as api_keys_router
from app.actions.router import router as invoice_actions_router
from app.directory.router import router as directory_router
from app.intake.router import router as intake_router
from app.invoices.router import router as invoices_router
from app.kit.errors import PROBLEM_JSON
from app.kit.frontdoor import BODY_PROBLEMS, MEDIA_TYPE_PROBLEMS, STATE_CHANGING
from app.suppliers.router import router as suppliers_router
from app.webhooks.router import router as webhooks_router

api_router = APIRouter(prefix="/v1", responses=AUTH_PROBLEMS)
api_router.include_router(intake_router)
api_router.include_router(invoices_router)
api_router.include_router(invoice_actions_router)
api_router.include_router(webhooks_router)
api_router.include_router(suppliers_router)
api_router.include_router(directory_router)
api_router.include_router(api_keys_router)

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
API_PROBLEMS: dict[str, str] = {
    "422": "A field is not valid (a NUL character in a query, path or header included); "
    "`errors` names each one",
    "503": "The database or Redis does not answer, or the process serves as many requests "
    "as it takes; nothing was changed, try again after `Retry-After`",
}
CURSOR_PROBLEM = "The cursor is not one this list gave, or a malformed request"


def describe_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Every error the API answers, as `application/problem+json` with the Problem schema.

    The front door's answers are added to every `/v1` operation (415 to the state-changing
    ones), 422 and 503 too, 404 to those with a path parameter, and the cursor's 400 to the
    lists read with one. FastAPI's own validation-error schemas, never answered, are dropped.
    """
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            added = BODY_PROBLEMS | API_PROBLEMS
            if method.upper() in STATE_CHANGING:
                added |= MEDIA_TYPE_PROBLEMS
            if "{" in path:
                added["404"] = "Not found (or not visible to this API key)"
            if "cursor" in {p.get("name") for p in operation.get("parameters", [])}:
                added["400"] = CURSOR_PROBLEM
            for status, description in added.items():
                responses.setdefault(status, {"description": description})
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
            operation["responses"] = dict(sorted(responses.items()))
    components = schema.get("components", {}).get("schemas", {})
    text = json.dumps(schema.get("paths", {}))
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in components and f'/{unused}"' not in text:
            del components[unused]
    return schema
