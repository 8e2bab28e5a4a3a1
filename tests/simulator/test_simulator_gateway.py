"""PISTE behaviour: OAuth token, the two credentials on every call, routes, body errors."""

from __future__ import annotations

import base64

import httpx
import pytest

from app.simulator import FixedClock, SimulatorSettings, create_app

from .helpers import START, Harness, account, b64

HEALTH = "/cpro/transverses/v1/health-check"
TOKEN_FORM = {
    "grant_type": "client_credentials",
    "client_id": "sim-client-id",
    "client_secret": "sim-client-secret",
    "scope": "openid",
}


async def test_token_ok(sim: Harness) -> None:
    answer = await sim.client.post("/api/oauth/token", data=TOKEN_FORM)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "openid"
    assert len(body["access_token"]) >= 32
    other = (await sim.client.post("/api/oauth/token", data=TOKEN_FORM)).json()
    assert other["access_token"] != body["access_token"]


async def test_token_accepts_http_basic_client_auth(sim: Harness) -> None:
    basic = base64.b64encode(b"sim-client-id:sim-client-secret").decode()
    answer = await sim.client.post(
        "/api/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert answer.status_code == 200


async def test_token_bad_secret_is_invalid_client_without_echo(sim: Harness) -> None:
    form = {**TOKEN_FORM, "client_secret": "not-the-secret-XYZ"}
    answer = await sim.client.post("/api/oauth/token", data=form)
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "invalid_client"
    assert body["error_description"]
    assert "XYZ" not in answer.text and "sim-client-secret" not in answer.text


async def test_token_bad_client_id(sim: Harness) -> None:
    form = {**TOKEN_FORM, "client_id": "someone-else"}
    answer = await sim.client.post("/api/oauth/token", data=form)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_client"


async def test_token_wrong_grant_type(sim: Harness) -> None:
    form = {**TOKEN_FORM, "grant_type": "password"}
    answer = await sim.client.post("/api/oauth/token", data=form)
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"


async def test_token_missing_grant_type(sim: Harness) -> None:
    form = {k: v for k, v in TOKEN_FORM.items() if k != "grant_type"}
    answer = await sim.client.post("/api/oauth/token", data=form)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


async def test_health_check_with_both_credentials(sim: Harness) -> None:
    answer = await sim.client.get(HEALTH, headers=await sim.headers())
    assert answer.status_code == 200
    assert answer.json() == {"body": "ok", "statusCodeValue": 200, "statusCode": "OK"}


def _challenge(answer: httpx.Response) -> str:
    return answer.headers["WWW-Authenticate"]


async def test_missing_bearer_token_is_401(sim: Harness) -> None:
    answer = await sim.client.get(HEALTH, headers={"cpro-account": account()})
    assert answer.status_code == 401
    assert answer.content == b""
    assert _challenge(answer).startswith('Bearer realm="PISTE",error="invalid_token"')
    assert "error_description=" in _challenge(answer)


async def test_unknown_bearer_token_is_401(sim: Harness) -> None:
    headers = {"Authorization": "Bearer made-up", "cpro-account": account()}
    answer = await sim.client.get(HEALTH, headers=headers)
    assert answer.status_code == 401
    assert 'error="invalid_token"' in _challenge(answer)


async def test_token_expires_on_the_simulator_clock(sim: Harness) -> None:
    headers = await sim.headers()
    await sim.client.post("/_simulator/clock/advance", json={"seconds": 3599})
    assert (await sim.client.get(HEALTH, headers=headers)).status_code == 200
    await sim.client.post("/_simulator/clock/advance", json={"seconds": 1})
    answer = await sim.client.get(HEALTH, headers=headers)
    assert answer.status_code == 401
    assert 'error="invalid_token"' in _challenge(answer)


async def test_admin_can_expire_every_token_then_a_new_one_works(sim: Harness) -> None:
    headers = await sim.headers()
    assert (await sim.client.post("/_simulator/tokens/expire")).json() == {"expired": 1}
    assert (await sim.client.get(HEALTH, headers=headers)).status_code == 401
    await sim.fetch_token()
    assert (await sim.client.get(HEALTH, headers=await sim.headers())).status_code == 200
    assert (await sim.stats())["tokens_issued"] == 2


@pytest.mark.parametrize(
    "value",
    [
        None,
        account(password="wrong"),
        account(login="TECH_1_other@cpro.fr"),
        "Basic " + account(),
        "not base64 !",
        b64(b"no-colon-here"),
    ],
)
async def test_bad_cpro_account_is_401(sim: Harness, value: str | None) -> None:
    headers = await sim.headers()
    del headers["cpro-account"]
    if value is not None:
        headers["cpro-account"] = value
    answer = await sim.client.get(HEALTH, headers=headers)
    assert answer.status_code == 401
    assert answer.content == b""
    assert _challenge(answer) == (
        'Bearer realm="PISTE",error="Unauthorized",error_description="login or password incorrects"'
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/cpro/factures/v1/consulter/cr"),
        ("POST", "/cpro/nothing/here"),
        ("POST", "/cpro"),
        ("GET", "/cpro/factures/v1/deposer/flux"),
        ("POST", HEALTH),
    ],
)
async def test_undeclared_route_is_403_even_with_bad_account(
    sim: Harness, method: str, path: str
) -> None:
    headers = await sim.headers()
    headers["cpro-account"] = account(password="wrong")
    answer = await sim.client.request(method, path, headers=headers, json={})
    assert answer.status_code == 403
    assert answer.content == b""


