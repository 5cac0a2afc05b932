"""SPEC §5, §5.1 and §7: ballots, trackers, audits and their reason codes."""

import copy
import hashlib
import json
import pickle
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from votecrypto import ed25519
from votecrypto.ballot import (
    AUDIT_REASONS,
    CAST_REASONS,
    BallotRandomness,
    EncryptedBallot,
    Opening,
    ballot_equations,
    cast_message,
    check_audit,
    check_cast_cheap,
    check_cast_proofs,
    check_cast_proofs_batch,
    classify_audit,
    classify_cast,
    encrypt_ballot,
    encrypt_precomputed,
    make_audit,
    selection_context,
    sum_context,
    tracker,
    tracker_display,
)
from votecrypto.canonical import cjson, hex_int, parse_json
from votecrypto.credentials import credential_seed, generate_voting_code
from votecrypto.errors import EncodingError, StructureError
from votecrypto.manifest import Manifest
from votecrypto.paillier import PublicKey
from votecrypto.proofs import CHALLENGE_MODULUS, prove_membership

RECEIVED_AT = "2027-03-01T06:00:37Z"

Json = Any


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def manifest(vectors: dict[str, Any]) -> Manifest:
    """The vector manifest (1024-bit test key, one credential)."""
    return Manifest.from_json(vectors["ballot"]["manifest"])


@pytest.fixture(scope="module")
def election_hash(manifest: Manifest) -> str:
    """The vector manifest's election_hash."""
    return manifest.election_hash


@pytest.fixture(scope="module")
def pk(manifest: Manifest) -> PublicKey:
    """The vector manifest's Paillier key."""
    return manifest.paillier_key


@pytest.fixture(scope="module")
def seed(vectors: dict[str, Any]) -> bytes:
    """The vector voter's credential seed."""
    given = vectors["ballot"]["credential"]
    return credential_seed(given["code"], given["election_id"])


@pytest.fixture
def payload(vectors: dict[str, Any]) -> Json:
    """A fresh deep copy of the vector ballot."""
    return copy.deepcopy(vectors["ballot"]["ballot"])


@pytest.fixture(scope="module")
def fresh(manifest: Manifest, election_hash: str, seed: bytes) -> EncryptedBallot:
    """A ballot encrypted here with fresh randomness (the vector's choices)."""
    return encrypt_ballot(
        manifest,
        election_hash,
        seed,
        {"mayor": [0, 1], "measures": [1, 0, 1], "fixed": [1, 0]},
    )


def _classify(manifest: Manifest, election_hash: str, payload: Json) -> str | None:
    return classify_cast(manifest, election_hash, None, payload, RECEIVED_AT)


def _resign(payload: Json, seed: bytes) -> Json:
    """Sign the payload again with ``seed`` (after changing it)."""
    body = {key: value for key, value in payload.items() if key != "signature"}
    payload["signature"] = ed25519.sign(seed, cast_message(tracker(body))).hex()
    return payload


# ---------------------------------------------------------------- vectors


def test_vector_ballot_is_valid(
    manifest: Manifest, election_hash: str, payload: Json
) -> None:
    """The vector ballot passes every check of §7 at its received_at."""
    assert _classify(manifest, election_hash, payload) is None


def test_vector_ballot_round_trip_and_tracker(
    vectors: dict[str, Any], manifest: Manifest, payload: Json
) -> None:
    """Parsing and writing give the vector back; its tracker matches."""
    ballot = EncryptedBallot.from_json(payload, manifest)
    given = vectors["ballot"]
    assert ballot.to_json() == given["ballot"]
    assert ballot.tracker == given["tracker"]
    assert tracker_display(ballot.tracker) == given["tracker_display"]
    assert tracker_display(ballot.tracker) == "4b84 8a0a e9be 073a bef2 66a1 4079 bff3"
    assert cast_message(ballot.tracker).decode() == given["signed_message"]


def test_vector_signature_is_reproduced(
    vectors: dict[str, Any], seed: bytes, payload: Json
) -> None:
    """Ed25519 is deterministic: re-signing gives the vector signature."""
    original = payload["signature"]
    assert _resign(payload, seed)["signature"] == original
    assert original == vectors["ballot"]["signature"]


