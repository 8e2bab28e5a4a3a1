"""Every route of the API, walked from the route table: no key, the wrong scope, another supplier.

The table is read from the routers themselves and checked against the OpenAPI document,
so a route added tomorrow is walked too, or this module fails until it says how.
"""

from __future__ import annotations

import copy
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from app.access.principal import Scope
from app.access.router import router as api_keys_router
from app.actions.router import router as actions_router
from app.config import Settings
from app.directory.router import router as directory_router
from app.intake.router import router as intake_router
from app.invoices.router import router as invoices_router
from app.main import create_app
from app.suppliers.router import router as suppliers_router
from app.webhooks.router import endpoints as webhook_endpoints_router
from app.webhooks.router import messages as webhook_messages_router
from tests.factories import EXAMPLE, PAYS, SUPPLIER, invoice_body
from tests.support.keys import UNKNOWN_KEY, bearer, grant

OTHER_SUPPLIER = "73282932000074"

ROUTERS = (
    intake_router,
    invoices_router,
    actions_router,
    webhook_endpoints_router,
    webhook_messages_router,
    suppliers_router,
    directory_router,
    api_keys_router,
)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as the API serves it, /v1 included
    scope: Scope

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def _scope_of(route: APIRoute) -> Scope:
    def walk(dependant: Any) -> list[str]:
        names = []
        for dependency in dependant.dependencies:
            name = getattr(dependency.call, "__name__", "")
            if name.startswith("require_"):
                names.append(name.removeprefix("require_"))
            names += walk(dependency)
        return names

    found = sorted(set(walk(route.dependant)))
    assert len(found) == 1, f"{route.path} declares {found or 'no scope'}"
    return Scope[found[0].upper()]


ROUTES = [
    Route(method, f"/v1{route.path_format}", _scope_of(route))
    for router in ROUTERS
    for route in router.routes
    if isinstance(route, APIRoute)
    for method in sorted(route.methods)
]

# A body each route accepts, so that what answers is the access check, not validation.
BODIES: dict[str, Any] = {
    "POST /v1/invoices": invoice_body(number="RT-NEW-1"),
    "POST /v1/invoices/validate": invoice_body(number="RT-NEW-2"),
    "POST /v1/invoices/{invoice_id}/complete": {"comment": "pièce jointe"},
    "POST /v1/invoices/{invoice_id}/recycle": {"recipient_siret": PAYS},
    "POST /v1/invoices/{invoice_id}/replace": invoice_body(number="RT-NEW-3"),
    "POST /v1/webhook-endpoints": {"url": "http://127.0.0.1:9/hooks"},
    "PATCH /v1/webhook-endpoints/{endpoint_id}": {"description": "renamed"},
    "POST /v1/webhook-endpoints/{endpoint_id}/recover": {"since": "2026-01-01T00:00:00Z"},
    "POST /v1/suppliers": {"siret": "73282932000157", "name": "AUTRE"},
    "PATCH /v1/suppliers/{siret}": {"name": "renamed"},
    "PUT /v1/suppliers/{siret}/credentials": {
        "piste_client_id": "id",
        "piste_client_secret": "secret",
        "technical_login": "TECH_2@cpro.fr",
        "technical_password": "password",
    },
    "PUT /v1/suppliers/{siret}/settings": {"default_syntax": "IN_DP_E1_UBL_INVOICE"},
    "POST /v1/api-keys": {"name": "rt", "scopes": ["invoices:read"]},
}

# Routes that create or list rather than name one object: another supplier's key is
# refused (creating for a supplier it does not act for) or sees nothing of the first one.
CREATES = {
    "POST /v1/invoices": 403,
    "POST /v1/invoices/validate": 403,
    "POST /v1/webhook-endpoints": 403,
    "POST /v1/suppliers": 403,
}
LISTS = {"GET /v1/invoices", "GET /v1/webhook-endpoints", "GET /v1/webhook-messages"}
# Supplier-wide views: a recipient's directory entry is public Chorus Pro data, and the
# supplier list is filtered (checked in LISTS' way below); API keys are the admin's.
NOT_A_SUPPLIER_OBJECT = {"GET /v1/directory/structures/{siret}", "GET /v1/suppliers"}


@dataclass
class World:
    client: httpx.AsyncClient
    sessionmaker: Any
    ids: dict[str, str]

    def url(self, route: Route) -> str:
        path = route.path
        if route.path.startswith("/v1/directory/"):
            path = path.replace("{siret}", PAYS)
        for name, value in self.ids.items():
            path = path.replace("{" + name + "}", value)
        assert "{" not in path, f"no value for a parameter of {route.path}"
        return path

    async def call(self, route: Route, headers: dict[str, str]) -> httpx.Response:
        body = BODIES.get(route.id)
        return await self.client.request(
            route.method,
            self.url(route),
            json=copy.deepcopy(body) if body is not None else None,
            headers={"Idempotency-Key": f"rt-{route.id}", **headers},
        )


