"""The real client against the simulator over real HTTP, as against the qualification platform."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from app.chorus import ChorusAuthError, ChorusClient, ChorusConfig, ChorusUnavailableError
from app.document import InvoiceDocument
from app.formats import render
from app.simulator import SimulatorSettings, create_app
from tests.factories import invoice_body as invoice
from tests.support.live import serve


@pytest.fixture(scope="module")
def simulator_url() -> Iterator[str]:
    with serve(create_app(SimulatorSettings(step_seconds=0.2))) as url:
        yield url


def config(url: str, secret: str = "sim-client-secret") -> ChorusConfig:
    return ChorusConfig(
        token_url=f"{url}/api/oauth/token",
        api_base_url=url,
        client_id="sim-client-id",
        client_secret=SecretStr(secret),
        technical_login="TECH_1_sim@cpro.fr",
        technical_password=SecretStr("sim-password"),
    )


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as client:
        yield client


async def stats(http: httpx.AsyncClient, url: str) -> dict[str, object]:
    return dict((await http.get(f"{url}/_simulator/stats")).json())


async def test_deposit_then_follow_the_flux_and_invoice(
    http: httpx.AsyncClient, simulator_url: str
) -> None:
    client = ChorusClient(http, config(simulator_url))
    document = InvoiceDocument.model_validate(invoice(number="LIVE-1"))
    rendered = render(document)
    deposit = await client.deposit_flux(rendered.content, rendered.file_name, rendered.syntax)
    assert deposit.numero_flux_depot.startswith("CPP001")
    await http.post(f"{simulator_url}/_simulator/clock/advance", json={"seconds": 0.5})
    report = await client.get_flux_report(deposit.numero_flux_depot)
    assert report.etat_courant_depot_flux == "IN_INTEGRE"
    found = await client.search_supplier_invoices_all(flux_number=deposit.numero_flux_depot)
    assert [f.numero_facture for f in found] == ["LIVE-1"]
    history = await client.get_invoice_history(found[0].identifiant_facture_cpp)
    assert history.statut_courant_code in {
        "DEPOSEE",
        "MISE_A_DISPOSITION",
        "SERVICE_FAIT",
        "MANDATEE",
        "MISE_EN_PAIEMENT",
    }
    # The simulator pages the history as Chorus Pro does: one entry a page reads the same.
    await http.post(f"{simulator_url}/_simulator/clock/advance", json={"seconds": 3600})
    whole = await client.get_invoice_history(found[0].identifiant_facture_cpp)
    paged = await client.get_invoice_history(found[0].identifiant_facture_cpp, page_size=1)
    assert len(whole.statuses) > 1
    assert paged.statuses == whole.statuses


async def test_token_is_cached_and_refetched_once_after_401(
    http: httpx.AsyncClient, simulator_url: str
) -> None:
    client = ChorusClient(http, config(simulator_url))
    before = int(str((await stats(http, simulator_url))["tokens_issued"]))
    for _ in range(3):
        assert await client.health_check()
    after_calls = int(str((await stats(http, simulator_url))["tokens_issued"]))
    assert after_calls == before + 1
    await http.post(f"{simulator_url}/_simulator/tokens/expire")
    assert await client.health_check()  # 401 -> new token -> same call again
    assert int(str((await stats(http, simulator_url))["tokens_issued"])) == before + 2


async def test_wrong_credentials_never_leak_the_secret(
    http: httpx.AsyncClient, simulator_url: str
) -> None:
    client = ChorusClient(http, config(simulator_url, secret="wrong-secret-value"))
    with pytest.raises(ChorusAuthError) as caught:
        await client.health_check()
    assert "wrong-secret-value" not in str(caught.value)
    assert "wrong-secret-value" not in repr(caught.value)


async def test_missing_cpro_account_is_refused_with_www_authenticate(
    http: httpx.AsyncClient, simulator_url: str
) -> None:
    token = (
        await http.post(
            f"{simulator_url}/api/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "sim-client-id",
                "client_secret": "sim-client-secret",
            },
        )
    ).json()["access_token"]
    response = await http.post(
        f"{simulator_url}/cpro/factures/v1/deposer/flux",
        json={},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers
    wrong = base64.b64encode(b"TECH_1_sim@cpro.fr:nope").decode()
    response = await http.post(
        f"{simulator_url}/cpro/factures/v1/deposer/flux",
        json={},
        headers={"Authorization": f"Bearer {token}", "cpro-account": wrong},
    )
    assert response.status_code == 401


async def test_throttling_is_a_retryable_error_with_retry_after(
    http: httpx.AsyncClient, simulator_url: str
) -> None:
    client = ChorusClient(http, config(simulator_url))
    document = InvoiceDocument.model_validate(invoice(number="X429-LIVE"))
    rendered = render(document)
    with pytest.raises(ChorusUnavailableError) as caught:
        await client.deposit_flux(rendered.content, rendered.file_name, rendered.syntax)
    assert caught.value.http_status == 429
    assert caught.value.retry_after == timedelta(seconds=1)
