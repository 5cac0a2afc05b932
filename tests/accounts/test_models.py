"""User and Region models, their constraints and the loaded region data."""

from collections.abc import Callable

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from accounts.models import Region, User

pytestmark = pytest.mark.django_db


def test_regions_loaded_by_migration() -> None:
    """17 regions and 3 cities of republican significance are loaded."""
    assert Region.objects.filter(kind=Region.Kind.REGION).count() == 17
    assert Region.objects.filter(kind=Region.Kind.CITY).count() == 3
    assert list(
        Region.objects.filter(kind=Region.Kind.CITY).values_list("code", flat=True)
    ) == ["astana", "almaty", "shymkent"]
    assert set(
        Region.objects.filter(kind=Region.Kind.REGION).values_list("name_en", flat=True)
    ) == {
        "Abai Region",
        "Akmola Region",
        "Aktobe Region",
        "Almaty Region",
        "Atyrau Region",
        "East Kazakhstan Region",
        "Jambyl Region",
        "Jetisu Region",
        "Karaganda Region",
        "Kostanay Region",
        "Kyzylorda Region",
        "Mangystau Region",
        "Pavlodar Region",
        "North Kazakhstan Region",
        "Turkistan Region",
        "Ulytau Region",
        "West Kazakhstan Region",
    }
    assert not Region.objects.filter(population__isnull=True).exists()


@pytest.mark.parametrize(
    ("language", "name"),
    [
        ("en", "Karaganda Region"),
        ("ru", "Карагандинская область"),
        ("kk", "Қарағанды облысы"),
    ],
)
def test_region_name_follows_active_language(language: str, name: str) -> None:
    """``Region.name`` and ``str()`` use the active language."""
    region = Region.objects.get(code="karaganda")
    with translation.override(language):
        assert region.name == name
        assert str(region) == name


def test_create_user_lowercases_email_and_hashes_password() -> None:
    """The manager stores the e-mail lower-cased and the password hashed."""
    user = User.objects.create_user(
        email="  Aida.Nur@Example.ORG ", password="pw-12345678", full_name="Aida"
    )
    assert user.email == "aida.nur@example.org"
    assert user.check_password("pw-12345678")
    assert user.password != "pw-12345678"
    assert user.is_staff is False
    assert user.is_superuser is False
    assert user.email_verified_at is None
    assert user.preferred_language == "en"


def test_create_superuser() -> None:
    """``create_superuser`` sets the staff and superuser flags."""
    user = User.objects.create_superuser(
        email="root@example.org", password="pw-12345678", full_name="Root"
    )
    assert user.is_staff is True
    assert user.is_superuser is True
    assert user.identity_number == ""


def test_create_superuser_refuses_is_staff_false() -> None:
    """A superuser without staff status is refused."""
    with pytest.raises(ValueError, match="is_staff=True"):
        User.objects.create_superuser(
            email="root@example.org", password="pw", full_name="Root", is_staff=False
        )


def test_natural_key_lookup_ignores_case(make_user: Callable[..., User]) -> None:
    """Sign-in finds the account whatever the case of the e-mail typed."""
    user = make_user(email="case@example.org")
    assert User.objects.get_by_natural_key("CASE@Example.org") == user


def test_email_unique_ignoring_case_in_the_database() -> None:
    """The database refuses two e-mails differing only in case."""
    User.objects.create_user(email="dup@example.org", password="x", full_name="A")
    with pytest.raises(IntegrityError), transaction.atomic():
        # Bypass the manager's normalisation to hit the constraint itself.
        User(email="DUP@example.org", full_name="B").save()
    assert User.objects.count() == 1


def test_identity_number_unique_in_the_database(make_user: Callable[..., User]) -> None:
    """The database refuses a second account with the same identity number."""
    user = make_user()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(
            email="other@example.org",
            password="x",
            full_name="B",
            identity_number=user.identity_number,
        )
    assert User.objects.count() == 1


def test_accounts_without_identity_number_may_coexist() -> None:
    """Staff accounts with no identity number do not clash with each other."""
    User.objects.create_user(email="a@example.org", password="x", full_name="A")
    User.objects.create_user(email="b@example.org", password="x", full_name="B")
    assert User.objects.filter(identity_number="").count() == 2


def test_signer_secret_is_32_random_bytes(make_user: Callable[..., User]) -> None:
    """Each user gets 32 bytes of their own signer secret."""
    first, second = make_user(), make_user()
    first.refresh_from_db()
    assert len(bytes(first.signer_secret)) == 32
    assert bytes(first.signer_secret) != bytes(second.signer_secret)


def test_signer_secret_is_not_in_str_or_repr(make_user: Callable[..., User]) -> None:
    """Logging a user object shows the e-mail, never the signer secret."""
    user = make_user(email="log@example.org")
    assert str(user) == "log@example.org"
    assert repr(user) == "<User: log@example.org>"
