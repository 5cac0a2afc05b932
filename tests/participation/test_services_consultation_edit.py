"""Officials change a consultation's details or delete it, within its phase."""

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from participation.models import Consultation, ConsultationEvent, Statement
from participation.selectors import consultation_events
from participation.services import (
    comment_create,
    consultation_delete,
    consultation_update,
    poll_answer,
    poll_create,
    report_publish,
    statement_create,
    statement_vote,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
DAY = timedelta(days=1)


def _details(consultation: Consultation, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": consultation.title,
        "summary": consultation.summary,
        "department": consultation.department,
        "starts_at": consultation.starts_at,
        "ends_at": consultation.ends_at,
    }
    values.update(changes)
    return values


def _stored(consultation: Consultation) -> tuple[object, ...]:
    return tuple(
        Consultation.objects.filter(pk=consultation.pk).values_list(
            "title", "summary", "department", "starts_at", "ends_at"
        )[0]
    )


@pytest.fixture
def upcoming(make_consultation: Callable[..., Consultation]) -> Consultation:
    """A consultation that opens in a day and closes in thirty."""
    return make_consultation(starts_at=NOW + DAY, ends_at=NOW + 30 * DAY, now=NOW)


@pytest.fixture
def open_now(make_consultation: Callable[..., Consultation]) -> Consultation:
    """A consultation that opened a day ago and closes in thirty days."""
    return make_consultation(starts_at=NOW - DAY, ends_at=NOW + 30 * DAY, now=NOW)


@pytest.fixture
def closed(make_consultation: Callable[..., Consultation]) -> Consultation:
    """A consultation that ran for nine days and closed yesterday."""
    return make_consultation(
        starts_at=NOW - 10 * DAY, ends_at=NOW - DAY, now=NOW - 11 * DAY
    )


def test_upcoming_consultation_changes_every_detail_and_logs_it(
    upcoming: Consultation, official: User
) -> None:
    """Before it opens, all details change; the log keeps old and new values."""
    old_ends_at = upcoming.ends_at
    starts_at, ends_at = NOW + 2 * DAY, NOW + 40 * DAY
    updated = consultation_update(
        consultation=upcoming,
        official=official,
        title=" Parks and squares law ",
        summary="Rules for parks and squares.",
        department="Ministry of Ecology",
        starts_at=starts_at,
        ends_at=ends_at,
        now=NOW,
    )
    assert _stored(upcoming) == (
        "Parks and squares law",
        "Rules for parks and squares.",
        "Ministry of Ecology",
        starts_at,
        ends_at,
    )
    assert (updated.title, upcoming.title) == ("Parks and squares law",) * 2
    event = ConsultationEvent.objects.get()
    assert (event.consultation_id, event.consultation_ref, event.actor) == (
        upcoming.pk,
        upcoming.pk,
        official,
    )
    assert (event.action, event.at) == ("edited", NOW)
    assert event.changes == {
        "title": ["Parks law", "Parks and squares law"],
        "summary": ["Rules for public parks.", "Rules for parks and squares."],
        "starts_at": [(NOW + DAY).isoformat(), starts_at.isoformat()],
        "ends_at": [old_ends_at.isoformat(), ends_at.isoformat()],
    }
    [view] = consultation_events(upcoming)
    assert (view.actor, view.action) == ("Aigerim Official", "Details changed")
    assert [(c.label, c.old, c.new, c.is_date) for c in view.changes] == [
        ("Title", "Parks law", "Parks and squares law", False),
        ("Summary", None, None, False),
        ("Opens at", NOW + DAY, starts_at, True),
        ("Closes at", old_ends_at, ends_at, True),
    ]


def test_unchanged_details_log_nothing(upcoming: Consultation, official: User) -> None:
    """Saving the same details writes no event."""
    consultation_update(
        consultation=upcoming, official=official, now=NOW, **_details(upcoming)
    )
    assert ConsultationEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "message", "code"),
    [
        ({"title": "  "}, "A title is required.", "title"),
        (
            {"ends_at": NOW + DAY},
            "The consultation must close after it opens.",
            "dates",
        ),
        (
            {"starts_at": NOW - timedelta(minutes=5)},
            "The new opening time is in the past.",
            "dates",
        ),
    ],
)
def test_bad_details_are_refused_and_nothing_changes(
    upcoming: Consultation,
    official: User,
    changes: dict[str, Any],
    message: str,
    code: str,
) -> None:
    """An empty title, reversed dates or a past opening change nothing."""
    before = _stored(upcoming)
    with pytest.raises(ValidationError) as caught:
        consultation_update(
            consultation=upcoming,
            official=official,
            now=NOW,
            **_details(upcoming, **changes),
        )
    assert (caught.value.messages, caught.value.code) == ([message], code)
    assert _stored(upcoming) == before
    assert ConsultationEvent.objects.count() == 0


