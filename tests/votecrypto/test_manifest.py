"""SPEC §4 and V1: manifest structure, election_hash and the V1 crypto checks."""

import copy
import hashlib
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gmpy2
import pytest

from votecrypto.canonical import cjson, hex_int, parse_json
from votecrypto.errors import EncodingError, StructureError
from votecrypto.manifest import (
    Manifest,
    check_manifest_crypto,
    crypto_problems,
    format_time,
)

TEST_KEY_PROBLEM = (
    "public_key.n: bits(n) = 1024 < 2048 (test keys are accepted only in test mode)"
)
TEST_KEY_WARNING = (
    "public_key.n: bits(n) = 1024 < 2048: a TEST key, NOT secure "
    "(accepted in test mode)"
)

Change = Callable[[dict[str, Any]], object]


@pytest.fixture
def data(vectors: dict[str, Any]) -> dict[str, Any]:
    """A fresh deep copy of the vector manifest JSON."""
    return copy.deepcopy(vectors["ballot"]["manifest"])


def test_round_trip_is_exact(vectors: dict[str, Any]) -> None:
    """Parsing then writing the vector manifest gives it back exactly."""
    given = vectors["ballot"]["manifest"]
    manifest = Manifest.from_json(given)
    assert manifest.to_json() == given
    assert (
        hashlib.sha256(cjson(manifest.to_json())).hexdigest()
        == (vectors["ballot"]["manifest_cjson_sha256"])
    )


def test_election_hash_matches_vector(vectors: dict[str, Any]) -> None:
    """election_hash = hex(H(["evote-paillier/1/manifest", manifest]))."""
    manifest = Manifest.from_json(vectors["ballot"]["manifest"])
    assert manifest.election_hash == vectors["ballot"]["election_hash"]
    assert manifest.election_hash == (
        "4b7f39d1047e32ea7a3244012d8414a4e32b2cee906c8f4b1336c8e317055c2f"
    )


def test_parsed_fields(vectors: dict[str, Any]) -> None:
    """The parsed manifest exposes the contests, limits, times and keys."""
    manifest = Manifest.from_json(vectors["ballot"]["manifest"])
    assert [c.contest_id for c in manifest.contests] == ["mayor", "measures", "fixed"]
    assert [c.sum_values for c in manifest.contests] == [(1,), (0, 1, 2), (1,)]
    assert manifest.contest("measures").option_ids == ("o1", "o2", "o3")
    assert manifest.voting_starts == datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
    assert manifest.n == int(vectors["key"]["n"], 16)
    assert manifest.trustees.delta == 6
    assert manifest.credential_set == frozenset(
        [bytes.fromhex(vectors["ballot"]["credential"]["public_key"])]
    )


def test_sample_record_manifest_round_trips(vectors_dir: Path) -> None:
    """The sample record's manifest parses, round-trips and hashes as published."""
    with zipfile.ZipFile(vectors_dir / "sample-record.zip") as archive:
        raw = archive.read("manifest.json")
    manifest = Manifest.from_json(parse_json(raw))
    assert cjson(manifest.to_json()) + b"\n" == raw
    summary = json.loads((vectors_dir / "sample-record.json").read_text("utf-8"))
    assert manifest.election_hash == summary["election_hash"]


def test_vector_manifest_passes_v1_in_test_mode(vectors: dict[str, Any]) -> None:
    """In test mode the vector manifest has no problem, only the key-size warning."""
    manifest = Manifest.from_json(vectors["ballot"]["manifest"])
    report = check_manifest_crypto(manifest, allow_test_keys=True)
    assert report.problems == ()
    assert report.warnings == (TEST_KEY_WARNING,)
    assert report.ok is True


def test_vector_manifest_fails_v1_outside_test_mode(vectors: dict[str, Any]) -> None:
    """Outside test mode a 1024-bit key is a V1 problem."""
    manifest = Manifest.from_json(vectors["ballot"]["manifest"])
    assert crypto_problems(manifest) == [TEST_KEY_PROBLEM]


def _set(path: list[Any], value: Any) -> Change:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _drop(key: str) -> Change:
    return lambda data: data.pop(key)


