"""The PostgreSQL cache: hits, time to live, the ERP timeout, and background refresh."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.chorus import ChorusClient
from app.directory import DirectoryUnavailable, directory_errors
from app.directory.entries import StructureEntry
from app.directory.jobs import refresh_directory_entry
from app.directory.service import DirectoryPolicy, directory_service
from app.kit.db import unit_of_work
from app.kit.queue import connect_queue
from app.kit.time import utcnow
from app.models.directory import CachedService, CachedStructure
from app.runtime import Runtime
from tests.factories import invoice_document
from tests.support.simulator import SimulatorAdmin

from .conftest import SHORT, TIMEOUT

PAYS = "21330063500025"
SLOW = 6.0  # seconds the simulator waits; every timeout below is far shorter


def policy(**changes: object) -> DirectoryPolicy:
    base = {
        "ttl": timedelta(days=1),
        "lookup_timeout": TIMEOUT,
        "refresh_interval": timedelta(minutes=5),
        "refresh_batch_size": 50,
        "verify_engagement": False,
    }
    return DirectoryPolicy(**{**base, **changes})  # type: ignore[arg-type]


async def expire(sessionmaker: async_sessionmaker[AsyncSession], siret: str, by: timedelta) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(CachedStructure)
            .where(CachedStructure.siret == siret)
            .values(expires_at=utcnow() - by)
        )


async def lookup(
    sessionmaker: async_sessionmaker[AsyncSession],
    chorus: ChorusClient,
    siret: str = PAYS,
    *,
    service_code: str | None = None,
) -> StructureEntry:
    async with sessionmaker() as session, session.begin():
        return await directory_service.lookup(
            session, chorus, siret, policy(), service_code=service_code
        )


async def test_second_lookup_is_served_by_the_cache(
    chorus: ChorusClient,
    simulator: SimulatorAdmin,
    sessionmaker: async_sessionmaker[AsyncSession],
    clean_db: None,
) -> None:
    async with sessionmaker() as session, session.begin():
        assert await directory_errors(session, chorus, invoice_document(), TIMEOUT) == []
    first = await simulator.calls()
    assert first["rechercherStructure"] == 1
    assert first["consulterStructure"] == 1
    assert first["rechercherServicesStructure"] == 1
    assert first["consulterServiceStructure"] == 1  # only the service on the invoice

    async with sessionmaker() as session, session.begin():
        assert await directory_errors(session, chorus, invoice_document(), TIMEOUT) == []
    assert await simulator.calls() == first

    async with sessionmaker() as session:
        rows = (await session.scalars(select(CachedService))).all()
    flags = {row.code: row.engagement_required for row in rows}
    assert flags == {"SERV-FINANCES": True, "SERV-TECH": None, "FACTURES_PUBLIQUES": None}


async def test_a_new_service_on_a_cached_structure_costs_one_call(
    chorus: ChorusClient,
    simulator: SimulatorAdmin,
    sessionmaker: async_sessionmaker[AsyncSession],
    clean_db: None,
) -> None:
    await lookup(sessionmaker, chorus, "21330109600011", service_code="SERV-FINANCES")
    before = await simulator.calls()
    await lookup(sessionmaker, chorus, "21330109600011", service_code="SERV-MARCHES")
    after = await simulator.calls()
    assert after["consulterServiceStructure"] == before["consulterServiceStructure"] + 1
    assert after["rechercherStructure"] == before["rechercherStructure"]


async def test_expired_entry_is_fetched_again(
    chorus: ChorusClient,
    simulator: SimulatorAdmin,
    sessionmaker: async_sessionmaker[AsyncSession],
    clean_db: None,
) -> None:
    await lookup(sessionmaker, chorus, service_code="SERV-FINANCES")
    await expire(sessionmaker, PAYS, timedelta(seconds=1))
    before = await simulator.calls()
    entry = await lookup(sessionmaker, chorus)
    after = await simulator.calls()
    assert after["rechercherStructure"] == before["rechercherStructure"] + 1
    # The service an invoice used is consulted again, the others stay lazy.
    assert after["consulterServiceStructure"] == before["consulterServiceStructure"] + 1
    assert entry.stale is False
    async with sessionmaker() as session:
        row = await session.scalar(select(CachedStructure))
        assert row is not None and row.expires_at > utcnow() + timedelta(hours=23)


async def test_unknown_siret_is_cached_too(
    chorus: ChorusClient,
    simulator: SimulatorAdmin,
    sessionmaker: async_sessionmaker[AsyncSession],
    clean_db: None,
) -> None:
    await lookup(sessionmaker, chorus, "21330063500033")
    await lookup(sessionmaker, chorus, "21330063500033")
    assert (await simulator.calls())["rechercherStructure"] == 1
    async with sessionmaker() as session:
        row = await session.scalar(select(CachedStructure))
        assert row is not None and row.match_count == 0
        assert row.expires_at < utcnow() + timedelta(hours=2)  # not trusted for a whole day


async def test_slow_directory_without_cache_fails_fast(
    chorus: ChorusClient,
    simulator: SimulatorAdmin,
    sessionmaker: async_sessionmaker[AsyncSession],
    redis_url: str,
    clean_db: None,
) -> None:
    await simulator.fault("rechercherStructure", delay_seconds=SLOW)
    queue = await connect_queue(redis_url)
    started = time.monotonic()
    try:
        with pytest.raises(DirectoryUnavailable):
            async with unit_of_work(sessionmaker, queue) as session:
                await directory_errors(session, chorus, invoice_document(), SHORT)
    finally:
        await queue.close()
    assert time.monotonic() - started < SLOW - 1
    # The worker was asked to fetch it with its own timeouts.
    redis = Redis.from_url(redis_url)
    try:
        keys = await redis.keys(f"arq:job:directory:{PAYS}:*")
    finally:
        await redis.aclose()
    assert keys


async def test_slow_directory_answers_from_the_stale_cache(
    chorus: ChorusClient,
    simulator: SimulatorAdmin,
    sessionmaker: async_sessionmaker[AsyncSession],
    clean_db: None,
) -> None:
    await lookup(sessionmaker, chorus, service_code="SERV-FINANCES")
    await expire(sessionmaker, PAYS, timedelta(hours=1))
    await simulator.fault("rechercherStructure", delay_seconds=SLOW)
    started = time.monotonic()
    async with sessionmaker() as session, session.begin():
        errors = await directory_errors(session, chorus, invoice_document(service=None), SHORT)
    assert time.monotonic() - started < SLOW - 1
    assert [e.code for e in errors] == ["CPP-DIR-04"]  # judged on the stale entry
    entry = await lookup(sessionmaker, chorus)  # the fault is used up: fresh again
    assert entry.stale is False


async def test_unreachable_directory_answers_from_the_stale_cache(
    chorus: ChorusClient,
    simulator: SimulatorAdmin,
    sessionmaker: async_sessionmaker[AsyncSession],
    clean_db: None,
) -> None:
    await lookup(sessionmaker, chorus)
    await expire(sessionmaker, PAYS, timedelta(hours=1))
    await simulator.fault("rechercherStructure", status=503)
    entry = await lookup(sessionmaker, chorus)
    assert entry.stale is True


async def test_background_refresh_takes_entries_in_use_near_expiry(
    runtime: Runtime,
    chorus: ChorusClient,
    simulator: SimulatorAdmin,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await lookup(sessionmaker, chorus, PAYS, service_code="SERV-FINANCES")
    await lookup(sessionmaker, chorus, "21330105400010")
    # Both expire within the refresh interval; only PAYS was used since its fetch.
    for siret in (PAYS, "21330105400010"):
        await expire(sessionmaker, siret, -timedelta(minutes=1))
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(CachedStructure)
            .where(CachedStructure.siret == "21330105400010")
            .values(last_used_at=CachedStructure.fetched_at - timedelta(seconds=1))
        )
    refresh = runtime.settings.model_copy(
        update={"directory_refresh_interval": timedelta(minutes=5)}
    )
    async with runtime.unit_of_work() as session:
        claimed = await directory_service.enqueue_due_refreshes(
            session, runtime.queue, utcnow(), refresh
        )
    assert claimed == 1
    async with runtime.unit_of_work() as session:  # claimed: not taken twice
        assert (
            await directory_service.enqueue_due_refreshes(session, runtime.queue, utcnow(), refresh)
            == 0
        )

    before = await simulator.calls()
    assert await refresh_directory_entry({"runtime": runtime}, PAYS) == "refreshed"
    after = await simulator.calls()
    assert after["rechercherStructure"] == before["rechercherStructure"] + 1
    assert after["consulterServiceStructure"] == before["consulterServiceStructure"] + 1
    async with sessionmaker() as session:
        row = await session.scalar(select(CachedStructure).where(CachedStructure.siret == PAYS))
        assert row is not None
        assert row.expires_at > utcnow() + timedelta(hours=23)
        assert row.refresh_claimed_at is None
        assert row.last_used_at is not None and row.last_used_at < row.fetched_at
        flag = await session.scalar(
            select(CachedService.engagement_required).where(
                CachedService.structure_id == row.id, CachedService.code == "SERV-FINANCES"
            )
        )
        assert flag is True
    async with runtime.unit_of_work() as session:  # not used since: left to expire
        assert (
            await directory_service.enqueue_due_refreshes(
                session, runtime.queue, utcnow() + timedelta(days=1), refresh
            )
            == 0
        )


async def test_refresh_job_survives_an_unreachable_directory(
    runtime: Runtime, simulator: SimulatorAdmin
) -> None:
    await simulator.fault("rechercherStructure", status=503)
    assert await refresh_directory_entry({"runtime": runtime}, PAYS) == "unavailable"


async def test_concurrent_lookups_of_a_new_recipient_share_one_fetch(
    chorus: ChorusClient, simulator: SimulatorAdmin
) -> None:
    from app.directory.fetching import resolve

    now = utcnow()
    entries = await asyncio.gather(
        *(
            resolve(
                chorus, PAYS, None, service_code="SERV-FINANCES", ttl=timedelta(days=1), now=now
            )
            for _ in range(20)
        )
    )
    assert {entry.id_structure_cpp for entry in entries} == {entries[0].id_structure_cpp}
    calls = await simulator.calls()
    # rechercherStructure, consulterStructure, rechercherServicesStructure, one service: once.
    assert calls["rechercherStructure"] == 1 and calls["consulterServiceStructure"] == 1
