"""The election state machine: one transition service for every state change.

``draft → key_ceremony → ready → open → closed → tallying →
awaiting_trustees → published``; ``cancelled`` from any state before
``published``.  Each transition is recorded in :class:`ElectionEvent`.
The tally app drives ``closed → tallying → awaiting_trustees → published``
through :func:`election_transition` as well.
"""

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ballots.errors import ElectionError
from ballots.models import Election, ElectionEvent
from ballots.services import board
from ballots.services.manifest import manifest_freeze

State = Election.State
logger = logging.getLogger(__name__)

TRANSITIONS: dict[str, frozenset[str]] = {
    State.DRAFT: frozenset({State.KEY_CEREMONY, State.CANCELLED}),
    State.KEY_CEREMONY: frozenset({State.DRAFT, State.READY, State.CANCELLED}),
    State.READY: frozenset({State.OPEN, State.CANCELLED}),
    State.OPEN: frozenset({State.CLOSED, State.CANCELLED}),
    State.CLOSED: frozenset({State.TALLYING, State.CANCELLED}),
    State.TALLYING: frozenset({State.AWAITING_TRUSTEES, State.CANCELLED}),
    State.AWAITING_TRUSTEES: frozenset(
        {State.TALLYING, State.PUBLISHED, State.CANCELLED}
    ),
    State.PUBLISHED: frozenset(),
    State.CANCELLED: frozenset(),
}
"""Which states each state may move to."""


def election_event_record(
    *,
    election: Election,
    actor: Any | None,
    action: str,
    from_state: str = "",
    to_state: str = "",
    detail: str = "",
) -> ElectionEvent:
    """Write one audit log row (who, when, what)."""
    return ElectionEvent.objects.create(
        election=election,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        from_state=from_state,
        to_state=to_state,
        detail=detail,
    )


@transaction.atomic
def election_transition(
    *,
    election: Election,
    to_state: str,
    actor: Any | None,
    detail: str = "",
    now: datetime | None = None,
) -> Election:
    """Move ``election`` to ``to_state`` and record who did it.

    Locks the election row, so a transition never races a cast or another
    transition.  Authorisation is the caller's (views check roles; the
    schedule passes ``actor=None``).  The effects of some targets:

    * ``key_ceremony``: the set-up is complete (contests, trustees, roll
      with credentials);
    * ``ready``: the ceremony self-test passed; the manifest is frozen,
      ``election_hash`` published and the head of size 0 signed;
    * ``closed``: the ``close`` entry and the final head are appended
      (only once ``voting_ends`` has passed).

    Raises :class:`ElectionError` (``bad-transition`` or the guard's code);
    the caller's ``election`` object is refreshed on success.
    """
    locked = Election.objects.select_for_update().get(pk=election.pk)
    current = locked.state
    if to_state not in TRANSITIONS.get(current, frozenset()):
        raise ElectionError(
            "bad-transition",
            _("An election cannot go from “%(from)s” to “%(to)s”.")
            % {"from": current, "to": to_state},
            409,
        )
    when = now or timezone.now()
    if to_state == State.KEY_CEREMONY:
        _check_setup_complete(locked)
    elif to_state == State.DRAFT:
        _reset_ceremony(locked)
    elif to_state == State.READY:
        manifest_freeze(election=locked, now=when)
    elif to_state == State.CLOSED:
        board.board_close(election=locked, now=when)
    locked.state = to_state
    locked.save(update_fields=["state"])
    election_event_record(
        election=locked,
        actor=actor,
        action="transition",
        from_state=current,
        to_state=to_state,
        detail=detail,
    )
    if to_state == State.READY:
        from ballots.tasks import notify_voters as notify_voters_task

        election_pk = locked.pk
        transaction.on_commit(lambda: notify_voters_task.delay(election_pk))
    election.refresh_from_db()
    return election


def _check_setup_complete(election: Election) -> None:
    contests = list(election.contests.prefetch_related("options"))
    if not contests or any(not contest.options.all() for contest in contests):
        raise ElectionError(
            "incomplete", _("Add at least one contest, each with options.")
        )
    trustees = election.trustees.count()
    if trustees < 1 or not 1 <= election.threshold <= trustees:
        raise ElectionError(
            "incomplete",
            _("Add trustees: at least as many as the threshold."),
        )
    if not election.credentials.exists():
        raise ElectionError(
            "incomplete", _("Import the voter roll and issue the credentials.")
        )


def _reset_ceremony(election: Election) -> None:
    """Forget the uploaded ceremony when going back to draft."""
    election.ceremony_public_json = ""
    election.ceremony_tested_at = None
    election.is_demo_ceremony = False
    election.save(
        update_fields=["ceremony_public_json", "ceremony_tested_at", "is_demo_ceremony"]
    )
    election.trustees.update(share_box_json="", test_share_json="")


def elections_run_schedule(*, now: datetime | None = None) -> list[str]:
    """Open and close elections on schedule; publish heads while open.

    The periodic task's work (every minute): a ready election whose
    ``voting_starts`` has passed opens, an open one whose ``voting_ends``
    has passed closes, and every election still open gets a new signed
    head.  Returns what it did, one line per action.
    """
    when = now or timezone.now()
    done: list[str] = []
    due = [
        (
            State.OPEN,
            "opened",
            Election.objects.filter(state=State.READY, voting_starts_at__lte=when),
        ),
        (
            State.CLOSED,
            "closed",
            Election.objects.filter(state=State.OPEN, voting_ends_at__lte=when),
        ),
    ]
    for to_state, verb, elections in due:
        for election in elections:
            # Another worker may have acted first (the transition locks the
            # row and re-checks); one failure must not stop the others.
            try:
                election_transition(
                    election=election, to_state=to_state, actor=None, now=when
                )
            except ElectionError as exc:
                logger.warning(
                    "schedule: %s not %s: %s", election.election_id, verb, exc.code
                )
                continue
            done.append(f"{verb} {election.election_id}")
    for election in Election.objects.filter(state=State.OPEN):
        board.head_publish(election=election, now=when)
        done.append(f"head {election.election_id}")
    return done
