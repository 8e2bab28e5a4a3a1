"""One authenticated exchange with Chorus Pro and the mapping of its outcome to typed errors.

Kept apart from `client.py` so that every operation shares exactly one policy: the headers,
the single token refresh on 401, the error mapping of API.md §1.5/§5.1, and the log line.
"""

from __future__ import annotations

import json
import re

import httpx
from pydantic import SecretStr

from app.chorus.auth import TokenProvider, cpro_account_value
from app.chorus.config import ChorusConfig
from app.chorus.errors import (
    ChorusAuthError,
    ChorusFunctionalError,
    ChorusProtocolError,
)
from app.chorus.responses import (
    JsonObject,
    json_object,
    log_call,
    raise_if_unavailable,
    send,
)

_DESCRIPTION = re.compile(r'error_description\s*=\s*"([^"]*)"', re.IGNORECASE)
_MAX_LIBELLE = 500


class ChorusTransport:
    """Sends one Chorus operation and returns its JSON object, or raises a `ChorusError`."""

    def __init__(
        self, http: httpx.AsyncClient, config: ChorusConfig, tokens: TokenProvider
    ) -> None:
        self._http = http
        self._config = config
        self._tokens = tokens
        self._account: SecretStr = cpro_account_value(
            config.technical_login, config.technical_password
        )

    def __repr__(self) -> str:
        return f"ChorusTransport(api_base_url={self._config.api_base_url!r})"

    async def call(
        self,
        operation: str,
        path: str,
        body: JsonObject | None = None,
        *,
        method: str = "POST",
        accept_codes: frozenset[int] = frozenset(),
        require_code: bool = True,
        require_json: bool = True,
    ) -> JsonObject:
        """Run one operation; `accept_codes` are non-zero codeRetour values that are not errors.

        `require_json=False` (health check only) returns {} for a 2xx answer that is not JSON.
        """
        content = None
        if method != "GET":
            content = json.dumps(body or {}, ensure_ascii=False).encode()
        response, duration_ms = await self._send_authenticated(operation, method, path, content)
        payload = json_object(response)
        code = _code_retour(payload)
        log_call(operation, response.status_code, duration_ms, code)
        _raise_for_status(operation, response, payload, code)
        if payload is None:
            if not require_json:
                return {}
            raise ChorusProtocolError(
                "answer is not a JSON object",
                operation=operation,
                http_status=response.status_code,
            )
        if code is not None:
            payload["codeRetour"] = code
        if require_code:
            if code is None:
                raise ChorusProtocolError(
                    "answer has no integer codeRetour",
                    operation=operation,
                    http_status=response.status_code,
                )
            if code != 0 and code not in accept_codes:
                raise ChorusFunctionalError(
                    code, _libelle(payload), operation=operation, http_status=response.status_code
                )
        return payload

    async def _send_authenticated(
        self, operation: str, method: str, path: str, content: bytes | None
    ) -> tuple[httpx.Response, float]:
        token = await self._tokens.get_token()
        response, duration_ms = await self._send(operation, method, path, content, token)
        if response.status_code != 401:
            return response, duration_ms
        # The token may have been revoked or expired early: refetch once and repeat once. A
        # second 401 means the credentials (often the technical account) are wrong.
        log_call(operation, response.status_code, duration_ms, None)
        self._tokens.invalidate(token)
        token = await self._tokens.get_token()
        return await self._send(operation, method, path, content, token)

    async def _send(
        self,
        operation: str,
        method: str,
        path: str,
        content: bytes | None,
        token: SecretStr,
    ) -> tuple[httpx.Response, float]:
        headers = {
            "Authorization": f"Bearer {token.get_secret_value()}",
            "cpro-account": self._account.get_secret_value(),
            "Content-Type": "application/json;charset=utf-8",
            "Accept": "application/json",
        }
        request = self._http.request(
            method, self._config.api_url(path), content=content, headers=headers
        )
        return await send(operation, request)


def _raise_for_status(
    operation: str, response: httpx.Response, payload: JsonObject | None, code: int | None
) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 401:
        raise ChorusAuthError(
            "credentials refused after a token refresh (PISTE token or cpro-account)",
            operation=operation,
            http_status=status,
            description=_www_authenticate_description(response),
        )
    if status == 403:
        raise ChorusAuthError(
            "forbidden: the PISTE application is not subscribed to this API or the route "
            "is unknown",
            operation=operation,
            http_status=status,
            description=_www_authenticate_description(response),
        )
    raise_if_unavailable(operation, response)
    if 400 <= status < 500 and payload is not None and code is not None and code != 0:
        raise ChorusFunctionalError(
            code, _libelle(payload), operation=operation, http_status=status
        )
    raise ChorusProtocolError(f"unexpected HTTP {status}", operation=operation, http_status=status)


def _code_retour(payload: JsonObject | None) -> int | None:
    if payload is None:
        return None
    value = payload.get("codeRetour")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _libelle(payload: JsonObject) -> str:
    value = payload.get("libelle")
    return "" if value is None else str(value)[:_MAX_LIBELLE]


def _www_authenticate_description(response: httpx.Response) -> str | None:
    header = response.headers.get("WWW-Authenticate")
    if not header:
        return None
    match = _DESCRIPTION.search(header)
    return match.group(1)[:300] if match else None
