"""The casting and audit API: receipts, refusals, idempotence, re-votes."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from ballots.models import BoardEntry, CastReceipt
from ballots.services import election_transition
from tests.ballots.helpers import Setup, body, encrypt, make_open
from votecrypto import ed25519, merkle
from votecrypto.ballot import cast_message, make_audit, tracker
from votecrypto.canonical import cjson, parse_json
from votecrypto.credentials import credential_seed
from votecrypto.heads import ELECTION, Receipt, verify_head_signature

pytestmark = pytest.mark.django_db


def cast_url(setup: Setup) -> str:
    return reverse("ballots-api:cast", args=[setup.election.election_id])


def audit_url(setup: Setup) -> str:
    return reverse("ballots-api:audit", args=[setup.election.election_id])


def post(client: Client, url: str, data: bytes) -> tuple[int, dict]:
    response = client.post(url, data=data, content_type="application/json")
    return response.status_code, json.loads(response.content)


def board_snapshot(setup: Setup) -> list[tuple[int, str]]:
    return list(
        BoardEntry.objects.filter(election=setup.election)
        .order_by("seq")
        .values_list("seq", "leaf_hash")
    )


def check_receipt(setup: Setup, receipt: dict, entry: BoardEntry) -> None:
    parsed = Receipt.from_json(ELECTION, receipt)
    assert parsed.includes(bytes.fromhex(entry.leaf_hash))
    assert verify_head_signature(ELECTION, parsed.head, setup.manifest.board_public_key)


def test_cast_returns_a_verifiable_receipt(opened: Setup, client: Client) -> None:
    """A valid cast is appended at seq 0 and its receipt verifies."""
    voter = opened.voters[0]
    ballot = encrypt(opened, voter)
    client.force_login(voter)
    status, receipt = post(client, cast_url(opened), body(ballot))
    assert status == 201
    assert sorted(receipt) == [
        "election_hash",
        "head",
        "inclusion_proof",
        "seq",
        "tracker",
    ]
    assert receipt["seq"] == 0
    assert receipt["tracker"] == ballot.tracker
    assert receipt["election_hash"] == opened.election.election_hash
    entry = BoardEntry.objects.get(election=opened.election, seq=0)
    assert entry.entry_type == "cast"
    assert parse_json(entry.payload_json) == ballot.to_json()
    check_receipt(opened, receipt, entry)
    opened.election.refresh_from_db()
    assert opened.election.board_size == 1


def test_same_ballot_again_returns_the_same_receipt(
    opened: Setup, client: Client
) -> None:
    """Re-posting a cast is idempotent: same receipt, no new entry."""
    voter = opened.voters[0]
    data = body(encrypt(opened, voter))
    client.force_login(voter)
    first = client.post(cast_url(opened), data=data, content_type="application/json")
    second = client.post(cast_url(opened), data=data, content_type="application/json")
    assert first.status_code == 201
    assert second.status_code == 200
    assert first.content == second.content
    assert BoardEntry.objects.filter(election=opened.election).count() == 1


def test_revote_is_accepted(opened: Setup, client: Client) -> None:
    """A second, different ballot of the same credential gets seq 1."""
    voter = opened.voters[0]
    client.force_login(voter)
    status1, _ = post(client, cast_url(opened), body(encrypt(opened, voter)))
    status2, receipt = post(
        client,
        cast_url(opened),
        body(encrypt(opened, voter, {"c1": [0, 1], "c2": [1, 0, 0]})),
    )
    assert (status1, status2) == (201, 201)
    assert receipt["seq"] == 1
    assert receipt["head"]["tree_size"] == 2


def test_replay_of_another_voters_ballot_is_refused(
    opened: Setup, client: Client
) -> None:
    """Another account posting an accepted ballot gets replay, nothing added."""
    data = body(encrypt(opened, opened.voters[0]))
    client.force_login(opened.voters[0])
    assert (
        client.post(
            cast_url(opened), data=data, content_type="application/json"
        ).status_code
        == 201
    )
    before = board_snapshot(opened)
    other = Client()
    other.force_login(opened.voters[1])
    status, error = post(other, cast_url(opened), data)
    assert status == 409
    assert error["error"] == "replay"
    assert board_snapshot(opened) == before


def tamper_signature(data: bytes) -> bytes:
    value = parse_json(data)
    signature = value["signature"]
    value["signature"] = ("0" if signature[0] != "0" else "1") + signature[1:]
    return cjson(value)


def resign(value: dict, seed: bytes) -> bytes:
    """Sign a changed ballot again with its credential."""
    unsigned = {k: v for k, v in value.items() if k != "signature"}
    value["signature"] = ed25519.sign(seed, cast_message(tracker(unsigned))).hex()
    return cjson(value)


def tamper_proof(data: bytes, seed: bytes) -> bytes:
    value = parse_json(data)
    proof = value["contests"][0]["selections"][0]["proof"]
    challenge = int(proof["challenges"][0], 16)
    proof["challenges"][0] = format(challenge ^ 1, "x")
    return resign(value, seed)


def non_canonical(data: bytes) -> bytes:
    return json.dumps(json.loads(data), indent=1).encode()


BAD_INPUTS = [
    ("bad-signature", 400, lambda data, seed: tamper_signature(data)),
    ("bad-proof", 400, tamper_proof),
    ("encoding", 400, lambda data, seed: non_canonical(data)),
    ("structure", 400, lambda data, seed: b"{not json"),
    ("structure", 400, lambda data, seed: cjson({"protocol": "evote-paillier/1"})),
]


@pytest.mark.parametrize(("code", "status", "change"), BAD_INPUTS)
def test_bad_ballots_are_refused_and_the_board_is_unchanged(
    opened: Setup, client: Client, code: str, status: int, change
) -> None:
    """Each invalid input gets its §7 reason and writes nothing."""
    voter = opened.voters[0]
    client.force_login(voter)
    assert (
        client.post(
            cast_url(opened),
            data=body(encrypt(opened, voter)),
            content_type="application/json",
        ).status_code
        == 201
    )
    before = board_snapshot(opened)
    seed = credential_seed(opened.code_of(voter), opened.election.election_id)
    changed = change(body(encrypt(opened, voter)), seed)
    got_status, error = post(client, cast_url(opened), changed)
    assert (got_status, error["error"]) == (status, code)
    assert error["detail"]
    assert board_snapshot(opened) == before
    assert CastReceipt.objects.count() == 1


def test_unknown_credential_is_refused(opened: Setup, client: Client) -> None:
    """A code not issued for this election gives unknown-credential (403)."""
    voter = opened.voters[0]
    client.force_login(voter)
    ballot = encrypt(opened, voter, code="AAAAA-BBBBB-CCCCC-DDDDD")
    status, error = post(client, cast_url(opened), body(ballot))
    assert (status, error["error"]) == (403, "unknown-credential")
    assert board_snapshot(opened) == []


def test_voter_not_on_the_roll_is_refused(
    opened: Setup, client: Client, make_user
) -> None:
    """An account whose identity number is not on the roll cannot cast."""
    stranger = make_user(role="citizen")
    client.force_login(stranger)
    status, error = post(
        client, cast_url(opened), body(encrypt(opened, opened.voters[0]))
    )
    assert (status, error["error"]) == (403, "not-on-roll")
    assert board_snapshot(opened) == []


def test_anonymous_gets_401(opened: Setup, client: Client) -> None:
    """Casting needs a signed-in account."""
    status, error = post(client, cast_url(opened), b"{}")
    assert (status, error["error"]) == (401, "not-authenticated")


def test_wrong_election_is_refused(opened: Setup, client: Client, make_user) -> None:
    """A ballot made for another election (same structure) is wrong-election."""
    other = make_open(make_user, election_id="other-2027", voters=1)
    voter = opened.voters[0]
    client.force_login(voter)
    ballot = encrypt(opened, voter)
    status, error = post(client, cast_url(other), body(ballot))
    # The voter is not on the other roll; put them there by voting with the
    # other election's own voter instead.
    assert (status, error["error"]) == (403, "not-on-roll")
    client.force_login(other.voters[0])
    status, error = post(client, cast_url(other), body(ballot))
    assert (status, error["error"]) == (400, "wrong-election")
    assert board_snapshot(other) == []


def test_closed_election_is_refused(opened: Setup, client: Client) -> None:
    """After closing, casts are refused with election-not-open."""
    voter = opened.voters[0]
    data = body(encrypt(opened, voter))
    election_transition(
        election=opened.election,
        to_state="closed",
        actor=None,
        now=opened.election.voting_ends_at + timedelta(seconds=1),
    )
    before = board_snapshot(opened)
    client.force_login(voter)
    status, error = post(client, cast_url(opened), data)
    assert (status, error["error"]) == (409, "election-not-open")
    assert board_snapshot(opened) == before


def test_oversized_body_gets_413(opened: Setup, client: Client, settings) -> None:
    """A body over BALLOTS_MAX_BODY_BYTES is refused before parsing."""
    settings.BALLOTS_MAX_BODY_BYTES = 1000
    client.force_login(opened.voters[0])
    status, error = post(client, cast_url(opened), b"{" + b" " * 2000 + b"}")
    assert (status, error["error"]) == (413, "too-large")
    assert board_snapshot(opened) == []


def test_unknown_election_gets_404(client: Client, opened: Setup) -> None:
    """Posting to an election that does not exist is a JSON 404."""
    client.force_login(opened.voters[0])
    status, error = post(client, reverse("ballots-api:cast", args=["nope"]), b"{}")
    assert (status, error["error"]) == (404, "not-found")


def test_rate_limit_per_account(opened: Setup, client: Client, settings) -> None:
    """Past the per-account limit the API answers 429."""
    settings.BALLOTS_CAST_RATELIMIT_ACCOUNT = (2, 3600)
    client.force_login(opened.voters[0])
    codes = [post(client, cast_url(opened), b"{}")[0] for _ in range(3)]
    assert codes == [400, 400, 429]


def test_audit_then_cast_of_the_same_tracker_is_refused(
    opened: Setup, client: Client
) -> None:
    """An audited ballot can never be cast afterwards."""
    voter = opened.voters[0]
    ballot = encrypt(opened, voter)
    client.force_login(voter)
    status, receipt = post(client, audit_url(opened), cjson(make_audit(ballot)))
    assert status == 201
    assert receipt["tracker"] == ballot.tracker
    entry = BoardEntry.objects.get(election=opened.election, seq=0)
    assert entry.entry_type == "audit"
    check_receipt(opened, receipt, entry)
    status, error = post(client, cast_url(opened), body(ballot))
    assert (status, error["error"]) == (409, "audited")
    assert len(board_snapshot(opened)) == 1


def test_audit_of_a_cast_ballot_is_refused(opened: Setup, client: Client) -> None:
    """A ballot already cast cannot be audited."""
    voter = opened.voters[0]
    ballot = encrypt(opened, voter)
    client.force_login(voter)
    assert post(client, cast_url(opened), body(ballot))[0] == 201
    status, error = post(client, audit_url(opened), cjson(make_audit(ballot)))
    assert (status, error["error"]) == (409, "already-cast")
    assert len(board_snapshot(opened)) == 1


def test_audit_with_a_wrong_opening_is_refused(opened: Setup, client: Client) -> None:
    """Openings that do not match the ciphertexts give bad-opening."""
    voter = opened.voters[0]
    audit = make_audit(encrypt(opened, voter))
    audit["openings"][0]["plaintext"] = 1 - audit["openings"][0]["plaintext"]
    client.force_login(voter)
    status, error = post(client, audit_url(opened), cjson(audit))
    assert (status, error["error"]) == (400, "bad-opening")
    assert board_snapshot(opened) == []


def test_voters_see_only_their_own_receipts(opened: Setup, client: Client) -> None:
    """The receipts list holds the caller's receipts and nobody else's."""
    first, second = opened.voters[0], opened.voters[1]
    client.force_login(first)
    post(client, cast_url(opened), body(encrypt(opened, first)))
    other = Client()
    other.force_login(second)
    post(other, cast_url(opened), body(encrypt(opened, second)))
    url = reverse("ballots-api:receipts", args=[opened.election.election_id])
    mine = json.loads(client.get(url).content)["receipts"]
    assert [r["seq"] for r in mine] == [0]
    theirs = json.loads(other.get(url).content)["receipts"]
    assert [r["seq"] for r in theirs] == [1]
    assert Client().get(url).status_code == 401


def test_inclusion_and_consistency_proofs(opened: Setup, client: Client) -> None:
    """The proof endpoints match the board's Merkle tree."""
    voter = opened.voters[0]
    client.force_login(voter)
    trackers = []
    for choice in ([1, 0], [0, 1], [0, 0]):
        ballot = encrypt(opened, voter, {"c1": choice, "c2": [1, 0, 0]})
        trackers.append(ballot.tracker)
        assert post(client, cast_url(opened), body(ballot))[0] == 201
    eid = opened.election.election_id
    proof = json.loads(
        Client().get(reverse("ballots-api:inclusion", args=[eid, trackers[1]])).content
    )
    assert proof["seq"] == 1
    leaves = [bytes.fromhex(h) for _, h in board_snapshot(opened)]
    tree = merkle.MerkleTree(leaves)
    assert proof["inclusion_proof"] == [n.hex() for n in tree.inclusion_proof(1)]
    consistency = json.loads(
        Client()
        .get(reverse("ballots-api:consistency", args=[eid]), {"first": 1, "second": 3})
        .content
    )
    nodes = [bytes.fromhex(n) for n in consistency["proof"]]
    assert merkle.verify_consistency(1, 3, tree.root(1), tree.root(3), nodes)
    missing = Client().get(reverse("ballots-api:inclusion", args=[eid, "ab" * 32]))
    assert missing.status_code == 404


def test_wrong_method_is_a_json_405(opened: Setup, client: Client) -> None:
    """GET on the casting API answers in JSON too."""
    response = client.get(cast_url(opened))
    assert response.status_code == 405
    assert json.loads(response.content)["error"] == "method-not-allowed"
    assert response["Allow"] == "POST"


@pytest.mark.parametrize(
    ("start_offset", "code"),
    [(timedelta(hours=1), "early"), (timedelta(hours=-3), "late")],
)
def test_casts_outside_the_window_are_refused(
    make_user, client: Client, start_offset: timedelta, code: str
) -> None:
    """An open election still refuses casts before voting_starts or after the end."""
    from django.utils import timezone

    starts = (timezone.now() + start_offset).replace(microsecond=0)
    setup = make_open(make_user, starts=starts, voters=1)
    voter = setup.voters[0]
    client.force_login(voter)
    status, error = post(client, cast_url(setup), body(encrypt(setup, voter)))
    assert (status, error["error"]) == (409, code)
    assert board_snapshot(setup) == []