@pytest.fixture(scope="module")
async def world(
    database_url: str, redis_url: str, simulator_url: str, clean_db_once: None
) -> AsyncIterator[World]:
    """Supplier A (the environment's) with an invoice, an endpoint and a message; supplier B."""
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        chorus_api_url=simulator_url,
        piste_token_url=f"{simulator_url}/api/oauth/token",
        webhook_allowed_networks="127.0.0.0/8",
        api_key_rate_limit="100000/minute",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        admin = bearer(await grant(app.state.sessionmaker))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://gateway", timeout=30
        ) as client:

            async def ok(method: str, url: str, **kwargs: Any) -> Any:
                response = await client.request(method, url, headers=admin, **kwargs)
                assert response.status_code < 300, response.text
                return response.json() if response.content else None

            await ok("POST", "/v1/suppliers", json={"siret": OTHER_SUPPLIER, "name": "B"})
            endpoint = await ok(
                "POST",
                "/v1/webhook-endpoints",
                json={"url": "http://127.0.0.1:9/hooks", "supplier_siret": SUPPLIER},
            )
            headers = {**admin, "Idempotency-Key": "rt-a-1"}
            posted = await client.post("/v1/invoices", json=EXAMPLE, headers=headers)
            assert posted.status_code == 202, posted.text
            messages = await ok("GET", "/v1/webhook-messages")
            deliveries = await ok("GET", f"/v1/webhook-endpoints/{endpoint['id']}/deliveries")
            keys = await ok("GET", "/v1/api-keys")
            yield World(
                client,
                app.state.sessionmaker,
                {
                    "invoice_id": posted.json()["id"],
                    "endpoint_id": endpoint["id"],
                    "message_id": messages["data"][0]["id"],
                    "delivery_id": deliveries["data"][0]["id"],
                    "key_id": keys["data"][0]["id"],
                    "siret": SUPPLIER,
                },
            )


def test_the_table_is_the_whole_api() -> None:
    """Every operation of the OpenAPI document under /v1 is in the walked table."""
    document = create_app(Settings()).openapi()
    served = {
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        if path.startswith("/v1/")
        for method in operations
    }
    assert served == {route.id for route in ROUTES}
    assert set(BODIES) <= served and set(CREATES) | LISTS | NOT_A_SUPPLIER_OBJECT <= served


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.id)
async def test_no_key_is_401(world: World, route: Route) -> None:
    for headers in ({}, bearer(UNKNOWN_KEY), {"Authorization": "Basic dXNlcjpwYXNz"}):
        response = await world.call(route, headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.id)
async def test_the_wrong_scope_is_403(world: World, route: Route) -> None:
    others = [s for s in Scope if s not in (route.scope, Scope.ADMIN)]
    key = await grant(world.sessionmaker, others, name="every other scope")
    response = await world.call(route, bearer(key))
    assert response.status_code == 403, response.text
    assert route.scope.value in response.json()["detail"]


SUPPLIER_OBJECT_ROUTES = [
    r
    for r in ROUTES
    if r.scope is not Scope.ADMIN
    and r.id not in NOT_A_SUPPLIER_OBJECT
    and r.id not in CREATES
    and r.id not in LISTS
]


@pytest.mark.parametrize("route", SUPPLIER_OBJECT_ROUTES, ids=lambda r: r.id)
async def test_another_suppliers_object_is_404(world: World, route: Route) -> None:
    assert re.search(r"\{(invoice_id|endpoint_id|message_id|siret)\}", route.path), route.id
    key = await grant(world.sessionmaker, [route.scope], [OTHER_SUPPLIER], name="supplier B")
    response = await world.call(route, bearer(key))
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("route_id", sorted(CREATES))
async def test_creating_for_another_supplier_is_refused(world: World, route_id: str) -> None:
    route = next(r for r in ROUTES if r.id == route_id)
    key = await grant(world.sessionmaker, [route.scope], [OTHER_SUPPLIER], name="supplier B")
    body = copy.deepcopy(BODIES[route_id])
    if route_id == "POST /v1/webhook-endpoints":
        body["supplier_siret"] = SUPPLIER
    response = await world.client.request(
        route.method,
        world.url(route),
        json=body,
        headers={**bearer(key), "Idempotency-Key": f"rt-b-{route_id}"},
    )
    assert response.status_code == CREATES[route_id], response.text


@pytest.mark.parametrize("route_id", sorted(LISTS | {"GET /v1/suppliers"}))
async def test_lists_show_nothing_of_another_supplier(world: World, route_id: str) -> None:
    route = next(r for r in ROUTES if r.id == route_id)
    key = await grant(world.sessionmaker, [route.scope], [OTHER_SUPPLIER], name="supplier B")
    response = await world.call(route, bearer(key))
    assert response.status_code == 200, response.text
    text = response.text
    for name in ("invoice_id", "endpoint_id", "message_id"):
        assert world.ids[name] not in text
    assert SUPPLIER not in text
    # The same list through an admin key does show them: the filter, not an empty table.
    everything = await world.call(route, bearer(await grant(world.sessionmaker)))
    assert SUPPLIER in everything.text or world.ids["invoice_id"] in everything.text