STRUCTURE_CASES: list[tuple[str, Change, type[Exception], str]] = [
    ("missing key", _drop("title"), StructureError, "manifest: missing key(s): title"),
    (
        "extra key",
        _set(["extra"], 1),
        StructureError,
        "manifest: unknown key(s): extra",
    ),
    (
        "protocol",
        _set(["protocol"], "evote-paillier/2"),
        StructureError,
        "protocol: expected 'evote-paillier/1'",
    ),
    ("title type", _set(["title"], 5), StructureError, "title: expected a string"),
    (
        "window",
        _set(["voting_ends"], "2027-03-01T06:00:00Z"),
        StructureError,
        "voting_ends: must be later than voting_starts",
    ),
    (
        "time spelling",
        _set(["voting_starts"], "2027-03-01 06:00:00Z"),
        EncodingError,
        "voting_starts: not a time",
    ),
    (
        "time validity",
        _set(["voting_starts"], "2027-02-30T06:00:00Z"),
        EncodingError,
        "voting_starts: not a valid UTC instant",
    ),
    (
        "election id",
        _set(["election_id"], "Vector"),
        EncodingError,
        "election_id: not a valid identifier",
    ),
    ("no contests", _set(["contests"], []), StructureError, "contests: a manifest"),
    (
        "duplicate contest",
        _set(["contests", 2, "contest_id"], "mayor"),
        StructureError,
        "contests[2].contest_id: duplicate contest_id 'mayor'",
    ),
    (
        "duplicate option",
        _set(["contests", 1, "options", 2, "option_id"], "o1"),
        StructureError,
        "contests[1].options[2].option_id: duplicate option_id 'o1'",
    ),
    (
        "no options",
        _set(["contests", 0, "options"], []),
        StructureError,
        "contests[0].options: a contest needs at least one option",
    ),
    (
        "min above max",
        _set(["contests", 1, "min_selections"], 3),
        StructureError,
        "contests[1]: need 0 ≤ min_selections ≤ max_selections ≤ 3 options",
    ),
    (
        "max above k",
        _set(["contests", 1, "max_selections"], 4),
        StructureError,
        "contests[1]: need 0 ≤ min_selections ≤ max_selections ≤ 3 options",
    ),
    (
        "bool as int",
        _set(["contests", 0, "max_selections"], True),
        StructureError,
        "contests[0].max_selections: expected an integer",
    ),
    (
        "option key",
        _set(["contests", 0, "options", 0, "label"], "x"),
        StructureError,
        "contests[0].options[0]: unknown key(s): label",
    ),
    (
        "n spelling",
        lambda d: d["public_key"].update(n=d["public_key"]["n"].upper()),
        EncodingError,
        "public_key.n: not canonical lowercase hex",
    ),
    (
        "key proof a=2",
        _set(["public_key", "key_proof", "rounds", 3, "a"], 2),
        StructureError,
        "public_key.key_proof.rounds[3].a: integer 2 outside [0, 1]",
    ),
    (
        "vk order",
        lambda d: d["trustees"]["verification_keys"].reverse(),
        StructureError,
        "trustees.verification_keys: indices must be 1…3 in order",
    ),
    (
        "count mismatch",
        _set(["trustees", "count"], 4),
        StructureError,
        "trustees.verification_keys: indices must be 1…4 in order",
    ),
    (
        "vk name type",
        _set(["trustees", "verification_keys", 0, "name"], None),
        StructureError,
        "trustees.verification_keys[0].name: expected a string",
    ),
    ("no credentials", _set(["credentials"], []), StructureError, "credentials: a"),
    (
        "credential length",
        _set(["credentials", 0], "ab" * 31),
        StructureError,
        "credentials[0]: expected 32 bytes, got 31",
    ),
    (
        "credential spelling",
        lambda d: d["credentials"].__setitem__(0, d["credentials"][0].upper()),
        EncodingError,
        "credentials[0]: not canonical lowercase hex bytes",
    ),
    (
        "credential duplicate",
        lambda d: d["credentials"].append(d["credentials"][0]),
        StructureError,
        "credentials[1]: credentials must be sorted and unique",
    ),
    (
        "credential order",
        lambda d: d["credentials"].insert(0, "ff" * 32),
        StructureError,
        "credentials[1]: credentials must be sorted and unique",
    ),
    (
        "board key length",
        _set(["board_public_key"], "00"),
        StructureError,
        "board_public_key: expected 32 bytes, got 1",
    ),
]


@pytest.mark.parametrize(
    ("what", "change", "error", "message"),
    STRUCTURE_CASES,
    ids=[case[0] for case in STRUCTURE_CASES],
)
def test_structure_is_checked(
    data: dict[str, Any],
    what: str,
    change: Change,
    error: type[Exception],
    message: str,
) -> None:
    """Each structural fault raises its error class with a message naming the field."""
    change(data)
    with pytest.raises(error) as caught:
        Manifest.from_json(data)
    assert type(caught.value) is error, what
    assert str(caught.value).startswith(message)


def test_format_time_pads_the_year() -> None:
    """Times keep four year digits even before year 1000."""
    assert format_time(datetime(9, 1, 2, 3, 4, 5, tzinfo=UTC)) == "0009-01-02T03:04:05Z"


def _problems(data: dict[str, Any]) -> list[str]:
    return crypto_problems(Manifest.from_json(data), allow_test_keys=True)


