"""A plain load generator depositing straight on the simulator (no gateway): the baseline.

    python -m bench.deposits SIMULATOR_URL CONNECTIONS SECONDS   # prints one JSON line

Each connection deposits one CII flux after the other (a new invoice number each time, the
same XML the gateway would send) for SECONDS; prints deposits/s and latencies.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time

import aiohttp

from app.chorus.auth import cpro_account_value
from app.config import Settings
from app.document import InvoiceDocument
from app.formats import Syntax, render
from bench.harness import invoice_body


async def run(url: str, connections: int, seconds: float) -> dict[str, float]:
    settings = Settings()
    template = render(
        InvoiceDocument.model_validate(invoice_body(number="NUMBER-PLACEHOLD")), Syntax.CII_D16B
    ).content
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as http:
        form = {
            "grant_type": "client_credentials",
            "client_id": settings.piste_client_id,
            "client_secret": settings.piste_client_secret.get_secret_value(),
            "scope": "openid",
        }
        async with http.post(f"{url}/api/oauth/token", data=form) as answer:
            token = (await answer.json())["access_token"]
        account = cpro_account_value(
            settings.chorus_technical_login, settings.chorus_technical_password
        )
        headers = {
            "Authorization": f"Bearer {token}",
            "cpro-account": account.get_secret_value(),
            "Content-Type": "application/json;charset=utf-8",
        }
        latencies: list[float] = []
        deadline = time.monotonic() + seconds
        counter = 0

        async def lane(lane_id: int) -> None:
            nonlocal counter
            while time.monotonic() < deadline:
                counter += 1
                number = f"D{lane_id}-{counter}".ljust(16, "X").encode()
                body = {
                    "fichierFlux": base64.b64encode(
                        template.replace(b"NUMBER-PLACEHOLD", number)
                    ).decode(),
                    "nomFichier": f"{number.decode()}.xml",
                    "syntaxeFlux": "IN_DP_E1_CII_16B",
                    "avecSignature": False,
                }
                started = time.monotonic()
                async with http.post(
                    f"{url}/cpro/factures/v1/deposer/flux", json=body, headers=headers
                ) as answer:
                    payload = await answer.json(content_type=None)
                    if answer.status != 200 or not payload.get("numeroFluxDepot"):
                        raise RuntimeError(f"deposit refused: {answer.status} {payload}")
                latencies.append(time.monotonic() - started)

        begun = time.monotonic()
        await asyncio.gather(*(lane(i) for i in range(connections)))
        elapsed = time.monotonic() - begun
    latencies.sort()
    return {
        "rate": len(latencies) / elapsed,
        "p50": 1000 * latencies[len(latencies) // 2],
        "p99": 1000 * latencies[int(len(latencies) * 0.99)],
    }


def main() -> None:
    url, connections, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    print(json.dumps(asyncio.run(run(url, connections, seconds))))


if __name__ == "__main__":
    main()
