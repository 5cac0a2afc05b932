"""Role groups, their permissions, and the role services."""

import importlib
from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser, Group

from accounts import roles
from accounts.models import User
from accounts.permissions import (
    can_act_as_trustee,
    can_audit,
    can_manage,
    can_moderate,
    can_participate,
)
from accounts.roles import (
    AUDITOR,
    CITIZEN,
    MODERATOR,
    OFFICIAL,
    TRUSTEE,
    assign_role,
    remove_role,
    user_has_role,
    user_roles,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "codenames"),
    [
        (CITIZEN, {"participate"}),
        (MODERATOR, {"moderate_content"}),
        (
            OFFICIAL,
            {
                "manage_consultations",
                "manage_petitions",
                "manage_elections",
                "moderate_content",
            },
        ),
        (TRUSTEE, {"act_as_trustee"}),
        (AUDITOR, {"audit_records"}),
    ],
)
def test_groups_have_the_right_permissions(role: str, codenames: set[str]) -> None:
    """Each role group holds exactly its ``accounts`` permissions."""
    group = Group.objects.get(name=role)
    assert set(group.permissions.values_list("content_type__app_label", flat=True)) == {
        "accounts"
    }
    assert set(group.permissions.values_list("codename", flat=True)) == codenames


def test_migration_copy_matches_roles_module() -> None:
    """The migration's frozen grants equal ``accounts.roles.ROLE_PERMISSIONS``."""
    migration = importlib.import_module("accounts.migrations.0003_create_roles")
    assert {
        role: frozenset(codenames)
        for role, codenames in migration.ROLE_PERMISSIONS.items()
    } == roles.ROLE_PERMISSIONS
    assert set(migration.PERMISSION_NAMES) == {
        codename for codename, _ in User._meta.permissions
    }


def test_assign_role_grants_permissions(make_user: Callable[..., User]) -> None:
    """Assigning a role grants its permissions, and only those."""
    user = make_user()
    assert user_roles(user) == frozenset()
    assert not user.has_perm("accounts.manage_elections")
    assign_role(user=user, role=OFFICIAL)
    assert user_has_role(user, OFFICIAL)
    assert user.has_perm("accounts.manage_elections")
    assert not user.has_perm("accounts.act_as_trustee")
    assert user_roles(user) == frozenset({OFFICIAL})


def test_assign_role_is_idempotent(make_user: Callable[..., User]) -> None:
    """Assigning a held role again changes nothing."""
    user = make_user(role=TRUSTEE)
    assign_role(user=user, role=TRUSTEE)
    assert list(user.groups.values_list("name", flat=True)) == [TRUSTEE]


def test_remove_role(make_user: Callable[..., User]) -> None:
    """Removing a role takes its permissions away."""
    user = make_user(role=AUDITOR)
    assert can_audit(user)
    remove_role(user=user, role=AUDITOR)
    assert not user_has_role(user, AUDITOR)
    assert not user.has_perm("accounts.audit_records")


def test_unknown_role_is_an_error(make_user: Callable[..., User]) -> None:
    """A misspelt role name raises instead of silently denying."""
    user = make_user()
    with pytest.raises(ValueError, match="unknown role 'oficial'"):
        user_has_role(user, "oficial")
    with pytest.raises(ValueError, match="unknown role 'oficial'"):
        assign_role(user=user, role="oficial")


def test_anonymous_and_inactive_users_hold_no_roles(
    make_user: Callable[..., User],
) -> None:
    """Anonymous and deactivated users hold no role."""
    assert not user_has_role(AnonymousUser(), CITIZEN)
    user = make_user(role=OFFICIAL)
    user.is_active = False
    user.save()
    fresh = User.objects.get(pk=user.pk)
    assert not user_has_role(fresh, OFFICIAL)


def test_superuser_holds_no_role_implicitly() -> None:
    """Roles are explicit: a superuser is not automatically an official."""
    user = User.objects.create_superuser(
        email="root@example.org", password="pw", full_name="Root"
    )
    assert not user_has_role(user, OFFICIAL)
    assert user.has_perm("accounts.manage_elections")


def test_predicates(make_user: Callable[..., User]) -> None:
    """The permission predicates follow roles (and e-mail verification)."""
    citizen = make_user(role=CITIZEN)
    unverified = make_user(role=CITIZEN, verified=False)
    moderator = make_user(role=MODERATOR)
    official = make_user(role=OFFICIAL)
    trustee = make_user(role=TRUSTEE)
    anonymous = AnonymousUser()
    assert [can_participate(u) for u in (citizen, unverified, official, anonymous)] == [
        True,
        False,
        False,
        False,
    ]
    assert [can_moderate(u) for u in (citizen, moderator, official)] == [
        False,
        True,
        True,
    ]
    assert [can_manage(u) for u in (moderator, official)] == [False, True]
    assert [can_act_as_trustee(u) for u in (official, trustee)] == [False, True]
