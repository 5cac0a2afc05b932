"""Many voters casting at once against a live server (PostgreSQL)."""

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client

from ballots.models import BoardEntry
from ballots.selectors import head_latest
from tests.ballots.helpers import body, encrypt, make_open
from votecrypto.heads import ELECTION, Receipt, SignedHead, verify_head_signature
from votecrypto.merkle import MerkleTree, verify_consistency

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

VOTERS = 50
# Casts in flight at once.  Django's live server listens with a backlog of
# 10 connections; more simultaneous connects can be reset by the kernel
# before the server's threads accept them, which tests nothing of ours.
IN_FLIGHT = 10
CSRF = "a" * 32


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def cast(url: str, cookie: str, data: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310
        url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Cookie": f"sessionid={cookie}; csrftoken={CSRF}",
            "X-CSRFToken": CSRF,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_fifty_concurrent_casts(make_user, live_server, settings) -> None:
    """Fifty casts, ten at a time: seq stays gapless and every receipt verifies
    against the final head."""
    settings.BALLOTS_CAST_RATELIMIT_IP = (10_000, 3600)
    setup = make_open(make_user, voters=VOTERS)
    url = f"{live_server.url}/api/elections/{setup.election.election_id}/ballots/"
    jobs = [
        (session_cookie(voter), body(encrypt(setup, voter))) for voter in setup.voters
    ]
    with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
        results = list(pool.map(lambda job: cast(url, *job), jobs))
    assert [status for status, _ in results] == [201] * VOTERS
    rows = list(BoardEntry.objects.filter(election=setup.election).order_by("seq"))
    assert [row.seq for row in rows] == list(range(VOTERS))
    assert sorted(receipt["seq"] for _, receipt in results) == list(range(VOTERS))
    tree = MerkleTree(bytes.fromhex(row.leaf_hash) for row in rows)
    latest = head_latest(election=setup.election)
    assert latest is not None
    final = SignedHead.from_json(ELECTION, json.loads(latest.head_json))
    assert final.tree_size == VOTERS
    assert final.root_hash == tree.root()
    board_key = setup.manifest.board_public_key
    assert verify_head_signature(ELECTION, final, board_key)
    for _, value in results:
        receipt = Receipt.from_json(ELECTION, value)
        leaf = bytes.fromhex(rows[receipt.seq].leaf_hash)
        assert receipt.includes(leaf)
        assert verify_head_signature(ELECTION, receipt.head, board_key)
        assert verify_consistency(
            receipt.head.tree_size,
            final.tree_size,
            receipt.head.root_hash,
            final.root_hash,
            tree.consistency_proof(receipt.head.tree_size),
        )
