"""The client's address: the one place that reads it, for throttles, link limits and the audit.

X-Forwarded-For is written by whoever sends the request, so it is believed only when the peer
is one of TRUSTED_PROXIES (addresses or networks, empty by default). Then the header is read
from the right, each trusted proxy's hop skipped, and the first address that is not a trusted
proxy is the client: hops further left were written by the client and prove nothing."""

import functools
import ipaddress

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.lru_cache(maxsize=8)
def _networks(
    proxies: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _parse(value: str | None) -> Address | None:
    try:
        return ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None


def _is_proxy(address: Address, networks) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_ip(request: HttpRequest) -> str | None:
    """The address of the client behind any trusted proxies, or None when the peer's address
    is missing or malformed (a test client, a Unix socket)."""
    peer = _parse(request.META.get("REMOTE_ADDR"))
    if peer is None:
        return None
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _is_proxy(peer, networks):
        return str(peer)
    client = peer
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break  # a garbled header: keep the last address a trusted proxy vouched for
        client = address
        if not _is_proxy(address, networks):
            break
    return str(client)
