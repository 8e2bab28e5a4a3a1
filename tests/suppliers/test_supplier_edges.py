"""Edges of supplier management: concurrent creates, and which refusals mean bad credentials."""

from __future__ import annotations

import asyncio

import httpx

from app.chorus import ChorusAuthError
from app.chorus.errors import TOKEN_OPERATION

OTHER = "73282932000074"


async def test_one_supplier_created_four_times_at_once_is_one_201_and_409s(
    client: httpx.AsyncClient,
) -> None:
    body = {"siret": OTHER, "name": "ENTITE PARALLELE"}
    answers = await asyncio.gather(*(client.post("/v1/suppliers", json=body) for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [a.text for a in answers]
    assert (await client.get(f"/v1/suppliers/{OTHER}")).status_code == 200


def test_only_refused_credentials_count_as_rejected_credentials() -> None:
    """A 403 is a route the PISTE application is not subscribed to: no new password fixes it."""
    api_401 = ChorusAuthError("refused", operation="rechercherStructure", http_status=401)
    token_400 = ChorusAuthError("refused", operation=TOKEN_OPERATION, http_status=400)
    api_403 = ChorusAuthError("not allowed", operation="rechercherStructure", http_status=403)
    assert api_401.credentials_refused
    assert token_400.credentials_refused
    assert not api_403.credentials_refused