def test_vector_board_entry_and_leaf(vectors: dict[str, Any], payload: Json) -> None:
    """The board entry holds the ballot; its leaf is SHA-256(0x00 ‖ cjson(entry))."""
    entry = vectors["ballot"]["board_entry"]
    assert entry["payload"] == payload
    assert entry["received_at"] == RECEIVED_AT
    leaf = hashlib.sha256(b"\x00" + cjson(entry)).hexdigest()
    assert leaf == vectors["ballot"]["leaf_hash"]


def test_vector_audit_payload(
    vectors: dict[str, Any], manifest: Manifest, pk: PublicKey, payload: Json
) -> None:
    """make_audit rebuilds the vector's audit payload, which is valid."""
    ballot = EncryptedBallot.from_json(payload, manifest)
    openings = [Opening.from_json(o) for o in vectors["ballot"]["openings"]]
    audit = make_audit(ballot, openings)
    assert audit == vectors["ballot"]["audit_payload"]
    assert tracker(audit["ballot"]) == vectors["ballot"]["tracker"]
    assert classify_audit(manifest, pk, audit) is None


def test_encryption_reproduces_vector_ciphertexts(
    vectors: dict[str, Any], manifest: Manifest, election_hash: str, seed: bytes
) -> None:
    """With the vector's r_j, the ciphertexts and openings are the vector's."""
    given = vectors["ballot"]
    randomness = BallotRandomness.generate(
        manifest,
        encryption_randomness=[int(o["randomness"], 16) for o in given["openings"]],
    )
    ballot = encrypt_ballot(
        manifest, election_hash, seed, given["choices"], randomness=randomness
    )
    expected = [
        s["ciphertext"] for c in given["ballot"]["contests"] for s in c["selections"]
    ]
    assert [hex_int(c) for c in ballot.ciphertexts] == expected
    assert [o.to_json() for o in ballot.openings] == given["openings"]
    assert ballot.credential.hex() == given["credential"]["public_key"]
    assert _classify(manifest, election_hash, ballot.to_json()) is None
    assert make_audit(ballot)["openings"] == given["openings"]


def test_precomputed_encryption_matches_vectors(
    vectors: dict[str, Any], pk: PublicKey
) -> None:
    """(1 + n·M)·r^n from a precomputed r^n gives the vector ciphertexts."""
    cases = vectors["encryptions"]
    got = [
        encrypt_precomputed(
            pk, int(case["m"], 16), pow(int(case["r"], 16), pk.n, pk.nsquare)
        )
        for case in cases
    ]
    assert [hex_int(c) for c in got] == [case["c"] for case in cases]
    assert got == [pk.encrypt(int(case["m"], 16), int(case["r"], 16)) for case in cases]


def test_sample_record_reasons(vectors_dir: Path) -> None:
    """Every cast and audit of the sample record gets the expected reason.

    ``replay`` and ``audited`` are board-level (the tally's): those two
    ballots are valid on their own.
    """
    summary = json.loads((vectors_dir / "sample-record.json").read_text("utf-8"))
    with zipfile.ZipFile(vectors_dir / "sample-record.zip") as archive:
        manifest = Manifest.from_json(parse_json(archive.read("manifest.json")))
        lines = archive.read("board.jsonl").splitlines()
    election_hash = manifest.election_hash
    expected = summary["expected"]
    board_level = {"replay", "audited"}
    want_casts = {
        int(seq): reason
        for seq, reason in expected["invalid_ballots"].items()
        if reason not in board_level
    }
    want_audits = {
        int(seq): reason for seq, reason in expected["invalid_audits"].items()
    }
    got_casts = {}
    got_audits = {}
    for line in lines:
        entry = parse_json(line)
        if entry["type"] == "cast":
            reason = classify_cast(
                manifest, election_hash, None, entry["payload"], entry["received_at"]
            )
            if reason is not None:
                got_casts[entry["seq"]] = reason
        elif entry["type"] == "audit":
            reason = classify_audit(manifest, manifest.paillier_key, entry["payload"])
            if reason is not None:
                got_audits[entry["seq"]] = reason
    assert got_casts == want_casts
    assert got_audits == want_audits
    assert want_casts == {
        0: "early",
        16: "bad-signature",
        20: "structure",
        21: "encoding",
        22: "wrong-election",
        23: "invalid-ciphertext",
        24: "bad-proof",
        25: "unknown-credential",
        27: "late",
    }


# ---------------------------------------------------------------- encryption


