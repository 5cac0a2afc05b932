"""SPEC §6 and §10: signed tree heads, receipts and the time rules."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from votecrypto import ed25519, merkle
from votecrypto.errors import EncodingError, StructureError
from votecrypto.heads import (
    ELECTION,
    PETITION,
    Receipt,
    SignedHead,
    make_receipt,
    root_problems,
    sign_head,
    time_rule_problems,
    verify_head_signature,
)

ELECTION_HASH = "4b7f39d1047e32ea7a3244012d8414a4e32b2cee906c8f4b1336c8e317055c2f"


def _board_seed(vectors: dict[str, Any]) -> bytes:
    return bytes.fromhex(vectors["ballot"]["board_private_seed"])


def _sample_heads(vectors_dir: Path) -> list[dict[str, Any]]:
    lines = (vectors_dir / "sample-petition-heads.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def _head(size: int, stamp: str) -> SignedHead:
    return SignedHead(PETITION, "p", size, bytes(32), stamp, bytes(64))


def test_board_heads_round_trip_and_verify(vectors: dict[str, Any]) -> None:
    """Both vector board heads parse, re-serialise exactly and verify."""
    key = ed25519.public_key_from_seed(_board_seed(vectors))
    for name in ("signed_tree_head_size_0", "signed_tree_head"):
        value = vectors["ballot"][name]
        head = SignedHead.from_json(ELECTION, value)
        assert head.to_json() == value
        assert head.subject == ELECTION_HASH
        assert verify_head_signature(ELECTION, head, key)


def test_sign_head_reproduces_board_vectors(vectors: dict[str, Any]) -> None:
    """Signing with board_private_seed gives the vector heads byte for byte."""
    seed = _board_seed(vectors)
    empty = sign_head(
        ELECTION, ELECTION_HASH, 0, merkle.EMPTY_ROOT, "2027-03-01T05:59:00Z", seed
    )
    assert empty.to_json() == vectors["ballot"]["signed_tree_head_size_0"]
    root = bytes.fromhex(vectors["ballot"]["leaf_hash"])
    stamp = datetime(2027, 3, 1, 6, 0, 37, 900000, tzinfo=UTC)
    one = sign_head(ELECTION, ELECTION_HASH, 1, root, stamp, seed)
    assert one.to_json() == vectors["ballot"]["signed_tree_head"]
    assert one.timestamp == "2027-03-01T06:00:37Z"


def test_sth_signed_message_matches_vector(vectors: dict[str, Any]) -> None:
    """The signed bytes are "evote-paillier/1/sth:" + cjson(head - signature)."""
    head = SignedHead.from_json(ELECTION, vectors["ballot"]["signed_tree_head"])
    expected = vectors["ballot"]["sth_signed_message"].encode("ascii")
    assert head.signed_message() == expected
    assert expected.startswith(b'evote-paillier/1/sth:{"election_hash":')


def test_board_receipt_round_trips_and_includes_entry(vectors: dict[str, Any]) -> None:
    """The vector receipt parses, re-serialises and proves its entry's leaf."""
    receipt = Receipt.from_json(ELECTION, vectors["ballot"]["receipt"])
    assert receipt.to_json() == vectors["ballot"]["receipt"]
    assert receipt.value.hex() == vectors["ballot"]["tracker"]
    assert receipt.seq == 0
    assert receipt.inclusion_proof == ()
    leaf = merkle.leaf_hash(vectors["ballot"]["board_entry"])
    assert leaf.hex() == vectors["ballot"]["leaf_hash"]
    assert receipt.includes(leaf)
    assert not receipt.includes(merkle.leaf_hash({"other": 1}))


