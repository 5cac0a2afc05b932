"""Sign-in, lockout, sign-out and password reset pages."""

import re
from collections.abc import Callable

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import User
from tests.accounts.helpers import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client: Client, email: str, password: str, **extra: str):
    """Post the sign-in form."""
    return client.post(
        reverse("accounts:login"), {"username": email, "password": password, **extra}
    )


def test_login_page_labels_the_email_field(client: Client) -> None:
    """The sign-in form asks for an e-mail address, labelled."""
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">E-mail address:</label>' in html
    assert 'type="email" name="username"' in html


def test_sign_in_sets_preferred_language(
    client: Client, make_user: Callable[..., User]
) -> None:
    """Signing in switches the interface to the person's language."""
    make_user(email="kk@example.org", preferred_language="kk")
    response = sign_in(client, "kk@example.org", PASSWORD)
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "kk"


def test_sign_in_follows_safe_next(
    client: Client, make_user: Callable[..., User]
) -> None:
    """After signing in, the person returns to the page they wanted."""
    make_user(email="n@example.org")
    response = sign_in(client, "n@example.org", PASSWORD, next="/accounts/profile/")
    assert response["Location"] == "/accounts/profile/"
    client.logout()
    response = sign_in(client, "n@example.org", PASSWORD, next="https://evil.example/")
    assert response["Location"] == reverse("home")


def test_wrong_password_shows_error(
    client: Client, make_user: Callable[..., User]
) -> None:
    """A wrong password re-renders the form with Django's message."""
    make_user(email="w@example.org")
    response = sign_in(client, "w@example.org", "wrong")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Please enter a correct e-mail address and password. Note that both "
        "fields may be case-sensitive."
    ]
    assert "_auth_user_id" not in client.session


def test_lockout_after_five_failures(
    client: Client, make_user: Callable[..., User]
) -> None:
    """After AXES_FAILURE_LIMIT failures even the right password is refused."""
    assert settings.AXES_FAILURE_LIMIT == 5
    make_user(email="lock@example.org")
    statuses = [
        sign_in(client, "lock@example.org", "wrong").status_code for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    response = sign_in(client, "lock@example.org", PASSWORD)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Sign-in temporarily blocked" in html
    assert "There were 5 failed sign-in attempts" in html
    assert "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "lock@example.org"
    assert attempt.failures_since_start >= 5


def test_lockout_counts_email_case_variants_together(
    client: Client, make_user: Callable[..., User]
) -> None:
    """Changing the case of the address does not reset the failure count."""
    make_user(email="case@example.org")
    for email in (
        "case@example.org",
        "CASE@example.org",
        "Case@Example.org",
        "cASE@example.org",
    ):
        assert sign_in(client, email, "wrong").status_code == 200
    assert sign_in(client, "CASE@EXAMPLE.ORG", "wrong").status_code == 429
    assert AccessAttempt.objects.count() == 1


def test_lockout_is_per_account(client: Client, make_user: Callable[..., User]) -> None:
    """Another account from the same address can still sign in."""
    make_user(email="victim@example.org")
    make_user(email="other@example.org")
    for _ in range(5):
        sign_in(client, "victim@example.org", "wrong")
    assert sign_in(client, "other@example.org", PASSWORD).status_code == 302


def test_sign_out_requires_post(client: Client, make_user: Callable[..., User]) -> None:
    """GET does not sign out (405); POST does."""
    client.force_login(make_user())
    response = client.get(reverse("accounts:logout"))
    assert response.status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_mail_and_works(
    client: Client, make_user: Callable[..., User]
) -> None:
    """The reset e-mail's link lets the person choose a new password."""
    user = make_user(email="forgot@example.org")
    response = client.post(
        reverse("accounts:password_reset"), {"email": "FORGOT@example.org"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["forgot@example.org"]
    assert mail.outbox[0].subject == "Reset your Dauys password"
    match = re.search(
        r"http://testserver(/accounts/password/reset/\S+/)", str(mail.outbox[0].body)
    )
    assert match is not None

    response = client.get(match.group(1), follow=True)
    assert response.status_code == 200
    assert response.context["validlink"] is True
    new_password = "a brand new passphrase 99"
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_password_reset_for_unknown_address_sends_nothing(client: Client) -> None:
    """No e-mail for an unknown address, and the same page (no enumeration)."""
    response = client.post(
        reverse("accounts:password_reset"), {"email": "nobody@example.org"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


@override_settings(ACCOUNTS_RATELIMITS={"password-reset": (1, 3600)})
def test_password_reset_is_rate_limited(client: Client) -> None:
    """Password reset requests are limited per IP address."""
    url = reverse("accounts:password_reset")
    assert client.post(url, {"email": "a@example.org"}).status_code == 302
    assert client.post(url, {"email": "a@example.org"}).status_code == 429


def test_password_change(client: Client, make_user: Callable[..., User]) -> None:
    """A signed-in person can change their password."""
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another fine passphrase 7",
            "new_password2": "another fine passphrase 7",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change_done")
    user.refresh_from_db()
    assert user.check_password("another fine passphrase 7")
