"""Permission predicates of the ballots app."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from accounts.permissions import can_act_as_trustee, can_manage, can_participate
from ballots.models import Election, Trustee

AnyUser = AbstractBaseUser | AnonymousUser

OFFICIAL_TARGETS = frozenset(
    {
        Election.State.KEY_CEREMONY,
        Election.State.DRAFT,
        Election.State.READY,
        Election.State.OPEN,
        Election.State.CLOSED,
        Election.State.CANCELLED,
    }
)
"""The states an official may move an election to by hand."""


def can_manage_elections(user: AnyUser) -> bool:
    """Return whether ``user`` may create, set up and run elections."""
    return can_manage(user)


def can_transition(user: AnyUser, to_state: str) -> bool:
    """Return whether ``user`` may move an election to ``to_state`` by hand."""
    return can_manage(user) and to_state in OFFICIAL_TARGETS


def is_election_trustee(user: AnyUser, trustee: Trustee | None) -> bool:
    """Return whether ``user`` is the trustee ``trustee`` (and holds the role)."""
    return (
        trustee is not None
        and user.is_authenticated
        and trustee.user_id == user.pk
        and can_act_as_trustee(user)
    )


def can_cast(user: AnyUser) -> bool:
    """Return whether ``user`` may use the casting API at all."""
    return can_participate(user)


def test_keys_allowed() -> bool:
    """Return whether elections with test keys (below 2048 bits) are allowed."""
    return bool(settings.DEBUG or getattr(settings, "BALLOTS_ALLOW_TEST_KEYS", False))


def demo_ceremony_allowed() -> bool:
    """Return whether the server may run the (insecure) demo key ceremony."""
    return bool(
        settings.DEBUG or getattr(settings, "BALLOTS_ALLOW_DEMO_CEREMONY", False)
    )
