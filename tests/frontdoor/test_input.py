"""Bad input at the front door: NUL characters, deep JSON, other encodings, other types."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import Receive, Scope, Send

from app.config import Settings
from app.document import InvoiceDocument
from app.formats import Syntax, render
from app.intake.service import IntakePolicy, intake_service
from app.kit.db import create_engine, create_sessionmaker, unit_of_work
from app.kit.frontdoor import FrontDoor, FrontDoorPolicy, json_too_deep
from app.main import create_app
from app.models import Invoice
from tests.factories import EXAMPLE
from tests.factories import invoice_body as invoice
from tests.support.keys import app_client

IBAN = EXAMPLE["payment"]["iban"]
PROBLEM_JSON = "application/problem+json"


def _fields(response: httpx.Response) -> set[str]:
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.text
    return {error["field"] for error in response.json().get("errors", [])}


async def _count(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Invoice)) or 0)


@pytest.mark.parametrize("route", ["/v1/invoices", "/v1/invoices/validate"])
async def test_a_nul_in_any_text_field_is_a_422_naming_it(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], route: str
) -> None:
    body = invoice(number="NUL-1", notes=[{"text": "fine"}, {"text": "bad\u0000note"}])
    body["lines"][0]["name"] = "Main\u0000tenance"
    response = await client.post(route, json=body, headers={"Idempotency-Key": "nul-1"})
    assert response.status_code == 422, response.text
    assert _fields(response) == {"lines[0].name", "notes[1].text"}
    in_a_file = {"file": {"content": base64.b64encode(b"<x/>").decode(), "file_name": "a\0.xml"}}
    response = await client.post(route, json=in_a_file, headers={"Idempotency-Key": "nul-2"})
    assert response.status_code == 422, response.text
    assert _fields(response) == {"file.file_name"}
    upload = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="in\0voice.xml"\r\n'
        b"Content-Type: application/xml\r\n\r\n<x/>\r\n--b--\r\n"
    )
    multipart = {"Content-Type": "multipart/form-data; boundary=b", "Idempotency-Key": "nul-3"}
    response = await client.post(route, content=upload, headers=multipart)
    assert response.status_code == 422, response.text
    assert _fields(response) == {"file.filename"}
    assert await _count(sessionmaker) == 0


async def test_a_nul_in_other_routes_query_path_or_header_is_a_422_too(
    client: httpx.AsyncClient,
) -> None:
    endpoint = {"url": "http://127.0.0.1:9/hook\u0000", "description": "x"}
    response = await client.post("/v1/webhook-endpoints", json=endpoint)
    assert response.status_code == 422, response.text
    assert _fields(response) == {"url"}
    response = await client.get("/v1/invoices", params={"status": "accepted\0"})
    assert response.status_code == 422
    assert _fields(response) == {"query:status"}
    response = await client.get("/v1/suppliers/8123456760%00017")
    assert response.status_code == 422
    assert _fields(response) == {"path"}
    response = await client.post(
        "/v1/invoices", json=invoice(), headers={"Idempotency-Key": "key\0"}
    )
    assert response.status_code == 422
    assert _fields(response) == {"header:idempotency-key"}


async def test_no_sql_parameter_reaches_the_log_of_a_database_error(
    database_url: str,
    settings: Settings,
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Past the front door, a NUL reaching PostgreSQL fails; its log line shows no invoice."""
    document = InvoiceDocument.model_validate(
        invoice(number="LEAK-1", notes=[{"text": "a\u0000b"}])
    )
    engine = create_engine(database_url)
    try:
        with pytest.raises(DBAPIError) as raised:
            async with unit_of_work(create_sessionmaker(engine)) as session:
                await intake_service.create(
                    session, document, "leak-1", IntakePolicy.from_settings(settings)
                )
        with caplog.at_level(logging.ERROR):
            logging.getLogger("tests.frontdoor").error("database error", exc_info=raised.value)
    finally:
        await engine.dispose()
    logged = caplog.text
    assert "database error" in logged and "INSERT INTO invoices" in logged
    assert "hidden due to hide_parameters=True" in logged
    for secret in (IBAN, "LEAK-1", document.supplier.name):
        assert secret not in logged


