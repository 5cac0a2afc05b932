"""Permission predicates and phase checks of consultations."""

from datetime import datetime

from accounts.permissions import AnyUser, can_manage, can_moderate, can_participate
from participation.models import Comment, Consultation, Status

EDIT_WINDOW_SECONDS = 15 * 60
"""A comment can be edited by its author for this long after posting."""


def phase_allows_comments(consultation: Consultation, now: datetime) -> bool:
    """Return whether comments, reactions and votes are accepted at ``now``."""
    return consultation.status_at(now) == Status.OPEN


def can_comment(user: AnyUser, consultation: Consultation, now: datetime) -> bool:
    """Return whether ``user`` may comment on ``consultation`` at ``now``."""
    return can_participate(user) and phase_allows_comments(consultation, now)


def can_edit_comment(user: AnyUser, comment: Comment, now: datetime) -> bool:
    """Return whether ``user`` may still edit ``comment`` at ``now``."""
    return (
        user.is_authenticated
        and comment.author_id == user.pk
        and not comment.is_hidden
        and (now - comment.created_at).total_seconds() <= EDIT_WINDOW_SECONDS
    )


def phase_allows_deletion(consultation: Consultation, now: datetime) -> bool:
    """Return whether ``consultation`` may still be deleted at ``now``.

    Only until it closes: a closed consultation is part of the public
    record, even one that nobody commented on.
    """
    return consultation.status_at(now) in {Status.UPCOMING, Status.OPEN}


def can_manage_consultation(user: AnyUser) -> bool:
    """Return whether ``user`` may publish, respond and publish reports."""
    return can_manage(user)


def can_moderate_comments(user: AnyUser) -> bool:
    """Return whether ``user`` may hide comments (moderators, officials)."""
    return can_moderate(user)
