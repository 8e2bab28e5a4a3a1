from __future__ import annotations

import pickle
from datetime import timedelta

import pytest
from pydantic import SecretStr

from app.chorus import (
    ChorusAuthError,
    ChorusConfig,
    ChorusFunctionalError,
    ChorusProtocolError,
    ChorusUnavailableError,
)

from .fakes import CLIENT_SECRET, TECH_PASSWORD


def test_config_repr_hides_secrets(config: ChorusConfig) -> None:
    text = repr(config) + str(config)
    assert CLIENT_SECRET not in text
    assert TECH_PASSWORD not in text
    assert "TECH_1_0123456789@cpro.fr" in text


def test_config_wraps_plain_string_secrets() -> None:
    config = ChorusConfig(
        token_url="https://oauth.example/token",
        api_base_url="https://api.example/",
        client_id="id",
        client_secret="plain-secret",  # type: ignore[arg-type]
        technical_login="login",
        technical_password="plain-password",  # type: ignore[arg-type]
    )
    assert isinstance(config.client_secret, SecretStr)
    assert "plain-secret" not in repr(config)
    assert "plain-password" not in repr(config)


def test_api_url_joins_cpro_prefix(config: ChorusConfig) -> None:
    assert (
        config.api_url("factures/v1/deposer/flux")
        == "https://sandbox-api.piste.gouv.fr/cpro/factures/v1/deposer/flux"
    )


def test_config_rejects_negative_margin() -> None:
    with pytest.raises(ValueError):
        ChorusConfig(
            token_url="https://t",
            api_base_url="https://a",
            client_id="id",
            client_secret=SecretStr("s"),
            technical_login="l",
            technical_password=SecretStr("p"),
            token_refresh_margin=timedelta(seconds=-1),
        )


def test_retryable_flags() -> None:
    assert ChorusUnavailableError("x", operation="op").retryable is True
    assert ChorusAuthError("x", operation="op").retryable is False
    assert ChorusFunctionalError(1, "l", operation="op").retryable is False
    assert ChorusProtocolError("x", operation="op").retryable is False


def test_errors_survive_pickling() -> None:
    # arq pickles the exception of a failed job.
    errors = [
        ChorusUnavailableError(
            "down", operation="op", http_status=503, retry_after=timedelta(seconds=7)
        ),
        ChorusAuthError("refused", operation="op", http_status=401, description="bad login"),
        ChorusFunctionalError(20001, "GDP_MSG_11.022", operation="op", http_status=200),
        ChorusProtocolError("garbled", operation="op"),
    ]
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)
        assert copy.__dict__ == error.__dict__


def test_error_messages_name_the_operation() -> None:
    error = ChorusFunctionalError(20002, "GDP_MSG_11.033", operation="completerFacture")
    assert str(error) == "completerFacture: codeRetour=20002 libelle='GDP_MSG_11.033'"
    assert (error.code_retour, error.libelle, error.operation) == (
        20002,
        "GDP_MSG_11.033",
        "completerFacture",
    )
