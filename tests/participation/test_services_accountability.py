"""Moderation, official responses, the report gate, campaigns, e-mail."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import User
from accounts.roles import CITIZEN
from participation.models import Comment, Consultation, Follow, Response
from participation.selectors import campaign_list, report_build
from participation.services import (
    campaign_respond,
    comment_create,
    comment_hide,
    comment_react,
    consultation_notify_phase_changes,
    follow_set,
    report_publish,
    response_create,
)

pytestmark = pytest.mark.django_db

LETTER = (
    "I strongly oppose the new leash rule because responsible owners keep "
    "their dogs under control and the parks belong to everyone in our city."
)


def _close(consultation: Consultation) -> timezone.datetime:
    """Return a moment after the consultation closed."""
    return consultation.ends_at + timedelta(minutes=1)


def test_hide_keeps_reason_in_place(
    consultation: Consultation, citizen: User, moderator: User
) -> None:
    """A hidden comment keeps its row and shows the moderator's reason."""
    comment = comment_create(consultation=consultation, author=citizen, body="Spam!")
    comment_hide(comment=comment, moderator=moderator, reason="Advertising.")
    comment.refresh_from_db()
    assert (comment.is_hidden, comment.hidden_reason, comment.hidden_by) == (
        True,
        "Advertising.",
        moderator,
    )


def test_citizen_cannot_hide(
    consultation: Consultation, citizen: User, other_citizen: User
) -> None:
    """Hiding needs the moderator (or official) role."""
    comment = comment_create(consultation=consultation, author=citizen, body="Hi.")
    with pytest.raises(PermissionDenied, match=r"Only moderators can hide comments\."):
        comment_hide(comment=comment, moderator=other_citizen, reason="No.")
    comment.refresh_from_db()
    assert comment.is_hidden is False


def test_response_without_official_role_is_refused(
    consultation: Consultation, citizen: User, moderator: User
) -> None:
    """A moderator is not an official: responding fails, nothing is written."""
    comment = comment_create(consultation=consultation, author=citizen, body="Hi.")
    with pytest.raises(PermissionDenied, match=r"Only officials can do this\."):
        response_create(
            consultation=consultation,
            comments=[comment],
            official=moderator,
            outcome="accepted",
            explanation="Sure.",
        )
    assert Response.objects.count() == 0
    comment.refresh_from_db()
    assert comment.response is None


