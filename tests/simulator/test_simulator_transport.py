"""Transport scenarios (XLOST, X500, X429, XSLOW), injected faults and the admin API."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

import app.simulator.server as server
from app.simulator import SimulatorSettings

from .helpers import CII, Harness, cii_invoice


async def test_xlost_answers_504_but_the_flux_exists(sim: Harness) -> None:
    answer = await sim.deposit(cii_invoice("XLOST-1"))
    assert answer.status_code == 504
    assert answer.content == b""
    [deposit] = (await sim.stats())["deposits"]
    assert deposit["numeroFacture"] == "XLOST-1"
    assert deposit["syntaxeFlux"] == CII
    await sim.advance()
    found = await sim.search(numeroFacture="XLOST-1")
    assert found["listeFactures"][0]["numeroFluxDepot"] == deposit["numeroFluxDepot"]
    # A blind retry is a second deposit of the same number: Chorus rejects it.
    retry = await sim.deposit(cii_invoice("XLOST-1"))
    assert retry.status_code == 504
    await sim.advance()
    report = await sim.cr((await sim.stats())["deposits"][1]["numeroFluxDepot"])
    assert report["etatCourantDepotFlux"] == "IN_REJETE"


async def test_x500_fails_once_without_recording(sim: Harness) -> None:
    first = await sim.deposit(cii_invoice("X500-1"))
    assert first.status_code == 503
    assert first.content == b""
    assert (await sim.stats())["deposits"] == []
    second = await sim.deposit(cii_invoice("X500-1"))
    assert second.status_code == 200
    assert second.json()["codeRetour"] == 0
    stats = await sim.stats()
    assert len(stats["deposits"]) == 1
    assert stats["calls"]["deposerFluxFacture"] == 2


async def test_x429_throttles_once_with_retry_after(sim: Harness) -> None:
    first = await sim.deposit(cii_invoice("X429-1"))
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "1"
    assert (await sim.stats())["deposits"] == []
    assert (await sim.deposit(cii_invoice("X429-1"))).status_code == 200
    # The first-attempt rule is per invoice number.
    assert (await sim.deposit(cii_invoice("X429-2"))).status_code == 429


async def test_xslow_records_before_answering(sim: Harness) -> None:
    task = asyncio.create_task(sim.deposit(cii_invoice("XSLOW-1")))
    await asyncio.sleep(0.1)  # the simulator takes the request (no clock involved)
    assert not task.done()
    [deposit] = (await sim.stats())["deposits"]
    assert deposit["numeroFacture"] == "XSLOW-1"
    answer = await task
    assert answer.status_code == 200
    assert answer.json()["numeroFluxDepot"] == deposit["numeroFluxDepot"]


async def test_xslow_client_giving_up_has_still_deposited(sim: Harness) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(sim.deposit(cii_invoice("XSLOW-2")), timeout=0.1)
    assert len((await sim.stats())["deposits"]) == 1


async def _fault(sim: Harness, **spec: Any) -> dict[str, Any]:
    answer = await sim.client.post("/_simulator/faults", json=spec)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


async def test_fault_answers_status_count_times_before_scenarios(sim: Harness) -> None:
    await _fault(sim, operation="deposerFluxFacture", status=503, count=2)
    assert (await sim.deposit(cii_invoice("F-1"))).status_code == 503
    assert (await sim.deposit(cii_invoice("F-1"))).status_code == 503
    assert (await sim.deposit(cii_invoice("F-1"))).status_code == 200
    stats = await sim.stats()
    assert stats["calls"]["deposerFluxFacture"] == 3
    assert len(stats["deposits"]) == 1
    assert (await sim.client.get("/_simulator/faults")).json() == {"faults": []}


async def test_fault_with_retry_after_on_another_operation(sim: Harness) -> None:
    await _fault(sim, operation="consulterCRDetaille", status=429, retry_after=7)
    answer = await sim.post("transverses/v1/consulterCRDetaille", {"numeroFluxDepot": "X"})
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "7"
    answer = await sim.post("transverses/v1/consulterCRDetaille", {"numeroFluxDepot": "X"})
    assert answer.status_code == 200


async def test_fault_delay_only(sim: Harness) -> None:
    await _fault(sim, operation="healthCheck", delay_seconds=0.2)
    started = asyncio.get_running_loop().time()
    answer = await sim.client.get("/cpro/transverses/v1/health-check", headers=await sim.headers())
    assert answer.status_code == 200
    assert asyncio.get_running_loop().time() - started >= 0.2


async def test_fault_on_token_endpoint(sim: Harness) -> None:
    await _fault(sim, operation="token", status=500)
    with pytest.raises(AssertionError):
        await sim.fetch_token()
    await sim.fetch_token()
    assert (await sim.stats())["calls"]["token"] == 2


async def test_faults_wait_for_valid_credentials(sim: Harness) -> None:
    await _fault(sim, operation="healthCheck", status=502)
    answer = await sim.client.get("/cpro/transverses/v1/health-check")
    assert answer.status_code == 401
    answer = await sim.client.get("/cpro/transverses/v1/health-check", headers=await sim.headers())
    assert answer.status_code == 502


async def test_delete_faults_and_unknown_operation(sim: Harness) -> None:
    await _fault(sim, operation="deposerFluxFacture", status=500, count=5)
    assert (await sim.client.delete("/_simulator/faults")).json() == {"faults": []}
    assert (await sim.deposit(cii_invoice("F-2"))).status_code == 200
    bad = await sim.client.post("/_simulator/faults", json={"operation": "nope", "status": 500})
    assert bad.status_code == 400
    bad = await sim.client.post(
        "/_simulator/faults", json={"operation": "healthCheck", "status": 42}
    )
    assert bad.status_code == 422


async def test_stats_shape(sim: Harness) -> None:
    flux = await sim.deposit_ok(cii_invoice("ST-1"))
    await sim.cr(flux)
    await sim.cr(flux)
    stats = await sim.stats()
    assert stats["calls"] == {"token": 1, "deposerFluxFacture": 1, "consulterCRDetaille": 2}
    assert stats["tokens_issued"] == 1
    [deposit] = stats["deposits"]
    assert deposit["numeroFluxDepot"] == flux
    assert deposit["numeroFacture"] == "ST-1"
    assert deposit["syntaxeFlux"] == CII
    assert deposit["received_at"] == "2025-03-14T09:00:00+00:00"


async def test_clock_endpoints(sim: Harness) -> None:
    clock = (await sim.client.get("/_simulator/clock")).json()
    assert clock == {
        "now": "2025-03-14T09:00:00+00:00",
        "now_local": "2025-03-14T10:00:00.000+01:00",
        "offset_seconds": 0.0,
    }
    moved = await sim.client.post("/_simulator/clock/advance", json={"seconds": 90.5})
    assert moved.json()["now"] == "2025-03-14T09:01:30.500000+00:00"
    back = await sim.client.post("/_simulator/clock/advance", json={"seconds": -1})
    assert back.status_code == 422


async def test_reset_forgets_everything(sim: Harness) -> None:
    flux = await sim.deposit_ok(cii_invoice("RS-1"))
    await sim.advance(3)
    await _fault(sim, operation="healthCheck", status=500)
    answer = await sim.client.post("/_simulator/reset")
    assert answer.json()["offset_seconds"] == 0.0
    stats = await sim.stats()
    assert stats == {"calls": {}, "deposits": [], "tokens_issued": 0}
    await sim.fetch_token()
    assert (await sim.cr(flux))["codeRetour"] == 20000
    # The sequence restarts too, and the number can be used again.
    assert await sim.deposit_ok(cii_invoice("RS-1")) == flux


async def test_admin_invoice_view(sim: Harness) -> None:
    flux = await sim.deposit_ok(cii_invoice("AD-1"))
    await sim.advance()
    invoice_id = await sim.invoice_id(flux)
    view = (await sim.client.get(f"/_simulator/invoices/{invoice_id}")).json()
    assert view["statut"] == "DEPOSEE"
    assert view["scenario"] == "pay"
    assert [e["code"] for e in view["evenements"]][:2] == ["DEPOSEE", "MISE_A_DISPOSITION"]
    assert [e["atteint"] for e in view["evenements"]][:2] == [True, False]
    assert (await sim.client.get("/_simulator/invoices/1")).status_code == 404


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMULATOR_STEP_SECONDS", "0.5")
    monkeypatch.setenv("SIMULATOR_CLIENT_SECRET", "from-env")
    monkeypatch.setenv("SIMULATOR_PORT", "9999")
    settings = SimulatorSettings()
    assert settings.step_seconds == 0.5
    assert settings.client_secret.get_secret_value() == "from-env"
    assert "from-env" not in repr(settings)
    assert settings.port == 9999


def test_run_serves_create_app_on_configured_address(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_run(app: object, host: str, port: int) -> None:
        seen.update(app=app, host=host, port=port)

    monkeypatch.setattr("app.simulator.server.uvicorn.run", fake_run)
    server.run(SimulatorSettings(host="0.0.0.0", port=8191))
    assert seen["host"] == "0.0.0.0" and seen["port"] == 8191
    assert seen["app"].title == "Chorus Pro simulator"


async def test_concurrent_deposits_get_distinct_numbers(sim: Harness) -> None:
    await sim.fetch_token()
    answers = await asyncio.gather(*(sim.deposit(cii_invoice(f"CC-{n}")) for n in range(20)))
    numbers = {a.json()["numeroFluxDepot"] for a in answers}
    assert len(numbers) == 20
    assert len((await sim.stats())["deposits"]) == 20


async def test_secrets_are_not_logged(sim: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await sim.client.post(
        "/api/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "s3cr3t-XYZ"},
    )
    token = await sim.fetch_token()
    await sim.deposit(cii_invoice("LOG-1"))
    assert "s3cr3t-XYZ" not in caplog.text
    assert "sim-client-secret" not in caplog.text
    assert "sim-password" not in caplog.text
    assert token not in caplog.text
