"""Standard Webhooks v1 signing, checked against Svix's vector and the reference verifier."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.webhooks.signing import new_message_id, new_secret, sign, signature_headers

SVIX_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SVIX_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SVIX_TIMESTAMP = 1614265330
SVIX_BODY = '{"test": 2432232314}'
SVIX_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_svix_test_vector() -> None:
    assert sign(SVIX_SECRET, SVIX_ID, SVIX_TIMESTAMP, SVIX_BODY) == SVIX_SIGNATURE


def test_new_secret_is_whsec_and_32_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert new_secret() != secret


def test_message_ids_have_no_dots_and_sort_by_time() -> None:
    first = new_message_id()
    time.sleep(0.005)  # UUIDv7 orders by millisecond
    second = new_message_id()
    assert first.startswith("msg_") and "." not in first
    assert first < second


def test_round_trip_verified_by_the_reference_library() -> None:
    secret = new_secret()
    body = '{"type":"invoice.paid","data":{"number":"FA-1","reason":"é"}}'
    headers = signature_headers([secret], "msg_abc", datetime.now(UTC), body)
    assert Webhook(secret).verify(body.encode(), headers)["data"]["reason"] == "é"
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body.encode(), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("FA-1", "FA-2").encode(), headers)


def test_rotation_overlap_sends_both_signatures_and_either_secret_verifies() -> None:
    new, old = new_secret(), new_secret()
    body = '{"type":"invoice.paid"}'
    headers = signature_headers([new, old], "msg_rotated", datetime.now(UTC), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new).verify(body, headers) == {"type": "invoice.paid"}
    assert Webhook(old).verify(body, headers) == {"type": "invoice.paid"}


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (timedelta(minutes=-4, seconds=-50), True),
        (timedelta(minutes=4, seconds=50), True),
        (timedelta(minutes=-5, seconds=-30), False),
        (timedelta(minutes=5, seconds=30), False),
    ],
)
def test_timestamp_tolerance_is_five_minutes_either_way(offset: timedelta, accepted: bool) -> None:
    secret = new_secret()
    headers = signature_headers([secret], "msg_t", datetime.now(UTC) + offset, "{}")
    if accepted:
        assert Webhook(secret).verify("{}", headers) == {}
    else:
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify("{}", headers)
