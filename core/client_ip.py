"""The client's address, as every abuse limit sees it (docs/operations.md, "Abuse limits").

One function for the API and widget throttles (``core.rest.throttles``) and for the login lockouts
(django-axes' ``AXES_CLIENT_IP_CALLABLE``), so that both count the same address.

``PARLEY_TRUSTED_PROXIES`` says how many reverse proxies stand in front of the web processes. With 0
(the default) the address is the TCP peer, ``REMOTE_ADDR``, and ``X-Forwarded-For`` is ignored: a client
can write anything there. With N > 0 each trusted proxy appends the address it received the request
from, so the client is the N-th entry from the right; whatever a client wrote to the left of it is
ignored. This is the rule of DRF's ``NUM_PROXIES``, which the settings set to the same number.
"""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_ip(request) -> str:
    """The address of the client that sent ``request`` (a Django or a DRF request)."""
    meta = request.META
    remote_addr = meta.get("REMOTE_ADDR") or ""
    proxies = settings.PARLEY_TRUSTED_PROXIES
    if proxies <= 0:
        return remote_addr
    forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not forwarded:
        return remote_addr
    address = forwarded[-min(proxies, len(forwarded))]
    if not _valid(address):
        # Only a misconfigured proxy writes something else here; count the proxy rather than
        # store text that is not an address (the lockout table keeps addresses).
        logger.warning("X-Forwarded-For entry %r is not an address; using REMOTE_ADDR", address)
        return remote_addr
    return address
