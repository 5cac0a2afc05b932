"""SPEC §6–§7: board entries, classification, counting rule and tally.json."""

import copy
from pathlib import Path
from typing import Any

import pytest

from tests.votecrypto.election_cases import (
    HONEST_RESULTS,
    honest_election,
    tampered_election,
)
from votecrypto.errors import CryptoCheckError, EncodingError, StructureError
from votecrypto.manifest import Manifest
from votecrypto.record import parse_json_file, parse_jsonl_file, read_record, require
from votecrypto.simulate import SimulatedRecord
from votecrypto.tally import (
    AUDIT_REASONS,
    CAST_REASONS,
    BoardEntry,
    Tally,
    TallyBoard,
    TrusteeShares,
    Verdict,
    assemble_tally,
    board_problems,
    board_reference,
    compute_tally,
    counting_rule,
    is_closed,
    make_trustee_shares,
    parse_board,
)
from votecrypto.threshold import decrypt_share

ENTRY = {
    "seq": 0,
    "type": "cast",
    "received_at": "2027-03-01T06:00:30Z",
    "payload": {"anything": 1},
}


@pytest.fixture(scope="module")
def honest() -> SimulatedRecord:
    """The session's small honest election."""
    return honest_election()


@pytest.fixture(scope="module")
def sample(vectors_dir: Path) -> tuple[Manifest, list[BoardEntry], Any]:
    """The shared sample record's manifest, board and tally.json object."""
    files = read_record(vectors_dir / "sample-record.zip")
    manifest = Manifest.from_json(
        parse_json_file(require(files, "manifest.json"), "manifest.json")
    )
    entries = parse_board(
        parse_jsonl_file(require(files, "board.jsonl"), "board.jsonl")
    )
    tally = parse_json_file(require(files, "tally.json"), "tally.json")
    return manifest, entries, tally


def entry(seq: int, kind: str, at: str) -> BoardEntry:
    """Return a board entry with an empty payload."""
    return BoardEntry.from_json(
        {"seq": seq, "type": kind, "received_at": at, "payload": {}}
    )


# ---------------------------------------------------------------- entries


def test_reason_codes_are_in_spec_order() -> None:
    """The reason codes, in the order §7 checks them."""
    assert CAST_REASONS == (
        "structure",
        "encoding",
        "wrong-election",
        "unknown-credential",
        "early",
        "late",
        "bad-signature",
        "invalid-ciphertext",
        "bad-proof",
        "replay",
        "audited",
    )
    assert AUDIT_REASONS == ("structure", "encoding", "bad-opening")


def test_entry_round_trip() -> None:
    """An entry reads and writes back unchanged; its leaf hash is §6's."""
    parsed = BoardEntry.from_json(ENTRY)
    assert parsed.to_json() == ENTRY
    assert parsed.seq == 0
    assert parsed.time.isoformat() == "2027-03-01T06:00:30+00:00"


def test_merkle_vector_leaf_hashes(vectors: dict[str, Any]) -> None:
    """Leaf hashes of the vectors' entries match the independent implementation."""
    merkle = vectors["merkle"]
    leaves = [BoardEntry.from_json(e).leaf_hash().hex() for e in merkle["entries"]]
    assert leaves == merkle["leaf_hashes"]


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"extra": 1}, StructureError, "entry: unknown key(s): extra"),
        ({"type": "vote"}, StructureError, "entry.type: expected cast, audit or close"),
        ({"seq": True}, StructureError, "entry.seq: expected an integer"),
        ({"payload": []}, StructureError, "entry.payload: expected an object"),
        (
            {"received_at": "2027-03-01 06:00:30"},
            EncodingError,
            "entry.received_at: not a time of the form YYYY-MM-DDTHH:MM:SSZ: "
            "'2027-03-01 06:00:30'",
        ),
        (
            {"type": "close"},
            StructureError,
            "entry.payload: a close entry has payload {}",
        ),
    ],
)
def test_malformed_entries_are_rejected(
    change: dict[str, Any], error: type[Exception], message: str
) -> None:
    """Entries are read strictly, naming the field."""
    with pytest.raises(error) as caught:
        BoardEntry.from_json({**ENTRY, **change})
    assert str(caught.value) == message


def test_cast_payload_of_any_shape_is_kept_for_classification() -> None:
    """A ballot payload that is not a ballot is the cast's problem, not the board's."""
    parsed = BoardEntry.from_json({**ENTRY, "payload": {"not": "a ballot"}})
    assert parsed.payload == {"not": "a ballot"}


