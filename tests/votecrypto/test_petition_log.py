"""SPEC §10: petition log entries, the count, the log verifier and the writer."""

import json
from pathlib import Path
from typing import Any

import pytest

from votecrypto import ed25519
from votecrypto.canonical import cjson_line
from votecrypto.errors import EncodingError, StructureError
from votecrypto.heads import PETITION, SignedHead, sign_head
from votecrypto.petition_log import (
    Entry,
    Invalidation,
    NoEffect,
    Outcome,
    PetitionLogWriter,
    Status,
    Withdrawal,
    commitment,
    count,
    log_problems,
    text_hash,
    verify_log,
)

CHECKS = [
    "log entries",
    "heads",
    "head signatures",
    "head roots",
    "time rules",
    "last head covers the log",
]


@pytest.fixture(scope="module")
def sample(vectors_dir: Path) -> dict[str, Any]:
    """The sample petition description (sample-petition.json)."""
    result: dict[str, Any] = json.loads(
        (vectors_dir / "sample-petition.json").read_text(encoding="utf-8")
    )
    return result


@pytest.fixture(scope="module")
def log_bytes(vectors_dir: Path) -> bytes:
    """The sample petition log file."""
    return (vectors_dir / "sample-petition-log.jsonl").read_bytes()


@pytest.fixture(scope="module")
def heads_bytes(vectors_dir: Path) -> bytes:
    """The sample petition heads file."""
    return (vectors_dir / "sample-petition-heads.jsonl").read_bytes()


@pytest.fixture(scope="module")
def sample_receipt(vectors_dir: Path) -> Any:
    """Signer A's receipt (sample-petition-receipt.json)."""
    path = vectors_dir / "sample-petition-receipt.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _key(sample: dict[str, Any]) -> bytes:
    return bytes.fromhex(sample["log_key"])


def _c(sample: dict[str, Any], signer: str) -> str:
    return str(sample["signers"][signer]["commitment"])


def _outcomes(report: Any) -> dict[str, str]:
    return {check.name: str(check.outcome) for check in report.checks}


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _entries(*items: tuple[str, str | None]) -> list[Entry]:
    """Build a log: open, then (type, commitment letter) items, one a minute."""
    result = [
        Entry(0, "open", "2027-01-01T00:00:00Z", petition_id="p", text_hash="00" * 32)
    ]
    for seq, (kind, letter) in enumerate(items, start=1):
        result.append(
            Entry(
                seq,
                kind,  # type: ignore[arg-type]
                f"2027-01-01T00:{seq:02d}:00Z",
                commitment=None if letter is None else letter * 64,
                reason="spam" if kind == "invalidate" else None,
            )
        )
    return result


# ---------------------------------------------------------------- hashes


def test_text_hash_matches_sample(sample: dict[str, Any]) -> None:
    """text_hash(title, body) reproduces the sample's text_hash."""
    assert text_hash(sample["title"], sample["body"]) == (
        "0a343dd17a94d063c5bb80e9724a471899f3f048fc37f2464d51f260dc911611"
    )
    assert sample["text_hash"] == text_hash(sample["title"], sample["body"])


def test_commitments_match_sample(sample: dict[str, Any]) -> None:
    """Each signer's commitment is reproduced from petition_id and secret."""
    for signer in sample["signers"].values():
        secret = bytes.fromhex(signer["signer_secret"])
        assert commitment(sample["petition_id"], secret) == signer["commitment"]
    assert _c(sample, "A") == (
        "2cbaf7210c9174104573afb34ed84856dee9d440fde7c7440099f22ec09862e7"
    )


def test_commitments_differ_between_petitions(sample: dict[str, Any]) -> None:
    """The same secret gives unlinkable commitments on two petitions."""
    secret = bytes.fromhex(sample["signers"]["A"]["signer_secret"])
    assert commitment("other-petition", secret) != _c(sample, "A")


# ---------------------------------------------------------------- sample


