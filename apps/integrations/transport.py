"""Outbound HTTP for webhooks: SSRF-checked, pinned to the checked address, no redirects, bounded.

The host is resolved once, every address is checked, and the connection goes to that checked address
(a second resolution could return another, internal one: DNS rebinding). TLS still verifies the
certificate against the host name.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
MAX_RESPONSE_EXCERPT = 500


class UnsafeDestinationError(Exception):
    """The URL resolves to an address webhooks may not reach."""


@dataclass(frozen=True)
class HttpResult:
    status_code: int | None
    error: str
    duration_ms: int
    excerpt: str


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n) for n in settings.FEEDHUB_WEBHOOKS["ALLOWED_NETWORKS"]]


def check_address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """Raise UnsafeDestinationError for loopback, private, link-local, metadata and other special ones."""
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if any(address in network for network in _allowed_networks()):
        return address
    if (
        address in _METADATA
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    ):
        raise UnsafeDestinationError(f"Refusing to deliver to {address}.")
    return address


def resolve_checked(host: str, port: int) -> str:
    """Resolve `host` and return an address that passed the check; every resolved address must pass."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeDestinationError(f"Cannot resolve {host}: {exc}") from exc
    addresses = [info[4][0] for info in infos]
    for address in addresses:
        check_address(address)
    return addresses[0]


def check_url(url: str) -> None:
    """Validate a webhook URL's scheme and syntax (its address is checked again at each delivery)."""
    parts = urlsplit(url)
    if parts.scheme not in settings.FEEDHUB_WEBHOOKS["SCHEMES"] or not parts.hostname:
        raise UnsafeDestinationError(
            f"Webhook URLs must use {' or '.join(settings.FEEDHUB_WEBHOOKS['SCHEMES'])}."
        )


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._ip = ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._ip = ip

    def connect(self) -> None:
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post_json(url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
    """POST once. Never follows redirects (a 3xx is a failed attempt); network errors are returned."""
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    host = parts.hostname or ""
    started = time.monotonic()
    timeout = settings.FEEDHUB_WEBHOOKS["TIMEOUT_SECONDS"]
    try:
        check_url(url)
        ip = resolve_checked(host, port)
        cls = _PinnedHTTPSConnection if secure else _PinnedHTTPConnection
        connection = cls(host, port, ip, timeout)
        path = parts.path or "/"
        if parts.query:
            path += f"?{parts.query}"
        try:
            connection.request(
                "POST", path, body=body, headers={"Content-Type": "application/json", **headers}
            )
            response = connection.getresponse()
            excerpt = response.read(MAX_RESPONSE_EXCERPT).decode("utf-8", "replace")
            status = response.status
        finally:
            connection.close()
    except UnsafeDestinationError as exc:
        return HttpResult(None, str(exc), int((time.monotonic() - started) * 1000), "")
    except (OSError, http.client.HTTPException) as exc:
        return HttpResult(
            None, f"{type(exc).__name__}: {exc}"[:500], int((time.monotonic() - started) * 1000), ""
        )
    return HttpResult(status, "", int((time.monotonic() - started) * 1000), excerpt)
