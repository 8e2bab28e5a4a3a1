"""Attempts against a real HTTP receiver: retries, throttling, redirects, timeouts, disabling."""

from __future__ import annotations

import logging
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook

from app.kit.time import utcnow
from app.runtime import Runtime
from tests.support.receiver import Receiver, Reply
from tests.webhooks.helpers import (
    attempt,
    attempts_of,
    days_ago,
    delivery_of,
    endpoint_row,
    make_due,
    publish,
    register,
    set_endpoint,
)


async def test_retry_after_a_500_then_success_keeps_the_webhook_id(
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    endpoint = await register(api, hooks.url)
    hooks.will(Reply(500, body=b"database down"))
    message_id = await publish(sessionmaker)
    delivery = await delivery_of(sessionmaker, message_id, endpoint["id"])

    assert await attempt(runtime, delivery.id) == "500"
    failed = await delivery_of(sessionmaker, message_id, endpoint["id"])
    assert failed.status == "pending" and failed.attempt_count == 1
    assert failed.next_attempt_at is not None
    (first,) = await attempts_of(sessionmaker, delivery.id)
    delay = (failed.next_attempt_at - first.created_at).total_seconds()
    assert 0.5 < delay < 2.0  # 1 s ± 20 % jitter (the shrunk schedule), with slack
    assert (await endpoint_row(sessionmaker, endpoint["id"])).first_failure_at is not None

    assert await attempt(runtime, delivery.id) == "skipped"  # not due yet: nothing sent
    await make_due(sessionmaker, delivery.id)
    assert await attempt(runtime, delivery.id) == "204"
    done = await delivery_of(sessionmaker, message_id, endpoint["id"])
    assert done.status == "succeeded" and done.next_attempt_at is None
    recorded = await attempts_of(sessionmaker, delivery.id)
    assert [(a.attempt_number, a.status_code, a.trigger) for a in recorded] == [
        (1, 500, "scheduled"),
        (2, 204, "scheduled"),
    ]
    assert recorded[0].response_snippet == "database down"
    assert all(a.duration_ms >= 0 for a in recorded)
    assert (await endpoint_row(sessionmaker, endpoint["id"])).first_failure_at is None

    assert len(hooks.received) == 2
    assert {r.headers["webhook-id"] for r in hooks.received} == {message_id}
    for received in hooks.received:
        event = Webhook(endpoint["secret"]).verify(received.body, received.headers)
        assert event["type"] == "invoice.paid"
        assert received.headers["content-type"] == "application/json"
        assert received.headers["user-agent"].startswith("chorus-gateway")


def _http_date(seconds: float) -> str:
    return format_datetime(utcnow() + timedelta(seconds=seconds), usegmt=True)


@pytest.mark.parametrize(
    ("reply", "low", "high"),
    [
        (Reply(429, headers={"retry-after": "90"}), 89, 91),  # within 1-2x of the 60 s floor
        (Reply(429, headers={"retry-after": "100000"}), 119, 121),  # clamped to 2x
        (Reply(429), 59, 73),  # at least 60 s, jitter above
        (Reply(503, headers={"retry-after": "30"}), 1.9, 2.1),  # clamped to 2x the 1 s delay
        (Reply(503, headers={"retry-after": "0"}), 0.9, 1.1),  # at least the scheduled delay
    ],
)
async def test_throttling_and_retry_after(
    reply: Reply,
    low: float,
    high: float,
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    endpoint = await register(api, hooks.url)
    hooks.will(reply)
    message_id = await publish(sessionmaker)
    delivery = await delivery_of(sessionmaker, message_id, endpoint["id"])
    assert await attempt(runtime, delivery.id) == str(reply.status)
    after = await delivery_of(sessionmaker, message_id, endpoint["id"])
    (recorded,) = await attempts_of(sessionmaker, delivery.id)
    assert after.status == "pending" and after.next_attempt_at is not None
    delay = (after.next_attempt_at - recorded.created_at).total_seconds()
    assert low <= delay <= high, delay


async def test_retry_after_as_an_http_date_is_honoured(
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    endpoint = await register(api, hooks.url)
    hooks.will(Reply(429, headers={"retry-after": _http_date(100)}))
    message_id = await publish(sessionmaker)
    delivery = await delivery_of(sessionmaker, message_id, endpoint["id"])
    await attempt(runtime, delivery.id)
    after = await delivery_of(sessionmaker, message_id, endpoint["id"])
    assert after.next_attempt_at is not None
    assert 80 <= (after.next_attempt_at - utcnow()).total_seconds() <= 101


async def test_redirects_are_failures_and_never_followed(
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    endpoint = await register(api, hooks.url)
    hooks.will(Reply(307, headers={"location": f"{hooks.base}/elsewhere"}))
    message_id = await publish(sessionmaker)
    delivery = await delivery_of(sessionmaker, message_id, endpoint["id"])
    assert await attempt(runtime, delivery.id) == "307"
    assert [r.path for r in hooks.received] == ["/hooks"]
    after = await delivery_of(sessionmaker, message_id, endpoint["id"])
    assert after.status == "pending" and after.last_status_code == 307


async def test_a_timeout_is_a_failure_that_waits_at_least_a_minute(
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    endpoint = await register(api, hooks.url)
    hooks.will(Reply(204, delay=6.0))  # the test settings time out after 2 s
    message_id = await publish(sessionmaker)
    delivery = await delivery_of(sessionmaker, message_id, endpoint["id"])
    assert (await attempt(runtime, delivery.id)).startswith("timeout")
    (recorded,) = await attempts_of(sessionmaker, delivery.id)
    assert recorded.status_code is None and recorded.error is not None
    after = await delivery_of(sessionmaker, message_id, endpoint["id"])
    assert after.next_attempt_at is not None
    assert (after.next_attempt_at - recorded.created_at) >= timedelta(seconds=60)


async def test_only_20_kb_of_the_answer_is_read_and_kept(
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    endpoint = await register(api, hooks.url)
    hooks.will(Reply(200, body=b"\x00ok" + b"x" * 200_000))
    message_id = await publish(sessionmaker)
    delivery = await delivery_of(sessionmaker, message_id, endpoint["id"])
    assert await attempt(runtime, delivery.id) == "200"
    (recorded,) = await attempts_of(sessionmaker, delivery.id)
    assert recorded.response_snippet is not None
    assert recorded.response_snippet.startswith("okxx")  # NUL bytes are stripped
    assert len(recorded.response_snippet) <= 20_000


async def test_the_schedule_ends_in_failed(
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    endpoint = await register(api, hooks.url)
    hooks.default = Reply(500)
    message_id = await publish(sessionmaker)
    delivery = await delivery_of(sessionmaker, message_id, endpoint["id"])
    for _ in range(4):  # the test schedule has three delays: four attempts
        await make_due(sessionmaker, delivery.id)
        assert await attempt(runtime, delivery.id) == "500"
    after = await delivery_of(sessionmaker, message_id, endpoint["id"])
    assert after.status == "failed" and after.next_attempt_at is None
    assert after.attempt_count == 4
    await make_due(sessionmaker, delivery.id)
    assert await attempt(runtime, delivery.id) == "skipped"
    assert len(hooks.received) == 4


async def test_410_disables_the_endpoint_at_once(
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    endpoint = await register(api, hooks.url)
    hooks.will(Reply(410))
    first = await publish(sessionmaker)
    second = await publish(sessionmaker)
    assert await attempt(runtime, (await delivery_of(sessionmaker, first, endpoint["id"])).id) == (
        "410"
    )
    read = (await api.get(f"/v1/webhook-endpoints/{endpoint['id']}")).json()
    assert read["disabled_at"] is not None and read["disabled_reason"] == "gone"
    assert (await delivery_of(sessionmaker, first, endpoint["id"])).status == "failed"
    waiting = await delivery_of(sessionmaker, second, endpoint["id"])
    assert waiting.status == "skipped"
    assert await attempt(runtime, waiting.id) == "skipped"
    later = await publish(sessionmaker)
    assert (await delivery_of(sessionmaker, later, endpoint["id"])).status == "skipped"
    assert len(hooks.received) == 1


async def _fail_once(
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
    endpoint: dict[str, Any],
    reply: Reply,
) -> str:
    hooks.will(reply)
    message_id = await publish(sessionmaker)
    await attempt(runtime, (await delivery_of(sessionmaker, message_id, endpoint["id"])).id)
    return message_id


async def test_five_days_of_failures_disable_then_re_enable_clears_the_clock(
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    endpoint = await register(api, hooks.url)
    pending = await publish(sessionmaker)  # waits in the queue while the endpoint fails

    await set_endpoint(sessionmaker, endpoint["id"], first_failure_at=days_ago(4.9))
    await _fail_once(api, runtime, hooks, sessionmaker, endpoint, Reply(503))
    still = await endpoint_row(sessionmaker, endpoint["id"])
    assert still.disabled_at is None
    assert still.first_failure_at is not None and still.first_failure_at < days_ago(4.8)

    await set_endpoint(sessionmaker, endpoint["id"], first_failure_at=days_ago(5.01))
    with caplog.at_level(logging.WARNING, logger="app.webhooks"):
        failing = await _fail_once(api, runtime, hooks, sessionmaker, endpoint, Reply(503))
    assert any("disabled (failing)" in r.getMessage() for r in caplog.records)
    read = (await api.get(f"/v1/webhook-endpoints/{endpoint['id']}")).json()
    assert read["disabled_reason"] == "failing"
    assert (await delivery_of(sessionmaker, pending, endpoint["id"])).status == "skipped"
    assert (await delivery_of(sessionmaker, failing, endpoint["id"])).status == "skipped"

    enabled = await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/enable")
    assert enabled.status_code == 200
    assert enabled.json()["disabled_at"] is None
    assert enabled.json()["disabled_reason"] is None
    assert enabled.json()["first_failure_at"] is None


async def test_any_success_resets_the_clock_and_a_stale_clock_restarts(
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    endpoint = await register(api, hooks.url)
    await set_endpoint(sessionmaker, endpoint["id"], first_failure_at=days_ago(4.9))
    await _fail_once(api, runtime, hooks, sessionmaker, endpoint, Reply(200))
    assert (await endpoint_row(sessionmaker, endpoint["id"])).first_failure_at is None

    # Failed once eleven days ago, quiet since: one new failure must not disable it.
    await set_endpoint(sessionmaker, endpoint["id"], first_failure_at=days_ago(11))
    await _fail_once(api, runtime, hooks, sessionmaker, endpoint, Reply(500))
    restarted = await endpoint_row(sessionmaker, endpoint["id"])
    assert restarted.disabled_at is None
    assert restarted.first_failure_at is not None and restarted.first_failure_at > days_ago(0.01)


async def test_manual_disable_skips_pending_deliveries(
    api: httpx.AsyncClient,
    runtime: Runtime,
    hooks: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    endpoint = await register(api, hooks.url)
    message_id = await publish(sessionmaker)
    disabled = await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/disable")
    assert disabled.json()["disabled_reason"] == "manual"
    delivery = await delivery_of(sessionmaker, message_id, endpoint["id"])
    assert delivery.status == "skipped"
    assert await attempt(runtime, delivery.id) == "skipped"
    assert hooks.received == []
    resend = await api.post(f"/v1/webhook-messages/{message_id}/endpoints/{endpoint['id']}/resend")
    assert resend.status_code == 409