def _deep(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize("route", ["/v1/invoices", "/v1/invoices/validate", "/v1/api-keys"])
async def test_json_nested_100000_deep_is_a_4xx_problem(
    client: httpx.AsyncClient, route: str
) -> None:
    for body in (_deep(100_000), b"[" * 100_000 + b"]" * 100_000):
        response = await client.post(
            route,
            content=body,
            headers={"Content-Type": "application/json", "Idempotency-Key": "deep"},
        )
        assert response.status_code == 422, response.text
        assert _fields(response) == {"(body)"}


def test_depth_counts_brackets_outside_strings_only() -> None:
    assert not json_too_deep(json.dumps(invoice()).encode())
    assert not json_too_deep(json.dumps({"a": "[" * 1000 + '\\"{' * 100}).encode())
    assert json_too_deep(_deep(65)) and not json_too_deep(_deep(64))


def _cii_in(encoding: str) -> bytes:
    text = render(InvoiceDocument.model_validate(invoice(number="ENC-1")), Syntax.CII_D16B)
    xml = re.sub(r"^<\?xml[^>]*\?>", "", text.content.decode("utf-8"))
    declared = f'<?xml version="1.0" encoding="{encoding}"?>' + xml.replace("Maintenance", "Réparé")
    return declared.encode(encoding, errors="xmlcharrefreplace")


@pytest.mark.parametrize("encoding", ["ISO-8859-1", "UTF-16"])
async def test_a_valid_cii_in_another_declared_encoding_is_read_the_same_by_both_routes(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], encoding: str
) -> None:
    content = _cii_in(encoding)
    as_json = {"file": {"content": base64.b64encode(content).decode(), "file_name": "f.xml"}}
    report = await client.post("/v1/invoices/validate", json=as_json)
    assert report.status_code == 200, report.text
    assert "Réparé" in report.json()["xml"]
    upload = {"file": ("f.xml", content, "application/xml")}
    report = await client.post("/v1/invoices/validate", files=upload)
    assert report.status_code == 200, report.text
    accepted = await client.post("/v1/invoices", json=as_json, headers={"Idempotency-Key": "enc"})
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["number"] == "ENC-1"
    detail = await client.get(accepted.headers["Location"])
    assert "Réparé" in json.dumps(detail.json(), ensure_ascii=False)
    assert await _count(sessionmaker) == 1


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
async def test_state_changing_routes_take_json_or_multipart_only(
    client: httpx.AsyncClient, content_type: str
) -> None:
    created = await client.post("/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/hooks"})
    assert created.status_code == 201, created.text
    disable = f"/v1/webhook-endpoints/{created.json()['id']}/disable"
    for path, body in ((disable, b""), ("/v1/invoices", json.dumps(invoice()).encode())):
        response = await client.post(
            path, content=body, headers={"Content-Type": content_type, "Idempotency-Key": "ct"}
        )
        assert response.status_code == 415, response.text
        assert response.headers["content-type"] == PROBLEM_JSON
    endpoint = await client.get(f"/v1/webhook-endpoints/{created.json()['id']}")
    assert endpoint.json()["disabled_at"] is None