def test_fresh_ballot_is_valid_and_auditable(
    manifest: Manifest, election_hash: str, pk: PublicKey, fresh: EncryptedBallot
) -> None:
    """A freshly encrypted ballot casts validly, and its audit is valid."""
    assert _classify(manifest, election_hash, fresh.to_json()) is None
    assert [o.plaintext for o in fresh.openings] == [0, 1, 1, 0, 1, 1, 0]
    assert [pk.encrypt(o.plaintext, o.randomness) for o in fresh.openings] == list(
        fresh.ciphertexts
    )
    assert classify_audit(manifest, pk, make_audit(fresh)) is None


def test_precomputed_randomness_is_used(
    manifest: Manifest, election_hash: str, seed: bytes
) -> None:
    """Randomness drawn before the choice gives ciphertexts under those r_j."""
    randomness = BallotRandomness.generate(manifest)
    ballot = encrypt_ballot(
        manifest,
        election_hash,
        seed,
        {"mayor": [1, 0], "measures": [0, 0, 0], "fixed": [0, 1]},
        randomness=randomness,
    )
    used = [s.r for c in randomness.contests for s in c.selections]
    assert [o.randomness for o in ballot.openings] == used
    assert _classify(manifest, election_hash, ballot.to_json()) is None


def test_openings_stay_out_of_json(fresh: EncryptedBallot) -> None:
    """The secret openings never appear in to_json and do not affect equality."""
    data = fresh.to_json()
    assert set(data) == {
        "protocol",
        "election_hash",
        "credential",
        "contests",
        "signature",
    }
    assert EncryptedBallot.from_json(data) == fresh
    assert "randomness" not in json.dumps(data)


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        (
            {"mayor": [1, 1], "measures": [0, 0, 0], "fixed": [1, 0]},
            "contest 'mayor': 2 selected, allowed 1 to 1",
        ),
        (
            {"mayor": [0, 0], "measures": [0, 0, 0], "fixed": [1, 0]},
            "contest 'mayor': 0 selected, allowed 1 to 1",
        ),
        (
            {"mayor": [1, 0], "measures": [1, 1, 1], "fixed": [1, 0]},
            "contest 'measures': 3 selected, allowed 0 to 2",
        ),
        (
            {"mayor": [2, 0], "measures": [0, 0, 0], "fixed": [1, 0]},
            "contest 'mayor': each selection is 0 or 1, not 2",
        ),
        (
            {"mayor": [True, 0], "measures": [0, 0, 0], "fixed": [1, 0]},
            "contest 'mayor': each selection is 0 or 1, not True",
        ),
        (
            {"mayor": [1, 0], "measures": [0, 0], "fixed": [1, 0]},
            "contest 'measures': 2 values for 3 options",
        ),
        (
            {"mayor": [1, 0], "fixed": [1, 0]},
            "contest 'measures': no choice given",
        ),
        (
            {"mayor": [1, 0], "measures": [0, 0, 0], "fixed": [1, 0], "x": [1]},
            "choices for unknown contest(s): x",
        ),
    ],
)
def test_bad_choices_are_refused(
    manifest: Manifest,
    election_hash: str,
    seed: bytes,
    choices: dict[str, list[int]],
    message: str,
) -> None:
    """Choices outside the contest rules raise ValueError saying why."""
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        encrypt_ballot(manifest, election_hash, seed, choices)
    assert str(caught.value) == message


def test_tracker_display_groups() -> None:
    """The display is the first 32 hex digits in eight groups of four."""
    assert tracker_display("0123456789abcdef" * 4) == (
        "0123 4567 89ab cdef 0123 4567 89ab cdef"
    )


def test_ballot_pickles_for_worker_processes(
    manifest: Manifest, election_hash: str, fresh: EncryptedBallot
) -> None:
    """Ballots and manifests survive pickling (for process pools)."""
    # Trusted data made just above: pickle is what ProcessPoolExecutor uses.
    ballot = pickle.loads(pickle.dumps(fresh))  # noqa: S301
    again = pickle.loads(pickle.dumps(manifest))  # noqa: S301
    assert ballot == fresh
    assert again == manifest
    assert check_cast_proofs(again, election_hash, ballot) is None


# ---------------------------------------------------------------- forgeries


def _contest(payload: Json, contest_id: str) -> Json:
    return next(c for c in payload["contests"] if c["contest_id"] == contest_id)


