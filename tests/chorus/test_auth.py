from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from app.chorus import (
    ChorusAuthError,
    ChorusConfig,
    ChorusProtocolError,
    ChorusUnavailableError,
    TokenProvider,
    cpro_account_value,
)

from .fakes import (
    CLIENT_SECRET,
    CPRO_ACCOUNT,
    TECH_LOGIN,
    TECH_PASSWORD,
    FakeClock,
    FakePiste,
    json_response,
)


def test_cpro_account_is_base64_of_login_and_password() -> None:
    value = cpro_account_value(TECH_LOGIN, SecretStr(TECH_PASSWORD))
    assert value.get_secret_value() == CPRO_ACCOUNT
    assert CPRO_ACCOUNT not in repr(value)


async def test_token_request_is_a_client_credentials_form(
    tokens: TokenProvider, piste: FakePiste
) -> None:
    token = await tokens.get_token()

    assert token.get_secret_value() == "token-1"
    (request,) = piste.token_requests
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": ["3f9c2a1e-7b44-4c0d-9a51-2e8f6d0b7c13"],
        "client_secret": [CLIENT_SECRET],
        "scope": ["openid"],
    }


async def test_token_is_cached_across_calls(tokens: TokenProvider, piste: FakePiste) -> None:
    values = [(await tokens.get_token()).get_secret_value() for _ in range(20)]

    assert set(values) == {"token-1"}
    assert len(piste.token_requests) == 1


async def test_concurrent_callers_share_one_fetch(tokens: TokenProvider, piste: FakePiste) -> None:
    piste.token_delay = 0.05

    values = await asyncio.gather(*(tokens.get_token() for _ in range(10)))

    assert {value.get_secret_value() for value in values} == {"token-1"}
    assert len(piste.token_requests) == 1


async def test_concurrent_callers_share_one_failure(
    tokens: TokenProvider, piste: FakePiste
) -> None:
    piste.token_delay = 0.05
    piste.token_replies = [httpx.Response(503)]

    results = await asyncio.gather(*(tokens.get_token() for _ in range(5)), return_exceptions=True)

    assert all(isinstance(result, ChorusUnavailableError) for result in results)
    assert len(piste.token_requests) == 1


async def test_token_refreshed_before_expiry_with_margin(
    tokens: TokenProvider, piste: FakePiste, clock: FakeClock
) -> None:
    start = clock.now
    assert (await tokens.get_token()).get_secret_value() == "token-1"

    clock.now = start + 3600 - 240 - 0.001
    assert (await tokens.get_token()).get_secret_value() == "token-1"

    clock.now = start + 3600 - 240
    assert (await tokens.get_token()).get_secret_value() == "token-2"
    assert len(piste.token_requests) == 2


async def test_short_lived_token_is_used_for_half_its_life(
    tokens: TokenProvider, piste: FakePiste, clock: FakeClock
) -> None:
    piste.expires_in = 100  # shorter than the 240 s margin
    start = clock.now
    await tokens.get_token()

    clock.now = start + 49
    assert (await tokens.get_token()).get_secret_value() == "token-1"
    clock.now = start + 50
    assert (await tokens.get_token()).get_secret_value() == "token-2"


async def test_invalidate_drops_only_the_given_token(
    tokens: TokenProvider, piste: FakePiste
) -> None:
    await tokens.get_token()

    tokens.invalidate("some-older-token")
    assert (await tokens.get_token()).get_secret_value() == "token-1"

    tokens.invalidate(SecretStr("token-1"))
    assert (await tokens.get_token()).get_secret_value() == "token-2"
    assert len(piste.token_requests) == 2