async def test_undeclared_route_without_token_is_401(sim: Harness) -> None:
    answer = await sim.client.post("/cpro/nothing/here", json={})
    assert answer.status_code == 401


async def test_malformed_json_is_400_with_code_retour(sim: Harness) -> None:
    answer = await sim.client.post(
        "/cpro/transverses/v1/consulterCRDetaille",
        content=b"{not json",
        headers=await sim.headers(),
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["codeRetour"] != 0
    assert body["libelle"] == "SIM_MSG_JSON_INVALIDE"


@pytest.mark.parametrize("payload", [[], "text", 12])
async def test_non_object_json_is_400(sim: Harness, payload: object) -> None:
    answer = await sim.post("transverses/v1/consulterCRDetaille", payload)
    assert answer.status_code == 400
    assert answer.json()["codeRetour"] != 0


async def test_missing_required_field_is_400(sim: Harness) -> None:
    answer = await sim.post("transverses/v1/consulterCRDetaille", {})
    assert answer.status_code == 400
    body = answer.json()
    assert body["libelle"] == "SIM_MSG_CHAMP_OBLIGATOIRE"
    assert "numeroFluxDepot" in body["message"]


async def test_wrong_field_type_is_400(sim: Harness) -> None:
    answer = await sim.post("factures/v1/consulter/historique", {"idFacture": "abc"})
    assert answer.status_code == 400
    assert answer.json()["libelle"] == "SIM_MSG_CHAMP_INVALIDE"


async def test_digit_string_ids_are_accepted(sim: Harness) -> None:
    answer = await sim.post("factures/v1/consulter/historique", {"idFacture": "123"})
    assert answer.status_code == 200
    assert answer.json() == {"codeRetour": 20000, "libelle": "GDP_MSG_11.008"}


async def test_oversized_body_is_413() -> None:
    settings = SimulatorSettings(max_request_bytes=1000)
    app = create_app(settings, clock=FixedClock(START))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://s") as client:
        sim = Harness(client, settings)
        answer = await sim.post("transverses/v1/consulterCRDetaille", {"x": "y" * 2000})
    assert answer.status_code == 413


async def test_functional_errors_can_use_http_400() -> None:
    settings = SimulatorSettings(functional_error_http_status=400)
    app = create_app(settings, clock=FixedClock(START))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://s") as client:
        sim = Harness(client, settings)
        answer = await sim.post("transverses/v1/consulterCRDetaille", {"numeroFluxDepot": "X"})
    assert answer.status_code == 400
    assert answer.json() == {"codeRetour": 20000, "libelle": "TRA_MSG_00.015"}