def test_sample_log_verifies_as_stated(
    sample: dict[str, Any], sample_receipt: Any, log_bytes: bytes, heads_bytes: bytes
) -> None:
    """The sample log, heads and receipt verify with exactly the stated results."""
    report = verify_log(
        log_bytes,
        heads_bytes,
        _key(sample),
        receipt=sample_receipt,
        claimed_count=4,
    )
    expected = sample["expected"]
    assert report.ok is expected["verified"] is True
    assert report.closed is expected["closed"] is True
    assert report.petition_id == "clean-river-2027"
    assert report.entries == 14
    assert _outcomes(report) == dict.fromkeys(
        [*CHECKS, "receipt", "claimed count"], "PASS"
    )
    result = report.result
    assert result is not None
    assert result.count == expected["count"] == 4
    assert list(result.counted) == [_c(sample, s) for s in expected["counted_signers"]]
    assert list(result.duplicates) == expected["duplicates"] == [4, 12]
    assert list(result.withdrawn) == expected["withdrawn"]
    assert result.withdrawals == (
        Withdrawal(6, _c(sample, "B")),
        Withdrawal(10, _c(sample, "F")),
    )
    assert result.invalidations == (Invalidation(8, _c(sample, "D"), "not-eligible"),)
    assert {
        i.commitment: {"seq": i.seq, "reason": i.reason} for i in result.invalidations
    } == expected["invalidated"]
    assert result.no_effect == ()
    assert report.receipt is not None
    assert report.receipt.seq == 1
    assert report.receipt.commitment == _c(sample, "A")
    assert report.receipt.status is Status.COUNTED
    assert str(report.receipt.status) == sample["receipt"]["expected_status"]


def test_sample_statuses_per_commitment(
    sample: dict[str, Any], log_bytes: bytes
) -> None:
    """Every signer's final status is the one the story tells."""
    entries = [Entry.from_json(json.loads(line)) for line in log_bytes.splitlines()]
    result = count(entries)
    assert {name: str(result.status(_c(sample, name))) for name in "ABCDEF"} == {
        "A": "counted",
        "B": "withdrawn",
        "C": "counted",
        "D": "invalidated",
        "E": "counted",
        "F": "counted",
    }
    assert result.status("ff" * 32) is Status.NOT_SIGNED


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_sample_more_receipts(
    sample: dict[str, Any], log_bytes: bytes, heads_bytes: bytes, index: int
) -> None:
    """Each extra sample receipt verifies and shows its expected status."""
    case = sample["more_receipts"][index]
    report = verify_log(log_bytes, heads_bytes, _key(sample), receipt=case["receipt"])
    assert report.ok
    assert report.receipt is not None
    assert str(report.receipt.status) == case["expected_status"]
    assert report.receipt.seq == case["receipt"]["seq"]


def test_writer_reproduces_sample_files(
    sample: dict[str, Any], sample_receipt: Any, log_bytes: bytes, heads_bytes: bytes
) -> None:
    """Replaying the sample story through the writer gives identical bytes."""
    seed = bytes.fromhex(sample["log_private_seed"])
    entries = [Entry.from_json(json.loads(line)) for line in log_bytes.splitlines()]
    stamps = [json.loads(line)["timestamp"] for line in heads_bytes.splitlines()]
    writer = PetitionLogWriter(sample["petition_id"])
    writer.sign_head(stamps[0], seed)
    for entry, stamp in zip(entries, stamps[1:], strict=True):
        appended = writer.append(entry.type, entry.payload(), entry.received_at)
        assert appended.seq == entry.seq
        assert appended.leaf_hash == entry.leaf_hash()
        writer.sign_head(stamp, seed)
    assert writer.log_jsonl() == log_bytes
    assert writer.heads_jsonl() == heads_bytes
    secret = bytes.fromhex(sample["signers"]["A"]["signer_secret"])
    receipt = writer.receipt(1, secret, writer.heads[2])
    assert receipt.to_json() == sample_receipt


# ---------------------------------------------------------------- tampering