def test_petition_heads_resigned_exactly(
    vectors_dir: Path,
) -> None:
    """Every sample petition head is reproduced by sign_head with the log seed."""
    sample = json.loads((vectors_dir / "sample-petition.json").read_text())
    seed = bytes.fromhex(sample["log_private_seed"])
    key = ed25519.public_key_from_seed(seed)
    assert key.hex() == sample["log_key"]
    values = _sample_heads(vectors_dir)
    assert len(values) == 15
    for value in values:
        head = SignedHead.from_json(PETITION, value)
        assert verify_head_signature(PETITION, head, key)
        again = sign_head(
            PETITION, head.subject, head.tree_size, head.root_hash, head.timestamp, seed
        )
        assert again.to_json() == value
    assert SignedHead.from_json(PETITION, values[1]).signed_message() == (
        b'dauys-petition/1/sth:{"petition_id":"clean-river-2027","root_hash":'
        b'"cd475dbce017178c5c4fad59c76274ce2d4df8236de9394db68790b2df10c267",'
        b'"timestamp":"2027-03-01T06:01:00Z","tree_size":1}'
    )


def test_head_of_one_log_never_verifies_as_the_other(vectors: dict[str, Any]) -> None:
    """A board head is not accepted when a petition head is expected."""
    key = ed25519.public_key_from_seed(_board_seed(vectors))
    head = SignedHead.from_json(ELECTION, vectors["ballot"]["signed_tree_head"])
    assert not verify_head_signature(PETITION, head, key)


def test_altered_head_or_wrong_key_fails(vectors: dict[str, Any]) -> None:
    """Changing any signed field, or using another key, breaks the signature."""
    seed = _board_seed(vectors)
    key = ed25519.public_key_from_seed(seed)
    value = dict(vectors["ballot"]["signed_tree_head"])
    for name, replacement in (
        ("tree_size", 2),
        ("timestamp", "2027-03-01T06:00:38Z"),
        ("root_hash", "00" * 32),
        ("election_hash", "11" * 32),
    ):
        altered = SignedHead.from_json(ELECTION, {**value, name: replacement})
        assert not verify_head_signature(ELECTION, altered, key), name
    good = SignedHead.from_json(ELECTION, value)
    other = ed25519.public_key_from_seed(bytes(32))
    assert not verify_head_signature(ELECTION, good, other)


