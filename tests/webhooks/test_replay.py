"""Resend one message and recover an endpoint's failures, through the real arq worker."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from arq.worker import Worker, func
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kit.db import unit_of_work
from app.kit.queue import QUEUE_NAME, redis_settings
from app.kit.time import utcnow
from app.models.webhook import WebhookDelivery
from app.outbox import service as outbox
from app.runtime import Runtime
from app.webhooks import replay
from app.webhooks.delivery import enqueue_due_deliveries
from app.webhooks.jobs import deliver_webhook, recover_webhooks
from app.webhooks.replay import RECOVER_JOB
from app.webhooks.service import DELIVER_JOB
from tests.factories import SUPPLIER
from tests.support.receiver import Receiver, Reply
from tests.webhooks.helpers import (
    attempt,
    attempts_of,
    delivery_of,
    publish,
    register,
)


async def run_worker(runtime: Runtime) -> int:
    """Relay the outbox, then run the webhook jobs in burst mode until the queue is empty."""
    async with runtime.unit_of_work() as session:
        await outbox.relay(session, runtime.queue, 100)
    assert runtime.settings.redis_url is not None
    worker = Worker(
        functions=[
            func(deliver_webhook, name=DELIVER_JOB),
            func(recover_webhooks, name=RECOVER_JOB),
        ],
        queue_name=QUEUE_NAME,
        redis_settings=redis_settings(runtime.settings.redis_url),
        ctx={"runtime": runtime},
        burst=True,
        poll_delay=0.05,
        handle_signals=False,
        max_jobs=4,
    )
    try:
        return await worker.run_check()
    finally:
        await worker.close()


async def set_status(
    sessionmaker: async_sessionmaker[AsyncSession], delivery_id: uuid.UUID, **values: Any
) -> None:
    async with unit_of_work(sessionmaker) as session:
        await session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(**values)
        )


async def test_resend_keeps_the_webhook_id_and_records_a_manual_attempt(
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    endpoint = await register(api, hooks.url)
    message_id = await publish(sessionmaker)
    delivery = await delivery_of(sessionmaker, message_id, endpoint["id"])
    assert await attempt(runtime, delivery.id) == "204"

    resent = await api.post(f"/v1/webhook-messages/{message_id}/endpoints/{endpoint['id']}/resend")
    assert resent.status_code == 202, resent.text
    assert resent.json()["manual_attempt_at"] is not None
    assert await run_worker(runtime) >= 1

    assert [r.headers["webhook-id"] for r in hooks.received] == [message_id, message_id]
    recorded = await attempts_of(sessionmaker, delivery.id)
    assert [(a.attempt_number, a.trigger, a.status_code) for a in recorded] == [
        (1, "scheduled", 204),
        (2, "manual", 204),
    ]
    after = await delivery_of(sessionmaker, message_id, endpoint["id"])
    assert after.status == "succeeded" and after.manual_attempt_at is None
    assert after.attempt_count == 1  # manual attempts do not use up the schedule


async def test_a_failed_manual_attempt_schedules_nothing(
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    endpoint = await register(api, hooks.url)
    hooks.default = Reply(500)
    message_id = await publish(sessionmaker)
    delivery = await delivery_of(sessionmaker, message_id, endpoint["id"])
    await set_status(sessionmaker, delivery.id, status="failed", next_attempt_at=None)

    await replay_resend(sessionmaker, message_id, endpoint["id"])
    assert await attempt(runtime, delivery.id, manual=True) == "500"
    failed = await delivery_of(sessionmaker, message_id, endpoint["id"])
    assert failed.status == "failed" and failed.next_attempt_at is None
    assert failed.manual_attempt_at is None

    # A pending delivery keeps its own schedule after a failed manual attempt.
    second = await publish(sessionmaker)
    pending = await delivery_of(sessionmaker, second, endpoint["id"])
    await attempt(runtime, pending.id)
    before = await delivery_of(sessionmaker, second, endpoint["id"])
    await replay_resend(sessionmaker, second, endpoint["id"])
    assert await attempt(runtime, pending.id, manual=True) == "500"
    after = await delivery_of(sessionmaker, second, endpoint["id"])
    assert after.status == "pending"
    assert after.attempt_count == before.attempt_count == 1
    assert after.next_attempt_at == before.next_attempt_at
    assert [a.trigger for a in await attempts_of(sessionmaker, pending.id)] == [
        "scheduled",
        "manual",
    ]


async def replay_resend(
    sessionmaker: async_sessionmaker[AsyncSession], message_id: str, endpoint_id: str
) -> None:
    async with unit_of_work(sessionmaker) as session:
        await replay.resend(session, message_id, uuid.UUID(endpoint_id))


async def test_resend_to_an_endpoint_registered_after_the_message(
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    message_id = await publish(sessionmaker)
    endpoint = await register(api, hooks.url)
    resent = await api.post(f"/v1/webhook-messages/{message_id}/endpoints/{endpoint['id']}/resend")
    assert resent.status_code == 202, resent.text
    await run_worker(runtime)
    assert [r.headers["webhook-id"] for r in hooks.received] == [message_id]
    assert (await delivery_of(sessionmaker, message_id, endpoint["id"])).status == "succeeded"
    missing = await api.post(f"/v1/webhook-messages/msg_nope/endpoints/{endpoint['id']}/resend")
    assert missing.status_code == 404


async def _deliveries_at(
    sessionmaker: async_sessionmaker[AsyncSession],
    endpoint_id: str,
    times: list[datetime],
    status: str,
) -> list[str]:
    ids = []
    for at in times:
        message_id = await publish(sessionmaker, occurred_at=at)
        delivery = await delivery_of(sessionmaker, message_id, endpoint_id)
        await set_status(sessionmaker, delivery.id, status=status, next_attempt_at=None)
        ids.append(message_id)
    return ids


async def test_recover_resends_failed_and_skipped_deliveries_of_the_window_only(
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    endpoint = await register(api, hooks.url)
    since = (utcnow() - timedelta(hours=3)).replace(microsecond=0)
    until = since + timedelta(hours=2)
    second = timedelta(seconds=1)
    (before,) = await _deliveries_at(sessionmaker, endpoint["id"], [since - second], "failed")
    at_since, inside = await _deliveries_at(
        sessionmaker, endpoint["id"], [since, since + timedelta(hours=1)], "failed"
    )
    (skipped,) = await _deliveries_at(sessionmaker, endpoint["id"], [until - second], "skipped")
    (at_until,) = await _deliveries_at(sessionmaker, endpoint["id"], [until], "failed")
    (delivered,) = await _deliveries_at(sessionmaker, endpoint["id"], [since + second], "succeeded")

    refused = await api.post(
        f"/v1/webhook-endpoints/{endpoint['id']}/recover",
        json={"since": until.isoformat(), "until": since.isoformat()},
    )
    assert refused.status_code == 422
    accepted = await api.post(
        f"/v1/webhook-endpoints/{endpoint['id']}/recover",
        json={"since": since.isoformat(), "until": until.isoformat()},
    )
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["endpoint_id"] == endpoint["id"]
    await run_worker(runtime)

    sent = sorted(r.headers["webhook-id"] for r in hooks.received)
    assert sent == sorted([at_since, inside, skipped])
    for message_id in (at_since, inside, skipped):
        recovered = await delivery_of(sessionmaker, message_id, endpoint["id"])
        assert recovered.status == "succeeded"
        assert [a.trigger for a in await attempts_of(sessionmaker, recovered.id)] == ["manual"]
    for message_id, status in ((before, "failed"), (at_until, "failed"), (delivered, "succeeded")):
        untouched = await delivery_of(sessionmaker, message_id, endpoint["id"])
        assert untouched.status == status and untouched.manual_attempt_at is None


async def test_recover_goes_oldest_first_in_batches_up_to_the_cap(
    api: httpx.AsyncClient,
    runtime: Runtime,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    endpoint = await register(api, "http://127.0.0.1:9/never")
    start = utcnow() - timedelta(hours=1)
    times = [start + timedelta(minutes=m) for m in (5, 1, 4, 2, 3)]
    ids = await _deliveries_at(sessionmaker, endpoint["id"], times, "failed")
    oldest_first = [i for _, i in sorted(zip(times, ids, strict=True))]

    count = await replay.recover(
        runtime.unit_of_work,
        uuid.UUID(endpoint["id"]),
        start,
        utcnow(),
        batch_size=2,
        cap=3,
    )
    assert count == 3
    queued = [
        (await delivery_of(sessionmaker, i, endpoint["id"])).manual_attempt_at is not None
        for i in oldest_first
    ]
    assert queued == [True, True, True, False, False]


async def test_recover_is_refused_for_a_disabled_endpoint(
    api: httpx.AsyncClient, runtime: Runtime
) -> None:
    endpoint = await register(api, "http://127.0.0.1:9/x")
    await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/disable")
    response = await api.post(
        f"/v1/webhook-endpoints/{endpoint['id']}/recover",
        json={"since": (utcnow() - timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 409
    unknown = await api.post(
        f"/v1/webhook-endpoints/{uuid.uuid4()}/recover",
        json={"since": (utcnow() - timedelta(days=1)).isoformat()},
    )
    assert unknown.status_code == 404


async def test_tick_enqueues_requested_manual_attempts(
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """A resend whose after-commit kick was lost is found by the worker's tick."""
    endpoint = await register(api, hooks.url)
    message_id = await publish(sessionmaker)
    delivery = await delivery_of(sessionmaker, message_id, endpoint["id"])
    await attempt(runtime, delivery.id)
    await replay_resend(sessionmaker, message_id, endpoint["id"])  # no queue: no kick
    async with runtime.unit_of_work() as session:
        assert await enqueue_due_deliveries(session, runtime.queue, utcnow(), runtime.settings) == 1
    await run_worker(runtime)
    assert [a.trigger for a in await attempts_of(sessionmaker, delivery.id)] == [
        "scheduled",
        "manual",
    ]