def test_removed_entry_rejected(
    sample: dict[str, Any], log_bytes: bytes, heads_bytes: bytes
) -> None:
    """Dropping an entry breaks the seq order, the roots and the coverage."""
    lines = _lines(log_bytes)
    tampered = b"".join(lines[:5] + lines[6:])
    report = verify_log(tampered, heads_bytes, _key(sample))
    assert not report.ok
    outcomes = _outcomes(report)
    assert outcomes["log entries"] == "FAIL"
    assert outcomes["head roots"] == "FAIL"
    assert outcomes["last head covers the log"] == "FAIL"
    entries_check = report.checks[0]
    assert entries_check.details[0] == "entries[5]: seq is 6, expected 5"


def test_edited_entry_rejected(
    sample: dict[str, Any], log_bytes: bytes, heads_bytes: bytes
) -> None:
    """Rewriting a signature's commitment breaks every later head's root."""
    lines = _lines(log_bytes)
    lines[2] = lines[2].replace(_c(sample, "B").encode(), b"ab" * 32)
    report = verify_log(b"".join(lines), heads_bytes, _key(sample))
    assert not report.ok
    assert _outcomes(report) == {**dict.fromkeys(CHECKS, "PASS"), "head roots": "FAIL"}
    roots = report.checks[3]
    assert len(roots.details) == 12
    assert roots.details[0].startswith("heads[3] (tree_size 3): root_hash ab3cd6")


def test_forked_head_rejected(
    sample: dict[str, Any], log_bytes: bytes, heads_bytes: bytes
) -> None:
    """A validly signed head whose root disagrees with the log is caught."""
    seed = bytes.fromhex(sample["log_private_seed"])
    fork = sign_head(
        PETITION, sample["petition_id"], 5, bytes(32), "2027-03-01T06:05:00Z", seed
    )
    lines = _lines(heads_bytes)
    lines[5] = cjson_line(fork.to_json())
    report = verify_log(log_bytes, b"".join(lines), _key(sample))
    assert _outcomes(report) == {**dict.fromkeys(CHECKS, "PASS"), "head roots": "FAIL"}
    assert report.checks[3].details == (
        "heads[5] (tree_size 5): root_hash " + "00" * 32 + " is not the root "
        "43b12f353c67efd93932f3e3a83d966a8aa9b905dcf6f40067a6b5d337bbdd81 of the "
        "first 5 entries",
    )


def test_bad_head_signature_rejected(
    sample: dict[str, Any], log_bytes: bytes, heads_bytes: bytes
) -> None:
    """A head whose signature does not verify fails the signature check."""
    lines = _lines(heads_bytes)
    head = json.loads(lines[7])
    head["signature"] = ("00" if head["signature"][:2] != "00" else "11") + head[
        "signature"
    ][2:]
    lines[7] = cjson_line(head)
    report = verify_log(log_bytes, b"".join(lines), _key(sample))
    assert _outcomes(report) == {
        **dict.fromkeys(CHECKS, "PASS"),
        "head signatures": "FAIL",
    }
    assert report.checks[2].details == (
        "heads[7] (tree_size 7): signature is not valid",
    )


def test_wrong_log_key_rejects_every_head(log_bytes: bytes, heads_bytes: bytes) -> None:
    """Under another key all 15 head signatures fail."""
    other = ed25519.public_key_from_seed(bytes(32))
    report = verify_log(log_bytes, heads_bytes, other)
    assert len(report.checks[2].details) == 15
    assert not report.ok


def test_count_mismatch_rejected(
    sample: dict[str, Any], log_bytes: bytes, heads_bytes: bytes
) -> None:
    """A claimed count other than the log's fails the claimed count check."""
    report = verify_log(log_bytes, heads_bytes, _key(sample), claimed_count=5)
    assert not report.ok
    assert report.checks[-1].name == "claimed count"
    assert report.checks[-1].outcome is Outcome.FAIL
    assert report.checks[-1].details == ("claimed 5, the log counts 4",)


def test_last_head_must_cover_log(
    sample: dict[str, Any], log_bytes: bytes, heads_bytes: bytes
) -> None:
    """Heads that stop before the log's end fail the coverage check."""
    lines = _lines(heads_bytes)
    report = verify_log(log_bytes, b"".join(lines[:-1]), _key(sample))
    assert _outcomes(report)["last head covers the log"] == "FAIL"
    assert report.checks[5].details == (
        "the last head has tree_size 13, the log 14 entries",
    )