def test_board_rules(honest: SimulatedRecord) -> None:
    """board_problems lists each broken §6 rule; an honest board has none."""
    manifest = honest.manifest
    assert board_problems(manifest, parse_board(honest.entries)) == []
    board = [
        entry(0, "cast", "2027-03-01T06:01:00Z"),
        entry(2, "cast", "2027-03-01T06:00:00Z"),
        entry(2, "close", "2027-03-01T06:59:59Z"),
        entry(3, "audit", "2027-03-01T07:00:00Z"),
    ]
    assert board_problems(manifest, board) == [
        "board[1]: seq is 2, expected 1",
        "board[1]: received_at 2027-03-01T06:00:00Z is earlier than the previous "
        "entry's 2027-03-01T06:01:00Z",
        "the close entry (board[2]) is not the last entry",
        "the close entry's received_at 2027-03-01T06:59:59Z is before voting_ends",
    ]
    assert is_closed(board) is False
    assert board_problems(manifest, board[:1]) == ["the board has no close entry"]
    two = [
        entry(0, "close", "2027-03-01T07:00:00Z"),
        entry(1, "close", "2027-03-01T07:00:00Z"),
    ]
    assert board_problems(manifest, two) == [
        "the board has 2 close entries (at [0, 1])"
    ]
    assert is_closed(parse_board(honest.entries)) is True


# ---------------------------------------------------------------- counting


def test_counting_rule_takes_the_latest_valid_cast_per_credential() -> None:
    """Invalid casts and audits never count; re-votes supersede earlier casts."""
    verdicts = [
        Verdict(0, "cast", None, "t0", "aa"),
        Verdict(1, "cast", None, "t1", "bb"),
        Verdict(2, "audit", None, "t2", None),
        Verdict(3, "cast", "bad-proof", "t3", "aa"),
        Verdict(4, "cast", None, "t4", "aa"),
        Verdict(5, "cast", None, "t5", "aa"),
    ]
    counted, superseded = counting_rule(verdicts)
    assert counted == (1, 5)
    assert superseded == {0: 5, 4: 5}


def test_sample_board_is_counted_as_the_vectors_say(
    sample: tuple[Manifest, list[BoardEntry], Any], vectors_dir: Path
) -> None:
    """compute_tally reproduces the sample's counted set, reasons and aggregates."""
    manifest, entries, tally_json = sample
    counting = compute_tally(manifest, entries)
    assert counting.counted == tuple(tally_json["counted"])
    assert counting.invalid_casts() == {
        0: "early",
        15: "replay",
        16: "bad-signature",
        18: "audited",
        20: "structure",
        21: "encoding",
        22: "wrong-election",
        23: "invalid-ciphertext",
        24: "bad-proof",
        25: "unknown-credential",
        27: "late",
    }
    assert counting.invalid_audits() == {19: "bad-opening"}
    assert counting.superseded == {5: 14, 9: 26, 12: 17}
    published = Tally.from_json(tally_json)
    assert counting.aggregate_map() == {
        (contest.contest_id, option.option_id): option.aggregate
        for contest in published.contests
        for option in contest.options
    }
    assert board_reference(entries) == published.board


def test_parallel_and_unbatched_classification_agree(
    sample: tuple[Manifest, list[BoardEntry], Any],
) -> None:
    """Worker processes and exact checks give the same verdicts as one batch."""
    manifest, entries, _ = sample
    one = compute_tally(manifest, entries, jobs=1)
    two = compute_tally(manifest, entries, jobs=2)
    exact = compute_tally(manifest, entries, jobs=1, batch=False)
    assert one.verdicts == two.verdicts == exact.verdicts
    assert one.aggregates == two.aggregates == exact.aggregates
    assert (one.batched, exact.batched) == (True, False)


def test_progress_is_reported(sample: tuple[Manifest, list[BoardEntry], Any]) -> None:
    """progress(stage, done, total) runs from 0 to the number of entries."""
    manifest, entries, _ = sample
    calls: list[tuple[str, int, int]] = []
    compute_tally(manifest, entries, progress=lambda *call: calls.append(call))
    assert calls[0] == ("classify", 0, 28)
    assert calls[-1] == ("classify", 28, 28)


def test_replay_and_audited_only_look_back() -> None:
    """A cast audited only afterwards stays valid and counted (§7: earlier audits)."""
    election = tampered_election()
    counting = election.record.counting
    cast_seq, _ = election.cases["ballot audited only after it was cast"]
    audit_seq, _ = election.audits["audit of a ballot already cast"]
    cast, audit = counting.verdict(cast_seq), counting.verdict(audit_seq)
    assert cast is not None
    assert audit is not None
    assert (cast.reason, audit.reason) == (None, None)
    assert cast.tracker == audit.tracker
    assert cast_seq in counting.counted


def test_empty_counted_set_gives_aggregate_one(honest: SimulatedRecord) -> None:
    """With no counted ballot every aggregate is 1 (§7)."""
    closed = [e for e in parse_board(honest.entries) if e.type != "cast"]
    closed = [
        BoardEntry.from_json({**e.to_json(), "seq": i}) for i, e in enumerate(closed)
    ]
    counting = compute_tally(honest.manifest, closed)
    assert counting.counted == ()
    assert set(counting.aggregate_map().values()) == {1}


# ---------------------------------------------------------------- tally.json


