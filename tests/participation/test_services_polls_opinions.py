"""Polls (one changeable answer per person) and the opinion map task."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import User
from accounts.roles import CITIZEN
from participation.models import (
    Consultation,
    OpinionMapResult,
    Poll,
    PollAnswer,
    StatementVote,
)
from participation.selectors import opinion_map_view
from participation.services import (
    poll_answer,
    poll_create,
    poll_results,
    statement_approve,
    statement_create,
    statement_vote,
)
from participation.tasks import opinion_map_compute as opinion_map_compute_task

pytestmark = pytest.mark.django_db


def _poll(consultation: Consultation, official: User, kind: str = "single") -> Poll:
    return poll_create(
        consultation=consultation,
        official=official,
        question="Best opening hour?",
        kind=kind,
        options=["6:00", "7:00", "8:00"],
    )


def test_one_answer_per_person_changeable(
    consultation: Consultation, official: User, citizen: User
) -> None:
    """Answering again replaces the answer; results count people once."""
    poll = _poll(consultation, official)
    first, second, _third = poll.options.all()
    poll_answer(poll=poll, user=citizen, option_ids=[first.pk])
    poll_answer(poll=poll, user=citizen, option_ids=[second.pk])
    assert PollAnswer.objects.count() == 1
    assert poll_results(poll) == {
        "poll": poll.pk,
        "answers": 1,
        "options": [[first.pk, 0], [second.pk, 1], [_third.pk, 0]],
    }


def test_multiple_choice_accepts_several(
    consultation: Consultation, official: User, citizen: User
) -> None:
    """A multiple-choice poll takes several options in one answer."""
    poll = _poll(consultation, official, kind="multiple")
    ids = list(poll.options.values_list("pk", flat=True))
    answer = poll_answer(poll=poll, user=citizen, option_ids=ids[:2])
    assert sorted(answer.options.values_list("pk", flat=True)) == ids[:2]


@pytest.mark.parametrize(
    ("pick", "message"),
    [
        ("two", "Choose exactly one option."),
        ("foreign", "Choose one of the poll's options."),
    ],
)
def test_bad_poll_answer_is_refused(
    consultation: Consultation,
    official: User,
    citizen: User,
    pick: str,
    message: str,
) -> None:
    """Two options on a single-choice poll, or a foreign option, are refused."""
    poll = _poll(consultation, official)
    ids = list(poll.options.values_list("pk", flat=True))
    option_ids = ids[:2] if pick == "two" else [max(ids) + 100]
    with pytest.raises(ValidationError) as error:
        poll_answer(poll=poll, user=citizen, option_ids=option_ids)
    assert error.value.messages == [message]
    assert PollAnswer.objects.count() == 0


def test_poll_answer_after_close_is_refused(
    consultation: Consultation, official: User, citizen: User
) -> None:
    """Answers cannot change once the consultation closed."""
    poll = _poll(consultation, official)
    with pytest.raises(ValidationError, match="not open"):
        poll_answer(
            poll=poll,
            user=citizen,
            option_ids=[poll.options.first().pk],  # type: ignore[union-attr]
            now=consultation.ends_at + timedelta(seconds=1),
        )


def test_citizen_cannot_create_poll(consultation: Consultation, citizen: User) -> None:
    """Polls are attached by officials only."""
    with pytest.raises(PermissionDenied):
        _poll(consultation, citizen)
    assert Poll.objects.count() == 0


def test_proposed_statement_needs_approval(
    consultation: Consultation, official: User, citizen: User, other_citizen: User
) -> None:
    """A citizen's statement cannot be voted on until an official approves it."""
    statement = statement_create(
        consultation=consultation, author=citizen, text="Parks need more shade."
    )
    assert statement.is_approved is False
    with pytest.raises(ValidationError, match="waiting for approval"):
        statement_vote(statement=statement, user=other_citizen, value=1)
    statement_approve(statement=statement, official=official)
    statement_vote(statement=statement, user=other_citizen, value=1)
    statement_vote(statement=statement, user=other_citizen, value=-1)
    assert list(StatementVote.objects.values_list("value", flat=True)) == [-1]


def test_votes_trigger_task_that_stores_groups(
    consultation: Consultation,
    official: User,
    make_user: Callable[..., User],
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    """Two camps of voters give two opinion groups and a consensus statement."""
    statements = [
        statement_create(consultation=consultation, author=official, text=f"S{i}")
        for i in range(8)
    ]
    voters = [make_user(role=CITIZEN) for _ in range(12)]
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        for n, voter in enumerate(voters):
            camp = 1 if n < 6 else -1
            for i, statement in enumerate(statements):
                value = 1 if i == 7 else (camp if i < 4 else -camp)
                statement_vote(statement=statement, user=voter, value=value)
    stored = OpinionMapResult.objects.get(consultation=consultation)
    assert stored.vote_count == 96
    assert [g["size"] for g in stored.result["groups"]] == [6, 6]
    view = opinion_map_view(consultation)
    assert view is not None
    assert [(s.text, d) for s, d in view.consensus] == [("S7", "agree")]
    assert all(group.representative for group in view.groups)


def test_task_is_idempotent(consultation: Consultation, official: User) -> None:
    """Running the task twice keeps one stored result."""
    statement_create(consultation=consultation, author=official, text="S")
    assert opinion_map_compute_task.delay(consultation.pk).get() == 0
    assert opinion_map_compute_task.delay(consultation.pk).get() == 0
    assert OpinionMapResult.objects.count() == 1


def test_debounce_enqueues_once_per_window(
    consultation: Consultation,
    official: User,
    citizen: User,
    settings: object,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    """Within the debounce window, further votes do not enqueue again."""
    from unittest import mock

    settings.PARTICIPATION_DEBOUNCE_SECONDS = 60  # type: ignore[attr-defined]
    first = statement_create(consultation=consultation, author=official, text="A")
    second = statement_create(consultation=consultation, author=official, text="B")
    with (
        mock.patch.object(opinion_map_compute_task, "apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),  # type: ignore[operator]
    ):
        statement_vote(statement=first, user=citizen, value=1)
        statement_vote(statement=second, user=citizen, value=0)
    apply_async.assert_called_once_with(args=[consultation.pk], countdown=60)