def test_non_canonical_heads_file_not_checked(
    sample: dict[str, Any], log_bytes: bytes, heads_bytes: bytes
) -> None:
    """An unreadable heads file fails, and the checks needing it are NOT CHECKED."""
    spaced = heads_bytes.replace(b'{"petition_id"', b'{ "petition_id"', 1)
    report = verify_log(log_bytes, spaced, _key(sample), claimed_count=4)
    assert _outcomes(report) == {
        "log entries": "PASS",
        "heads": "FAIL",
        "head signatures": "NOT CHECKED",
        "head roots": "NOT CHECKED",
        "time rules": "NOT CHECKED",
        "last head covers the log": "NOT CHECKED",
        "claimed count": "PASS",
    }
    assert report.checks[1].details == ("heads:1: line is not canonical JSON",)
    assert not report.ok


def test_receipt_of_another_secret_rejected(
    sample: dict[str, Any], sample_receipt: Any, log_bytes: bytes, heads_bytes: bytes
) -> None:
    """A receipt whose secret does not match the entry at its seq fails."""
    receipt = {**sample_receipt, "signer_secret": "00" * 32}
    report = verify_log(log_bytes, heads_bytes, _key(sample), receipt=receipt)
    assert _outcomes(report)["receipt"] == "FAIL"
    assert report.checks[-1].details == (
        "receipt.seq: entry 1 is not a sign of the receipt's commitment "
        + commitment(sample["petition_id"], bytes(32)),
    )


def test_receipt_with_unpublished_head_rejected(
    sample: dict[str, Any], sample_receipt: Any, log_bytes: bytes, heads_bytes: bytes
) -> None:
    """A validly signed receipt head that is missing from heads.jsonl fails."""
    lines = _lines(heads_bytes)
    report = verify_log(
        log_bytes,
        b"".join(lines[:2] + lines[3:]),
        _key(sample),
        receipt=sample_receipt,
    )
    assert _outcomes(report)["receipt"] == "FAIL"
    assert report.checks[-1].details == (
        "receipt.head: does not appear in the published heads",
    )


def test_receipt_with_altered_proof_rejected(
    sample: dict[str, Any], sample_receipt: Any, log_bytes: bytes, heads_bytes: bytes
) -> None:
    """A receipt whose inclusion proof is altered fails."""
    receipt = {**sample_receipt, "inclusion_proof": ["00" * 32]}
    report = verify_log(log_bytes, heads_bytes, _key(sample), receipt=receipt)
    assert report.checks[-1].details == (
        "receipt.inclusion_proof: does not show the entry under the head",
    )


def test_receipt_exposes_unmade_withdrawal(
    sample: dict[str, Any], log_bytes: bytes, heads_bytes: bytes
) -> None:
    """A signer whose signature was withdrawn sees status withdrawn."""
    case = sample["more_receipts"][0]
    report = verify_log(log_bytes, heads_bytes, _key(sample), receipt=case["receipt"])
    assert report.receipt is not None
    assert report.receipt.status is Status.WITHDRAWN
    assert report.checks[-1].details == ("seq 2: withdrawn",)


# ---------------------------------------------------------------- counting


def test_duplicate_sign_never_counts() -> None:
    """A second sign without a withdrawal between is a duplicate."""
    result = count(_entries(("sign", "a"), ("sign", "a"), ("sign", "b")))
    assert result.count == 2
    assert result.duplicates == (2,)
    assert result.counted == ("a" * 64, "b" * 64)


def test_duplicate_then_withdraw_leaves_nothing_counted() -> None:
    """One withdrawal takes the signature back even after a duplicate."""
    result = count(_entries(("sign", "a"), ("sign", "a"), ("withdraw", "a")))
    assert result.count == 0
    assert result.duplicates == (2,)
    assert result.status("a" * 64) is Status.WITHDRAWN


