"""SSRF guard: a consumer's URL must not make our worker call into our own network.

Checked at registration and again before every attempt (DNS may have changed since), and
the attempt connects to the very address that was checked, so a second lookup cannot
swap it (docs/webhooks.md, sections 6 and 8).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import httpx
import idna

from app.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

BLOCKED_NAMES = frozenset({"localhost", "metadata", "instance-data"})
BLOCKED_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain")
CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
LOOPBACK = (ipaddress.IPv4Network("127.0.0.0/8"), ipaddress.IPv6Network("::1/128"))
RESOLVE_TIMEOUT_SECONDS = 5.0


class BlockedUrl(Exception):
    """The URL is refused by policy (scheme, name or address)."""


class UnresolvedHost(Exception):
    """The host name did not resolve (a transient failure at send time)."""


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the event loop's getaddrinfo (a thread, so the loop is not blocked)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def blocked_reason(ip: IPAddress) -> str | None:
    """Why `ip` may not be called, or None. `is_global` alone misses multicast, 6to4, NAT64."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return blocked_reason(ip.ipv4_mapped)
        embedded = _embedded_ipv4(ip)
        if embedded is not None and (reason := blocked_reason(embedded)) is not None:
            return f"{reason} (embedded {embedded})"
    if ip in CGNAT:
        return "shared address space (CGNAT)"
    checks = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "not public"),
    )
    return next((reason for blocked, reason in checks if blocked), None)


@dataclass(frozen=True)
class Target:
    """Where one attempt connects: the checked address, with the name kept for Host and SNI."""

    url: str
    connect_url: httpx.URL
    host_header: str
    sni_hostname: str | None
    address: str


@dataclass(frozen=True)
class UrlGuard:
    allowed_networks: Sequence[IPNetwork] = ()
    https_only: bool = True
    resolver: Resolver = field(default=system_resolver)

    @classmethod
    def from_settings(cls, settings: Settings, resolver: Resolver | None = None) -> UrlGuard:
        """HTTPS only in production; loopback is allowed in development unless configured."""
        allowed = settings.webhook_allowed_networks
        if allowed is None:
            allowed = [] if settings.is_production else list(LOOPBACK)
        return cls(
            allowed_networks=tuple(allowed),
            https_only=settings.is_production,
            resolver=resolver or system_resolver,
        )

    def _allowed(self, ip: IPAddress) -> bool:
        candidates: list[IPAddress] = [ip]
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            candidates.append(ip.ipv4_mapped)
        return any(c in net for c in candidates for net in self.allowed_networks)

    def check_address(self, ip: IPAddress) -> None:
        if self._allowed(ip):
            return
        reason = blocked_reason(ip)
        if reason is not None:
            raise BlockedUrl(f"blocked address: {ip} is {reason}")

    def parse(self, url: str) -> httpx.URL:
        """Checks that need no DNS: scheme, userinfo, and the host name itself."""
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise BlockedUrl(f"not a valid URL: {exc}") from exc
        allowed_schemes = ("https",) if self.https_only else ("http", "https")
        if parsed.scheme not in allowed_schemes:
            raise BlockedUrl(f"the scheme must be {' or '.join(allowed_schemes)}")
        if parsed.userinfo:
            raise BlockedUrl("credentials in the URL are not allowed")
        host = parsed.host.rstrip(".").lower()
        if not host:
            raise BlockedUrl("the URL has no host")
        if _literal_ip(host) is None:
            try:
                idna.encode(host, uts46=True)
            except idna.IDNAError as exc:
                raise BlockedUrl(f"the host name is not valid (IDNA): {exc}") from exc
            if host in BLOCKED_NAMES or host.endswith(BLOCKED_SUFFIXES):
                raise BlockedUrl(f"the host name {host!r} is internal")
        return parsed

    async def resolve(self, url: str) -> Target:
        """Every address the name resolves to must be allowed; connect to the first one."""
        parsed = self.parse(url)
        host = parsed.host.rstrip(".")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        literal = _literal_ip(host)
        if literal is not None:
            addresses: list[IPAddress] = [literal]
        else:
            addresses = await self._lookup(parsed.raw_host.decode("ascii").rstrip("."), port)
        for address in addresses:
            self.check_address(address)
        chosen = addresses[0]
        return Target(
            url=url,
            connect_url=parsed.copy_with(host=str(chosen)),
            host_header=parsed.netloc.decode("ascii"),
            sni_hostname=host if parsed.scheme == "https" and literal is None else None,
            address=str(chosen),
        )

    async def _lookup(self, host: str, port: int) -> list[IPAddress]:
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
                answers = await self.resolver(host, port)
        except (OSError, TimeoutError) as exc:
            raise UnresolvedHost(f"dns: {host} does not resolve ({exc or 'timed out'})") from exc
        addresses: list[IPAddress] = []
        for answer in answers:
            ip = _literal_ip(answer.split("%", 1)[0])  # drop an IPv6 zone id
            if ip is None:
                raise UnresolvedHost(f"dns: unexpected answer {answer!r} for {host}")
            addresses.append(ip)
        if not addresses:
            raise UnresolvedHost(f"dns: {host} has no address")
        return addresses


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
