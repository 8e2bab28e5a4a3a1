"""PISTE side: the OAuth2 client-credentials endpoint and the two checks done on every call.

Secrets are compared in constant time and never logged nor echoed in error descriptions.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from urllib.parse import parse_qs

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from app.simulator.settings import SimulatorSettings, all_accounts
from app.simulator.state import CURRENT_LOGIN, SimulatorState

logger = logging.getLogger(__name__)

ACCOUNT_HEADER = "cpro-account"


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _token_error(error: str, description: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=400,
        headers={"Cache-Control": "no-store"},
    )


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """RFC 6749 also lets a client authenticate with HTTP Basic; accept it like PISTE's WSO2."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        client_id, sep, secret = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (client_id, secret) if sep else None


async def token_endpoint(request: Request, state: SimulatorState) -> Response:
    raw = await request.body()
    try:
        form = {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
    except (UnicodeDecodeError, ValueError):
        form = {}
    grant_type = form.get("grant_type")
    if not grant_type:
        return _token_error("invalid_request", "Missing grant_type parameter value")
    if grant_type != "client_credentials":
        return _token_error("unsupported_grant_type", "Unsupported grant_type value")
    client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
    basic = _basic_credentials(request)
    if basic is not None and not client_id:
        client_id, client_secret = basic
    settings = state.settings
    known = [
        _same(client_id, account.client_id)
        and _same(client_secret, account.client_secret.get_secret_value())
        for account in all_accounts(settings)
    ]
    if not any(known):
        logger.info("simulator: token refused for client_id %r", client_id[:64])
        return _token_error("invalid_client", "Client authentication failed")
    async with state.lock:
        token = state.issue_token()
    return JSONResponse(
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": settings.token_ttl_seconds,
            "scope": "openid",
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def unauthorized(error: str, description: str) -> Response:
    challenge = f'Bearer realm="PISTE",error="{error}",error_description="{description}"'
    return Response(status_code=401, headers={"WWW-Authenticate": challenge})


def bearer_token(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def token_rejection(request: Request, state: SimulatorState) -> Response | None:
    problem = state.token_problem(bearer_token(request))
    return None if problem is None else unauthorized("invalid_token", problem)


def account_rejection(request: Request, settings: SimulatorSettings) -> Response | None:
    """`cpro-account` is base64("login:password") with no `Basic ` prefix (API.md 1.3)."""
    login = account_login(request.headers.get(ACCOUNT_HEADER), settings)
    if login is not None:
        CURRENT_LOGIN.set(login)
        return None
    return unauthorized("Unauthorized", "login or password incorrects")


def account_login(header: str | None, settings: SimulatorSettings) -> str | None:
    """The technical login the header proves, or None."""
    if not header:
        return None
    try:
        decoded = base64.b64decode(header.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    login, sep, password = decoded.partition(":")
    if not sep:
        return None
    for account in all_accounts(settings):
        login_ok = _same(login, account.technical_login)
        password_ok = _same(password, account.technical_password.get_secret_value())
        if login_ok and password_ok:
            return account.technical_login
    return None
