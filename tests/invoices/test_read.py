"""Reading invoices back: status and history, one invoice, the filtered list."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import invoice_body as invoice
from tests.factories import post_invoice as post


async def test_get_status_and_history(client: httpx.AsyncClient) -> None:
    created = (await post(client, invoice(), "key-9")).json()
    status = await client.get(f"/v1/invoices/{created['id']}/status")
    assert status.status_code == 200
    body = status.json()
    assert body["status"] == "accepted"
    assert body["chorus_status"] is None
    assert [(h["source"], h["status"]) for h in body["history"]] == [("erp", "accepted")]
    full = (await client.get(f"/v1/invoices/{created['id']}")).json()
    assert full["document"]["number"] == "FA-2026-00042"
    assert full["attempts"] == []


async def test_unknown_invoice_is_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/invoices/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_list_filters_and_cursor_pagination(client: httpx.AsyncClient) -> None:
    ids = []
    for n in range(5):
        body = invoice(number=f"FA-LIST-{n}")
        body["recipient"]["siret"] = "21750001600019" if n % 2 else "21330063500025"
        ids.append((await post(client, body, f"list-{n}")).json()["id"])
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/invoices", params=params)).json()
        seen += [i["id"] for i in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    filtered = (
        await client.get("/v1/invoices", params={"recipient_siret": "21750001600019"})
    ).json()
    assert {i["number"] for i in filtered["data"]} == {"FA-LIST-1", "FA-LIST-3"}
    by_status = (await client.get("/v1/invoices", params={"status": "paid"})).json()
    assert by_status["data"] == []
    bad = await client.get("/v1/invoices", params={"cursor": "nope"})
    assert bad.status_code == 400


async def test_status_answer_matches_the_full_read(client: httpx.AsyncClient) -> None:
    """The status read (plain rows) shows what the full read (entities) shows."""
    created = (await post(client, invoice(number="FA-STATUS-1"), "status-rows")).json()
    status = (await client.get(f"/v1/invoices/{created['id']}/status")).json()
    full = (await client.get(f"/v1/invoices/{created['id']}")).json()
    assert set(status) == {
        "id", "number", "status", "status_changed_at", "status_comment", "chorus_status",
        "chorus_status_changed_at", "flux_number", "flux_status", "chorus_invoice_id", "history",
    }  # fmt: skip
    assert status == {key: full[key] for key in status}
    assert status["history"] == created["history"] != []
    missing = await client.get("/v1/invoices/00000000-0000-0000-0000-000000000000/status")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