def test_sum_above_max_is_bad_proof(
    manifest: Manifest, election_hash: str, pk: PublicKey, seed: bytes
) -> None:
    """Three selections in a max-2 contest cannot get a valid sum proof."""
    ballot = encrypt_ballot(
        manifest,
        election_hash,
        seed,
        {"mayor": [1, 0], "measures": [1, 1, 0], "fixed": [1, 0]},
    )
    payload = ballot.to_json()
    credential = ballot.credential
    measures = _contest(payload, "measures")
    r3 = pk.random_unit()
    c3 = pk.encrypt(1, r3)
    measures["selections"][2]["ciphertext"] = hex_int(c3)
    measures["selections"][2]["proof"] = prove_membership(
        pk,
        c3,
        (0, 1),
        1,
        r3,
        election_hash,
        selection_context(credential, "measures", "o3"),
    ).to_json()
    r = [o.randomness for o in ballot.openings if o.contest_id == "measures"]
    big_c = pk.aggregate(int(s["ciphertext"], 16) for s in measures["selections"])
    big_r = r[0] * r[1] * r3 % pk.n
    assert big_c == pk.encrypt(3, big_r)
    # The best an honest prover can do: claim the largest allowed value.
    measures["sum_proof"] = prove_membership(
        pk,
        big_c,
        (0, 1, 2),
        2,
        big_r,
        election_hash,
        sum_context(credential, "measures"),
    ).to_json()
    _resign(payload, seed)
    assert _classify(manifest, election_hash, payload) == "bad-proof"


def test_selection_of_two_is_bad_proof(
    manifest: Manifest, election_hash: str, pk: PublicKey, seed: bytes
) -> None:
    """A selection encrypting 2 (with the sum still allowed) is bad-proof."""
    ballot = encrypt_ballot(
        manifest,
        election_hash,
        seed,
        {"mayor": [1, 0], "measures": [0, 0, 0], "fixed": [1, 0]},
    )
    payload = ballot.to_json()
    credential = ballot.credential
    measures = _contest(payload, "measures")
    r1 = pk.random_unit()
    c1 = pk.encrypt(2, r1)
    measures["selections"][0]["ciphertext"] = hex_int(c1)
    measures["selections"][0]["proof"] = prove_membership(
        pk,
        c1,
        (0, 1),
        1,
        r1,
        election_hash,
        selection_context(credential, "measures", "o1"),
    ).to_json()
    r = [o.randomness for o in ballot.openings if o.contest_id == "measures"]
    big_c = pk.aggregate(int(s["ciphertext"], 16) for s in measures["selections"])
    big_r = r1 * r[1] * r[2] % pk.n
    measures["sum_proof"] = prove_membership(
        pk,
        big_c,
        (0, 1, 2),
        2,
        big_r,
        election_hash,
        sum_context(credential, "measures"),
    ).to_json()
    _resign(payload, seed)
    parsed = EncryptedBallot.from_json(payload, manifest)
    statements = ballot_equations(manifest, election_hash, parsed)
    assert statements is not None
    assert _classify(manifest, election_hash, payload) == "bad-proof"


def test_forged_challenge_split_is_bad_proof(
    manifest: Manifest, election_hash: str, seed: bytes, payload: Json
) -> None:
    """e_0 + δ and e_1 − δ in one selection proof (re-signed) is bad-proof."""
    proof = payload["contests"][1]["selections"][1]["proof"]
    e0, e1 = (int(e, 16) for e in proof["challenges"])
    delta = 1 << 200
    proof["challenges"] = [
        hex_int((e0 + delta) % CHALLENGE_MODULUS),
        hex_int((e1 - delta) % CHALLENGE_MODULUS),
    ]
    _resign(payload, seed)
    assert _classify(manifest, election_hash, payload) == "bad-proof"


@pytest.mark.parametrize(
    ("where", "key", "position"),
    [
        (("selection", 0, 0), "commitments", 0),
        (("selection", 0, 1), "commitments", 1),
        (("selection", 1, 2), "challenges", 0),
        (("selection", 2, 1), "challenges", 1),
        (("selection", 1, 0), "responses", 0),
        (("selection", 0, 1), "responses", 1),
        (("sum", 0, None), "commitments", 0),
        (("sum", 1, None), "challenges", 2),
        (("sum", 1, None), "responses", 1),
        (("sum", 2, None), "responses", 0),
    ],
)
def test_tampered_ballot_proof_is_bad_proof(
    manifest: Manifest,
    election_hash: str,
    seed: bytes,
    payload: Json,
    where: tuple[str, int, int | None],
    key: str,
    position: int,
) -> None:
    """Any proof value changed (and the ballot re-signed) gives bad-proof."""
    kind, contest, selection = where
    node = payload["contests"][contest]
    proof = (
        node["sum_proof"] if kind == "sum" else node["selections"][selection]["proof"]
    )
    proof[key][position] = hex_int(int(proof[key][position], 16) + 2)
    _resign(payload, seed)
    assert _classify(manifest, election_hash, payload) == "bad-proof"