def test_response_mails_the_author(
    consultation: Consultation,
    citizen: User,
    official: User,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    """The author of an answered comment receives an e-mail after commit."""
    comment = comment_create(consultation=consultation, author=citizen, body="Hi.")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response_create(
            consultation=consultation,
            comments=[comment],
            official=official,
            outcome="partly_accepted",
            explanation="We changed 2.1.",
        )
    assert [m.to for m in mail.outbox] == [[citizen.email]]
    assert mail.outbox[0].subject == "Your comment received a response: Parks law"
    assert "Partly accepted" in mail.outbox[0].body


def test_report_needs_closed_consultation_and_all_answered(
    consultation: Consultation,
    citizen: User,
    other_citizen: User,
    moderator: User,
    official: User,
) -> None:
    """The report waits for the close and for a decision on every comment."""
    answered = comment_create(consultation=consultation, author=citizen, body="A.")
    hidden = comment_create(consultation=consultation, author=citizen, body="Spam.")
    open_one = comment_create(
        consultation=consultation, author=other_citizen, body="B."
    )
    with pytest.raises(ValidationError) as error:
        report_publish(consultation=consultation, official=official, summary="S.")
    assert error.value.messages == [
        "The report can only be published after the consultation closes."
    ]
    response_create(
        consultation=consultation,
        comments=[answered],
        official=official,
        outcome="noted",
        explanation="Thanks.",
    )
    comment_hide(comment=hidden, moderator=moderator, reason="Spam.")
    after = _close(consultation)
    with pytest.raises(ValidationError) as error:
        report_publish(
            consultation=consultation, official=official, summary="S.", now=after
        )
    assert error.value.messages == [
        "1 comments have neither an official response nor a moderation decision."
    ]
    consultation.refresh_from_db()
    assert consultation.report_published_at is None
    response_create(
        consultation=consultation,
        comments=[open_one],
        official=official,
        outcome="not_accepted",
        explanation="Out of scope.",
    )
    report_publish(
        consultation=consultation, official=official, summary="Done.", now=after
    )
    consultation.refresh_from_db()
    assert consultation.report_published_at == after
    assert consultation.status_at(after).value == "report_published"


def test_form_letter_campaign_is_grouped_and_answered_once(
    consultation: Consultation,
    make_user: Callable[..., User],
    official: User,
    citizen: User,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    """A planted form letter becomes one campaign; one response answers all."""
    senders = [make_user(role=CITIZEN) for _ in range(6)]
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        letters = [
            comment_create(
                consultation=consultation,
                author=sender,
                body=LETTER.replace("our city", f"our city, signed {i}"),
            )
            for i, sender in enumerate(senders)
        ]
        own = comment_create(
            consultation=consultation,
            author=citizen,
            body="Please add more benches near the playground in the central park.",
        )
    views = campaign_list(consultation)
    assert [(v.count, v.unanswered, v.campaign.author_count) for v in views] == [
        (6, 6, 6)
    ]
    campaign = views[0].campaign
    assert campaign.kind == "form-letter"
    assert set(campaign.comments.values_list("pk", flat=True)) == {
        c.pk for c in letters
    }
    own.refresh_from_db()
    assert own.campaign is None
    response = campaign_respond(
        campaign=campaign,
        official=official,
        outcome="not_accepted",
        explanation="The leash rule protects children.",
    )
    assert Comment.objects.filter(response=response).count() == 6
    assert campaign_list(consultation)[0].unanswered == 0


def test_report_figures_equal_the_data(
    consultation: Consultation, citizen: User, other_citizen: User, official: User
) -> None:
    """Counts per paragraph, agreement and outcomes match what was written."""
    key = consultation.versions.get().paragraphs.get(number="2.1").key
    first = comment_create(
        consultation=consultation, author=citizen, body="A.", paragraph_key=key
    )
    second = comment_create(consultation=consultation, author=other_citizen, body="B.")
    comment_react(comment=first, user=other_citizen, value="agree")
    comment_react(comment=second, user=citizen, value="disagree")
    response_create(
        consultation=consultation,
        comments=[first, second],
        official=official,
        outcome="accepted",
        explanation="Yes.",
    )
    report = report_build(consultation, now=timezone.now())
    assert (report.total_comments, report.document_comments, report.participants) == (
        2,
        1,
        2,
    )
    assert (report.agree, report.disagree) == (1, 1)
    figures = {p.number: (p.comments, p.agree, p.disagree) for p in report.paragraphs}
    assert figures == {
        "1.1": (0, 0, 0),
        "1.2": (0, 0, 0),
        "2.1": (1, 1, 0),
        "2.2": (0, 0, 0),
    }
    assert {v: n for v, _label, n in report.outcomes} == {
        "accepted": 2,
        "partly_accepted": 0,
        "not_accepted": 0,
        "noted": 0,
    }


def test_followers_are_mailed_once_when_phase_changes(
    make_consultation: Callable[..., Consultation],
    citizen: User,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    """Opening and closing each send one e-mail per follower, once."""
    now = timezone.now()
    consultation = make_consultation(
        starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2)
    )
    follow_set(consultation=consultation, user=citizen, follow=True)
    follow_set(consultation=consultation, user=citizen, follow=True)
    assert Follow.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert consultation_notify_phase_changes(now=now) == []
        opened = consultation_notify_phase_changes(now=now + timedelta(days=1))
        again = consultation_notify_phase_changes(now=now + timedelta(days=1))
        closed = consultation_notify_phase_changes(now=now + timedelta(days=3))
    assert (opened, again, closed) == (
        [f"opened:{consultation.pk}"],
        [],
        [f"closed:{consultation.pk}"],
    )
    assert [m.subject for m in mail.outbox] == [
        "Consultation open: Parks law",
        "Consultation closed: Parks law",
    ]


def test_phase_check_is_scheduled_on_beat() -> None:
    """Beat runs the phase-change notifier every five minutes."""
    from config.celery import app

    entry = app.conf.beat_schedule["participation.notify_phase_changes"]
    assert (entry["task"], entry["schedule"]) == (
        "participation.notify_phase_changes",
        300.0,
    )


def test_report_publication_mails_followers(
    make_consultation: Callable[..., Consultation],
    citizen: User,
    official: User,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    """Followers learn that the report is out."""
    now = timezone.now()
    consultation = make_consultation(
        starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1)
    )
    follow_set(consultation=consultation, user=citizen, follow=True)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        report_publish(consultation=consultation, official=official, summary="Done.")
    assert [(m.subject, m.to) for m in mail.outbox] == [
        ("Report published: Parks law", [citizen.email])
    ]
