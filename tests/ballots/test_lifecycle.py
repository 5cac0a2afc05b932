"""The election state machine: roles, guards, the audit log, the schedule."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from ballots.errors import ElectionError
from ballots.models import BoardEntry, Election, ElectionEvent, SignedHeadRecord
from ballots.services import election_transition, elections_run_schedule
from ballots.tasks import tick
from tests.ballots.helpers import (
    Setup,
    deal_and_upload,
    make_draft,
    make_open,
    otp_login,
    pass_self_test,
)

pytestmark = pytest.mark.django_db


def transition_url(setup: Setup) -> str:
    return reverse("ballots:transition", args=[setup.election.election_id])


def test_official_moves_draft_to_key_ceremony(draft: Setup, client: Client) -> None:
    """An official with 2FA moves the election; the audit log records it."""
    otp_login(client, draft.official)
    response = client.post(transition_url(draft), {"to_state": "key_ceremony"})
    assert response.status_code == 302
    draft.election.refresh_from_db()
    assert draft.election.state == "key_ceremony"
    event = ElectionEvent.objects.filter(action="transition").get()
    assert (event.actor, event.from_state, event.to_state) == (
        draft.official,
        "draft",
        "key_ceremony",
    )
    page = client.get(reverse("ballots:detail", args=[draft.election.election_id]))
    assert "draft → key_ceremony" in page.content.decode()


def test_citizen_cannot_transition(draft: Setup, client: Client) -> None:
    """A voter gets 403 and the state stays."""
    client.force_login(draft.voters[0])
    response = client.post(transition_url(draft), {"to_state": "key_ceremony"})
    assert response.status_code == 403
    draft.election.refresh_from_db()
    assert draft.election.state == "draft"


def test_official_without_2fa_is_sent_to_verify(draft: Setup, client: Client) -> None:
    """Officials need a TOTP-verified session."""
    client.force_login(draft.official)
    response = client.post(transition_url(draft), {"to_state": "key_ceremony"})
    assert response.status_code == 302
    assert "/accounts/2fa/" in response["Location"]
    draft.election.refresh_from_db()
    assert draft.election.state == "draft"


def test_official_cannot_drive_tally_states(opened: Setup, client: Client) -> None:
    """Tally states are the tally app's: the page refuses them."""
    otp_login(client, opened.official)
    client.post(transition_url(opened), {"to_state": "tallying"})
    opened.election.refresh_from_db()
    assert opened.election.state == "open"


def test_wrong_state_is_refused(draft: Setup) -> None:
    """draft → open is not a transition."""
    with pytest.raises(ElectionError) as info:
        election_transition(
            election=draft.election, to_state="open", actor=draft.official
        )
    assert info.value.code == "bad-transition"
    assert not ElectionEvent.objects.filter(action="transition").exists()


def test_ready_needs_the_ceremony_self_test(draft: Setup) -> None:
    """Without t valid test shares the election cannot become ready."""
    deal_and_upload(draft)
    pass_self_test(draft, indices=(3,))
    starts = draft.election.voting_starts_at
    with pytest.raises(ElectionError) as info:
        election_transition(
            election=draft.election,
            to_state="ready",
            actor=draft.official,
            now=starts - timedelta(minutes=1),
        )
    assert info.value.code == "ceremony-untested"
    pass_self_test(draft, indices=(1,))
    election_transition(
        election=draft.election,
        to_state="ready",
        actor=draft.official,
        now=starts - timedelta(minutes=1),
    )
    assert draft.election.state == "ready"
    assert len(draft.election.election_hash) == 64
    head = SignedHeadRecord.objects.get(election=draft.election)
    assert head.tree_size == 0


def test_ready_freezes_the_manifest_and_notifies_voters(
    draft: Setup, django_capture_on_commit_callbacks
) -> None:
    """The manifest is SPEC §4's and every voter gets an e-mail without code."""
    deal_and_upload(draft)
    pass_self_test(draft)
    with django_capture_on_commit_callbacks(execute=True):
        election_transition(
            election=draft.election,
            to_state="ready",
            actor=draft.official,
            now=draft.election.voting_starts_at - timedelta(minutes=1),
        )
    manifest = draft.manifest
    assert manifest.election_id == "city-2027"
    assert [c.contest_id for c in manifest.contests] == ["c1", "c2"]
    assert list(manifest.credentials) == sorted(manifest.credentials)
    assert len(manifest.credentials) == 3
    assert manifest.election_hash == draft.election.election_hash
    assert len(mail.outbox) == 3
    for message in mail.outbox:
        for code in draft.codes.values():
            assert code not in message.body