def test_proofs_bound_to_credential(vectors: dict[str, Any], seed: bytes) -> None:
    """A ballot moved to another eligible credential (re-signed) is bad-proof."""
    code = generate_voting_code()
    other_seed = credential_seed(code, "vector-election")
    other = ed25519.public_key_from_seed(other_seed)
    data = copy.deepcopy(vectors["ballot"]["manifest"])
    data["credentials"] = sorted([*data["credentials"], other.hex()])
    manifest = Manifest.from_json(data)
    election_hash = manifest.election_hash
    choices = {"mayor": [0, 1], "measures": [1, 0, 1], "fixed": [1, 0]}
    ballot = encrypt_ballot(manifest, election_hash, seed, choices)
    payload = ballot.to_json()
    assert _classify(manifest, election_hash, payload) is None
    payload["credential"] = other.hex()
    _resign(payload, other_seed)
    assert _classify(manifest, election_hash, payload) == "bad-proof"


@pytest.mark.parametrize("spelling", ["0", "n2", "p", "n2+c"])
def test_invalid_ciphertext(
    vectors: dict[str, Any],
    manifest: Manifest,
    election_hash: str,
    pk: PublicKey,
    seed: bytes,
    payload: Json,
    spelling: str,
) -> None:
    """Zero, n², a factor of n, or c + n² as a ciphertext: invalid-ciphertext."""
    selection = payload["contests"][2]["selections"][1]
    c = int(selection["ciphertext"], 16)
    value = {
        "0": 0,
        "n2": pk.nsquare,
        "p": int(vectors["key"]["p"], 16),
        "n2+c": pk.nsquare + c,
    }[spelling]
    selection["ciphertext"] = hex_int(value)
    _resign(payload, seed)
    assert _classify(manifest, election_hash, payload) == "invalid-ciphertext"
    check = check_cast_cheap(manifest, election_hash, None, payload, RECEIVED_AT)
    assert check.detail == (
        "ballot.contests[2].selections[1].ciphertext: "
        "not a valid ciphertext (0 < c < n², gcd(c, n) = 1)"
    )


def _upper(path: list[Any]) -> Callable[[Json], None]:
    def change(payload: Json) -> None:
        target = payload
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = target[path[-1]].upper()

    return change


def _leading_zero(path: list[Any]) -> Callable[[Json], None]:
    def change(payload: Json) -> None:
        target = payload
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = "0" + target[path[-1]]

    return change


ENCODING_CASES = {
    "ciphertext upper": _upper(["contests", 0, "selections", 0, "ciphertext"]),
    "ciphertext zero": _leading_zero(["contests", 0, "selections", 1, "ciphertext"]),
    "response zero": _leading_zero(
        ["contests", 1, "selections", 0, "proof", "responses", 1]
    ),
    "sum challenge upper": _upper(["contests", 1, "sum_proof", "challenges", 0]),
    "credential upper": _upper(["credential"]),
    "election_hash upper": _upper(["election_hash"]),
    "signature upper": _upper(["signature"]),
    "option id upper": _upper(["contests", 0, "selections", 0, "option_id"]),
}


@pytest.mark.parametrize("what", sorted(ENCODING_CASES))
def test_non_canonical_spelling_is_encoding(
    manifest: Manifest, election_hash: str, payload: Json, what: str
) -> None:
    """Upper-case hex or a leading zero anywhere is encoding (ids: structure)."""
    ENCODING_CASES[what](payload)
    expected = "structure" if what == "option id upper" else "encoding"
    assert _classify(manifest, election_hash, payload) == expected


def _drop_last_option(payload: Json) -> None:
    payload["contests"][1]["selections"].pop()


def _swap_options(payload: Json) -> None:
    selections = payload["contests"][0]["selections"]
    selections.reverse()


def _swap_contests(payload: Json) -> None:
    payload["contests"][0], payload["contests"][2] = (
        payload["contests"][2],
        payload["contests"][0],
    )


