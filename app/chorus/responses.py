"""What every Chorus Pro and PISTE answer goes through: JSON reading, logging, throttling."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable
from decimal import Decimal
from typing import Any

import httpx

from app.chorus.errors import ChorusProtocolError, ChorusUnavailableError
from app.kit.retry_after import parse_retry_after

logger = logging.getLogger("app.chorus")

JsonObject = dict[str, Any]


def json_object(response: httpx.Response) -> JsonObject | None:
    """The answer's JSON object, or None; amounts stay exact (`Decimal`, never float)."""
    try:
        data = json.loads(response.text, parse_float=Decimal)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def raise_if_unavailable(operation: str, response: httpx.Response, what: str = "") -> None:
    """408, 429 and 5xx mean "try again later", after the server's Retry-After if sane."""
    status = response.status_code
    if status in (408, 429) or status >= 500:
        raise ChorusUnavailableError(
            f"{what}HTTP {status}",
            operation=operation,
            http_status=status,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )


async def send(
    operation: str,
    request: Awaitable[httpx.Response],
    *,
    name: str = "",
    keep_cause: bool = True,
) -> tuple[httpx.Response, float]:
    """Await one HTTP exchange: its answer and duration, or a typed, logged failure.

    A timeout or a transport failure is `ChorusUnavailableError`. `keep_cause=False` drops
    the httpx error, whose request may hold a secret (the token form).
    """
    started = time.perf_counter()
    try:
        response = await request
    except httpx.TimeoutException as exc:
        log_failure(operation, started, exc)
        raise ChorusUnavailableError(
            f"{name}timed out ({type(exc).__name__})", operation=operation
        ) from (exc if keep_cause else None)
    except httpx.TransportError as exc:
        log_failure(operation, started, exc)
        detail = f"{type(exc).__name__}: {exc}" if keep_cause else type(exc).__name__
        raise ChorusUnavailableError(f"{name}unreachable ({detail})", operation=operation) from (
            exc if keep_cause else None
        )
    except httpx.RequestError as exc:
        log_failure(operation, started, exc)
        raise ChorusProtocolError(
            f"{name}unreadable answer ({type(exc).__name__})", operation=operation
        ) from (exc if keep_cause else None)
    return response, elapsed_ms(started)


def elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def log_call(operation: str, status: int, duration_ms: float, code: int | None = None) -> None:
    logger.info(
        "chorus %s -> HTTP %s in %.0f ms codeRetour=%s",
        operation,
        status,
        duration_ms,
        code,
        extra={
            "chorus_operation": operation,
            "http_status": status,
            "duration_ms": round(duration_ms, 1),
            "code_retour": code,
        },
    )


def log_failure(operation: str, started: float, exc: Exception) -> None:
    duration_ms = elapsed_ms(started)
    logger.warning(
        "chorus %s failed after %.0f ms: %s",
        operation,
        duration_ms,
        type(exc).__name__,
        extra={
            "chorus_operation": operation,
            "duration_ms": round(duration_ms, 1),
            "error": type(exc).__name__,
        },
    )
