"""The PISTE gateway in front of Chorus Pro: route table, authentication, faults, body parsing.

The order of checks follows what was observed live (API.md 1.5): a bad token is refused
first, then an undeclared route gets 403, then a bad `cpro-account` gets 401.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request, Response

from app.simulator.auth import account_rejection, token_rejection
from app.simulator.chorus import INVOICE_OPERATIONS, Context, Operation
from app.simulator.payloads import BadRequest, parse_object
from app.simulator.state import SimulatorState
from app.simulator.structures import DIRECTORY_OPERATIONS

TOKEN_OPERATION = "token"
OPERATIONS: dict[str, Operation] = {**INVOICE_OPERATIONS, **DIRECTORY_OPERATIONS}
KNOWN_OPERATIONS = frozenset({TOKEN_OPERATION} | {op.nickname for op in OPERATIONS.values()})


async def count_call(state: SimulatorState, operation: str) -> None:
    async with state.lock:
        state.calls[operation] += 1


class DroppedConnection(Response):
    """Starts an answer and abandons it: the server closes the connection mid-response."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
        )
        await send({"type": "http.response.body", "body": b"{", "more_body": True})


async def play_fault(
    state: SimulatorState, operation: str, processed: Response | None = None
) -> Response | None:
    """Play the next injected fault for this operation: wait, then drop the connection or
    answer its status. `processed`: the answer of a call already processed (after-faults),
    which a fault without status or drop delivers late."""
    async with state.lock:
        fault = state.take_fault(operation, after=processed is not None)
    if fault is None:
        return processed
    if fault.delay_seconds > 0:
        await asyncio.sleep(fault.delay_seconds)
    if fault.drop:
        return DroppedConnection()
    if fault.status is None:
        return processed
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    return Response(status_code=fault.status, headers=headers)


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The raw body, or None once it exceeds `limit` (checked while streaming)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


async def cpro_endpoint(request: Request, path: str, ctx: Context) -> Response:
    state = ctx.state
    operation = OPERATIONS.get(path.strip("/"))
    if operation is not None and operation.method != request.method:
        operation = None  # PISTE declares routes per method: anything else is undeclared.
    if operation is not None:
        await count_call(state, operation.nickname)
    async with state.lock:
        refused = token_rejection(request, state)
    if refused is not None:
        return refused
    if operation is None:
        return Response(status_code=403)
    refused = account_rejection(request, state.settings)
    if refused is None:
        refused = await play_fault(state, operation.nickname)
    if refused is not None:
        return refused

    raw = await read_limited(request, state.settings.max_request_bytes)
    if raw is None:
        return Response(status_code=413)
    try:
        body: dict[str, Any] = {} if operation.method == "GET" else parse_object(raw)
        answer = await operation.handler(ctx, body)
    except BadRequest as exc:
        answer = exc.response()
    return await play_fault(state, operation.nickname, answer) or answer
