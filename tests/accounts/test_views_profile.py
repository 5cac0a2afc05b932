"""The profile page."""

from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import Region, User

pytestmark = pytest.mark.django_db


def test_profile_requires_sign_in(client: Client) -> None:
    """Anonymous visitors are sent to sign in."""
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/profile/"


def test_profile_shows_masked_identity_number(
    client: Client, make_user: Callable[..., User]
) -> None:
    """Only the last four digits of the identity number are shown."""
    user = make_user(identity_number="850512301236")
    client.force_login(user)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "••••••••1236" in html
    assert "850512301236" not in html
    assert 'name="identity_number"' not in html


def test_profile_edit(client: Client, make_user: Callable[..., User]) -> None:
    """Name, region and language can be changed; the language cookie follows."""
    user = make_user(identity_number="850512301236")
    client.force_login(user)
    pavlodar = Region.objects.get(code="pavlodar")
    response = client.post(
        reverse("accounts:profile"),
        {
            "full_name": "Aida Renamed",
            "region": pavlodar.pk,
            "preferred_language": "ru",
            # Not a form field: must be ignored.
            "identity_number": "050228600424",
            "email": "hijack@example.org",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    user.refresh_from_db()
    assert (user.full_name, user.region, user.preferred_language) == (
        "Aida Renamed",
        pavlodar,
        "ru",
    )
    assert user.identity_number == "850512301236"
    assert user.email.startswith("person")


def test_profile_edit_shows_errors(
    client: Client, make_user: Callable[..., User]
) -> None:
    """An invalid submission re-renders the form with linked errors."""
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {"full_name": "", "region": "", "preferred_language": "de"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "full_name": ["This field is required."],
        "preferred_language": [
            "Select a valid choice. de is not one of the available choices."
        ],
    }
    html = response.content.decode()
    assert 'aria-describedby="id_full_name_error"' in html
    user.refresh_from_db()
    assert user.full_name != ""


def test_profile_lists_unverified_state_and_resend_button(
    client: Client, make_user: Callable[..., User]
) -> None:
    """Unverified accounts see their state in words and a resend button."""
    client.force_login(make_user(verified=False))
    html = client.get(reverse("accounts:profile")).content.decode()
    assert "(not confirmed yet)" in html
    assert reverse("accounts:resend_confirmation") in html
