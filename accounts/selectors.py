"""Reads for the ``accounts`` app."""

from django.db.models import QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Region, User


def region_list() -> QuerySet[Region]:
    """Return all regions in display order."""
    return Region.objects.all()


def user_get_by_email(email: str) -> User | None:
    """Return the user with ``email`` (any case), or ``None``."""
    return (
        User.objects.select_related("region")
        .filter(email__iexact=email.strip())
        .first()
    )


def user_list_with_role(role: str) -> QuerySet[User]:
    """Return active users holding ``role``, ordered by e-mail."""
    return (
        User.objects.filter(is_active=True, groups__name=role)
        .select_related("region")
        .order_by("email")
    )


def totp_device_for_user(user: User, *, confirmed: bool) -> TOTPDevice | None:
    """Return the user's (first) confirmed or unconfirmed TOTP device."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("id").first()
    )


def user_has_two_factor(user: User) -> bool:
    """Return whether the user has a confirmed TOTP device."""
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())
