"""Entry point used by `chorus-gateway simulator`."""

from __future__ import annotations

import uvicorn

from app.simulator.app import create_app
from app.simulator.settings import SimulatorSettings


def run(settings: SimulatorSettings | None = None) -> None:
    settings = settings or SimulatorSettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)