def test_small_order_credential_is_flagged(
    vectors: dict[str, Any], data: dict[str, Any]
) -> None:
    """A small-order credential key cannot be in a V1-valid manifest."""
    small = vectors["ed25519"]["small_order_encodings"][2]
    data["credentials"] = sorted([*data["credentials"], small])
    assert _problems(data) == [
        "not a valid Ed25519 key: credentials[0]: "
        "one of the eight points of small order"
    ]


def test_every_small_order_credential_is_flagged(
    vectors: dict[str, Any], data: dict[str, Any]
) -> None:
    """All eight small-order encodings are flagged as credentials."""
    keys = sorted(vectors["ed25519"]["small_order_encodings"])
    data["credentials"] = sorted([*data["credentials"], *keys])
    problems = _problems(data)
    assert len(problems) == 8
    assert all("points of small order" in p for p in problems)


def test_non_canonical_board_key_is_flagged(
    vectors: dict[str, Any], data: dict[str, Any]
) -> None:
    """A non-canonical board_public_key encoding is a V1 problem."""
    data["board_public_key"] = vectors["ed25519"]["non_canonical_encodings"][0][
        "encoding"
    ]
    assert _problems(data) == [
        "not a valid Ed25519 key: board_public_key: not a canonical encoding "
        "(y ≥ 2^255 − 19)"
    ]


def test_tampered_key_proof_is_flagged(data: dict[str, Any]) -> None:
    """A key proof whose z_3 is doubled fails V1 with the round named."""
    rounds = data["public_key"]["key_proof"]["rounds"]
    n = int(data["public_key"]["n"], 16)
    rounds[3]["z"] = hex_int(2 * int(rounds[3]["z"], 16) % n)
    assert _problems(data) == [
        "key proof: public_key.key_proof.rounds[3].z: z^n ≢ y_3 (mod n)"
    ]


@pytest.mark.parametrize(
    ("threshold", "count_problem"),
    [(0, "t = 0, ℓ = 3"), (4, "t = 4, ℓ = 3")],
)
def test_threshold_outside_range_is_flagged(
    data: dict[str, Any], threshold: int, count_problem: str
) -> None:
    """1 ≤ t ≤ ℓ is required."""
    data["trustees"]["threshold"] = threshold
    assert _problems(data) == [
        f"trustees: need 1 ≤ threshold ≤ count, got {count_problem}"
    ]


def test_bad_verification_elements_are_flagged(
    vectors: dict[str, Any], data: dict[str, Any]
) -> None:
    """v = 1, a vk ≥ n², a vk sharing p with n, a vk with Jacobi −1 are flagged."""
    n = int(data["public_key"]["n"], 16)
    p = int(vectors["key"]["p"], 16)
    w = int(data["public_key"]["key_proof"]["w"], 16)
    assert gmpy2.jacobi(w, n) == -1
    keys = data["trustees"]["verification_keys"]
    data["trustees"]["v"] = "1"
    keys[0]["vk"] = hex_int(n * n)
    keys[1]["vk"] = hex_int(p)
    keys[2]["vk"] = hex_int(w)
    assert _problems(data) == [
        "trustees.v: must not be 1",
        "trustees.verification_keys[0].vk: not a valid ciphertext "
        "(0 < x < n², gcd(x, n) = 1)",
        "trustees.verification_keys[1].vk: not a valid ciphertext "
        "(0 < x < n², gcd(x, n) = 1)",
        "trustees.verification_keys[2].vk: Jacobi symbol (x mod n | n) is not 1",
    ]


def test_bad_moduli_are_flagged(data: dict[str, Any]) -> None:
    """An even n, a square n and n with a small factor are flagged (and the proof)."""
    n = int(data["public_key"]["n"], 16)
    data["public_key"]["n"] = hex_int(n * 4)
    assert _problems(data)[:3] == [
        "public_key.n: n is even",
        "public_key.n: n has a prime factor below 2^16",
        "public_key.n: gcd(n, 2·Δ) ≠ 1",
    ]
    data["public_key"]["n"] = hex_int(n * 3)
    assert _problems(data)[:2] == [
        "public_key.n: n has a prime factor below 2^16",
        "public_key.n: gcd(n, 2·Δ) ≠ 1",
    ]
    data["public_key"]["n"] = hex_int(65537 * 65537)
    assert _problems(data)[0] == "public_key.n: n is a perfect square"


def test_mid_size_key_warns(data: dict[str, Any]) -> None:
    """A 2048-bit n is accepted with a warning (its fake proof fails here)."""
    n = (1 << 2047) + 1
    data["public_key"]["n"] = hex_int(n)
    report = check_manifest_crypto(Manifest.from_json(data))
    assert report.warnings == (
        "public_key.n: bits(n) = 2048 < 3072 (accepted with a warning)",
    )
    assert not any("bits(n)" in problem for problem in report.problems)
