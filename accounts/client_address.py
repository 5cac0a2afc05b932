"""The client's IP address, also behind trusted reverse proxies.

Rate limits, sign-in lockouts (django-axes) and petition burst alerts all
key on the client's address.  Directly exposed, that is ``REMOTE_ADDR``.
Behind ``TRUSTED_PROXY_COUNT`` reverse proxies that each append the address
they received the request from to ``X-Forwarded-For`` (nginx's
``$proxy_add_x_forwarded_for``), it is the ``TRUSTED_PROXY_COUNT``-th entry
from the right: entries further left were written by the client and can be
forged.  Set the count only when the application is reachable through the
proxies alone; otherwise anyone could choose their address.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_address(request: HttpRequest) -> str:
    """Return the client's address as the trusted proxies saw it ("" if none)."""
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    count: int = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if part.strip()
    ]
    if len(forwarded) < count:
        # Not through all the proxies (a health check, a misconfiguration):
        # the connecting peer is the best that can be trusted.
        return remote
    candidate = forwarded[-count]
    return candidate if _valid(candidate) else remote
