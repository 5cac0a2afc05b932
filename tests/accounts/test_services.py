"""Account services: registration, e-mail confirmation, profile updates."""

import time
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts import services
from accounts.identity import generate_kz_iin
from accounts.models import Region, User
from accounts.roles import CITIZEN, user_has_role
from accounts.services import (
    user_confirm_email,
    user_create,
    user_register,
    user_update_profile,
)
from accounts.tokens import (
    InvalidTokenError,
    email_confirmation_token_make,
    email_confirmation_token_read,
)

pytestmark = pytest.mark.django_db

IIN = "850512301236"
DUPLICATE_IIN = (
    "An account with this identity number already exists. One person may have "
    "only one account: sign in, or reset your password if you forgot it."
)
DUPLICATE_EMAIL = "An account with this e-mail address already exists."


def register(**overrides: Any) -> User:
    """Call ``user_register`` with valid defaults."""
    fields: dict[str, Any] = {
        "email": "aida@example.org",
        "password": "correct horse battery staple 42",
        "full_name": "Aida Nurlanovna",
        "identity_number": IIN,
        "region": Region.objects.get(code="astana"),
        "preferred_language": "kk",
        "site_url": "https://dauys.example",
    }
    fields.update(overrides)
    return user_register(**fields)


def test_register_creates_unverified_user_and_sends_link(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Registration stores the person unverified and e-mails a link on commit."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        user = register()
    assert len(callbacks) == 1
    assert user.email == "aida@example.org"
    assert user.identity_number == IIN
    assert user.email_verified_at is None
    assert not user_has_role(user, CITIZEN)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["aida@example.org"]
    assert "https://dauys.example/accounts/confirm/" in message.body


def test_no_mail_if_the_transaction_rolls_back(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The e-mail is queued on commit, so nothing is sent before it."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        register()
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_duplicate_identity_number_is_a_field_error() -> None:
    """A second registration with the same IIN fails with a clear message."""
    register()
    with pytest.raises(ValidationError) as excinfo:
        register(email="someone.else@example.org")
    assert excinfo.value.message_dict == {"identity_number": [DUPLICATE_IIN]}
    assert User.objects.count() == 1


def test_duplicate_email_in_other_case_is_a_field_error() -> None:
    """E-mail addresses are unique whatever their case."""
    register()
    with pytest.raises(ValidationError) as excinfo:
        register(email="AIDA@Example.org", identity_number=generate_kz_iin())
    assert excinfo.value.message_dict == {"email": [DUPLICATE_EMAIL]}
    assert User.objects.count() == 1


def test_duplicate_email_and_identity_number_both_reported() -> None:
    """When both clash, both fields are reported."""
    register()
    with pytest.raises(ValidationError) as excinfo:
        register()
    assert excinfo.value.message_dict == {
        "email": [DUPLICATE_EMAIL],
        "identity_number": [DUPLICATE_IIN],
    }


def test_race_on_identity_number_is_caught_by_the_constraint() -> None:
    """Losing a registration race gives the field error, not a second row.

    The other request's row is inserted after validation but before this
    request's insert, as happens when two requests interleave; only the
    unique index can stop the second insert.
    """
    real_validate = services.validate_identity_number

    def validate_then_lose_race(value: str) -> None:
        real_validate(value)
        User.objects.create_user(
            email="winner@example.org", full_name="Winner", identity_number=value
        )

    with (
        mock.patch.object(
            services, "validate_identity_number", side_effect=validate_then_lose_race
        ),
        pytest.raises(ValidationError) as excinfo,
    ):
        # user_create, not user_register: the latter's outer transaction
        # would roll the winner back too, which a real race cannot do.
        user_create(
            email="racer@example.org",
            password="pw",
            full_name="Racer",
            identity_number=IIN,
            region=None,
            preferred_language="en",
        )
    assert excinfo.value.message_dict == {"identity_number": [DUPLICATE_IIN]}
    assert list(User.objects.values_list("email", flat=True)) == ["winner@example.org"]


def test_other_integrity_errors_are_not_hidden() -> None:
    """An IntegrityError unrelated to e-mail or IIN propagates unchanged."""
    with (
        mock.patch.object(User.objects, "create_user", side_effect=IntegrityError("x")),
        pytest.raises(IntegrityError, match="x"),
    ):
        register()


def test_service_validates_identity_number_itself() -> None:
    """Services re-check the identity number; forms are not the only gate."""
    with pytest.raises(ValidationError) as excinfo:
        register(identity_number="850512301237")
    assert excinfo.value.messages == [
        "The last digit of this IIN does not match; please check for a typo."
    ]
    assert User.objects.count() == 0


def test_confirm_email_marks_verified_and_grants_citizen() -> None:
    """A valid token verifies the address and grants the citizen role."""
    user = register()
    token = email_confirmation_token_make(user_id=user.pk, email=user.email)
    confirmed = user_confirm_email(token=token)
    assert confirmed.pk == user.pk
    assert confirmed.email_verified_at is not None
    assert user_has_role(confirmed, CITIZEN)
    assert confirmed.has_perm("accounts.participate")


def test_confirm_email_is_idempotent() -> None:
    """Confirming twice keeps the first verification time."""
    user = register()
    token = email_confirmation_token_make(user_id=user.pk, email=user.email)
    first = user_confirm_email(token=token).email_verified_at
    second = user_confirm_email(token=token).email_verified_at
    assert first == second
    assert list(User.objects.get(pk=user.pk).groups.values_list("name", flat=True)) == [
        CITIZEN
    ]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: "not-a-token",
        lambda token: "",
    ],
)
def test_bad_token_changes_nothing(mangle: Callable[[str], str]) -> None:
    """A tampered or malformed token raises and leaves the account as it was."""
    user = register()
    token = email_confirmation_token_make(user_id=user.pk, email=user.email)
    with pytest.raises(InvalidTokenError):
        user_confirm_email(token=mangle(token))
    user.refresh_from_db()
    assert user.email_verified_at is None
    assert not user_has_role(user, CITIZEN)


