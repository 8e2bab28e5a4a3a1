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


async def play_fault(state: SimulatorState, operation: str) -> Response | None:
    """Play the next injected fault for this operation: wait, then answer its status if any."""
    async with state.lock:
        fault = state.take_fault(operation)
    if fault is None:
        return None
    if fault.delay_seconds > 0:
        await asyncio.sleep(fault.delay_seconds)
    if fault.status is None:
        return None
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
        return await operation.handler(ctx, body)
    except BadRequest as exc:
        return exc.response()
