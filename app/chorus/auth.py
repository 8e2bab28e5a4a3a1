"""PISTE OAuth2 token cache and the Chorus `cpro-account` header.

One token serves every call until shortly before it expires; concurrent callers wait for a
single fetch instead of stampeding the token endpoint.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from app.chorus.config import ChorusConfig
from app.chorus.errors import (
    TOKEN_OPERATION as TOKEN_OPERATION,
)
from app.chorus.errors import (
    ChorusAuthError,
    ChorusError,
    ChorusProtocolError,
)
from app.chorus.responses import (
    json_object,
    log_call,
    raise_if_unavailable,
    send,
)


def cpro_account_value(login: str, password: SecretStr) -> SecretStr:
    """`cpro-account` header: base64 of "login:password", which is as sensitive as the password."""
    raw = f"{login}:{password.get_secret_value()}".encode()
    return SecretStr(base64.b64encode(raw).decode("ascii"))


@dataclass(frozen=True)
class _CachedToken:
    value: SecretStr
    refresh_at: float


class TokenProvider:
    """Client-credentials tokens from PISTE, cached until `expires_in - margin`."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        config: ChorusConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._config = config
        self._clock = clock
        self._lock = asyncio.Lock()
        self._cached: _CachedToken | None = None
        self._attempts = 0
        self._last_failure: ChorusError | None = None

    def __repr__(self) -> str:
        return f"TokenProvider(token_url={self._config.token_url!r})"

    async def get_token(self) -> SecretStr:
        """The cached token, or a new one fetched by exactly one of the concurrent callers."""
        token = self._fresh()
        if token is not None:
            return token
        attempts_seen = self._attempts
        async with self._lock:
            token = self._fresh()
            if token is not None:
                return token
            if self._attempts != attempts_seen and self._last_failure is not None:
                # The fetch we waited for failed: share its outcome rather than hammering an
                # endpoint that just refused or timed out.
                raise copy.copy(self._last_failure)
            try:
                cached = await self._fetch()
            except ChorusError as exc:
                self._last_failure = exc
                raise
            finally:
                self._attempts += 1
            self._last_failure = None
            self._cached = cached
            return cached.value

    def invalidate(self, token: SecretStr | str | None = None) -> None:
        """Forget the cached token after a 401, unless another caller already replaced it."""
        if self._cached is None:
            return
        if token is not None:
            given = token.get_secret_value() if isinstance(token, SecretStr) else token
            if given != self._cached.value.get_secret_value():
                return
        self._cached = None

    def _fresh(self) -> SecretStr | None:
        cached = self._cached
        if cached is not None and self._clock() < cached.refresh_at:
            return cached.value
        return None

    async def _fetch(self) -> _CachedToken:
        config = self._config
        started = self._clock()
        request = self._http.post(
            config.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": config.client_id,
                "client_secret": config.client_secret.get_secret_value(),
                "scope": config.scope,
            },
            headers={"Accept": "application/json"},
        )
        # No cause kept: a chained httpx error holds the request, whose form has the secret.
        response, duration_ms = await send(
            TOKEN_OPERATION, request, name="token endpoint ", keep_cause=False
        )
        log_call(TOKEN_OPERATION, response.status_code, duration_ms)
        payload = json_object(response)
        self._raise_for_status(response, payload)
        if payload is None:
            raise ChorusProtocolError(
                "token answer is not a JSON object",
                operation=TOKEN_OPERATION,
                http_status=response.status_code,
            )
        token, expires_in = _validate_token_answer(payload, response.status_code)
        # Refresh early; a token shorter-lived than twice the margin is still used for half of
        # its life instead of being refetched on every call.
        margin = min(config.token_refresh_margin.total_seconds(), expires_in / 2)
        return _CachedToken(value=token, refresh_at=started + expires_in - margin)

    def _raise_for_status(self, response: httpx.Response, payload: dict[str, Any] | None) -> None:
        status = response.status_code
        raise_if_unavailable(TOKEN_OPERATION, response, "token endpoint answered ")
        if 400 <= status < 500:
            raise ChorusAuthError(
                f"token request refused (HTTP {status})",
                operation=TOKEN_OPERATION,
                http_status=status,
                description=self._oauth_error(payload),
            )
        if status != 200:
            raise ChorusProtocolError(
                f"token endpoint answered HTTP {status}",
                operation=TOKEN_OPERATION,
                http_status=status,
            )

    def _oauth_error(self, payload: dict[str, Any] | None) -> str | None:
        if payload is None:
            return None
        parts = [
            str(payload[key])
            for key in ("error", "error_description")
            if isinstance(payload.get(key), str) and payload[key]
        ]
        if not parts:
            return None
        text = ": ".join(parts)[:300]
        # An endpoint echoing the request must not leak the secret into our messages.
        for secret in (self._config.client_secret.get_secret_value(),):
            if secret:
                text = text.replace(secret, "**********")
        return text


def _validate_token_answer(payload: dict[str, Any], status: int) -> tuple[SecretStr, int]:
    """Reject answers Pastell would reject: no Bearer type, no token, no positive int lifetime."""
    token_type = payload.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise ChorusProtocolError(
            "token answer has no Bearer token_type", operation=TOKEN_OPERATION, http_status=status
        )
    access_token = payload.get("access_token")
    if not isinstance(access_token, str) or not access_token.strip():
        raise ChorusProtocolError(
            "token answer has no access_token", operation=TOKEN_OPERATION, http_status=status
        )
    expires_in = payload.get("expires_in")
    if isinstance(expires_in, str) and expires_in.strip().isdigit():
        expires_in = int(expires_in)
    if not isinstance(expires_in, int) or isinstance(expires_in, bool) or expires_in <= 0:
        raise ChorusProtocolError(
            "token answer has no positive integer expires_in",
            operation=TOKEN_OPERATION,
            http_status=status,
        )
    return SecretStr(access_token.strip()), expires_in