@pytest.mark.parametrize(
    ("kind_name", "change", "error", "message"),
    [
        ("election", {"extra": 1}, StructureError, "head: unknown key(s): extra"),
        ("petition", {}, StructureError, "head: missing key(s): petition_id"),
        (
            "election",
            {"root_hash": "EC" * 32},
            EncodingError,
            "head.root_hash: not canonical lowercase hex bytes: 'ECECECECECECECECEC",
        ),
        (
            "election",
            {"timestamp": "2027-03-01 06:00:37Z"},
            EncodingError,
            "head.timestamp: not a time of the form YYYY-MM-DDTHH:MM:SSZ: "
            "'2027-03-01 06:00:37Z'",
        ),
        (
            "election",
            {"tree_size": True},
            StructureError,
            "head.tree_size: expected an integer",
        ),
        (
            "election",
            {"election_hash": "ab"},
            StructureError,
            "head.election_hash: expected 32 bytes, got 1",
        ),
        (
            "election",
            {"signature": "00" * 63},
            StructureError,
            "head.signature: expected 64 bytes, got 63",
        ),
    ],
)
def test_head_parsing_is_strict(
    vectors: dict[str, Any],
    kind_name: str,
    change: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    """Extra or missing keys and non-canonical values are rejected by field."""
    kind = ELECTION if kind_name == "election" else PETITION
    value = {**vectors["ballot"]["signed_tree_head"], **change}
    with pytest.raises(error) as caught:
        SignedHead.from_json(kind, value)
    assert str(caught.value).startswith(message)


def test_petition_id_must_be_identifier() -> None:
    """A petition head whose petition_id is not an identifier is rejected."""
    with pytest.raises(EncodingError) as caught:
        sign_head(
            PETITION,
            "Clean River",
            0,
            merkle.EMPTY_ROOT,
            "2027-01-01T00:00:00Z",
            bytes(32),
        )
    assert str(caught.value) == "petition_id: not a valid identifier: 'Clean River'"


def test_make_receipt_for_petition_log() -> None:
    """make_receipt gives an inclusion proof that the receipt verifies."""
    tree = merkle.MerkleTree(merkle.leaf_hash({"seq": i}) for i in range(5))
    head = sign_head(PETITION, "p-1", 5, tree.root(), "2027-01-01T00:00:00Z", bytes(32))
    receipt = make_receipt(head, 3, bytes([7]) * 32, tree)
    assert receipt.includes(merkle.leaf_hash({"seq": 3}))
    assert receipt.to_json()["signer_secret"] == "07" * 32
    assert Receipt.from_json(PETITION, receipt.to_json()) == receipt
    assert len(receipt.inclusion_proof) == 3
    other = merkle.MerkleTree(merkle.leaf_hash({"seq": i + 9}) for i in range(5))
    with pytest.raises(ValueError, match="not the tree's root"):
        make_receipt(head, 3, bytes(32), other)


def test_time_rules_hold_for_sample(vectors_dir: Path) -> None:
    """The sample petition heads obey the §6 time rules against its entries."""
    lines = (vectors_dir / "sample-petition-log.jsonl").read_text().splitlines()
    received = [json.loads(line)["received_at"] for line in lines]
    heads = [SignedHead.from_json(PETITION, h) for h in _sample_heads(vectors_dir)]
    assert time_rule_problems(heads, received) == []


def test_time_rule_violations_reported() -> None:
    """Each broken time rule yields one exact sentence."""
    received = ["2027-01-01T00:01:00Z", "2027-01-01T00:02:00Z", "2027-01-01T00:03:00Z"]
    assert time_rule_problems([_head(2, "2027-01-01T00:01:30Z")], received) == [
        "heads[0] (tree_size 2): timestamp 2027-01-01T00:01:30Z is earlier than "
        "the received_at 2027-01-01T00:02:00Z of its last entry (seq 1)"
    ]
    assert time_rule_problems([_head(1, "2027-01-01T00:02:30Z")], received) == [
        "heads[0] (tree_size 1): entry seq 1 outside the head has received_at "
        "2027-01-01T00:02:00Z, earlier than the head's timestamp 2027-01-01T00:02:30Z"
    ]
    ordered = [_head(2, "2027-01-01T00:02:00Z"), _head(1, "2027-01-01T00:01:00Z")]
    assert time_rule_problems(ordered, received) == [
        "heads[1] (tree_size 1): tree_size decreases from 2",
        "heads[1] (tree_size 1): timestamp 2027-01-01T00:01:00Z is earlier than "
        "the previous head's 2027-01-01T00:02:00Z",
    ]
    assert time_rule_problems([_head(4, "2027-01-01T00:05:00Z")], received) == [
        "heads[0] (tree_size 4): covers more entries than the log's 3"
    ]


def test_time_rules_allow_equal_times() -> None:
    """A head stamped at its last entry, and an entry at the head's time, pass."""
    received = ["2027-01-01T00:01:00Z", "2027-01-01T00:01:00Z"]
    assert time_rule_problems([_head(1, "2027-01-01T00:01:00Z")], received) == []
    assert time_rule_problems([_head(0, "2027-01-01T00:00:00Z")], received) == []


def test_root_problems_name_the_forked_head() -> None:
    """A head whose root is not the log's prefix root is reported."""
    tree = merkle.MerkleTree(merkle.leaf_hash({"seq": i}) for i in range(3))
    good = SignedHead(PETITION, "p", 2, tree.root(2), "2027-01-01T00:00:00Z", bytes(64))
    bad = SignedHead(PETITION, "p", 3, tree.root(2), "2027-01-01T00:00:00Z", bytes(64))
    assert root_problems([good], tree) == []
    assert root_problems([good, bad], tree) == [
        f"heads[1] (tree_size 3): root_hash {tree.root(2).hex()} is not the root "
        f"{tree.root(3).hex()} of the first 3 entries"
    ]