async def test_invalid_client_is_an_auth_error_without_the_secret(
    tokens: TokenProvider, piste: FakePiste
) -> None:
    piste.token_replies = [
        json_response(
            400,
            {
                "error": "invalid_client",
                "error_description": f"Client authentication failed for {CLIENT_SECRET}",
            },
        )
    ]

    with pytest.raises(ChorusAuthError) as caught:
        await tokens.get_token()

    error = caught.value
    assert error.http_status == 400
    assert error.operation == "token"
    assert "invalid_client" in str(error)
    for text in (str(error), repr(error), repr(error.args), str(error.__dict__)):
        assert CLIENT_SECRET not in text
    assert error.__cause__ is None


async def test_token_401_is_an_auth_error(tokens: TokenProvider, piste: FakePiste) -> None:
    piste.token_replies = [httpx.Response(401, text="Unauthorized")]

    with pytest.raises(ChorusAuthError) as caught:
        await tokens.get_token()
    assert caught.value.http_status == 401


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_token_endpoint_unavailable(
    tokens: TokenProvider, piste: FakePiste, status: int
) -> None:
    piste.token_replies = [httpx.Response(status, headers={"Retry-After": "30"})]

    with pytest.raises(ChorusUnavailableError) as caught:
        await tokens.get_token()
    assert caught.value.retry_after == timedelta(seconds=30)
    assert caught.value.retryable


@pytest.mark.parametrize(
    "exc", [httpx.ConnectTimeout("slow"), httpx.ConnectError("refused")], ids=["timeout", "down"]
)
async def test_token_endpoint_transport_failure(
    tokens: TokenProvider, piste: FakePiste, exc: Exception
) -> None:
    piste.token_replies = [exc]

    with pytest.raises(ChorusUnavailableError) as caught:
        await tokens.get_token()
    # The chained httpx error would hold the request form with the client secret.
    assert caught.value.__cause__ is None


async def test_failed_fetch_does_not_poison_later_calls(
    tokens: TokenProvider, piste: FakePiste
) -> None:
    piste.token_replies = [httpx.Response(503)]
    with pytest.raises(ChorusUnavailableError):
        await tokens.get_token()

    piste.token_replies = []
    assert (await tokens.get_token()).get_secret_value() == "token-1"


@pytest.mark.parametrize(
    "body",
    [
        {"access_token": "leaked-token-value", "expires_in": 3600},
        {"access_token": "leaked-token-value", "token_type": "MAC", "expires_in": 3600},
        {"token_type": "Bearer", "expires_in": 3600},
        {"access_token": "leaked-token-value", "token_type": "Bearer", "expires_in": 0},
        {"access_token": "leaked-token-value", "token_type": "Bearer", "expires_in": -5},
        {"access_token": "leaked-token-value", "token_type": "Bearer", "expires_in": "soon"},
        {"access_token": "leaked-token-value", "token_type": "Bearer", "expires_in": True},
        {"access_token": "leaked-token-value", "token_type": "Bearer"},
    ],
)
async def test_malformed_token_answer_is_a_protocol_error(
    tokens: TokenProvider, piste: FakePiste, body: dict[str, object]
) -> None:
    piste.token_replies = [json_response(200, body)]

    with pytest.raises(ChorusProtocolError) as caught:
        await tokens.get_token()
    assert "leaked-token-value" not in str(caught.value)


async def test_non_json_token_answer_is_a_protocol_error(
    tokens: TokenProvider, piste: FakePiste
) -> None:
    piste.token_replies = [httpx.Response(200, text="<html>maintenance</html>")]

    with pytest.raises(ChorusProtocolError):
        await tokens.get_token()


async def test_token_type_is_case_insensitive_and_expires_in_may_be_a_string(
    tokens: TokenProvider, piste: FakePiste
) -> None:
    piste.token_replies = [
        json_response(200, {"access_token": "abc", "token_type": "bearer", "expires_in": "3600"})
    ]

    assert (await tokens.get_token()).get_secret_value() == "abc"


def test_token_provider_repr_has_no_secret(tokens: TokenProvider, config: ChorusConfig) -> None:
    assert CLIENT_SECRET not in repr(tokens)
