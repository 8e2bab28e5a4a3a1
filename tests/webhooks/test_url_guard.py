"""The SSRF guard, table-driven; DNS is a fake resolver (no real lookups, no internet)."""

from __future__ import annotations

import ipaddress
import uuid

import httpx
import pytest
from cryptography.fernet import Fernet

from app.config import Settings
from app.webhooks.delivery import PreparedAttempt, send
from app.webhooks.policy import DeliveryPolicy
from app.webhooks.url_guard import BlockedUrl, UnresolvedHost, UrlGuard, blocked_reason
from tests.webhooks.helpers import resolver


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "127.0.0.1",
        "127.8.9.10",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "224.0.0.1",
        "239.255.255.250",
        "0.0.0.0",
        "255.255.255.255",
        "240.0.0.1",
        "192.0.2.1",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "2001:db8::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",
        "64:ff9b::7f00:1",
        "2002:a00:1::",
        "2002:7f00:1::",
        "2002:a9fe:a9fe::",
    ],
)
def test_blocked_addresses(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize(
    "address", ["1.1.1.1", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/x", "scheme"),
        ("http://user:pw@example.com/x", "credentials"),
        ("http://localhost/x", "internal"),
        ("http://api.localhost/x", "internal"),
        ("http://printer.local/x", "internal"),
        ("http://metadata.google.internal/x", "internal"),
        ("http://metadata/x", "internal"),
        ("http://10.1.2.3/x", "private"),
        ("http://[::ffff:127.0.0.1]:8080/x", "loopback"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://100.64.1.1/x", "CGNAT"),
        ("http://[64:ff9b::a00:1]/x", "embedded 10.0.0.1"),
    ],
)
async def test_refused_urls(url: str, message: str) -> None:
    guard = UrlGuard(https_only=False, resolver=resolver({"example.com": ["93.184.215.14"]}))
    with pytest.raises(BlockedUrl, match=message):
        await guard.resolve(url)


async def test_any_blocked_answer_refuses_the_name() -> None:
    guard = UrlGuard(
        https_only=False, resolver=resolver({"mixed.example": ["8.8.8.8", "192.168.0.10"]})
    )
    with pytest.raises(BlockedUrl, match=r"192\.168\.0\.10 is private"):
        await guard.resolve("http://mixed.example/hooks")


async def test_a_public_name_connects_to_the_checked_address_with_host_and_sni() -> None:
    guard = UrlGuard(resolver=resolver({"erp.example.com": ["1.1.1.1", "2606:4700::1"]}))
    target = await guard.resolve("https://erp.example.com:8443/hooks?x=1")
    assert target.address == "1.1.1.1"
    assert str(target.connect_url) == "https://1.1.1.1:8443/hooks?x=1"
    assert target.host_header == "erp.example.com:8443"
    assert target.sni_hostname == "erp.example.com"


async def test_unresolvable_name_is_not_blocked_but_unresolved() -> None:
    with pytest.raises(UnresolvedHost):
        await UrlGuard(resolver=resolver({})).resolve("https://nowhere.example/x")


async def test_https_only_in_production_and_loopback_allowed_in_development() -> None:
    production = UrlGuard.from_settings(
        Settings(
            environment="production",
            piste_client_secret="s",
            chorus_technical_password="p",
            webhook_secrets_key=Fernet.generate_key().decode(),
        )
    )
    with pytest.raises(BlockedUrl, match="scheme must be https"):
        production.parse("http://erp.example.com/x")
    with pytest.raises(BlockedUrl, match="loopback"):
        await production.resolve("https://127.0.0.1/x")
    development = UrlGuard.from_settings(Settings())
    assert (await development.resolve("http://127.0.0.1:9/x")).address == "127.0.0.1"
    closed = UrlGuard.from_settings(Settings(webhook_allowed_networks=""))
    with pytest.raises(BlockedUrl):
        await closed.resolve("http://127.0.0.1:9/x")


async def test_operator_allow_list_admits_internal_networks() -> None:
    guard = UrlGuard.from_settings(
        Settings(webhook_allowed_networks="10.20.0.0/16"),
        resolver=resolver({"erp.corp.example": ["10.20.3.4"]}),
    )
    assert (await guard.resolve("http://erp.corp.example/x")).address == "10.20.3.4"
    with pytest.raises(BlockedUrl):
        await guard.resolve("http://10.21.0.1/x")


async def test_the_request_goes_to_the_checked_ip_with_host_and_sni_and_no_redirect() -> None:
    """Checked at the transport: no second DNS lookup can swap the address."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"location": "https://elsewhere.example/"})

    guard = UrlGuard(resolver=resolver({"erp.example.com": ["8.8.4.4"]}))
    attempt = PreparedAttempt(
        delivery_id=uuid.uuid4(),
        trigger="scheduled",
        url="https://erp.example.com/hooks",
        headers={"webhook-id": "msg_1"},
        payload="{}",
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        result = await send(http, guard, attempt, DeliveryPolicy.from_settings(Settings()))
    assert result.status_code == 302 and not result.succeeded
    (request,) = seen
    assert request.url.host == "8.8.4.4"
    assert request.headers["host"] == "erp.example.com"
    assert request.extensions["sni_hostname"] == "erp.example.com"
