"""Registration and e-mail confirmation through the web pages."""

import re
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from accounts.identity import generate_kz_iin
from accounts.models import Region, User
from accounts.roles import CITIZEN, user_has_role
from accounts.tokens import email_confirmation_token_make

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 42"
IIN = "850512301236"
DUPLICATE_IIN = (
    "An account with this identity number already exists. One person may have "
    "only one account: sign in, or reset your password if you forgot it."
)


def form_data(**overrides: Any) -> dict[str, Any]:
    """Return a valid registration form submission."""
    data: dict[str, Any] = {
        "email": "Aida@Example.org",
        "full_name": "Aida Nurlanovna",
        "identity_number": IIN,
        "region": Region.objects.get(code="astana").pk,
        "preferred_language": "ru",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def confirmation_path(body: str) -> str:
    """Return the path of the confirmation link in an e-mail body."""
    match = re.search(r"http://testserver(/accounts/confirm/[^\s]+/)", body)
    assert match is not None, body
    return match.group(1)


def test_register_page_renders_accessible_form(client: Client) -> None:
    """The form labels every input and describes the IIN field."""
    response = client.get(reverse("accounts:register"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_identity_number">Identity number (IIN):</label>' in html
    assert 'aria-describedby="id_identity_number_helptext"' in html
    assert "<h1>Create your account</h1>" in html


def test_register_confirm_sign_in(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """Register, follow the e-mailed link, then sign in."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:register"), form_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:register_done")
    user = User.objects.get()
    assert user.email == "aida@example.org"
    assert user.preferred_language == "ru"
    assert client.cookies["django_language"].value == "ru"
    # Carry on in English so the assertions below read the English texts.
    client.cookies.pop("django_language")
    assert user.email_verified_at is None

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["aida@example.org"]
    path = confirmation_path(str(mail.outbox[0].body))

    response = client.get(path)
    assert response.status_code == 200
    assert "E-mail address confirmed" in response.content.decode()
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert user_has_role(user, CITIZEN)

    response = client.post(
        reverse("accounts:login"),
        {"username": "AIDA@example.org", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert int(client.session["_auth_user_id"]) == user.pk


def test_confirmation_email_uses_preferred_language(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """The e-mail is rendered in the language chosen at registration."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:register"), form_data(preferred_language="en"))
    assert mail.outbox[0].subject == "Confirm your e-mail address for Dauys"
    assert "The link is valid for 3 days." in str(mail.outbox[0].body)


def test_duplicate_identity_number_rejected_with_form_error(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """A second registration with the same IIN shows an error; no second row."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:register"), form_data())
    client.cookies.pop("django_language")
    response = client.post(
        reverse("accounts:register"), form_data(email="other@example.org")
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"identity_number": [DUPLICATE_IIN]}
    html = response.content.decode()
    assert 'id="id_identity_number_error"' in html
    assert 'aria-invalid="true"' in html
    assert User.objects.count() == 1


def test_duplicate_email_rejected_case_insensitively(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """An e-mail already used, in any case, is refused; no second row."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:register"), form_data())
    client.cookies.pop("django_language")
    response = client.post(
        reverse("accounts:register"),
        form_data(email="AIDA@EXAMPLE.ORG", identity_number=generate_kz_iin()),
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": ["An account with this e-mail address already exists."]
    }
    assert User.objects.count() == 1


def test_invalid_identity_number_rejected(client: Client) -> None:
    """The pluggable validator's message is shown on the IIN field."""
    response = client.post(
        reverse("accounts:register"), form_data(identity_number="850512301237")
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "identity_number": [
            "The last digit of this IIN does not match; please check for a typo."
        ]
    }
    assert User.objects.count() == 0


def test_identity_number_spaces_are_ignored(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """Spaces typed in the IIN (as printed on ID cards) are removed."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:register"), form_data(identity_number="8505 1230 1236")
        )
    assert response.status_code == 302
    assert User.objects.get().identity_number == IIN


@override_settings(IDENTITY_NUMBER_VALIDATOR="tests.accounts.helpers.reject_all")
def test_registration_uses_the_pluggable_validator(client: Client) -> None:
    """The validator named in settings decides at registration."""
    response = client.post(reverse("accounts:register"), form_data())
    assert response.context["form"].errors == {
        "identity_number": ["Plugged validator says no."]
    }


def test_password_mismatch_and_weak_password(client: Client) -> None:
    """Passwords must match and pass the configured validators."""
    response = client.post(
        reverse("accounts:register"), form_data(password2=PASSWORD + "x")
    )
    assert response.context["form"].errors == {
        "password2": ["The two passwords do not match."]
    }
    response = client.post(
        reverse("accounts:register"),
        form_data(password1="12345678", password2="12345678"),
    )
    assert response.context["form"].errors == {
        "password1": [
            "This password is too common: choose a less predictable one.",
            "This password has only digits: add letters or symbols.",
        ]
    }
    assert User.objects.count() == 0


def test_password_rules_are_translated_into_kazakh(client: Client) -> None:
    """The password rules and errors read in Kazakh on the Kazakh page."""
    response = client.get(reverse("accounts:register"), HTTP_ACCEPT_LANGUAGE="kk")
    body = response.content.decode()
    assert "Use at least 8 characters." not in body
    assert "Кемінде 8 таңба пайдаланыңыз." in body
    response = client.post(
        reverse("accounts:register"),
        form_data(password1="12345678", password2="12345678"),
        HTTP_ACCEPT_LANGUAGE="kk",
    )
    errors = response.context["form"].errors["password1"]
    assert errors == [
        "Бұл құпиясөз тым көп тараған: оңай болжанбайтын құпиясөз таңдаңыз.",
        "Бұл құпиясөзде тек цифрлар бар: әріптер немесе таңбалар қосыңыз.",
    ]


def test_bad_token_gives_400_and_changes_nothing(
    client: Client, make_user: Any
) -> None:
    """A broken confirmation link answers 400 with an explanation."""
    user = make_user(verified=False)
    token = email_confirmation_token_make(user_id=user.pk, email=user.email)
    response = client.get(
        reverse("accounts:confirm_email", kwargs={"token": token[:-2] + "zz"})
    )
    assert response.status_code == 400
    assert "This confirmation link does not work" in response.content.decode()
    user.refresh_from_db()
    assert user.email_verified_at is None
    assert not user_has_role(user, CITIZEN)


def test_confirmation_twice_is_fine(client: Client, make_user: Any) -> None:
    """Following the link again still answers 200."""
    user = make_user(verified=False)
    token = email_confirmation_token_make(user_id=user.pk, email=user.email)
    url = reverse("accounts:confirm_email", kwargs={"token": token})
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200


@override_settings(ACCOUNTS_RATELIMITS={"register": (2, 3600)})
def test_registration_is_rate_limited(client: Client) -> None:
    """After the limit, registration attempts get 429."""
    for _ in range(2):
        response = client.post(
            reverse("accounts:register"), form_data(identity_number="bad")
        )
        assert response.status_code == 200
    response = client.post(reverse("accounts:register"), form_data())
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    assert User.objects.count() == 0


@override_settings(ACCOUNTS_RATELIMITS={"confirm": (1, 3600)})
def test_confirmation_is_rate_limited(client: Client) -> None:
    """Guessing confirmation tokens is rate-limited per IP address."""
    url = reverse("accounts:confirm_email", kwargs={"token": "guess"})
    assert client.get(url).status_code == 400
    assert client.get(url).status_code == 429


def test_signed_in_users_are_sent_to_their_profile(
    client: Client, make_user: Any
) -> None:
    """The registration page redirects people who are already signed in."""
    client.force_login(make_user())
    response = client.get(reverse("accounts:register"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")


def test_resend_confirmation(
    client: Client, make_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """An unverified user can ask for a new link (POST only)."""
    user = make_user(verified=False)
    client.force_login(user)
    assert client.get(reverse("accounts:resend_confirmation")).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:resend_confirmation"))
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert client.get(confirmation_path(str(mail.outbox[0].body))).status_code == 200


def test_resend_confirmation_when_verified_sends_nothing(
    client: Client, make_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A verified user is told so; no e-mail is sent."""
    client.force_login(make_user())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:resend_confirmation"), follow=True)
    assert "Your e-mail address is already confirmed." in response.content.decode()
    assert mail.outbox == []


def test_region_choices_follow_the_interface_language(client: Client) -> None:
    """Region names in the form are shown in the visitor's language."""
    html = client.get(
        reverse("accounts:register"), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    assert "Карагандинская область" in html
    assert '<option value="ru" selected>' in html