STRUCTURE_CASES: dict[str, Callable[[Json], object]] = {
    "missing option": _drop_last_option,
    "reordered options": _swap_options,
    "reordered contests": _swap_contests,
    "missing contest": lambda p: p["contests"].pop(),
    "extra contest": lambda p: p["contests"].append(copy.deepcopy(p["contests"][0])),
    "missing signature": lambda p: p.pop("signature"),
    "extra key": lambda p: p.update(note="hi"),
    "selection extra key": lambda p: p["contests"][0]["selections"][0].update(x=1),
    "proof not object": lambda p: p["contests"][0].update(sum_proof=[]),
    "ciphertext int": lambda p: p["contests"][0]["selections"][0].update(ciphertext=5),
    "credential short": lambda p: p.update(credential=p["credential"][:62]),
    "signature long": lambda p: p.update(signature=p["signature"] + "00"),
    "protocol int": lambda p: p.update(protocol=1),
    "challenge bool": lambda p: p["contests"][1]["sum_proof"]["challenges"].__setitem__(
        0, True
    ),
    "unknown contest id": lambda p: p["contests"][0].update(contest_id="other"),
}


@pytest.mark.parametrize("what", sorted(STRUCTURE_CASES))
def test_structure_faults(
    manifest: Manifest, election_hash: str, payload: Json, what: str
) -> None:
    """Missing, extra, reordered or mistyped parts give structure."""
    STRUCTURE_CASES[what](payload)
    assert _classify(manifest, election_hash, payload) == "structure"


@pytest.mark.parametrize("junk", [None, 3, "ballot", [], [{}], {}, True])
def test_non_object_payload_is_structure(
    manifest: Manifest, election_hash: str, junk: Json
) -> None:
    """A payload that is not a ballot object at all is structure."""
    assert _classify(manifest, election_hash, junk) == "structure"


def test_structure_is_reported_before_encoding(
    manifest: Manifest, election_hash: str, payload: Json
) -> None:
    """A ballot with an upper-case ciphertext and a missing option is structure."""
    _upper(["contests", 0, "selections", 0, "ciphertext"])(payload)
    _drop_last_option(payload)
    check = check_cast_cheap(manifest, election_hash, None, payload, RECEIVED_AT)
    assert check.reason == "structure"
    assert check.detail == "ballot.contests[1].selections: expected 3 items, got 2"


def test_proof_list_of_wrong_length_is_bad_proof(
    manifest: Manifest, election_hash: str, seed: bytes, payload: Json
) -> None:
    """A proof list with an item too many is a failed §3 check, not structure."""
    proof = payload["contests"][0]["sum_proof"]
    proof["responses"].append(proof["responses"][0])
    _resign(payload, seed)
    assert _classify(manifest, election_hash, payload) == "bad-proof"


def test_wrong_election(
    manifest: Manifest, election_hash: str, seed: bytes, payload: Json
) -> None:
    """Another election_hash or protocol is wrong-election, even when signed."""
    other = copy.deepcopy(payload)
    other["election_hash"] = "00" * 32
    _resign(other, seed)
    assert _classify(manifest, election_hash, other) == "wrong-election"
    payload["protocol"] = "evote-paillier/2"
    assert _classify(manifest, election_hash, payload) == "wrong-election"
    assert _classify(manifest, "11" * 32, payload) == "wrong-election"


def test_unknown_credential(
    manifest: Manifest, election_hash: str, payload: Json
) -> None:
    """A credential outside the given set is unknown-credential."""
    check = check_cast_cheap(manifest, election_hash, frozenset(), payload, RECEIVED_AT)
    assert check.reason == "unknown-credential"
    other = ed25519.public_key_from_seed(b"\x01" * 32)
    payload["credential"] = other.hex()
    assert _classify(manifest, election_hash, payload) == "unknown-credential"


@pytest.mark.parametrize(
    ("received_at", "reason"),
    [
        ("2027-03-01T05:59:59Z", "early"),
        ("2027-03-01T06:00:00Z", None),
        ("2027-03-01T06:59:59Z", None),
        ("2027-03-01T07:00:00Z", "late"),
        ("2028-01-01T00:00:00Z", "late"),
    ],
)
def test_voting_window(
    manifest: Manifest,
    election_hash: str,
    payload: Json,
    received_at: str,
    reason: str | None,
) -> None:
    """voting_starts ≤ received_at < voting_ends; otherwise early or late."""
    got = classify_cast(manifest, election_hash, None, payload, received_at)
    assert got == reason


