"""The aiohttp-backed transport tells "never sent" from "sent, answer lost", as a deposit needs.

Against the simulator over real HTTP, with faults played after the deposit was processed.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.chorus import ChorusClient
from app.config import Settings
from app.kit.time import utcnow
from app.runtime import chorus_http_client
from app.simulator import SimulatorSettings, create_app
from app.submission.attempts import AttemptOutcome, DepositClaim, Mode
from app.submission.deposit import deposit
from tests.factories import SUPPLIER, invoice_body
from tests.support.live import free_port, serve


@pytest.fixture(scope="module")
def simulator_url() -> Iterator[str]:
    with serve(create_app(SimulatorSettings())) as url:
        yield url


@pytest.fixture
async def chorus(simulator_url: str) -> AsyncIterator[ChorusClient]:
    settings = Settings(
        chorus_api_url=simulator_url,
        piste_token_url=f"{simulator_url}/api/oauth/token",
        chorus_timeout=timedelta(seconds=1),
    )
    http = chorus_http_client(settings)
    try:
        yield ChorusClient(http, settings.chorus_config())
    finally:
        await http.aclose()


async def fault(url: str, **spec: Any) -> None:
    async with httpx.AsyncClient(base_url=url) as admin:
        await admin.post("/_simulator/reset")
        answer = await admin.post("/_simulator/faults", json=spec)
        assert answer.status_code == 200, answer.text


async def deposits(url: str) -> int:
    async with httpx.AsyncClient(base_url=url) as admin:
        return len((await admin.get("/_simulator/stats")).json()["deposits"])


def claim(number: str) -> DepositClaim:
    return DepositClaim(
        invoice_id=uuid.uuid4(),
        lease_token=uuid.uuid4(),
        mode=Mode.DEPOSIT,
        attempt_id=uuid.uuid4(),
        attempt_number=1,
        attempt_started_at=utcnow(),
        number=number,
        supplier_siret=SUPPLIER,
        syntax="IN_DP_E1_CII_16B",
        document=invoice_body(number=number),
    )


async def test_an_answer_is_read_like_httpx_would(chorus: ChorusClient, simulator_url: str) -> None:
    await fault(simulator_url, operation="healthCheck", count=1, delay_seconds=0)
    result = await deposit(chorus, claim("TRANSPORT-OK-1"))
    assert result.outcome is AttemptOutcome.DEPOSITED and result.flux_number


@pytest.mark.parametrize(
    "spec",
    [
        {"drop": True, "after": True},  # the connection drops once the flux is recorded
        {"delay_seconds": 3, "after": True},  # the answer comes after the client's timeout
    ],
)
async def test_an_answer_lost_after_sending_may_have_arrived(
    chorus: ChorusClient, simulator_url: str, spec: dict[str, Any]
) -> None:
    await fault(simulator_url, operation="deposerFluxFacture", **spec)
    result = await deposit(chorus, claim("TRANSPORT-LOST-1"))
    assert result.outcome is AttemptOutcome.UNKNOWN, result  # looked up, never sent blindly
    assert await deposits(simulator_url) == 1


async def test_a_refused_connection_certainly_sent_nothing() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    settings = Settings(chorus_api_url=closed, piste_token_url=f"{closed}/api/oauth/token")
    http = chorus_http_client(settings)
    try:
        result = await deposit(ChorusClient(http, settings.chorus_config()), claim("NOWHERE-1"))
    finally:
        await http.aclose()
    assert result.outcome is AttemptOutcome.RETRY, result
