"""The client's address, for the login lockout (``AXES_CLIENT_IP_CALLABLE``) and the audit log.

Behind a reverse proxy every request comes from the proxy's address, so the lockout would key every client on one
address. The ``X-Forwarded-For`` header names the real client, but anyone can send it: it is read only when the
connection comes from a proxy named in ``TRUSTED_PROXIES`` (addresses or networks), and then from the right,
skipping trusted proxies, so an address the client wrote itself at the left is never taken.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_ip(request) -> str | None:
    """The connecting address; when it is a trusted proxy, the right-most ``X-Forwarded-For`` entry that is not
    a trusted proxy (falling back to the nearest proxy when the header is missing or malformed)."""
    remote = request.META.get("REMOTE_ADDR") or None
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    nearest = _address(remote or "")
    if not networks or not _trusted(nearest, networks):
        return remote
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage in the header: trust nothing further left
        if not _trusted(address, networks):
            return str(address)
        nearest = address
    return str(nearest)