def test_open_consultation_keeps_its_opening_time(
    open_now: Consultation, official: User
) -> None:
    """Once open, the opening time is history."""
    before = _stored(open_now)
    with pytest.raises(ValidationError) as caught:
        consultation_update(
            consultation=open_now,
            official=official,
            now=NOW,
            **_details(open_now, starts_at=NOW + DAY),
        )
    assert caught.value.messages == [
        "The consultation has opened; its opening time can no longer change."
    ]
    assert caught.value.code == "already_open"
    assert _stored(open_now) == before


def test_open_consultation_closing_time_moves_but_not_into_the_past(
    open_now: Consultation, official: User
) -> None:
    """An open consultation can be extended or shortened, not closed retroactively."""
    with pytest.raises(ValidationError, match=r"^\['The new closing time is in the"):
        consultation_update(
            consultation=open_now,
            official=official,
            now=NOW,
            **_details(open_now, ends_at=NOW - timedelta(hours=1)),
        )
    for ends_at in (NOW + 60 * DAY, NOW + DAY):
        consultation_update(
            consultation=open_now,
            official=official,
            now=NOW,
            **_details(open_now, ends_at=ends_at),
        )
        assert _stored(open_now)[4] == ends_at
    assert ConsultationEvent.objects.count() == 2


@pytest.mark.parametrize("ends_at", [NOW + 7 * DAY, NOW - 2 * DAY])
def test_closed_consultation_dates_are_fixed(
    closed: Consultation, official: User, ends_at: datetime
) -> None:
    """A later closing time would reopen it silently; an earlier one rewrites it."""
    before = _stored(closed)
    with pytest.raises(ValidationError) as caught:
        consultation_update(
            consultation=closed,
            official=official,
            now=NOW,
            **_details(closed, ends_at=ends_at),
        )
    assert caught.value.messages == [
        "The consultation has closed; its dates can no longer change. Publish a "
        "new consultation to collect more comments."
    ]
    assert caught.value.code == "already_closed"
    assert _stored(closed) == before


def test_closed_consultation_title_can_be_corrected(
    closed: Consultation, official: User
) -> None:
    """A typo in the title of a closed consultation can still be fixed."""
    consultation_update(
        consultation=closed,
        official=official,
        now=NOW,
        **_details(closed, title="Parks law (2026)"),
    )
    assert _stored(closed)[0] == "Parks law (2026)"


def test_report_published_consultation_is_frozen(
    closed: Consultation, official: User
) -> None:
    """After the report, no detail changes."""
    report_publish(consultation=closed, official=official, summary="Done.", now=NOW)
    with pytest.raises(ValidationError) as caught:
        consultation_update(
            consultation=closed,
            official=official,
            now=NOW,
            **_details(closed, title="Other"),
        )
    assert caught.value.code == "report_published"
    assert _stored(closed)[0] == "Parks law"


@pytest.mark.parametrize("who", ["citizen", "moderator"])
def test_only_officials_edit_and_delete(
    upcoming: Consultation, who: str, request: pytest.FixtureRequest
) -> None:
    """Citizens and moderators can neither edit nor delete."""
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied, match=r"Only officials can do this\."):
        consultation_update(
            consultation=upcoming,
            official=user,
            now=NOW,
            **_details(upcoming, title="Mine"),
        )
    with pytest.raises(PermissionDenied, match=r"Only officials can do this\."):
        consultation_delete(consultation=upcoming, official=user, now=NOW)
    assert _stored(upcoming)[0] == "Parks law"
    assert ConsultationEvent.objects.count() == 0


