"""Notifications: rows and e-mails on thresholds, responses and closing (eager)."""

from collections.abc import Callable

import pytest
from django.core import mail

from accounts.models import User
from petitions.models import Level, Notification, Petition, Threshold
from petitions.services import (
    petition_close,
    petition_sign,
    response_publish,
)
from petitions.services.notifications import petition_notify_closed


@pytest.fixture
def small_threshold(national: Level) -> Threshold:
    """Make the national level respond at 3 signatures."""
    Threshold.objects.filter(level=national).delete()
    return Threshold.objects.create(
        level=national,
        kind="absolute",
        signatures=3,
        trigger="response",
        deadline_days=10,
    )


def test_threshold_response_and_close_notify_creator_and_opted_in(
    django_capture_on_commit_callbacks: Callable[..., object],
    make_petition: Callable[..., Petition],
    make_user: Callable[..., User],
    official: User,
    small_threshold: Threshold,
) -> None:
    """The creator and opted-in signers get each e-mail once; others none."""
    petition = make_petition()
    assert petition.creator is not None
    fan, quiet = make_user(), make_user()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        petition_sign(petition=petition, user=fan, wants_updates=True)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        petition_sign(petition=petition, user=quiet)
    rows = Notification.objects.filter(event="threshold")
    assert {r.recipient_id for r in rows} == {petition.creator.pk, fan.pk}
    assert all(r.sent_at is not None for r in rows)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [petition.creator.email, fan.email]
    )
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response_publish(
            petition=petition, official=official, department="Akimat", text="Yes."
        )
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        petition_close(petition=petition)
    events = sorted(Notification.objects.values_list("event", flat=True))
    assert events == [
        "closed",
        "closed",
        "response",
        "response",
        "threshold",
        "threshold",
    ]
    assert len(mail.outbox) == 6
    # Redelivery sends nothing twice.
    petition_notify_closed(petition=petition)
    assert len(mail.outbox) == 6
    assert Notification.objects.count() == 6