async def test_answers_carry_nosniff_no_store_and_no_server_banner(
    client: httpx.AsyncClient,
) -> None:
    for response in (
        await client.get("/healthz"),
        await client.get("/v1/invoices"),
        await client.post("/v1/api-keys", json={"name": "x", "scopes": ["invoices:read"]}),
        await client.get("/v1/invoices/00000000-0000-0000-0000-000000000000"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
        assert "server" not in response.headers


def test_front_door_settings_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_CORS_ALLOW_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("GATEWAY_BODY_TIMEOUT", "PT1M")
    monkeypatch.setenv("GATEWAY_MAX_BODY_BYTES", "2048")
    read = Settings()
    assert read.cors_allow_origins == ["https://a.example", "https://b.example"]
    assert read.body_timeout.total_seconds() == 60
    assert read.max_body_bytes == 2048
    assert Settings.model_fields["max_body_bytes"].default >= (10 * 10**6) * 4 // 3


async def test_cors_is_off_unless_origins_are_listed(settings: Settings, clean_db: None) -> None:
    preflight = {
        "Origin": "https://erp.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    async with app_client(create_app(settings)) as client:
        response = await client.options("/v1/invoices", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
        response = await client.get("/v1/invoices", headers={"Origin": "https://erp.example.com"})
        assert "access-control-allow-origin" not in response.headers
    listed = settings.model_copy(update={"cors_allow_origins": ["https://erp.example.com"]})
    async with app_client(create_app(listed)) as client:
        response = await client.options("/v1/invoices", headers=preflight)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://erp.example.com"
        other = await client.options(
            "/v1/invoices", headers={**preflight, "Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in other.headers


async def test_docs_and_openapi_can_be_turned_off(settings: Settings, clean_db: None) -> None:
    async with app_client(create_app(settings)) as client:
        assert (await client.get("/openapi.json")).status_code == 200
        assert (await client.get("/docs")).status_code == 200
    closed = settings.model_copy(update={"api_docs_enabled": False})
    async with app_client(create_app(closed)) as client:
        assert (await client.get("/openapi.json")).status_code == 404
        assert (await client.get("/docs")).status_code == 404
    production = Settings(
        environment="production",
        piste_client_secret="s",
        chorus_technical_password="p",
        secrets_key=base64.urlsafe_b64encode(b"k" * 32).decode(),
    )
    assert production.docs_enabled is False


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/invoices?issue_date_to=0", "query:issue_date_to"),
        ("/v1/invoices?created_from=1700000000", "query:created_from"),
        ("/v1/webhook-messages?until=0.5", "query:until"),
    ],
)
async def test_dates_in_a_query_are_iso_never_a_unix_time(
    client: httpx.AsyncClient, path: str, field: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 422, response.text
    assert _fields(response) == {field}
    day = await client.get("/v1/invoices?issue_date_to=2026-12-01&created_from=2026-12-01T00:00Z")
    assert day.status_code == 200, day.text


async def test_a_405_lists_every_method_the_path_serves(client: httpx.AsyncClient) -> None:
    """GET and POST /v1/invoices are two routes; the Allow header names both."""
    response = await client.request("PUT", "/v1/invoices", json={})
    assert response.status_code == 405
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.headers["allow"] == "GET, POST"
    validate = await client.get("/v1/invoices/validate")  # not read as an invoice id
    assert validate.status_code == 405
    assert validate.headers["allow"] == "POST"


async def test_past_its_limit_a_process_answers_a_503_problem_at_once() -> None:
    """Not uvicorn's plain-text 503: a problem with Retry-After, and the limit frees up."""
    release, entered = asyncio.Event(), asyncio.Event()

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        entered.set()
        await release.wait()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    door = FrontDoor(slow, FrontDoorPolicy(1024, timedelta(seconds=5), max_in_flight=1))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=door), base_url="http://door"
    ) as client:
        first = asyncio.create_task(client.get("/v1/invoices"))
        await entered.wait()
        refused = await client.get("/v1/invoices")
        assert refused.status_code == 503
        assert refused.headers["content-type"].startswith(PROBLEM_JSON)
        assert refused.headers["retry-after"] == "1"
        assert refused.json()["type"].endswith("/overloaded")
        release.set()
        assert (await first).status_code == 204
        assert door.in_flight == 0
        assert (await client.get("/v1/invoices")).status_code == 204
