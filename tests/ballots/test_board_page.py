"""The bulletin board page and the audited-ballot checker page."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from ballots import views
from ballots.models import BoardEntry
from ballots.selectors import head_latest
from ballots.services import ballot_audit, ballot_cast
from tests.ballots.helpers import Setup, body, encrypt
from votecrypto.ballot import make_audit, tracker_display
from votecrypto.canonical import cjson

pytestmark = pytest.mark.django_db


def fill(setup: Setup) -> None:
    """Two casts and one audit (seq 0, 1, 2)."""
    starts = setup.election.voting_starts_at
    for minute, voter in enumerate(setup.voters[:2], start=1):
        ballot_cast(
            election=setup.election,
            user=voter,
            body=body(encrypt(setup, voter)),
            now=starts + timedelta(minutes=minute),
        )
    audit = make_audit(encrypt(setup, setup.voters[2]))
    ballot_audit(
        election=setup.election,
        user=setup.voters[2],
        body=cjson(audit),
        now=starts + timedelta(minutes=3),
    )


def board_url(setup: Setup, page: int | None = None) -> str:
    url = reverse("ballots:board", args=[setup.election.election_id])
    return url if page is None else f"{url}?page={page}"


def test_board_page_paginates_and_shows_the_head(
    opened: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(opened)
    monkeypatch.setattr(views, "BOARD_PAGE_SIZE", 2)
    head = head_latest(election=opened.election)
    assert head is not None
    first = Client().get(board_url(opened))
    assert first.status_code == 200
    html = first.content.decode()
    assert [e["seq"] for e in first.context["entries"]] == [0, 1]
    assert head.root_hash in html
    assert 'rel="next"' in html
    entry0 = BoardEntry.objects.get(election=opened.election, seq=0)
    assert tracker_display(entry0.tracker) in html
    assert 'aria-live="polite"' in html
    for name in ("board_jsonl", "heads_jsonl", "manifest"):
        path = reverse(f"ballots-api:{name}", args=[opened.election.election_id])
        assert f'href="{path}"' in html
    second = Client().get(board_url(opened, 2))
    assert [e["seq"] for e in second.context["entries"]] == [2]
    audit_path = reverse("ballots:audit_check", args=[opened.election.election_id, 2])
    assert f'href="{audit_path}"' in second.content.decode()
    assert 'rel="prev"' in second.content.decode()


def test_election_page_links_to_the_board(opened: Setup) -> None:
    response = Client().get(
        reverse("ballots:detail", args=[opened.election.election_id])
    )
    assert f'href="{board_url(opened)}"' in response.content.decode()


def test_audit_checker_page_and_404_for_non_audit(opened: Setup) -> None:
    fill(opened)
    eid = opened.election.election_id
    ok = Client().get(reverse("ballots:audit_check", args=[eid, 2]))
    assert ok.status_code == 200
    assert 'data-seq="2"' in ok.content.decode()
    assert 'role="alert"' in ok.content.decode()
    for seq in (0, 1, 99):
        response = Client().get(reverse("ballots:audit_check", args=[eid, seq]))
        assert response.status_code == 404


def test_board_page_hidden_for_draft(draft: Setup) -> None:
    response = Client().get(board_url(draft))
    assert response.status_code == 404
