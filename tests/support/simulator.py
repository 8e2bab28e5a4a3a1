"""Admin calls on a running Chorus Pro simulator: counters, faults, reset."""

from __future__ import annotations

from typing import Any

import httpx


class SimulatorAdmin:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def calls(self) -> dict[str, int]:
        stats = (await self.client.get("/_simulator/stats")).json()
        return dict(stats["calls"])

    async def directory_calls(self) -> int:
        calls = await self.calls()
        return sum(n for name, n in calls.items() if "Structure" in name)

    async def fault(self, operation: str, **spec: Any) -> None:
        answer = await self.client.post("/_simulator/faults", json={"operation": operation, **spec})
        assert answer.status_code == 200, answer.text

    async def clear_faults(self) -> None:
        await self.client.delete("/_simulator/faults")