def test_tally_json_round_trip(sample: tuple[Manifest, list[BoardEntry], Any]) -> None:
    """The sample's tally.json reads and writes back unchanged."""
    _, _, tally_json = sample
    tally = Tally.from_json(tally_json)
    assert tally.to_json() == tally_json
    assert tally.results() == {
        "c1": {"o1": 3, "o2": 4, "o3": 5},
        "c2": {"o1": 1, "o2": 4, "o3": 4, "o4": 2},
        "c3": {"o1": 3, "o2": 5},
    }
    assert [share.index for share in tally.contests[0].options[0].shares] == [1, 3]


@pytest.mark.parametrize(
    ("path", "value", "error", "message"),
    [
        (("extra",), 1, StructureError, "tally: unknown key(s): extra"),
        (
            ("board", "root_hash"),
            "AB" * 32,
            EncodingError,
            "tally.board.root_hash: not canonical lowercase hex bytes: "
            "'ABABABABABABABABABABABABABABABABABABABAB'",
        ),
        (
            ("counted",),
            [1, "2"],
            StructureError,
            "tally.counted[1]: expected an integer",
        ),
        (
            ("contests", 0, "options", 0, "aggregate"),
            "0f",
            EncodingError,
            "tally.contests[0].options[0].aggregate: not canonical lowercase hex: '0f'",
        ),
        (
            ("contests", 0, "options", 0, "shares", 0, "proof", "c"),
            "1",
            StructureError,
            "tally.contests[0].options[0].shares[0].proof: unknown key(s): c",
        ),
    ],
)
def test_tally_json_is_read_strictly(
    sample: tuple[Manifest, list[BoardEntry], Any],
    path: tuple[Any, ...],
    value: Any,
    error: type[Exception],
    message: str,
) -> None:
    """Exactly the keys of §7 at every level, canonical encodings."""
    changed = copy.deepcopy(sample[2])
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(error) as caught:
        Tally.from_json(changed)
    assert str(caught.value) == message


def test_trustee_shares_round_trip(honest: SimulatedRecord) -> None:
    """A trustee's shares file reads and writes back unchanged."""
    shares = honest.trustee_shares[0]
    assert TrusteeShares.from_json(shares.to_json()) == shares
    assert shares.to_json()["index"] == 1
    assert sorted(shares.to_json()["contests"][0]["options"][0]) == [
        "aggregate",
        "option_id",
        "proof",
        "share",
    ]


def test_assemble_tally_counts_from_the_trustees_shares(
    honest: SimulatedRecord,
) -> None:
    """Valid shares of t trustees give the counts; the tally is §7's object."""
    counting = honest.counting
    board = TallyBoard.from_json(honest.tally["board"])
    tally = assemble_tally(honest.manifest, counting, board, honest.trustee_shares)
    assert tally.to_json() == honest.tally
    assert tally.results() == HONEST_RESULTS


def test_assemble_tally_drops_invalid_shares(honest: SimulatedRecord) -> None:
    """A trustee's share for another aggregate is dropped; t valid are needed."""
    counting = honest.counting
    board = TallyBoard.from_json(honest.tally["board"])
    good, other = honest.trustee_shares
    wrong_json = other.to_json()
    option = wrong_json["contests"][0]["options"][0]
    option["share"] = good.to_json()["contests"][0]["options"][1]["share"]
    wrong = TrusteeShares.from_json(wrong_json)
    with pytest.raises(CryptoCheckError) as caught:
        assemble_tally(honest.manifest, counting, board, [good, wrong])
    assert str(caught.value) == "c1.o1: 1 valid decryption shares, 2 needed"
    trustee = honest.trustees[2]
    s_3 = decrypt_share(honest.manifest.n, trustee.box, trustee.x25519_private_key)
    third = make_trustee_shares(honest.manifest, counting, board, 3, s_3)
    tally = assemble_tally(honest.manifest, counting, board, [good, wrong, third])
    assert [s.index for s in tally.contests[0].options[0].shares] == [1, 3]
    assert [s.index for s in tally.contests[0].options[1].shares] == [1, 2, 3]
    assert tally.results() == HONEST_RESULTS


def test_shares_for_another_board_are_ignored(honest: SimulatedRecord) -> None:
    """Shares made for another board are not used."""
    counting = honest.counting
    board = TallyBoard.from_json(honest.tally["board"])
    other_board = TallyBoard(board.tree_size - 1, board.root_hash)
    with pytest.raises(CryptoCheckError):
        assemble_tally(honest.manifest, counting, other_board, honest.trustee_shares)


def test_make_trustee_shares_needs_a_trustee_index(honest: SimulatedRecord) -> None:
    """Index 0 or above ℓ is refused."""
    board = TallyBoard.from_json(honest.tally["board"])
    with pytest.raises(ValueError, match="index must be in 1…3"):
        make_trustee_shares(honest.manifest, honest.counting, board, 4, 1)