def test_delete_draft_removes_it_and_its_files(
    make_consultation: Callable[..., Consultation],
    official: User,
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """A draft goes with its attachments' files; the log keeps the deletion."""
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("draft.pdf", b"%PDF-1.4\n", "application/pdf")
    draft = make_consultation(
        starts_at=NOW + DAY,
        ends_at=NOW + 30 * DAY,
        attachments=[("Draft", upload)],
        now=NOW,
    )
    statement_create(consultation=draft, author=official, text="Parks need light.")
    path = Path(draft.attachments.get().file.path)
    assert path.exists()
    pk = draft.pk
    with django_capture_on_commit_callbacks(execute=True):
        consultation_delete(consultation=draft, official=official, now=NOW)
    assert not Consultation.objects.filter(pk=pk).exists()
    assert Statement.objects.count() == 0
    assert not path.exists()
    event = ConsultationEvent.objects.get()
    assert (event.consultation, event.consultation_ref, event.title) == (
        None,
        pk,
        "Parks law",
    )
    assert (event.action, event.actor, event.at) == ("deleted", official, NOW)


def test_open_consultation_nobody_took_part_in_can_be_deleted(
    open_now: Consultation, official: User
) -> None:
    """Published by mistake and still untouched: it can go."""
    consultation_delete(consultation=open_now, official=official, now=NOW)
    assert Consultation.objects.count() == 0


def _comment(consultation: Consultation, citizen: User, official: User) -> None:
    comment_create(consultation=consultation, author=citizen, body="Hello.")


def _poll_answer(consultation: Consultation, citizen: User, official: User) -> None:
    poll = poll_create(
        consultation=consultation,
        official=official,
        question="When?",
        kind="single",
        options=["Morning", "Evening"],
    )
    option = poll.options.first()
    assert option is not None
    poll_answer(poll=poll, user=citizen, option_ids=[option.pk])


def _statement_vote(consultation: Consultation, citizen: User, official: User) -> None:
    statement = statement_create(
        consultation=consultation, author=official, text="More benches."
    )
    statement_vote(statement=statement, user=citizen, value=1)


def _proposal(consultation: Consultation, citizen: User, official: User) -> None:
    statement_create(consultation=consultation, author=citizen, text="More trees.")


@pytest.mark.parametrize(
    "take_part", [_comment, _poll_answer, _statement_vote, _proposal]
)
def test_delete_refused_once_people_took_part(
    open_now: Consultation,
    citizen: User,
    official: User,
    take_part: Callable[[Consultation, User, User], None],
) -> None:
    """Comments, answers, votes and proposals are never deleted with it."""
    take_part(open_now, citizen, official)
    with pytest.raises(ValidationError) as caught:
        consultation_delete(consultation=open_now, official=official)
    assert caught.value.messages == [
        "People have taken part in this consultation (comments, poll answers, "
        "statements or votes on them); deleting it would lose their "
        "contributions."
    ]
    assert caught.value.code == "not_deletable"
    assert Consultation.objects.filter(pk=open_now.pk).exists()
    assert ConsultationEvent.objects.count() == 0


def test_delete_refused_once_closed(closed: Consultation, official: User) -> None:
    """A closed consultation is part of the public record, even without comments."""
    with pytest.raises(ValidationError, match="part of the public record"):
        consultation_delete(consultation=closed, official=official, now=NOW)
    assert Consultation.objects.filter(pk=closed.pk).exists()


def test_followers_hear_of_new_dates_in_their_language(
    open_now: Consultation,
    official: User,
    citizen: User,
    other_citizen: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """A new closing time is e-mailed to followers; a new title alone is not."""
    from django.core import mail

    from participation.services import follow_set

    other_citizen.preferred_language = "ru"
    other_citizen.save(update_fields=["preferred_language"])
    for person in (citizen, other_citizen):
        follow_set(consultation=open_now, user=person, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        consultation_update(
            consultation=open_now,
            official=official,
            **_details(open_now, title="Parks law (corrected)"),
            now=NOW,
        )
    assert mail.outbox == []
    ends_at = datetime(2030, 3, 1, 18, 0, tzinfo=timezone.get_current_timezone())
    with django_capture_on_commit_callbacks(execute=True):
        consultation_update(
            consultation=open_now,
            official=official,
            **_details(open_now, ends_at=ends_at),
            now=NOW,
        )
    by_person = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_person) == sorted([citizen.email, other_citizen.email])
    english = by_person[citizen.email]
    assert english.subject == "New dates for the consultation: Parks law (corrected)"
    assert "until March 1, 2030, 6 p.m." in english.body
    russian = by_person[other_citizen.email]
    assert russian.subject != english.subject
    assert "2030" in russian.body


def test_officials_add_and_remove_attachments_until_the_report(
    open_now: Consultation,
    closed: Consultation,
    official: User,
    citizen: User,
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """A PDF is added and removed (its file with it); both are in the history.

    Bad files, citizens and published reports are refused, nothing written.
    """
    from participation.services import attachment_add, attachment_remove

    settings.MEDIA_ROOT = tmp_path
    pdf = SimpleUploadedFile("budget.pdf", b"%PDF-1.4\n%b\n", "application/pdf")
    added = attachment_add(
        consultation=open_now, official=official, title=" Budget ", upload=pdf, now=NOW
    )
    assert (added.title, added.size) == ("Budget", 12)
    path = Path(added.file.path)
    assert path.read_bytes() == b"%PDF-1.4\n%b\n"
    not_pdf = SimpleUploadedFile("notes.pdf", b"hello", "application/pdf")
    with pytest.raises(ValidationError):
        attachment_add(
            consultation=open_now, official=official, title="", upload=not_pdf, now=NOW
        )
    with pytest.raises(PermissionDenied):
        attachment_remove(attachment=added, official=citizen, now=NOW)
    assert open_now.attachments.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        attachment_remove(attachment=added, official=official, now=NOW)
    assert open_now.attachments.count() == 0
    assert not path.exists()
    history = consultation_events(open_now)
    assert [
        (v.action, [(c.label, c.old, c.new) for c in v.changes]) for v in history
    ] == [
        ("Attachment added", [("Attachment", "", "Budget")]),
        ("Attachment removed", [("Attachment", "Budget", "")]),
    ]
    report_publish(consultation=closed, official=official, summary="Done.", now=NOW)
    late = SimpleUploadedFile("late.pdf", b"%PDF-1.4\n", "application/pdf")
    with pytest.raises(ValidationError) as caught:
        attachment_add(
            consultation=closed, official=official, title="Late", upload=late, now=NOW
        )
    assert caught.value.code == "report_published"
    assert closed.attachments.count() == 0
