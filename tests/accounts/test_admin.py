"""Admin pages for users and regions."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client: Client) -> Client:
    """A client signed in as a superuser whose session passed TOTP."""
    admin = User.objects.create_superuser(
        email="admin@example.org", password="pw", full_name="Admin"
    )
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_admin_requires_two_factor(client: Client) -> None:
    """A superuser signed in without a TOTP code is sent to the admin login."""
    client.force_login(
        User.objects.create_superuser(
            email="root@example.org", password="pw", full_name="Root"
        )
    )
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_user_list_masks_identity_numbers(
    admin_client_: Client, make_user: Callable[..., User]
) -> None:
    """The user list shows only the last four digits of identity numbers."""
    make_user(identity_number="850512301236", email="masked@example.org")
    response = admin_client_.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "masked@example.org" in html
    assert "••••••••1236" in html
    assert "850512301236" not in html


def test_user_change_page_never_shows_signer_secret(
    admin_client_: Client, make_user: Callable[..., User]
) -> None:
    """The change form has no signer secret field."""
    user = make_user()
    response = admin_client_.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert response.status_code == 200
    assert "signer_secret" not in response.content.decode()
    assert "signer" not in response.context["adminform"].form.fields


def test_identity_number_search_is_exact(
    admin_client_: Client, make_user: Callable[..., User]
) -> None:
    """Searching by identity number needs the whole number."""
    make_user(identity_number="850512301236", email="found@example.org")
    url = reverse("admin:accounts_user_changelist")
    assert (
        "found@example.org"
        in admin_client_.get(url, {"q": "850512301236"}).content.decode()
    )
    assert (
        "found@example.org"
        not in admin_client_.get(url, {"q": "8505"}).content.decode()
    )


def test_admin_can_add_user(admin_client_: Client) -> None:
    """Staff can create an account from the admin with e-mail and name."""
    response = admin_client_.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New.Staff@Example.org",
            "full_name": "New Staff",
            "usable_password": "true",
            "password1": "a long enough passphrase 1",
            "password2": "a long enough passphrase 1",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(email="new.staff@example.org").count() == 1


def test_region_list(admin_client_: Client) -> None:
    """The region admin lists the loaded regions."""
    response = admin_client_.get(reverse("admin:accounts_region_changelist"))
    assert response.status_code == 200
    assert "Ulytau Region" in response.content.decode()
