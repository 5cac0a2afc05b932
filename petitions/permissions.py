"""Permission predicates and phases of the petitions app."""

from datetime import datetime

from django.utils import timezone

from accounts.permissions import AnyUser, can_manage, can_moderate, can_participate
from petitions.models import Petition


def can_sign(user: AnyUser) -> bool:
    """Return whether the user may sign petitions (verified citizens)."""
    return can_participate(user)


def can_create(user: AnyUser) -> bool:
    """Return whether the user may start a petition."""
    return can_participate(user)


def can_moderate_petitions(user: AnyUser) -> bool:
    """Return whether the user may moderate petitions and signatures."""
    return can_moderate(user)


def can_respond(user: AnyUser) -> bool:
    """Return whether the user may publish official responses."""
    return can_manage(user)


def phase_allows_signing(petition: Petition, now: datetime | None = None) -> bool:
    """Return whether the petition is open and its period has not ended."""
    now = now or timezone.now()
    return (
        petition.status == Petition.Status.OPEN
        and petition.closes_at is not None
        and now < petition.closes_at
    )


def can_view(user: AnyUser, petition: Petition) -> bool:
    """Return whether the user may see the petition's page.

    Public petitions are seen by all; drafts and petitions collecting
    sponsors or awaiting moderation by their creator and by moderators
    (sponsors reach them through the sponsor link); hidden ones by
    moderators only.
    """
    if petition.is_public:
        return True
    if can_moderate_petitions(user):
        return True
    return (
        not petition.is_hidden
        and user.is_authenticated
        and petition.creator_id == user.pk
    )
