"""Roles: Django groups with a fixed set of permissions each.

A role is a ``Group`` created by migration ``0003_create_roles``.  Roles are
explicit: a superuser is not implicitly a citizen or an official (Django's
``has_perm`` still grants a superuser everything).
"""

from typing import Final

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User

CITIZEN: Final = "citizen"
MODERATOR: Final = "moderator"
OFFICIAL: Final = "official"
TRUSTEE: Final = "trustee"
AUDITOR: Final = "auditor"

ROLES: Final = (CITIZEN, MODERATOR, OFFICIAL, TRUSTEE, AUDITOR)

ROLE_LABELS: Final = {
    CITIZEN: _("citizen"),
    MODERATOR: _("moderator"),
    OFFICIAL: _("official"),
    TRUSTEE: _("trustee"),
    AUDITOR: _("auditor"),
}

# Permission codenames (app label ``accounts``) granted to each role; the
# migration holds a frozen copy, and a test checks that the two agree.
ROLE_PERMISSIONS: Final = {
    CITIZEN: frozenset({"participate"}),
    MODERATOR: frozenset({"moderate_content"}),
    OFFICIAL: frozenset(
        {
            "manage_consultations",
            "manage_petitions",
            "manage_elections",
            "moderate_content",
        }
    ),
    TRUSTEE: frozenset({"act_as_trustee"}),
    AUDITOR: frozenset({"audit_records"}),
}

# Roles whose pages need a TOTP-verified session: they can change what the
# public sees (moderators, officials) or hold key shares (trustees).
TWO_FACTOR_ROLES: Final = frozenset({MODERATOR, OFFICIAL, TRUSTEE})

_CACHE_ATTR = "_dauys_roles"

_ROLES_SQL = (
    "SELECT g.name FROM auth_group g"
    " JOIN accounts_user_groups ug ON ug.group_id = g.id"
    " WHERE ug.user_id = %s"
)


def user_roles(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    """Return the roles of an active user (none for anonymous/inactive).

    The result is cached on the user object for the rest of the request;
    ``assign_role`` and ``remove_role`` clear the cache.
    """
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached: frozenset[str] | None = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        # Plain SQL: nearly every request of a signed-in user asks, and
        # compiling the join costs more than running it.
        with connection.cursor() as cursor:
            cursor.execute(_ROLES_SQL, [user.pk])
            cached = frozenset(name for (name,) in cursor.fetchall() if name in ROLES)
        setattr(user, _CACHE_ATTR, cached)
    return cached


def user_has_role(user: AbstractBaseUser | AnonymousUser, role: str) -> bool:
    """Return whether ``user`` is active and holds ``role``."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    return role in user_roles(user)


def _clear_cache(user: User) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
    # Django caches permissions on the instance as well.
    for attr in ("_perm_cache", "_group_perm_cache", "_user_perm_cache"):
        if hasattr(user, attr):
            delattr(user, attr)


@transaction.atomic
def assign_role(*, user: User, role: str) -> None:
    """Give ``user`` the role ``role`` (no-op if already held)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    user.groups.add(Group.objects.get(name=role))
    _clear_cache(user)


@transaction.atomic
def remove_role(*, user: User, role: str) -> None:
    """Take the role ``role`` away from ``user`` (no-op if not held)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    user.groups.remove(*Group.objects.filter(name=role))
    _clear_cache(user)
