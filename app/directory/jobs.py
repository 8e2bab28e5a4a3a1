"""arq job refreshing one directory entry, with the worker's full Chorus timeouts."""

from __future__ import annotations

import logging
from typing import Any

from app.chorus import ChorusError
from app.directory.fetching import refetch
from app.directory.service import DirectoryPolicy, directory_service
from app.runtime import Runtime
from app.suppliers.clients import SupplierNotConfigured

logger = logging.getLogger(__name__)


async def refresh_directory_entry(ctx: dict[str, Any], siret: str) -> str:
    """Fetch `siret` again; on failure the claim stamp makes the sweep retry it later."""
    runtime: Runtime = ctx["runtime"]
    policy = DirectoryPolicy.from_settings(runtime.settings)
    async with runtime.unit_of_work() as session:
        known = await directory_service.cached(session, siret)
    try:
        chorus = await runtime.chorus_clients.for_directory()
        entry = await refetch(chorus, siret, known, ttl=policy.ttl)
    except (ChorusError, SupplierNotConfigured) as exc:
        logger.warning("directory refresh of %s failed: %s", siret, exc)
        return "unavailable"
    async with runtime.unit_of_work() as session:
        await directory_service.store(session, entry, used=False)
    return "refreshed"
