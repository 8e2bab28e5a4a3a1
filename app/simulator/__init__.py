"""Chorus Pro / PISTE simulator: a faithful local stand-in for the platform (docs/simulator.md)."""

from app.simulator.app import create_app
from app.simulator.clock import Clock, FixedClock, OffsetClock, SystemClock
from app.simulator.server import run
from app.simulator.settings import SimulatorSettings

__all__ = [
    "Clock",
    "FixedClock",
    "OffsetClock",
    "SimulatorSettings",
    "SystemClock",
    "create_app",
    "run",
]