def test_expired_token_changes_nothing() -> None:
    """A token older than the maximum age is refused."""
    user = register()
    four_days_ago = time.time() - 4 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=four_days_ago):
        token = email_confirmation_token_make(user_id=user.pk, email=user.email)
    with pytest.raises(InvalidTokenError, match="Signature age"):
        user_confirm_email(token=token)
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_token_for_an_old_address_is_refused() -> None:
    """A token stops working when the account's e-mail address changes."""
    user = register()
    token = email_confirmation_token_make(user_id=user.pk, email=user.email)
    User.objects.filter(pk=user.pk).update(email="new@example.org")
    with pytest.raises(InvalidTokenError, match="e-mail address changed"):
        user_confirm_email(token=token)


def test_token_round_trip_and_salt() -> None:
    """Tokens carry the id and address, and only confirm e-mail addresses."""
    token = email_confirmation_token_make(user_id=7, email="x@example.org")
    assert email_confirmation_token_read(token) == (7, "x@example.org")
    from django.core import signing

    other_purpose = signing.dumps({"u": 7, "e": "x@example.org"})
    with pytest.raises(InvalidTokenError):
        email_confirmation_token_read(other_purpose)


def test_update_profile(make_user: Callable[..., User]) -> None:
    """The profile service changes name, region and language only."""
    user = make_user()
    iin = user.identity_number
    shymkent = Region.objects.get(code="shymkent")
    user_update_profile(
        user=user, full_name="New Name", region=shymkent, preferred_language="ru"
    )
    user.refresh_from_db()
    assert (user.full_name, user.region, user.preferred_language) == (
        "New Name",
        shymkent,
        "ru",
    )
    assert user.identity_number == iin


def test_update_profile_rejects_unknown_language(
    make_user: Callable[..., User],
) -> None:
    """Only the offered languages can be chosen."""
    user = make_user()
    with pytest.raises(ValidationError) as excinfo:
        user_update_profile(
            user=user, full_name="X", region=None, preferred_language="de"
        )
    assert excinfo.value.message_dict == {
        "preferred_language": ["Choose one of the offered languages."]
    }


def test_user_create_verified(make_user: Callable[..., User]) -> None:
    """``user_create(email_verified=True)`` stores a verification time."""
    user = user_create(
        email="v@example.org",
        password="pw",
        full_name="V",
        identity_number=generate_kz_iin(),
        region=None,
        preferred_language="en",
        email_verified=True,
    )
    assert user.email_verified_at is not None
