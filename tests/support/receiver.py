"""A real HTTP receiver (uvicorn in a thread) that answers what each test scripts."""

from __future__ import annotations

import asyncio
from collections import deque
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from tests.support.live import serve


@dataclass(frozen=True)
class Reply:
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """Records every request; answers the scripted replies in order, then `default`."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script: deque[Reply] = deque()
        self.default = Reply()
        self.base = ""
        self.url = ""
        self._serving = ExitStack()

    def will(self, *replies: Reply) -> None:
        self.script.extend(replies)

    def reset(self) -> None:
        self.received.clear()
        self.script.clear()
        self.default = Reply()

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.received.append(Received(scope["path"], headers, body))
        reply = self.script.popleft() if self.script else self.default
        if reply.delay:
            await asyncio.sleep(reply.delay)
        raw_headers = [(k.encode(), v.encode()) for k, v in reply.headers.items()]
        await send({"type": "http.response.start", "status": reply.status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": reply.body})

    def __enter__(self) -> Receiver:
        self.base = self._serving.enter_context(serve(self._app))
        self.url = f"{self.base}/hooks"
        return self

    def __exit__(self, *exc: object) -> None:
        self._serving.close()
