"""Errors as RFC 9457 problem details (`application/problem+json`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.kit.outages import unavailable_dependency

logger = logging.getLogger(__name__)

OUTAGE_RETRY_AFTER = 5  # seconds: a restart or a failover is usually over by then
OUTAGE_EXCEPTIONS: tuple[type[Exception], ...] = (
    DBAPIError,
    PoolTimeout,
    OSError,
    asyncpg.PostgresError,
    asyncpg.exceptions.InterfaceError,
    RedisError,
)
"""What a database or Redis outage raises (`unavailable_dependency` tells which it is)."""

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://chorus-gateway.dev/problems/"


class FieldError(BaseModel):
    field: str
    message: str
    code: str | None = None
    message_fr: str | None = None


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class AppError(Exception):
    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str | None = None, errors: Sequence[FieldError] | None = None):
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers: dict[str, str] | None = None

    def problem(self, instance: str | None = None) -> Problem:
        return Problem(
            type=PROBLEM_BASE + self.slug,
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
        )


class NotFound(AppError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(AppError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class SupplierNotAllowed(AppError):
    """The caller's API key does not act for this supplier."""

    status = 403
    slug = "supplier-not-allowed"
    title = "This API key may not act for this supplier"


class Unprocessable(AppError):
    status = 422
    slug = "validation-error"
    title = "The request is not valid"


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def field_path(loc: Sequence[int | str]) -> str:
    """('body', 'lines', 0, 'quantity') -> 'lines[0].quantity'; headers keep their name."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        origin = parts.pop(0)
        if origin == "header":
            return "header:" + ".".join(str(p) for p in parts)
        if origin in ("query", "path") and parts:
            return f"{origin}:{parts[0]}"
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path or "(body)"


def validation_errors(errors: Sequence[Any], prefix: tuple[str, ...] = ()) -> list[FieldError]:
    """pydantic errors as FieldErrors whose `field` is the JSON path of the value."""
    result = []
    for error in errors:
        message = str(error.get("msg", "invalid"))
        loc = (*prefix, *error.get("loc", ()))
        result.append(FieldError(field=field_path(loc), message=message, code=error.get("type")))
    return result


HTTP_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route fully matches at this path: Starlette's 405 names only the
    last route it tried, and a path is often served by several (GET and POST apart)."""
    routes = request.app.router.routes
    return [
        method
        for method in HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return problem_response(exc.problem(instance=request.url.path), headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc.errors())
        problem = Unprocessable(f"{len(errors)} field(s) are not valid", errors=errors).problem(
            instance=request.url.path
        )
        return problem_response(problem)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        problem = Problem(
            type="about:blank",
            title=str(exc.detail),
            status=exc.status_code,
            instance=request.url.path,
        )
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem_response(problem, headers=headers or None)

    async def _outage_or_bug(request: Request, exc: Exception) -> JSONResponse:
        """A server we depend on is down: 503, try again; anything else is our bug: 500."""
        dependency = unavailable_dependency(exc)
        if dependency is None:
            return await _unexpected(request, exc)
        logger.warning(
            "%s %s: the %s is unavailable (%s)",
            request.method,
            request.url.path,
            dependency,
            type(exc).__name__,
        )
        problem = Problem(
            type=PROBLEM_BASE + "service-unavailable",
            title="A server the gateway depends on is unavailable; nothing was changed",
            status=503,
            detail=f"the {dependency} does not answer; try again in a few seconds",
            instance=request.url.path,
        )
        return problem_response(problem, headers={"Retry-After": str(OUTAGE_RETRY_AFTER)})

    # Registered per class so that they answer from the exception middleware: the
    # catch-all below re-raises after answering, which closes the client's connection.
    for outage in OUTAGE_EXCEPTIONS:
        app.add_exception_handler(outage, _outage_or_bug)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        problem = Problem(
            type=PROBLEM_BASE + "internal-error",
            title="Internal server error",
            status=500,
            instance=request.url.path,
        )
        return problem_response(problem)
