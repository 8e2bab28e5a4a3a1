"""A scripted PISTE + Chorus Pro double on `httpx.MockTransport`, and test constants."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

TOKEN_URL = "https://sandbox-oauth.piste.gouv.fr/api/oauth/token"
API_BASE = "https://sandbox-api.piste.gouv.fr"
CLIENT_SECRET = "a7d1c0e2-55b9-4f3e-8c21-9e4b6f2d1a08"
TECH_LOGIN = "TECH_1_0123456789@cpro.fr"
TECH_PASSWORD = "Exemple-Mdp-2025"
# examples/01_auth_and_headers.json: base64("TECH_1_0123456789@cpro.fr:Exemple-Mdp-2025")
CPRO_ACCOUNT = "VEVDSF8xXzAxMjM0NTY3ODlAY3Byby5mcjpFeGVtcGxlLU1kcC0yMDI1"

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def ok(**fields: Any) -> httpx.Response:
    return json_response(200, {"codeRetour": 0, "libelle": "TRA_MSG_00.000", **fields})


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class FakePiste:
    """Token endpoint issuing token-1, token-2… and API routes answering from queues.

    A queue's last reply repeats once the others are used up.
    """

    token_replies: list[Reply] = field(default_factory=list)
    routes: dict[str, list[Reply]] = field(default_factory=dict)
    token_requests: list[httpx.Request] = field(default_factory=list)
    api_requests: list[httpx.Request] = field(default_factory=list)
    token_delay: float = 0.0
    expires_in: int = 3600
    issued: int = 0

    def on(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def requests_to(self, path: str) -> list[httpx.Request]:
        return [r for r in self.api_requests if r.url.path == f"/cpro/{path}"]

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            self.token_requests.append(request)
            if self.token_delay:
                await asyncio.sleep(self.token_delay)
            if self.token_replies:
                return _play(self.token_replies, request)
            self.issued += 1
            return json_response(
                200,
                {
                    "access_token": f"token-{self.issued}",
                    "token_type": "Bearer",
                    "expires_in": self.expires_in,
                    "scope": "openid",
                },
            )
        self.api_requests.append(request)
        path = request.url.path.removeprefix("/cpro/")
        if path not in self.routes:
            return httpx.Response(403)
        return _play(self.routes[path], request)


def _play(queue: list[Reply], request: httpx.Request) -> httpx.Response:
    reply = queue.pop(0) if len(queue) > 1 else queue[0]
    if isinstance(reply, Exception):
        raise reply
    if isinstance(reply, httpx.Response):
        # A Response can only be sent once; copy it so sticky replies can repeat.
        return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)
    return reply(request)
