"""The periodic task on a real Celery worker (Redis, PostgreSQL)."""

import json
from datetime import timedelta

import pytest

from ballots.models import Election, SignedHeadRecord
from ballots.services import election_transition
from ballots.tasks import tick
from tests.ballots.conftest import BOARD_SECRET
from tests.ballots.helpers import deal_and_upload, make_draft, pass_self_test
from votecrypto.heads import ELECTION, SignedHead, verify_head_signature

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def worker_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker derives the same board key as this process."""
    monkeypatch.setenv("BOARD_KEY_SECRET", BOARD_SECRET)


def test_tick_on_a_worker_opens_and_signs_a_head(
    make_user, worker_env, celery_worker
) -> None:
    """A ready election past voting_starts is opened by the worker's tick."""
    setup = make_draft(make_user)
    deal_and_upload(setup)
    pass_self_test(setup)
    starts = setup.election.voting_starts_at
    election_transition(
        election=setup.election,
        to_state="ready",
        actor=setup.official,
        now=starts - timedelta(minutes=1),
    )
    result = tick.delay().get(timeout=60)
    assert result == ["opened city-2027", "head city-2027"]
    election = Election.objects.get(pk=setup.election.pk)
    assert election.state == "open"
    record = SignedHeadRecord.objects.filter(election=election).last()
    assert record is not None
    head = SignedHead.from_json(ELECTION, json.loads(record.head_json))
    assert verify_head_signature(ELECTION, head, setup.manifest.board_public_key)
