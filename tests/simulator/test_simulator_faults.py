"""Faults the chaos run injects: after processing, dropped connections, at random, anywhere.

A fault `after` the call is played once the simulator has processed it: the flux exists,
only its answer is lost, which is what forces the gateway's look-up before any re-deposit.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.simulator import FixedClock, SimulatorSettings, create_app
from tests.support.live import serve

from .helpers import START, Harness, cii_invoice


async def _fault(sim: Harness, **spec: Any) -> None:
    answer = await sim.client.post("/_simulator/faults", json=spec)
    assert answer.status_code == 200, answer.text


async def test_a_status_after_processing_loses_the_answer_not_the_deposit(sim: Harness) -> None:
    await _fault(sim, operation="deposerFluxFacture", status=503, after=True)
    assert (await sim.deposit(cii_invoice("AFTER-1"))).status_code == 503
    [deposit] = (await sim.stats())["deposits"]
    assert deposit["numeroFacture"] == "AFTER-1"
    assert (await sim.client.get("/_simulator/faults")).json() == {"faults": []}


async def test_a_delay_after_processing_delivers_the_real_answer_late(sim: Harness) -> None:
    await _fault(sim, operation="deposerFluxFacture", delay_seconds=0.05, after=True)
    answer = await sim.deposit(cii_invoice("LATE-1"))
    assert answer.status_code == 200 and answer.json()["codeRetour"] == 0
    assert answer.json()["numeroFluxDepot"] == (await sim.stats())["deposits"][0]["numeroFluxDepot"]


async def test_the_star_matches_every_chorus_operation_but_not_the_token(sim: Harness) -> None:
    await _fault(sim, operation="*", status=502, count=None)
    assert (await sim.deposit(cii_invoice("STAR-1"))).status_code == 502
    assert (await sim.deposit(cii_invoice("STAR-1"))).status_code == 502  # unlimited
    await sim.fetch_token()  # the token endpoint still answers
    (fault,) = (await sim.client.get("/_simulator/faults")).json()["faults"]
    assert fault["remaining"] is None and fault["operation"] == "*"


async def test_a_probability_hits_about_that_share_of_calls_repeatably() -> None:
    async def hits(seed: int) -> list[int]:
        settings = SimulatorSettings(fault_seed=seed)
        app = create_app(settings, clock=FixedClock(START))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
            sim = Harness(client, settings)
            search = "rechercherFactureParFournisseur"
            await _fault(sim, operation=search, status=503, count=None, probability=0.2)
            codes = []
            for _ in range(200):
                answer = await sim.post("factures/v1/rechercher/fournisseur", {})
                codes.append(answer.status_code)
            return codes

    first = await hits(7)
    assert first == await hits(7)
    assert 20 <= first.count(503) <= 60


@pytest.fixture
def live_sim() -> Any:
    settings = SimulatorSettings()
    with serve(create_app(settings, clock=FixedClock(START))) as url:
        yield url, settings


async def test_a_dropped_connection_after_processing(live_sim: tuple[str, Any]) -> None:
    url, settings = live_sim
    async with httpx.AsyncClient(base_url=url, timeout=5) as client:
        sim = Harness(client, settings)
        await _fault(sim, operation="deposerFluxFacture", drop=True, after=True)
        with pytest.raises(httpx.RemoteProtocolError):
            await sim.deposit(cii_invoice("DROP-1"))
        [deposit] = (await sim.stats())["deposits"]
        assert deposit["numeroFacture"] == "DROP-1"
        assert (await sim.deposit(cii_invoice("DROP-2"))).status_code == 200