def test_bad_signature(manifest: Manifest, election_hash: str, payload: Json) -> None:
    """A flipped signature bit, or a signature by another key, is bad-signature."""
    flipped = copy.deepcopy(payload)
    signature = bytearray.fromhex(flipped["signature"])
    signature[5] ^= 1
    flipped["signature"] = signature.hex()
    assert _classify(manifest, election_hash, flipped) == "bad-signature"
    _resign(payload, b"\x02" * 32)
    assert _classify(manifest, election_hash, payload) == "bad-signature"


def test_change_after_signing_is_bad_signature(
    manifest: Manifest, election_hash: str, payload: Json
) -> None:
    """Changing a proof value without re-signing breaks the signature first."""
    proof = payload["contests"][0]["selections"][0]["proof"]
    proof["responses"][0] = hex_int(int(proof["responses"][0], 16) + 1)
    assert _classify(manifest, election_hash, payload) == "bad-signature"


def test_cheap_check_returns_ballot_and_tracker(
    vectors: dict[str, Any], manifest: Manifest, election_hash: str, payload: Json
) -> None:
    """A cast passing the cheap checks carries the parsed ballot and tracker."""
    check = check_cast_cheap(manifest, election_hash, None, payload, RECEIVED_AT)
    assert check.reason is None
    assert check.tracker == vectors["ballot"]["tracker"]
    assert check.ballot is not None
    assert check_cast_proofs(manifest, election_hash, check.ballot) is None


def test_batch_proof_check_agrees_and_finds_the_bad(
    manifest: Manifest,
    election_hash: str,
    seed: bytes,
    payload: Json,
    fresh: EncryptedBallot,
) -> None:
    """check_cast_proofs_batch agrees with check_cast_proofs ballot by ballot."""
    bad = copy.deepcopy(payload)
    proof = bad["contests"][1]["selections"][2]["proof"]
    proof["responses"][1] = hex_int(int(proof["responses"][1], 16) + 1)
    ballots = [
        EncryptedBallot.from_json(payload, manifest),
        fresh,
        EncryptedBallot.from_json(bad, manifest),
        fresh,
    ]
    singles = [check_cast_proofs(manifest, election_hash, b) for b in ballots]
    assert singles == [None, None, "bad-proof", None]
    assert check_cast_proofs_batch(manifest, election_hash, ballots) == singles
    assert check_cast_proofs_batch(manifest, election_hash, []) == []


def test_from_json_without_manifest(payload: Json) -> None:
    """Parsing without a manifest checks the shape and spelling only."""
    payload["contests"].pop()
    ballot = EncryptedBallot.from_json(payload)
    assert [c.contest_id for c in ballot.contests] == ["mayor", "measures"]
    payload["credential"] = payload["credential"].upper()
    with pytest.raises(EncodingError) as caught:
        EncryptedBallot.from_json(payload)
    assert str(caught.value).startswith("ballot.credential: not canonical")
    with pytest.raises(StructureError) as missing:
        EncryptedBallot.from_json(payload, signed=False)
    assert str(missing.value) == "ballot: unknown key(s): signature"


# ---------------------------------------------------------------- audits


@pytest.fixture
def audit(vectors: dict[str, Any]) -> Json:
    """A fresh deep copy of the vector's audit payload."""
    return copy.deepcopy(vectors["ballot"]["audit_payload"])


def _set_opening(position: int, key: str, value: Any) -> Callable[[Json], None]:
    return lambda a: a["openings"][position].__setitem__(key, value)


