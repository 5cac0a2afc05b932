"""Comments, replies, reactions, edits and flags."""

from collections.abc import Callable
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import User
from accounts.roles import CITIZEN
from participation.models import Comment, Consultation, Flag, Reaction
from participation.selectors import comment_threads, paragraphs_with_counts
from participation.services import (
    comment_create,
    comment_edit,
    comment_flag,
    comment_react,
)

pytestmark = pytest.mark.django_db


def _key(consultation: Consultation, number: str) -> str:
    return consultation.versions.get().paragraphs.get(number=number).key


def test_comment_on_paragraph_is_counted_beside_it(
    consultation: Consultation, citizen: User, other_citizen: User
) -> None:
    """Paragraph comments are counted per paragraph; replies join the thread."""
    key = _key(consultation, "1.2")
    first = comment_create(
        consultation=consultation, author=citizen, body="Too late.", paragraph_key=key
    )
    reply = comment_create(
        consultation=consultation,
        author=other_citizen,
        body="Fine by me.",
        parent=first,
    )
    comment_create(consultation=consultation, author=citizen, body="Whole text.")
    counts = {
        view.paragraph.number: view.comment_count
        for view in paragraphs_with_counts(consultation.versions.get())
    }
    assert counts == {"1": 0, "1.1": 0, "1.2": 2, "2": 0, "2.1": 0, "2.2": 0}
    assert reply.paragraph_key == key
    threads = comment_threads(consultation, viewer=citizen)
    assert [n.comment.body for n in threads[key]] == ["Too late."]
    assert [n.comment.body for n in threads[key][0].replies] == ["Fine by me."]
    assert [n.comment.body for n in threads[""]] == ["Whole text."]


def test_comment_broadcasts_on_commit(
    consultation: Consultation,
    citizen: User,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    """The new comment is pushed to the consultation's group after commit."""
    with (
        mock.patch("config.websocket.broadcast") as broadcast,
        django_capture_on_commit_callbacks(execute=True),  # type: ignore[operator]
    ):
        comment = comment_create(
            consultation=consultation, author=citizen, body="Hello."
        )
    broadcast.assert_any_call(
        f"consultation-{consultation.pk}",
        "comment.created",
        {
            "id": comment.pk,
            "paragraph_key": "",
            "parent_id": None,
            "author": "Dana Citizen",
            "body": "Hello.",
            "created_at": comment.created_at.isoformat(),
        },
    )


def test_comment_on_closed_consultation_is_refused(
    make_consultation: Callable[..., Consultation], citizen: User
) -> None:
    """After the end date, commenting fails with the phase and writes nothing."""
    now = timezone.now()
    closed = make_consultation(
        starts_at=now - timedelta(days=10), ends_at=now - timedelta(days=1)
    )
    with pytest.raises(ValidationError) as error:
        comment_create(consultation=closed, author=citizen, body="Late comment.")
    assert error.value.messages == ["This consultation is not open: it is Closed."]
    assert Comment.objects.count() == 0


def test_unverified_user_cannot_comment(
    consultation: Consultation, make_user: Callable[..., User]
) -> None:
    """A citizen without a confirmed e-mail address cannot comment."""
    unverified = make_user(role=CITIZEN, verified=False)
    with pytest.raises(PermissionDenied, match="confirmed e-mail"):
        comment_create(consultation=consultation, author=unverified, body="Hi.")
    assert Comment.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "paragraph_key", "message"),
    [
        ("   ", "", "The comment is empty."),
        ("x" * 5001, "", "A comment can be at most 5000 characters long."),
        ("Hi.", "nonexistent", "There is no such paragraph in the current version."),
    ],
)
def test_bad_comment_input_is_refused(
    consultation: Consultation,
    citizen: User,
    body: str,
    paragraph_key: str,
    message: str,
) -> None:
    """Empty, overlong and misplaced comments are refused with a message."""
    with pytest.raises(ValidationError) as error:
        comment_create(
            consultation=consultation,
            author=citizen,
            body=body,
            paragraph_key=paragraph_key,
        )
    assert error.value.messages == [message]
    assert Comment.objects.count() == 0


def test_second_reaction_changes_never_duplicates(
    consultation: Consultation, citizen: User, other_citizen: User
) -> None:
    """Reacting twice updates the one reaction row."""
    comment = comment_create(consultation=consultation, author=citizen, body="A.")
    comment_react(comment=comment, user=other_citizen, value="agree")
    comment_react(comment=comment, user=other_citizen, value="agree")
    comment_react(comment=comment, user=other_citizen, value="disagree")
    assert list(Reaction.objects.values_list("user_id", "value")) == [
        (other_citizen.pk, "disagree")
    ]


