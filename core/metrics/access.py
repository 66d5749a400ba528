"""Who may read ``/metrics`` (docs/operations.md, "Metrics"): never everyone.

* ``PARLEY_METRICS_TOKEN``: a request with ``Authorization: Bearer <token>`` (compared in constant time).
* ``PARLEY_METRICS_ALLOWED_IPS``: addresses and networks (``10.0.0.5, 10.1.0.0/16``) whose requests need no
  token. The address is the client's by the project's proxy rule (``core.client_ip``, ``PARLEY_TRUSTED_PROXIES``):
  with trusted proxies, the entry the nearest proxy wrote, never what the client wrote to its left. With none
  (the default), the TCP peer, and a request that carries ``X-Forwarded-For`` is never let in by its address: it
  came through a proxy this instance was not told about (whose own address may well be in the list, e.g.
  127.0.0.1 for nginx on the same host), or its sender forged the header. A scraper that calls the instance
  directly sends no such header.

Neither set: nobody (``/metrics`` answers 404, as if it did not exist).
"""

from __future__ import annotations

import hmac
import ipaddress
from functools import lru_cache

from django.conf import settings

from core.client_ip import client_ip


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def allowed_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The networks of ``PARLEY_METRICS_ALLOWED_IPS`` (checked by the settings; an address is a /32 or /128)."""
    return _networks(tuple(settings.PARLEY_METRICS_ALLOWED_IPS))


def metrics_enabled() -> bool:
    """Whether anyone at all may read ``/metrics``."""
    return bool(settings.PARLEY_METRICS_TOKEN or settings.PARLEY_METRICS_ALLOWED_IPS)


def token_ok(request) -> bool:
    expected = settings.PARLEY_METRICS_TOKEN
    if not expected:
        return False
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def address_ok(request) -> bool:
    networks = allowed_networks()
    if not networks:
        return False
    if settings.PARLEY_TRUSTED_PROXIES <= 0 and request.META.get("HTTP_X_FORWARDED_FOR"):
        return False
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in networks)


def may_scrape(request) -> bool:
    """Whether ``request`` may read the metrics."""
    return token_ok(request) or address_ok(request)