def test_resign_after_withdrawal_counts_again() -> None:
    """A sign after a withdrawal counts again."""
    result = count(_entries(("sign", "a"), ("withdraw", "a"), ("sign", "a")))
    assert result.count == 1
    assert result.duplicates == ()
    assert result.withdrawals == (Withdrawal(2, "a" * 64),)
    assert result.withdrawn == ()
    assert result.status("a" * 64) is Status.COUNTED


def test_invalidated_commitment_never_counts_again() -> None:
    """After an invalidation, later signs and withdrawals change nothing."""
    result = count(
        _entries(
            ("sign", "a"),
            ("invalidate", "a"),
            ("sign", "a"),
            ("withdraw", "a"),
            ("sign", "a"),
        )
    )
    assert result.count == 0
    assert result.invalidations == (Invalidation(2, "a" * 64, "spam"),)
    assert result.status("a" * 64) is Status.INVALIDATED
    assert result.no_effect == (
        NoEffect(3, "a" * 64, "sign of an invalidated commitment"),
        NoEffect(4, "a" * 64, "withdraw of a commitment that is invalidated"),
        NoEffect(5, "a" * 64, "sign of an invalidated commitment"),
    )
    assert result.duplicates == ()


def test_withdrawal_of_unsigned_commitment_changes_nothing() -> None:
    """Withdrawing a commitment that never signed changes nothing."""
    result = count(_entries(("withdraw", "a"), ("sign", "b")))
    assert result.count == 1
    assert result.withdrawals == ()
    assert result.withdrawn == ()
    assert result.status("a" * 64) is Status.NOT_SIGNED
    assert result.no_effect == (
        NoEffect(1, "a" * 64, "withdraw of a commitment that is not-signed"),
    )


def test_invalidation_of_unsigned_commitment_changes_nothing() -> None:
    """Invalidating a commitment that is not signed changes nothing (§10)."""
    result = count(_entries(("invalidate", "a"), ("sign", "a")))
    assert result.count == 1
    assert result.invalidations == ()
    assert result.status("a" * 64) is Status.COUNTED
    assert result.no_effect == (
        NoEffect(
            1, "a" * 64, "invalidate (reason spam) of a commitment that is not-signed"
        ),
    )


def test_count_result_to_json() -> None:
    """to_json lists every part of the result."""
    result = count(_entries(("sign", "a"), ("sign", "a"), ("withdraw", "b")))
    assert result.to_json() == {
        "count": 1,
        "counted": ["a" * 64],
        "duplicates": [2],
        "withdrawals": [],
        "withdrawn": [],
        "invalidations": [],
        "no_effect": [
            {
                "seq": 3,
                "commitment": "b" * 64,
                "why": "withdraw of a commitment that is not-signed",
            }
        ],
    }


# ---------------------------------------------------------------- entries


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (
            {
                "seq": 1,
                "type": "vote",
                "received_at": "2027-01-01T00:00:00Z",
                "payload": {},
            },
            StructureError,
            "entry.type: unknown entry type 'vote'",
        ),
        (
            {
                "seq": 1,
                "type": "sign",
                "received_at": "2027-01-01T00:00:00Z",
                "payload": {"commitment": "aa" * 32, "reason": "x"},
            },
            StructureError,
            "entry.payload: unknown key(s): reason",
        ),
        (
            {
                "seq": 1,
                "type": "invalidate",
                "received_at": "2027-01-01T00:00:00Z",
                "payload": {"commitment": "aa" * 32, "reason": "Not-Eligible"},
            },
            EncodingError,
            "entry.payload.reason: not a valid identifier: 'Not-Eligible'",
        ),
        (
            {
                "seq": 1,
                "type": "withdraw",
                "received_at": "2027-01-01T00:00:00Z",
                "payload": {"commitment": "AA" * 32},
            },
            EncodingError,
            "entry.payload.commitment: not canonical lowercase hex bytes",
        ),
        (
            {
                "seq": 1,
                "type": "sign",
                "received_at": "2027-01-01T00:00:00Z",
                "payload": {"commitment": "aa" * 31},
            },
            StructureError,
            "entry.payload.commitment: expected 32 bytes, got 31",
        ),
        (
            {
                "seq": 1,
                "type": "close",
                "received_at": "2027-02-30T00:00:00Z",
                "payload": {},
            },
            EncodingError,
            "entry.received_at: not a valid UTC instant: '2027-02-30T00:00:00Z'",
        ),
        (
            {"seq": 1, "type": "close", "payload": {}},
            StructureError,
            "entry: missing key(s): received_at",
        ),
    ],
)
def test_entry_parsing_is_strict(
    value: dict[str, Any], error: type[Exception], message: str
) -> None:
    """Malformed entries are rejected with the field named."""
    with pytest.raises(error) as caught:
        Entry.from_json(value)
    assert str(caught.value).startswith(message)