AUDIT_CASES: dict[str, tuple[Callable[[Json], object], str | None]] = {
    "valid": (lambda a: None, None),
    "plaintext 2": (_set_opening(0, "plaintext", 2), "bad-opening"),
    "plaintext flipped": (_set_opening(1, "plaintext", 0), "bad-opening"),
    "randomness 0": (_set_opening(2, "randomness", "0"), "bad-opening"),
    "randomness other": (_set_opening(3, "randomness", "5"), "bad-opening"),
    "plaintext string": (_set_opening(0, "plaintext", "0"), "structure"),
    "plaintext bool": (_set_opening(0, "plaintext", False), "structure"),
    "randomness int": (_set_opening(0, "randomness", 5), "structure"),
    "randomness upper": (
        lambda a: a["openings"][4].update(
            randomness=a["openings"][4]["randomness"].upper()
        ),
        "encoding",
    ),
    "missing opening": (lambda a: a["openings"].pop(), "structure"),
    "reordered openings": (lambda a: a["openings"].reverse(), "structure"),
    "opening extra key": (_set_opening(0, "note", "x"), "structure"),
    "opening wrong option": (_set_opening(0, "option_id", "o2"), "structure"),
    "signature kept": (
        lambda a: a["ballot"].update(signature="00" * 64),
        "structure",
    ),
    "missing option": (
        lambda a: a["ballot"]["contests"][1]["selections"].pop(),
        "structure",
    ),
    "extra key": (lambda a: a.update(extra=1), "structure"),
    "ciphertext upper": (
        lambda a: a["ballot"]["contests"][0]["selections"][0].update(
            ciphertext=a["ballot"]["contests"][0]["selections"][0]["ciphertext"].upper()
        ),
        "encoding",
    ),
    "other election is not checked": (
        lambda a: a["ballot"].update(election_hash="00" * 32),
        None,
    ),
    "unknown credential is not checked": (
        lambda a: a["ballot"].update(credential="11" * 32),
        None,
    ),
    "broken proof is not checked": (
        lambda a: a["ballot"]["contests"][0]["sum_proof"].update(responses=["1"]),
        None,
    ),
}


@pytest.mark.parametrize("what", sorted(AUDIT_CASES))
def test_audit_reasons(
    manifest: Manifest, pk: PublicKey, audit: Json, what: str
) -> None:
    """Audits: structure, encoding, bad-opening, and what is not checked."""
    change, reason = AUDIT_CASES[what]
    change(audit)
    assert classify_audit(manifest, pk, audit) == reason


def test_audit_randomness_sharing_a_factor(
    vectors: dict[str, Any], manifest: Manifest, pk: PublicKey, audit: Json
) -> None:
    """An opening whose randomness shares a factor with n is bad-opening."""
    audit["openings"][0]["randomness"] = vectors["key"]["p"]
    check = check_audit(manifest, pk, audit)
    assert check.reason == "bad-opening"
    assert check.detail == "openings[0]: randomness not in Z*_n"
    assert check.tracker == vectors["ballot"]["tracker"]


def test_make_audit_requires_matching_openings(fresh: EncryptedBallot) -> None:
    """make_audit refuses openings that do not follow the ballot."""
    with pytest.raises(ValueError, match="one opening per selection"):
        make_audit(fresh, fresh.openings[:-1])


# ---------------------------------------------------------------- robustness

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=0, max_value=2**53 - 1)
    | st.text(max_size=8)
    | st.sampled_from(["0", "00", "ab" * 32, "ab" * 64, "evote-paillier/1"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "protocol",
                    "election_hash",
                    "credential",
                    "contests",
                    "signature",
                    "contest_id",
                    "selections",
                    "sum_proof",
                    "option_id",
                    "ciphertext",
                    "proof",
                    "commitments",
                    "challenges",
                    "responses",
                    "ballot",
                    "openings",
                    "plaintext",
                    "randomness",
                    "x",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(junk=json_values)
def test_classify_never_raises_on_junk(
    manifest: Manifest, election_hash: str, pk: PublicKey, junk: Json
) -> None:
    """Any JSON value gets a reason code, never an exception."""
    assert _classify(manifest, election_hash, junk) in CAST_REASONS
    assert classify_audit(manifest, pk, junk) in AUDIT_REASONS


def _paths(value: Json, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    result = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            result.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            result.extend(_paths(item, (*prefix, index)))
    return result


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_classify_never_raises_on_mutated_ballots(
    vectors: dict[str, Any],
    manifest: Manifest,
    election_hash: str,
    pk: PublicKey,
    data: st.DataObject,
) -> None:
    """A valid ballot or audit with any one part replaced by junk never raises."""
    checks: list[tuple[Json, Callable[[Json], str | None], tuple[str, ...]]] = [
        (
            vectors["ballot"]["ballot"],
            lambda p: _classify(manifest, election_hash, p),
            CAST_REASONS,
        ),
        (
            vectors["ballot"]["audit_payload"],
            lambda p: classify_audit(manifest, pk, p),
            AUDIT_REASONS,
        ),
    ]
    for source, classify, reasons in checks:
        payload = copy.deepcopy(source)
        path = data.draw(st.sampled_from(_paths(payload)[1:]))
        target = payload
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = data.draw(json_values)
        got = classify(payload)
        assert got is None or got in reasons
