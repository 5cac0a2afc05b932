"""``role_required`` and ``RoleRequiredMixin``: login, 403 and 2FA gates."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import View
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.permissions import RoleRequiredMixin, role_required
from accounts.roles import AUDITOR, CITIZEN, MODERATOR, OFFICIAL, TRUSTEE
from tests.accounts.helpers import current_code, wrong_code

pytestmark = pytest.mark.django_db

DESK = "/accounts/official/"
WRONG_CODE_MESSAGE = (
    "That code is not correct or has expired. Enter the current 6-digit code "
    "from your authenticator app."
)


def test_anonymous_is_sent_to_login(client: Client) -> None:
    """Anonymous visitors are redirected to sign in, then back."""
    response = client.get(DESK)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/official/"


def test_citizen_gets_403_with_message(
    client: Client, make_user: Callable[..., User]
) -> None:
    """A citizen is refused with a rendered, explained 403 page."""
    client.force_login(make_user(role=CITIZEN))
    response = client.get(DESK)
    assert response.status_code == 403
    html = response.content.decode()
    assert "You do not have access to this page" in html
    assert (
        "This page is only for accounts with the official role, and your "
        "account does not have it."
    ) in html


def test_official_without_device_is_sent_to_setup(
    client: Client, make_user: Callable[..., User]
) -> None:
    """An official without TOTP must set it up first."""
    client.force_login(make_user(role=OFFICIAL))
    response = client.get(DESK)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/setup/?next=%2Faccounts%2Fofficial%2F"


def test_official_with_unconfirmed_device_is_sent_to_setup(
    client: Client, make_user: Callable[..., User]
) -> None:
    """A device never confirmed with a code does not count."""
    user = make_user(role=OFFICIAL)
    TOTPDevice.objects.create(user=user, name="x", confirmed=False)
    client.force_login(user)
    assert client.get(DESK)["Location"].startswith("/accounts/2fa/setup/")


def test_official_with_device_is_sent_to_verify(
    client: Client, make_user: Callable[..., User]
) -> None:
    """An official whose session is not OTP-verified must enter a code."""
    user = make_user(role=OFFICIAL)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    response = client.get(DESK)
    assert response.status_code == 302
    assert (
        response["Location"] == "/accounts/2fa/verify/?next=%2Faccounts%2Fofficial%2F"
    )


def test_official_after_correct_code_gets_200(
    client: Client, make_user: Callable[..., User]
) -> None:
    """After a correct TOTP code the desk opens."""
    user = make_user(role=OFFICIAL)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    response = client.post(
        reverse("accounts:two_factor_verify"),
        {"code": current_code(device), "next": DESK},
    )
    assert response.status_code == 302
    assert response["Location"] == DESK
    response = client.get(DESK)
    assert response.status_code == 200
    assert "<h1>Official's desk</h1>" in response.content.decode()


def test_wrong_code_is_an_error(client: Client, make_user: Callable[..., User]) -> None:
    """A wrong code re-renders the form with an error; the desk stays shut."""
    user = make_user(role=OFFICIAL)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    response = client.post(
        reverse("accounts:two_factor_verify"),
        {"code": wrong_code(device), "next": DESK},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"code": [WRONG_CODE_MESSAGE]}
    assert client.get(DESK).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_code_cannot_be_replayed(
    client: Client, make_user: Callable[..., User]
) -> None:
    """The same code does not verify a second session."""
    user = make_user(role=OFFICIAL)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    code = current_code(device)
    client.force_login(user)
    client.post(reverse("accounts:two_factor_verify"), {"code": code})
    other = Client()
    other.force_login(user)
    response = other.post(reverse("accounts:two_factor_verify"), {"code": code})
    assert response.status_code == 200
    assert response.context["form"].errors == {"code": [WRONG_CODE_MESSAGE]}


def test_verify_ignores_offsite_next(
    client: Client, make_user: Callable[..., User]
) -> None:
    """An external ``next`` is replaced by the profile page."""
    user = make_user(role=OFFICIAL)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    response = client.post(
        reverse("accounts:two_factor_verify"),
        {"code": current_code(device), "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("accounts:profile")


def test_verify_without_device_goes_to_setup(
    client: Client, make_user: Callable[..., User]
) -> None:
    """The verification page sends people without a device to set-up."""
    client.force_login(make_user(role=OFFICIAL))
    response = client.get(reverse("accounts:two_factor_verify") + "?next=/x/")
    assert response["Location"] == "/accounts/2fa/setup/?next=%2Fx%2F"


@pytest.mark.parametrize(
    ("role", "needs_2fa"),
    [
        (CITIZEN, False),
        (AUDITOR, False),
        (MODERATOR, True),
        (OFFICIAL, True),
        (TRUSTEE, True),
    ],
)
def test_decorator_and_mixin_per_role(
    make_user: Callable[..., User], role: str, needs_2fa: bool
) -> None:
    """Only moderator, official and trustee pages demand two-factor auth."""

    @role_required(role)
    def function_view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    class ClassView(RoleRequiredMixin, View):
        required_role = role

        def get(self, request: HttpRequest) -> HttpResponse:
            return HttpResponse("ok")

    request = RequestFactory().get("/page/")
    request.session = SessionStore()
    user: Any = make_user(role=role)
    user.is_verified = lambda: False  # what OTPMiddleware installs
    request.user = user
    for view in (function_view, ClassView.as_view()):
        response = view(request)
        if needs_2fa:
            assert response.status_code == 302
            assert response["Location"] == "/accounts/2fa/setup/?next=%2Fpage%2F"
        else:
            assert response.status_code == 200
    user.is_verified = lambda: True
    for view in (function_view, ClassView.as_view()):
        assert view(request).status_code == 200


def test_mixin_refuses_other_roles_and_anonymous(
    make_user: Callable[..., User],
) -> None:
    """The mixin answers 403 to other roles and redirects anonymous users."""

    class AuditView(RoleRequiredMixin, View):
        required_role = AUDITOR

        def get(self, request: HttpRequest) -> HttpResponse:
            return HttpResponse("ok")

    request = RequestFactory().get("/audit/")
    request.session = SessionStore()
    request.user = make_user(role=CITIZEN)
    assert AuditView.as_view()(request).status_code == 403
    request.user = AnonymousUser()
    response = AuditView.as_view()(request)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/audit/"


def test_role_required_rejects_unknown_role() -> None:
    """A typo in the role name fails at import time, not per request."""
    with pytest.raises(ValueError, match="unknown role 'oficial'"):
        role_required("oficial")
