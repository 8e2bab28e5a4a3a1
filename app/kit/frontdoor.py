"""The front door: what every request goes through before any route (pure ASGI).

A request body is read here, whole, before the application sees it: its size is capped
(413 from the Content-Length alone, or as soon as a chunked body passes the cap), its
sender has a deadline (408), and a client that goes away is one INFO line. The body is
spooled (to disk past `SPOOL_MEMORY_BYTES`) and replayed to the application, which thus
never waits on a client. JSON bodies are bounded in depth and refused with a `\\u0000`
(PostgreSQL stores no NUL in text or JSONB), as are a query, a path or a header holding
one. State-changing requests carry JSON or multipart only (415). Every answer gets
`X-Content-Type-Options: nosniff` and `Cache-Control: no-store`, and no `server` banner.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.kit.errors import PROBLEM_BASE, PROBLEM_JSON, FieldError, Problem

logger = logging.getLogger(__name__)

ACCEPTED_MEDIA_TYPES = ("application/json", "multipart/form-data")
"""What a state-changing request may carry: nothing a cross-site HTML form can send."""
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_JSON_DEPTH = 64  # an invoice is 5 deep; this leaves room and keeps the parsers safe
SPOOL_MEMORY_BYTES = 1024 * 1024
REPLAY_CHUNK_BYTES = 64 * 1024
OVERLOAD_RETRY_AFTER = 1  # seconds: requests in flight take milliseconds
NUL_MESSAGE = "contains a NUL character (\\u0000), which cannot be stored"

_STRING_OR_BRACKET = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


@dataclass(frozen=True)
class FrontDoorPolicy:
    max_body_bytes: int
    body_timeout: timedelta
    max_in_flight: int | None = None  # requests served at once; beyond, 503 at once


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON text nests arrays and objects deeper than `limit` (strings skipped)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # the usual case: no scan at all
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def nul_fields(data: Any, path: str = "") -> Iterator[str]:
    """The JSON paths (`lines[0].description`) of the strings or keys that hold a NUL."""
    if isinstance(data, str):
        if "\x00" in data:
            yield path or "(body)"
    elif isinstance(data, dict):
        for key, value in data.items():
            child = f"{path}.{key}" if path else str(key)
            if "\x00" in key:
                yield child
            else:
                yield from nul_fields(value, child)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from nul_fields(value, f"{path}[{index}]")


def _problem(status: int, slug: str, title: str, detail: str | None = None) -> Problem:
    return Problem(type=PROBLEM_BASE + slug, title=title, status=status, detail=detail)


def _unprocessable(fields: list[str]) -> Problem:
    problem = _problem(422, "validation-error", "The request is not valid", NUL_MESSAGE)
    problem.errors = [FieldError(field=f, message=NUL_MESSAGE, code="nul") for f in fields]
    return problem


def _overloaded(limit: int) -> Problem:
    return _problem(
        503,
        "overloaded",
        "The gateway is serving as many requests as it takes; nothing was changed",
        f"{limit} requests at once in this process; try again in a second",
    )


async def _answer(
    send: Send, problem: Problem, path: str, close: bool = False, retry_after: int | None = None
) -> None:
    problem.instance = path
    body = problem.model_dump_json(exclude_none=True).encode()
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", b"%d" % len(body))]
    if close:
        headers.append((b"connection", b"close"))
    if retry_after is not None:
        headers.append((b"retry-after", b"%d" % retry_after))
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _secured(send: Send) -> Send:
    async def secured_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
            names = {k.lower() for k, _ in headers}
            if b"x-content-type-options" not in names:
                headers.append((b"x-content-type-options", b"nosniff"))
            if b"cache-control" not in names:  # invoices and secrets: never in a cache
                headers.append((b"cache-control", b"no-store"))
            message = {**message, "headers": headers}
        await send(message)

    return secured_send


def _nul_outside_body(scope: Scope) -> list[str]:
    """Query parameters, the path and headers holding a NUL, named as FastAPI names them."""
    fields: list[str] = []
    if "\x00" in scope.get("path", ""):
        fields.append("path")
    query = scope.get("query_string", b"").decode("latin-1")
    if "%00" in query or "\x00" in query:
        for name, value in parse_qsl(query, keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                fields.append(f"query:{name.replace(chr(0), '')}")
    for name, value in scope.get("headers", []):
        if b"\x00" in value:
            fields.append("header:" + name.decode("latin-1"))
    return fields


class _BodyTooLarge(Exception):
    pass


class _ClientGone(Exception):
    def __init__(self, received: int) -> None:
        self.received = received


class FrontDoor:
    """Pure ASGI middleware; see the module's docstring."""

    def __init__(self, app: ASGIApp, policy: FrontDoorPolicy) -> None:
        self.app = app
        self.policy = policy
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _secured(send)
        path: str = scope.get("path", "")
        limit = self.policy.max_in_flight
        if limit is not None and self.in_flight >= limit:
            await _answer(send, _overloaded(limit), path, retry_after=OVERLOAD_RETRY_AFTER)
            return
        self.in_flight += 1
        try:
            await self._serve(scope, receive, send, path)
        finally:
            self.in_flight -= 1

    async def _serve(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        nul = _nul_outside_body(scope)
        if nul:
            await _answer(send, _unprocessable(nul), path)
            return
        headers = {k.lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        length_header = headers.get(b"content-length")
        chunked = "chunked" in headers.get(b"transfer-encoding", "").lower()
        has_body = chunked or (length_header is not None and length_header.strip() != "0")
        media_type = headers.get(b"content-type", "").split(";")[0].strip().lower()
        if (
            scope["method"] in STATE_CHANGING
            and (has_body or media_type)
            and media_type not in ACCEPTED_MEDIA_TYPES
        ):
            problem = _problem(
                415,
                "unsupported-media-type",
                "Send application/json (or multipart/form-data for a file upload)",
                f"the body is {media_type or 'of no declared type'}",
            )
            await _answer(send, problem, path, close=has_body)
            return
        if not has_body:
            await self.app(scope, receive, send)
            return
        if length_header is not None and not chunked:
            try:
                length = int(length_header)
            except ValueError:
                length = -1
            if length < 0:
                bad = _problem(400, "bad-request", "Bad request", "Content-Length is not a number")
                await _answer(send, bad, path, close=True)
                return
            if length > self.policy.max_body_bytes:
                await _answer(send, self._too_large(), path, close=True)
                return
        await self._read_then_call(scope, receive, send, path, media_type, length_header)

    def _too_large(self) -> Problem:
        limit = self.policy.max_body_bytes
        return _problem(
            413,
            "request-too-large",
            "The request body is larger than the gateway accepts",
            f"at most {limit} bytes (Chorus Pro takes files of at most 10 MB)",
        )

    async def _read_then_call(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        path: str,
        media_type: str,
        declared: str | None,
    ) -> None:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES) as spool:
            try:
                async with asyncio.timeout(self.policy.body_timeout.total_seconds()):
                    size = await self._spool(receive, spool)
            except TimeoutError:
                logger.info(
                    "%s %s: body not received within %s (%s bytes announced); 408",
                    scope["method"],
                    path,
                    self.policy.body_timeout,
                    declared or "chunked",
                )
                timeout = _problem(
                    408,
                    "request-timeout",
                    "The request body did not arrive in time",
                    f"send the whole body within {self.policy.body_timeout.total_seconds():g} s",
                )
                await _answer(send, timeout, path, close=True)
                return
            except _BodyTooLarge:
                await _answer(send, self._too_large(), path, close=True)
                return
            except _ClientGone as gone:
                logger.info(
                    "%s %s: the client went away after %d of %s bytes",
                    scope["method"],
                    path,
                    gone.received,
                    declared or "chunked",
                )
                return
            if media_type == "application/json":
                problem = _json_problem(spool, size)
                if problem is not None:
                    await _answer(send, problem, path)
                    return
            spool.seek(0)
            await self.app(scope, _replay(spool, size, receive), send)

    async def _spool(self, receive: Receive, spool: IO[bytes]) -> int:
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone(size)
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.policy.max_body_bytes:
                raise _BodyTooLarge
            spool.write(chunk)
            if not message.get("more_body", False):
                return size


def _json_problem(spool: IO[bytes], size: int) -> Problem | None:
    """A JSON body too deep for the parsers, or holding a NUL; None when it may go on."""
    spool.seek(0)
    body = spool.read(size)
    if json_too_deep(body):
        problem = _problem(
            422,
            "validation-error",
            "The request is not valid",
            f"the JSON nests deeper than {MAX_JSON_DEPTH} levels",
        )
        problem.errors = [FieldError(field="(body)", message="nested too deep", code="depth")]
        return problem
    if b"\\u0000" not in body:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None  # not JSON: the route says so
    fields = list(nul_fields(data))
    return _unprocessable(fields) if fields else None


def _replay(spool: IO[bytes], size: int, receive: Receive) -> Receive:
    """The spooled body in chunks, then the client's own messages (its disconnect)."""
    remaining = size

    async def replay() -> Message:
        nonlocal remaining
        if remaining < 0:
            return await receive()
        chunk = spool.read(min(REPLAY_CHUNK_BYTES, remaining))
        remaining -= len(chunk)
        more = remaining > 0
        if not more:
            remaining = -1
        return {"type": "http.request", "body": chunk, "more_body": more}

    return replay


BODY_PROBLEMS: dict[str, str] = {
    "400": "A malformed request (a Content-Length that is not a number)",
    "408": "The body did not arrive within the configured time",
    "413": "The body is larger than the configured cap (sized from Chorus Pro's 10 MB)",
}
"""What the front door may answer to any request that sends a body, whatever its method."""
MEDIA_TYPE_PROBLEMS: dict[str, str] = {
    "415": "The body is neither application/json nor multipart/form-data",
}
"""What it answers to a state-changing request only."""
