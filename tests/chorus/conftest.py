"""Fixtures: a config with known secrets, a fake PISTE, an injectable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from app.chorus import ChorusClient, ChorusConfig, TokenProvider

from .fakes import (
    API_BASE,
    CLIENT_SECRET,
    TECH_LOGIN,
    TECH_PASSWORD,
    TOKEN_URL,
    FakeClock,
    FakePiste,
)


@pytest.fixture
def config() -> ChorusConfig:
    return ChorusConfig(
        token_url=TOKEN_URL,
        api_base_url=API_BASE,
        client_id="3f9c2a1e-7b44-4c0d-9a51-2e8f6d0b7c13",
        client_secret=SecretStr(CLIENT_SECRET),
        technical_login=TECH_LOGIN,
        technical_password=SecretStr(TECH_PASSWORD),
    )


@pytest.fixture
def piste() -> FakePiste:
    return FakePiste()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def http(piste: FakePiste) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(piste.handle), timeout=httpx.Timeout(5.0)
    ) as client:
        yield client


@pytest.fixture
def tokens(http: httpx.AsyncClient, config: ChorusConfig, clock: FakeClock) -> TokenProvider:
    return TokenProvider(http, config, clock=clock)


@pytest.fixture
def client(http: httpx.AsyncClient, config: ChorusConfig, tokens: TokenProvider) -> ChorusClient:
    return ChorusClient(http, config, tokens)