def test_entry_round_trip(log_bytes: bytes) -> None:
    """Every sample entry re-serialises to the same object."""
    for line in log_bytes.splitlines():
        value = json.loads(line)
        assert Entry.from_json(value).to_json() == value


def test_log_rules_reported() -> None:
    """Order problems in the log are reported as exact sentences."""
    good = _entries(("sign", "a"), (("close", None)))
    assert log_problems(good) == []
    assert log_problems([]) == ["the log is empty (it must start with an open entry)"]
    bad = [
        Entry(0, "sign", "2027-01-01T00:05:00Z", commitment="a" * 64),
        Entry(1, "close", "2027-01-01T00:04:00Z"),
        Entry(3, "open", "2027-01-01T00:06:00Z", petition_id="p", text_hash="0" * 64),
    ]
    assert log_problems(bad) == [
        "entries[0]: the first entry is sign, not open",
        "entries[1]: received_at 2027-01-01T00:04:00Z is earlier than the "
        "previous entry's",
        "entries[1]: close is allowed only as the last entry",
        "entries[2]: seq is 3, expected 2",
        "entries[2]: open is allowed only as the first entry",
    ]


def test_open_log_without_close_verifies() -> None:
    """A log still open (no close) verifies and reports closed False."""
    seed = bytes(range(32))
    writer = PetitionLogWriter("p-1")
    writer.open(text_hash("T", "B"), "2027-01-01T00:00:00Z")
    writer.sign("ab" * 32, "2027-01-01T00:01:00Z")
    writer.sign_head("2027-01-01T00:02:00Z", seed)
    key = ed25519.public_key_from_seed(seed)
    report = verify_log(writer.log_jsonl(), writer.heads_jsonl(), key, claimed_count=1)
    assert report.ok
    assert report.closed is False
    assert report.to_json()["verified"] is True


# ---------------------------------------------------------------- writer


def test_writer_refuses_bad_appends() -> None:
    """The writer refuses entries that would make the log fail verification."""
    seed = bytes(range(32))
    writer = PetitionLogWriter("p-1")
    with pytest.raises(ValueError, match="the first entry must be open"):
        writer.sign("ab" * 32, "2027-01-01T00:00:00Z")
    writer.open("00" * 32, "2027-01-01T00:01:00Z")
    with pytest.raises(ValueError, match="open is allowed only as the first entry"):
        writer.open("00" * 32, "2027-01-01T00:01:00Z")
    with pytest.raises(ValueError, match="earlier than 2027-01-01T00:01:00Z"):
        writer.sign("ab" * 32, "2027-01-01T00:00:30Z")
    with pytest.raises(ValueError, match="earlier than the last entry's received_at"):
        writer.sign_head("2027-01-01T00:00:59Z", seed)
    writer.sign_head("2027-01-01T00:03:00Z", seed)
    with pytest.raises(ValueError, match="earlier than the last head's timestamp"):
        writer.sign("ab" * 32, "2027-01-01T00:02:00Z")
    with pytest.raises(ValueError, match="earlier than the previous head's"):
        writer.sign_head("2027-01-01T00:02:30Z", seed)
    with pytest.raises(EncodingError):
        writer.invalidate("ab" * 32, "Bad Reason", "2027-01-01T00:04:00Z")
    writer.close("2027-01-01T00:05:00Z")
    with pytest.raises(ValueError, match="the log is closed"):
        writer.sign("ab" * 32, "2027-01-01T00:06:00Z")
    assert writer.tree_size == 2


