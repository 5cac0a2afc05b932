"""The client's address for rate limits and lockouts, behind trusted proxies."""

import pytest
from django.http import HttpRequest
from django.test import RequestFactory, override_settings

from accounts.client_address import client_address
from accounts.ratelimit import client_ip


def _request(remote: str = "10.0.0.9", forwarded: str | None = None) -> HttpRequest:
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


@override_settings(TRUSTED_PROXY_COUNT=0)
def test_without_proxies_the_header_is_ignored() -> None:
    """Directly exposed, a forged X-Forwarded-For changes nothing."""
    request = _request(forwarded="203.0.113.5")
    assert client_address(request) == "10.0.0.9"
    assert client_ip(request) == "10.0.0.9"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        # One proxy appends the address it saw: the right-most entry.
        (1, "198.51.100.7", "198.51.100.7"),
        # What the client wrote itself (left of it) is not believed.
        (1, "203.0.113.5, 198.51.100.7", "198.51.100.7"),
        # Two proxies (a CDN, then nginx): the second entry from the right.
        (2, "203.0.113.5, 198.51.100.7, 192.0.2.1", "198.51.100.7"),
        (1, "2001:db8::5", "2001:db8::5"),
        # Fewer entries than proxies, or garbage: the connecting peer.
        (2, "198.51.100.7", "10.0.0.9"),
        (1, "", "10.0.0.9"),
        (1, "not-an-address", "10.0.0.9"),
    ],
)
def test_behind_trusted_proxies(count: int, forwarded: str, expected: str) -> None:
    """The address the outermost trusted proxy saw is the client's."""
    with override_settings(TRUSTED_PROXY_COUNT=count):
        request = _request(forwarded=forwarded)
        assert client_address(request) == expected
        assert client_ip(request) == expected
