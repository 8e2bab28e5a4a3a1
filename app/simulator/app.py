"""ASGI app of the simulator: PISTE OAuth, the Chorus Pro routes we use, and test controls.

State lives in memory for the life of the app; build a fresh app (or POST /_simulator/reset)
for an empty platform.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response

from app.simulator.admin import admin_router
from app.simulator.auth import token_endpoint
from app.simulator.chorus import Context
from app.simulator.clock import Clock, DateFormats, OffsetClock, load_zone
from app.simulator.gateway import TOKEN_OPERATION, count_call, cpro_endpoint, play_fault
from app.simulator.seeding import seeding_router
from app.simulator.settings import SimulatorSettings
from app.simulator.state import SimulatorState

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_app(settings: SimulatorSettings | None = None, clock: Clock | None = None) -> FastAPI:
    """`clock` is the base time; the admin API adds an offset to it, never replaces it."""
    settings = settings or SimulatorSettings()
    state = SimulatorState(settings, OffsetClock(clock))
    ctx = Context(state, DateFormats(load_zone(settings.timezone)))
    app = FastAPI(
        title="Chorus Pro simulator",
        description="Local stand-in for PISTE OAuth and the Chorus Pro supplier API.",
        version="1",
    )
    app.state.simulator = state

    @app.post("/api/oauth/token", tags=["PISTE"])
    async def token(request: Request) -> Response:
        await count_call(state, TOKEN_OPERATION)
        fault = await play_fault(state, TOKEN_OPERATION)
        if fault is not None:
            return fault
        answer = await token_endpoint(request, state)
        return await play_fault(state, TOKEN_OPERATION, answer) or answer

    @app.api_route("/cpro", methods=ALL_METHODS, include_in_schema=False)
    async def cpro_root(request: Request) -> Response:
        return await cpro_endpoint(request, "", ctx)

    @app.api_route("/cpro/{path:path}", methods=ALL_METHODS, tags=["Chorus Pro"])
    async def cpro(request: Request, path: str) -> Response:
        return await cpro_endpoint(request, path, ctx)

    app.include_router(admin_router(ctx))
    app.include_router(seeding_router(ctx))
    return app


def simulator_state(app: FastAPI) -> SimulatorState:
    """The live state behind an app made by `create_app` (for tests and debugging)."""
    state = app.state.simulator
    if not isinstance(state, SimulatorState):
        raise TypeError("not an app made by create_app")
    return state