async def test_resend_refuses_a_message_the_endpoint_does_not_take(
    api: httpx.AsyncClient, hooks: Receiver, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Neither another supplier's message nor an event type it did not subscribe to."""
    only_rejections = await register(api, hooks.url, event_types=["invoice.rejected"])
    paid = await publish(sessionmaker)
    refused = await api.post(
        f"/v1/webhook-messages/{paid}/endpoints/{only_rejections['id']}/resend"
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"].endswith("/webhook-message-not-for-endpoint")
    one_supplier = await register(api, hooks.url, supplier_siret=SUPPLIER)
    other_suppliers = await publish(sessionmaker, supplier_siret="35600000000048")
    refused = await api.post(
        f"/v1/webhook-messages/{other_suppliers}/endpoints/{one_supplier['id']}/resend"
    )
    assert refused.status_code == 409, refused.text
    mine = await publish(sessionmaker, supplier_siret=SUPPLIER)
    taken = await api.post(f"/v1/webhook-messages/{mine}/endpoints/{one_supplier['id']}/resend")
    assert taken.status_code == 202, taken.text


async def test_two_resends_at_once_to_a_new_endpoint_make_one_delivery(
    api: httpx.AsyncClient, hooks: Receiver, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    message_id = await publish(sessionmaker)
    endpoint = await register(api, hooks.url)
    path = f"/v1/webhook-messages/{message_id}/endpoints/{endpoint['id']}/resend"
    answers = await asyncio.gather(*(api.post(path) for _ in range(4)))
    assert [a.status_code for a in answers] == [202] * 4, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1


async def test_an_endpoint_url_longer_than_it_can_be_stored_is_a_422(
    api: httpx.AsyncClient, hooks: Receiver
) -> None:
    too_long = hooks.url + "/" + "a" * 2000
    response = await api.post("/v1/webhook-endpoints", json={"url": too_long})
    assert response.status_code == 422, response.text
    assert {e["field"] for e in response.json()["errors"]} == {"url"}
    endpoint = await register(api, hooks.url)
    response = await api.patch(f"/v1/webhook-endpoints/{endpoint['id']}", json={"url": too_long})
    assert response.status_code == 422, response.text