def test_reaction_rows_are_unique_in_the_database(
    consultation: Consultation, citizen: User, other_citizen: User
) -> None:
    """The unique constraint stops a duplicate even past the service."""
    from django.db import IntegrityError, transaction

    comment = comment_create(consultation=consultation, author=citizen, body="A.")
    comment_react(comment=comment, user=other_citizen, value="agree")
    with pytest.raises(IntegrityError), transaction.atomic():
        Reaction.objects.create(
            comment=comment,
            user=other_citizen,
            value="disagree",
            updated_at=timezone.now(),
        )


@pytest.mark.parametrize(
    ("value", "own", "message"),
    [
        ("love", False, "A reaction is either agree or disagree."),
        ("agree", True, "You cannot react to your own comment."),
    ],
)
def test_bad_reaction_is_refused(
    consultation: Consultation,
    citizen: User,
    other_citizen: User,
    value: str,
    own: bool,
    message: str,
) -> None:
    """Unknown values and reacting to oneself are refused."""
    comment = comment_create(consultation=consultation, author=citizen, body="A.")
    with pytest.raises(ValidationError) as error:
        comment_react(
            comment=comment, user=citizen if own else other_citizen, value=value
        )
    assert error.value.messages == [message]
    assert Reaction.objects.count() == 0


def test_edit_within_window(consultation: Consultation, citizen: User) -> None:
    """The author can edit for 15 minutes; the edit time is recorded."""
    now = timezone.now()
    comment = comment_create(
        consultation=consultation, author=citizen, body="Frist.", now=now
    )
    later = now + timedelta(minutes=15)
    comment_edit(comment=comment, user=citizen, body="First.", now=later)
    comment.refresh_from_db()
    assert (comment.body, comment.edited_at) == ("First.", later)


def test_edit_after_window_is_refused(
    consultation: Consultation, citizen: User
) -> None:
    """After 15 minutes the text cannot change."""
    now = timezone.now()
    comment = comment_create(
        consultation=consultation, author=citizen, body="Frist.", now=now
    )
    with pytest.raises(ValidationError) as error:
        comment_edit(
            comment=comment,
            user=citizen,
            body="First.",
            now=now + timedelta(minutes=15, seconds=1),
        )
    assert error.value.messages == [
        "Comments can only be edited within 15 minutes of posting."
    ]
    comment.refresh_from_db()
    assert (comment.body, comment.edited_at) == ("Frist.", None)


def test_edit_of_someone_elses_comment_is_refused(
    consultation: Consultation, citizen: User, other_citizen: User
) -> None:
    """Only the author may edit a comment."""
    comment = comment_create(consultation=consultation, author=citizen, body="Mine.")
    with pytest.raises(PermissionDenied, match="only edit your own comments"):
        comment_edit(comment=comment, user=other_citizen, body="Yours now.")
    comment.refresh_from_db()
    assert comment.body == "Mine."


def test_flag_once_per_person(
    consultation: Consultation, citizen: User, other_citizen: User
) -> None:
    """A second flag by the same person is refused; one row remains."""
    comment = comment_create(consultation=consultation, author=citizen, body="Rude.")
    comment_flag(comment=comment, user=other_citizen, reason="Insults.")
    with pytest.raises(ValidationError, match="already reported"):
        comment_flag(comment=comment, user=other_citizen, reason="Again.")
    assert list(Flag.objects.values_list("reason", flat=True)) == ["Insults."]


def test_hidden_comment_takes_no_reaction_or_reply(
    consultation: Consultation, citizen: User, other_citizen: User, moderator: User
) -> None:
    """Once hidden, a comment cannot be reacted to or replied to."""
    from participation.services import comment_hide

    comment = comment_create(consultation=consultation, author=citizen, body="Spam.")
    comment_hide(comment=comment, moderator=moderator, reason="Spam.")
    with pytest.raises(ValidationError, match="hidden by a moderator"):
        comment_react(comment=comment, user=other_citizen, value="agree")
    with pytest.raises(ValidationError, match="hidden by a moderator"):
        comment_create(
            consultation=consultation, author=other_citizen, body="Re.", parent=comment
        )
    assert (Reaction.objects.count(), Comment.objects.count()) == (0, 1)
