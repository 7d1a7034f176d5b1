"""Where webhooks may be sent: public http(s) addresses only (unless the operator allows private).

Checked when an endpoint is created or changed AND again before every delivery, since DNS answers
change; the delivery then connects to the address that was checked (no second look-up).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from greenroom.core.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Ports a webhook may use: 80, 443 and 1024 to 65535, except these well-known internal
# services (an endpoint on one of them is an attempt to reach it, whatever the address).
DENIED_PORTS: dict[int, str] = {
    2181: "ZooKeeper",
    2375: "Docker",
    2376: "Docker",
    2379: "etcd",
    2380: "etcd",
    3306: "MySQL",
    5432: "PostgreSQL",
    5672: "AMQP",
    5984: "CouchDB",
    6379: "Redis",
    6443: "Kubernetes",
    8500: "Consul",
    9042: "Cassandra",
    9092: "Kafka",
    9200: "Elasticsearch",
    9300: "Elasticsearch",
    10250: "Kubernetes",
    11211: "Memcached",
    27017: "MongoDB",
}


def check_port(port: int) -> None:
    if port in DENIED_PORTS:
        raise UnsafeUrl(
            f"Port {port} is the port of an internal service ({DENIED_PORTS[port]}); "
            "webhooks cannot be sent to it."
        )
    if port not in (80, 443) and not 1024 <= port <= 65535:
        raise UnsafeUrl("Webhook URLs may use port 80, 443 or 1024 to 65535.")


class UnsafeUrl(Exception):
    """The URL may not receive webhooks; the message says why (safe to show the partner)."""


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str  # as written in the URL (no brackets)
    port: int
    address: str | None  # the checked address to connect to; None when private is allowed


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return False
        embedded = _embedded_v4(ip)
        if embedded is not None and not is_public(embedded):
            return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def parse(url: str, settings: Settings) -> Target:
    """Scheme, host and port, or UnsafeUrl; does not resolve."""
    if len(url) > 2048:
        raise UnsafeUrl("The URL is longer than 2048 characters.")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Zs", "Zl", "Zp") for c in url):
        raise UnsafeUrl("The URL may not hold spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl("The URL is not valid.") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("Only http and https URLs can receive webhooks.")
    if (
        parts.scheme != "https"
        and settings.environment == "production"
        and not settings.webhooks_allow_private
    ):
        raise UnsafeUrl("Webhook URLs must use https.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("Credentials in the URL are not accepted.")
    host = (parts.hostname or "").rstrip(".")
    if not host or any(c.isspace() for c in url):
        raise UnsafeUrl("The URL has no valid host.")
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    check_port(port)
    return Target(parts.scheme, host, port, None)


async def resolve(url: str, settings: Settings) -> Target:
    """The target with a public address to connect to, or UnsafeUrl (also when DNS takes longer
    than the connect timeout)."""
    target = parse(url, settings)
    if settings.webhooks_allow_private:
        return target
    try:
        literal: IPAddress | None = ipaddress.ip_address(target.host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            async with asyncio.timeout(settings.webhooks_connect_timeout_seconds):
                infos = await asyncio.get_running_loop().getaddrinfo(
                    target.host, target.port, type=socket.SOCK_STREAM
                )
        except (OSError, UnicodeError, TimeoutError) as exc:
            raise UnsafeUrl(f"The host {target.host!r} could not be resolved.") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        if not addresses:
            raise UnsafeUrl(f"The host {target.host!r} could not be resolved.")
    for ip in addresses:
        if not is_public(ip):
            raise UnsafeUrl(
                "The URL resolves to a private, loopback, link-local or otherwise reserved "
                "address, which cannot receive webhooks."
            )
    return Target(target.scheme, target.host, target.port, str(addresses[0]))