def test_writer_receipt_checks_signer() -> None:
    """A receipt is given only for the signer's own sign entry under a head."""
    seed = bytes(range(32))
    secret = bytes([5]) * 32
    writer = PetitionLogWriter("p-1")
    with pytest.raises(ValueError, match="no head has been signed yet"):
        writer.receipt(0, secret)
    writer.open("00" * 32, "2027-01-01T00:00:00Z")
    writer.sign(commitment("p-1", secret), "2027-01-01T00:01:00Z")
    head = writer.sign_head("2027-01-01T00:01:00Z", seed)
    with pytest.raises(ValueError, match="not a sign of this signer's commitment"):
        writer.receipt(1, bytes(32))
    with pytest.raises(ValueError, match="does not include seq 2"):
        writer.receipt(2, secret)
    receipt = writer.receipt(1, secret)
    assert receipt.head == head
    key = ed25519.public_key_from_seed(seed)
    report = verify_log(
        writer.log_jsonl(), writer.heads_jsonl(), key, receipt=receipt.to_json()
    )
    assert report.ok
    assert report.receipt is not None
    assert report.receipt.status is Status.COUNTED


def test_writer_replays_entries_and_rejects_foreign_open() -> None:
    """A writer restarted from stored entries continues the same tree."""
    entries = _entries(("sign", "a"))
    writer = PetitionLogWriter("p", entries)
    assert writer.tree_size == 2
    assert writer.tree.root() == PetitionLogWriter("p", entries).tree.root()
    with pytest.raises(ValueError, match="open names petition 'p'"):
        PetitionLogWriter("q", entries)
    head = writer.sign_head("2027-01-01T00:01:00Z", bytes(32))
    assert SignedHead.from_json(PETITION, head.to_json()) == head


def test_writer_extends_with_another_writers_entries() -> None:
    """Catching up with entries read back gives the other writer's tree."""
    entries = _entries(("sign", "a"), ("sign", "b"), ("withdraw", "a"))
    behind = PetitionLogWriter("p", entries[:2])
    behind.extend(entries[2:])
    assert behind.tree_size == len(entries)
    assert behind.tree.root() == PetitionLogWriter("p", entries).tree.root()
    with pytest.raises(ValueError, match="seq is 1, expected 4"):
        behind.extend(entries[1:2])
    assert behind.tree_size == len(entries)


def test_writer_without_entries_keeps_the_tree_and_the_rules() -> None:
    """A server's writer keeps no entries but builds the same tree and heads."""
    entries = _entries(("sign", "a"), ("sign", "b"))
    full = PetitionLogWriter("p", entries)
    lean = PetitionLogWriter("p", entries[:1], keep_entries=False)
    lean.extend(entries[1:])
    assert lean.tree_size == full.tree_size == 3
    assert lean.tree.root() == full.tree.root()
    appended = lean.sign("c" * 64, "2027-01-01T00:05:00Z")
    assert appended.seq == 3
    with pytest.raises(ValueError, match="earlier than"):
        lean.sign("d" * 64, "2027-01-01T00:04:00Z")
    with pytest.raises(ValueError, match="earlier than the last entry"):
        lean.sign_head("2027-01-01T00:04:59Z", bytes(32))
    lean.sign_head("2027-01-01T00:05:00Z", bytes(32))
    for refused in (
        lambda: lean.entries,
        lean.log_jsonl,
        lambda: lean.receipt(1, bytes(32)),
    ):
        with pytest.raises(ValueError, match="keeps no entries"):
            refused()


def test_empty_heads_file_leaves_head_checks_not_checked(
    sample: dict[str, Any], log_bytes: bytes
) -> None:
    """Without any head nothing about heads is reported as passed."""
    report = verify_log(log_bytes, b"", _key(sample))
    assert _outcomes(report) == {
        "log entries": "PASS",
        "heads": "FAIL",
        "head signatures": "NOT CHECKED",
        "head roots": "NOT CHECKED",
        "time rules": "NOT CHECKED",
        "last head covers the log": "NOT CHECKED",
    }
    assert report.checks[1].details == ("the heads file holds no head",)
