"""Two-factor set-up and disabling."""

import base64
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.roles import OFFICIAL
from tests.accounts.helpers import PASSWORD, current_code, wrong_code

pytestmark = pytest.mark.django_db

DESK = "/accounts/official/"


def test_setup_page_shows_qr_code_and_key(
    client: Client, make_user: Callable[..., User]
) -> None:
    """The set-up page shows a server-made QR image and the typed-in key."""
    user = make_user()
    client.force_login(user)
    response = client.get(reverse("accounts:two_factor_setup"))
    assert response.status_code == 200
    html = response.content.decode()
    match = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert match is not None
    assert base64.b64decode(match.group(1)).startswith(b"<svg")
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed is False
    secret = base64.b32encode(device.bin_key).decode()
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in html
    assert "<script" not in html.split("<main", 1)[1]


def test_setup_page_reuses_the_pending_device(
    client: Client, make_user: Callable[..., User]
) -> None:
    """Reloading the page keeps the same secret."""
    user = make_user()
    client.force_login(user)
    client.get(reverse("accounts:two_factor_setup"))
    client.get(reverse("accounts:two_factor_setup"))
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_setup_confirm_with_code_verifies_session(
    client: Client, make_user: Callable[..., User]
) -> None:
    """Confirming with a code turns 2FA on and opens the desk."""
    user = make_user(role=OFFICIAL)
    client.force_login(user)
    client.get(reverse("accounts:two_factor_setup") + "?next=" + DESK)
    device = TOTPDevice.objects.get(user=user)
    response = client.post(
        reverse("accounts:two_factor_setup"),
        {"code": current_code(device), "next": DESK},
    )
    assert response.status_code == 302
    assert response["Location"] == DESK
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get(DESK).status_code == 200


def test_setup_confirm_with_wrong_code(
    client: Client, make_user: Callable[..., User]
) -> None:
    """A wrong code leaves the device unconfirmed and explains why."""
    user = make_user()
    client.force_login(user)
    client.get(reverse("accounts:two_factor_setup"))
    device = TOTPDevice.objects.get(user=user)
    response = client.post(
        reverse("accounts:two_factor_setup"), {"code": wrong_code(device)}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "code": [
            "That code is not correct or has expired. Enter the current 6-digit "
            "code from your authenticator app."
        ]
    }
    device.refresh_from_db()
    assert device.confirmed is False
    assert device.throttling_failure_count == 1


def test_setup_when_already_on(client: Client, make_user: Callable[..., User]) -> None:
    """With 2FA on, set-up does not add a second device."""
    user = make_user()
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    response = client.get(reverse("accounts:two_factor_setup"))
    assert response.status_code == 200
    assert "Two-factor authentication is on" in response.content.decode()
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_disable_needs_the_password(
    client: Client, make_user: Callable[..., User]
) -> None:
    """Turning 2FA off with a wrong password fails; the right one works."""
    user = make_user(role=OFFICIAL)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    client.post(reverse("accounts:two_factor_verify"), {"code": current_code(device)})
    assert client.get(DESK).status_code == 200

    response = client.post(reverse("accounts:two_factor_disable"), {"password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "password": ["The password is not correct."]
    }
    assert TOTPDevice.objects.filter(user=user).count() == 1

    response = client.post(
        reverse("accounts:two_factor_disable"), {"password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    assert TOTPDevice.objects.filter(user=user).count() == 0
    assert client.get(DESK)["Location"].startswith("/accounts/2fa/setup/")


def test_two_factor_pages_require_sign_in(client: Client) -> None:
    """All 2FA pages send anonymous visitors to sign in."""
    for name in ("two_factor_setup", "two_factor_verify", "two_factor_disable"):
        response = client.get(reverse(f"accounts:{name}"))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