def test_voter_notification_uses_the_voters_language(
    draft: Setup, django_capture_on_commit_callbacks
) -> None:
    """A voter whose account prefers Russian gets the notice in Russian."""
    russian = draft.voters[0]
    russian.preferred_language = "ru"
    russian.save(update_fields=["preferred_language"])
    deal_and_upload(draft)
    pass_self_test(draft)
    with django_capture_on_commit_callbacks(execute=True):
        election_transition(
            election=draft.election,
            to_state="ready",
            actor=draft.official,
            now=draft.election.voting_starts_at - timedelta(minutes=1),
        )
    by_address = {message.to[0]: message for message in mail.outbox}
    assert by_address[russian.email].subject.startswith("Голосование")
    assert by_address[draft.voters[1].email].subject.startswith("Voting in")


def test_schedule_opens_publishes_heads_and_closes(make_user) -> None:
    """The periodic task opens at voting_starts, heads while open, closes."""
    setup = make_draft(make_user)
    deal_and_upload(setup)
    pass_self_test(setup)
    election = setup.election
    starts, ends = election.voting_starts_at, election.voting_ends_at
    election_transition(
        election=election,
        to_state="ready",
        actor=setup.official,
        now=starts - timedelta(minutes=1),
    )
    assert elections_run_schedule(now=starts - timedelta(seconds=30)) == []
    assert elections_run_schedule(now=starts) == ["opened city-2027", "head city-2027"]
    election.refresh_from_db()
    assert election.state == "open"
    elections_run_schedule(now=starts + timedelta(minutes=1))
    assert SignedHeadRecord.objects.filter(election=election).count() == 3
    assert elections_run_schedule(now=ends) == ["closed city-2027"]
    election.refresh_from_db()
    assert election.state == "closed"
    close = BoardEntry.objects.get(election=election)
    assert close.entry_type == "close"
    assert close.received_at == ends
    last = SignedHeadRecord.objects.filter(election=election).last()
    assert last is not None
    assert last.tree_size == 1
    events = ElectionEvent.objects.filter(action="transition", actor__isnull=True)
    assert [e.to_state for e in events] == ["open", "closed"]


def test_tick_task_runs_the_schedule(opened: Setup) -> None:
    """The beat task (eager here) publishes a head for the open election."""
    before = SignedHeadRecord.objects.filter(election=opened.election).count()
    assert tick.delay().get() == ["head city-2027"]
    assert (
        SignedHeadRecord.objects.filter(election=opened.election).count() == before + 1
    )


def test_close_before_voting_ends_is_refused(opened: Setup) -> None:
    """The close entry needs received_at ≥ voting_ends."""
    with pytest.raises(ElectionError) as info:
        election_transition(
            election=opened.election, to_state="closed", actor=opened.official
        )
    assert info.value.code == "too-early"
    opened.election.refresh_from_db()
    assert opened.election.state == "open"


def test_cancel_from_open_and_not_after_published(opened: Setup) -> None:
    """Cancelling works before published; a cancelled election stays so."""
    election_transition(
        election=opened.election,
        to_state="cancelled",
        actor=opened.official,
        detail="court order",
    )
    assert opened.election.state == "cancelled"
    event = ElectionEvent.objects.filter(to_state="cancelled").get()
    assert event.detail == "court order"
    with pytest.raises(ElectionError):
        election_transition(election=opened.election, to_state="open", actor=None)


def test_tally_states_through_the_transition_service(make_user) -> None:
    """The tally app's path: closed → tallying → awaiting_trustees → published."""
    setup = make_open(make_user)
    ends = setup.election.voting_ends_at
    election = setup.election
    for state in ("closed", "tallying", "awaiting_trustees", "published"):
        election_transition(
            election=election,
            to_state=state,
            actor=None,
            now=ends + timedelta(seconds=1),
        )
    assert election.state == Election.State.PUBLISHED
    with pytest.raises(ElectionError):
        election_transition(election=election, to_state="cancelled", actor=None)
