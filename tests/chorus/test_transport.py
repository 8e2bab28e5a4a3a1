"""Shared call policy: headers, the single 401 refresh, error mapping, logging."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest

from app.chorus import (
    ChorusAuthError,
    ChorusClient,
    ChorusFunctionalError,
    ChorusProtocolError,
    ChorusUnavailableError,
)

from .fakes import CLIENT_SECRET, CPRO_ACCOUNT, TECH_PASSWORD, FakePiste, json_response, ok

REPORT = "transverses/v1/consulterCRDetaille"
WWW_AUTHENTICATE = (
    'Bearer realm="PISTE",error="Unauthorized",error_description="login or password incorrects"'
)
PENDING = {"etatCourantDepotFlux": "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP"}


async def test_every_call_sends_token_account_and_json_headers(
    client: ChorusClient, piste: FakePiste
) -> None:
    piste.on(REPORT, ok(**PENDING))

    await client.get_flux_report("CPP0011117000000000512347")

    (request,) = piste.api_requests
    assert request.method == "POST"
    assert str(request.url) == f"https://sandbox-api.piste.gouv.fr/cpro/{REPORT}"
    assert request.headers["Authorization"] == "Bearer token-1"
    assert request.headers["cpro-account"] == CPRO_ACCOUNT
    assert request.headers["Content-Type"] == "application/json;charset=utf-8"
    assert request.headers["Accept"] == "application/json"


async def test_token_fetched_once_for_many_calls(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(REPORT, ok(**PENDING))

    for _ in range(5):
        await client.get_flux_report("CPP0011117000000000512347")

    assert len(piste.token_requests) == 1
    assert len(piste.api_requests) == 5


async def test_401_refetches_token_once_and_retries(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(REPORT, httpx.Response(401, headers={"WWW-Authenticate": "Bearer"}), ok(**PENDING))

    report = await client.get_flux_report("CPP0011117000000000512347")

    assert report.etat_courant_depot_flux == "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP"
    assert len(piste.token_requests) == 2
    assert [r.headers["Authorization"] for r in piste.api_requests] == [
        "Bearer token-1",
        "Bearer token-2",
    ]
    assert piste.api_requests[0].content == piste.api_requests[1].content


async def test_second_401_is_an_auth_error(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(REPORT, httpx.Response(401, headers={"WWW-Authenticate": WWW_AUTHENTICATE}))

    with pytest.raises(ChorusAuthError) as caught:
        await client.get_flux_report("CPP0011117000000000512347")

    assert caught.value.http_status == 401
    assert caught.value.description == "login or password incorrects"
    assert "login or password incorrects" in str(caught.value)
    assert len(piste.api_requests) == 2
    assert len(piste.token_requests) == 2


async def test_403_is_an_auth_error_without_refetch(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(REPORT, httpx.Response(403))

    with pytest.raises(ChorusAuthError) as caught:
        await client.get_flux_report("CPP0011117000000000512347")

    assert caught.value.http_status == 403
    assert not caught.value.retryable
    assert len(piste.api_requests) == 1
    assert len(piste.token_requests) == 1


async def test_token_endpoint_refusal_surfaces_from_an_api_call(
    client: ChorusClient, piste: FakePiste
) -> None:
    piste.token_replies = [json_response(400, {"error": "invalid_client"})]

    with pytest.raises(ChorusAuthError) as caught:
        await client.get_flux_report("CPP0011117000000000512347")

    assert caught.value.operation == "token"
    assert piste.api_requests == []


@pytest.mark.parametrize(
    ("status", "headers", "retry_after"),
    [
        (503, {"Retry-After": "120"}, timedelta(seconds=120)),
        (429, {"Retry-After": "7"}, timedelta(seconds=7)),
        (429, {"Retry-After": "Thu, 01 Jan 1970 00:00:00 GMT"}, timedelta(0)),
        (500, {}, None),
        (502, {}, None),
        (504, {"Retry-After": "junk"}, None),
    ],
)
async def test_5xx_and_429_are_unavailable(
    client: ChorusClient,
    piste: FakePiste,
    status: int,
    headers: dict[str, str],
    retry_after: timedelta | None,
) -> None:
    piste.on(REPORT, httpx.Response(status, headers=headers, text="busy"))

    with pytest.raises(ChorusUnavailableError) as caught:
        await client.get_flux_report("CPP0011117000000000512347")

    error = caught.value
    assert error.retryable
    assert error.http_status == status
    assert error.retry_after == retry_after
    assert error.operation == "consulterCRDetaille"
    assert len(piste.api_requests) == 1  # no retry inside the client


@pytest.mark.parametrize(
    "exc",
    [httpx.ReadTimeout("slow"), httpx.ConnectTimeout("slow"), httpx.ConnectError("refused")],
    ids=["read-timeout", "connect-timeout", "connect-error"],
)
async def test_timeouts_and_transport_errors_are_unavailable(
    client: ChorusClient, piste: FakePiste, exc: Exception
) -> None:
    piste.on(REPORT, exc)

    with pytest.raises(ChorusUnavailableError) as caught:
        await client.get_flux_report("CPP0011117000000000512347")

    assert caught.value.retryable
    assert caught.value.retry_after is None
    assert caught.value.http_status is None


async def test_functional_error_on_200(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(REPORT, json_response(200, {"codeRetour": 20001, "libelle": "TRA_MSG_00.002"}))

    with pytest.raises(ChorusFunctionalError) as caught:
        await client.get_flux_report("CPP0011117000000000512347")

    assert (caught.value.code_retour, caught.value.libelle) == (20001, "TRA_MSG_00.002")
    assert caught.value.http_status == 200
    assert not caught.value.retryable


async def test_functional_error_on_400(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(REPORT, json_response(400, {"codeRetour": 20003, "libelle": "GDP_MSG_11.022"}))

    with pytest.raises(ChorusFunctionalError) as caught:
        await client.get_flux_report("CPP0011117000000000512347")

    assert caught.value.code_retour == 20003
    assert caught.value.http_status == 400


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(200, text="<html>gateway</html>"),
        httpx.Response(200, text="[1, 2]"),
        json_response(200, {"libelle": "no code"}),
        httpx.Response(400, text="Bad Request"),
        httpx.Response(413, text="Payload Too Large"),
        httpx.Response(302, headers={"Location": "https://elsewhere"}),
    ],
    ids=["html", "json-array", "no-codeRetour", "400-text", "413", "redirect"],
)
async def test_unexpected_answers_are_protocol_errors(
    client: ChorusClient, piste: FakePiste, reply: httpx.Response
) -> None:
    piste.on(REPORT, reply)

    with pytest.raises(ChorusProtocolError) as caught:
        await client.get_flux_report("CPP0011117000000000512347")
    assert not caught.value.retryable


async def test_code_retour_as_string_is_accepted(client: ChorusClient, piste: FakePiste) -> None:
    piste.on(REPORT, json_response(200, {"codeRetour": "0", **PENDING}))

    report = await client.get_flux_report("CPP0011117000000000512347")
    assert report.code_retour == 0


async def test_calls_are_logged_without_secrets(
    client: ChorusClient, piste: FakePiste, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    piste.on(
        REPORT,
        httpx.Response(401, headers={"WWW-Authenticate": WWW_AUTHENTICATE}),
        ok(**PENDING),
    )
    await client.get_flux_report("CPP0011117000000000512347")
    piste.on(REPORT, json_response(200, {"codeRetour": 20001, "libelle": "X"}))
    with pytest.raises(ChorusFunctionalError):
        await client.get_flux_report("CPP0011117000000000512347")
    piste.on(REPORT, httpx.ReadTimeout("slow"))
    with pytest.raises(ChorusUnavailableError):
        await client.get_flux_report("CPP0011117000000000512347")
    client.token_provider.invalidate()
    piste.token_replies = [json_response(400, {"error": "invalid_client"})]
    with pytest.raises(ChorusAuthError):
        await client.get_flux_report("CPP0011117000000000512347")

    calls = [
        (r.levelno, r.__dict__)
        for r in caplog.records
        if r.name == "app.chorus" and r.__dict__.get("chorus_operation") == "consulterCRDetaille"
    ]
    infos = [
        (fields["http_status"], fields["code_retour"])
        for level, fields in calls
        if level == logging.INFO
    ]
    assert infos == [(401, None), (200, 0), (200, 20001)]
    assert any(level == logging.WARNING for level, _ in calls)
    assert all(isinstance(fields["duration_ms"], float) for _, fields in calls)

    everything = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for secret in (CLIENT_SECRET, TECH_PASSWORD, CPRO_ACCOUNT, "token-1", "token-2"):
        assert secret not in everything
    assert "CPP0011117000000000512347" not in caplog.text  # bodies are not logged
