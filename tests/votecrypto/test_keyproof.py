"""The Paillier–Blum key proof of SPEC §2.1 against the independent vectors."""

import copy
from typing import Any

import pytest

from votecrypto.canonical import Hint, cjson, hex_int, parse_json
from votecrypto.errors import CryptoCheckError, EncodingError, StructureError
from votecrypto.keyproof import (
    KEY_PROOF_ROUNDS,
    KeyProof,
    KeyProofRound,
    challenge_blocks,
    check_key_proof,
    derive_challenge,
    prove_key,
)
from votecrypto.primes import jacobi


def h(value: str) -> int:
    """Read a vector's hex string."""
    return int(value, 16)


@pytest.fixture(scope="module")
def key(vectors: dict[str, Any]) -> dict[str, Any]:
    """The vectors' 1024-bit key section."""
    section: dict[str, Any] = vectors["key"]
    return section


@pytest.fixture(scope="module")
def proof_json(key: dict[str, Any]) -> dict[str, Any]:
    """The vectors' key proof as JSON."""
    section: dict[str, Any] = key["key_proof"]["key_proof"]
    return section


def test_challenge_blocks_for_each_size(key: dict[str, Any]) -> None:
    """J = ⌈(bits(n) + 128) / 256⌉ gives 5, 9 and 13 for 1024, 2048, 3072 bits."""
    expected = key["key_proof"]["J_for_bits"]
    for bits, blocks in expected.items():
        assert challenge_blocks(1 << (int(bits) - 1)) == blocks
    assert challenge_blocks(h(key["n"])) == key["key_proof"]["J"] == 5


def test_hash_inputs_and_hints_of_round_zero(key: dict[str, Any]) -> None:
    """The hash inputs of y_0 and their Hint values match the vectors."""
    n, w = h(key["n"]), h(key["key_proof"]["w"])
    for j, (text, hint) in enumerate(
        zip(
            key["key_proof"]["hash_inputs_i0"], key["key_proof"]["hint_i0"], strict=True
        )
    ):
        parts = ["evote-paillier/1/key-proof", hex_int(n), hex_int(w), 0, j]
        assert cjson(parts).decode() == text
        assert Hint(parts) == h(hint)


def test_every_challenge_y_matches(key: dict[str, Any]) -> None:
    """derive_challenge reproduces all 128 y_i of the vectors."""
    n, w = h(key["n"]), h(key["key_proof"]["w"])
    assert [hex_int(derive_challenge(n, w, i)) for i in range(128)] == key["key_proof"][
        "y"
    ]


def test_jacobi_and_legendre_symbols_of_w(key: dict[str, Any]) -> None:
    """(w|n) = −1, (w|p) = −1 and (w|q) = 1 as the vectors say."""
    w = h(key["key_proof"]["w"])
    assert jacobi(w, h(key["n"])) == key["key_proof"]["jacobi_w_n"] == -1
    assert jacobi(w, h(key["p"])) == key["key_proof"]["legendre_w_p"] == -1
    assert jacobi(w, h(key["q"])) == key["key_proof"]["legendre_w_q"] == 1


def test_prove_key_reproduces_the_full_proof(
    key: dict[str, Any], proof_json: dict[str, Any]
) -> None:
    """With the vectors' w, prove_key gives the vectors' proof byte for byte."""
    proof = prove_key(h(key["p"]), h(key["q"]), w=h(key["key_proof"]["w"]))
    assert proof.to_json() == proof_json
    assert len(proof.rounds) == KEY_PROOF_ROUNDS


def test_round_zero_details(key: dict[str, Any]) -> None:
    """Round 0's y, a, b, y', x mod p, x mod q, x and z match the vectors."""
    p, q, n = h(key["p"]), h(key["q"]), h(key["n"])
    details = key["key_proof"]["round0"]
    proof = prove_key(p, q, w=h(key["key_proof"]["w"]))
    round0 = proof.rounds[0]
    y = derive_challenge(n, proof.w, 0)
    assert y == h(details["y"])
    assert (round0.a, round0.b) == (details["a"], details["b"]) == (0, 0)
    y_prime = (-1) ** round0.a * pow(proof.w, round0.b, n) * y % n
    assert y_prime == h(details["y_prime"])
    assert round0.x % p == h(details["x_mod_p"])
    assert round0.x % q == h(details["x_mod_q"])
    assert round0.x == h(details["x"])
    assert round0.z == h(details["z"])
    n_inverse = h(details["n_inverse_mod_phi"])
    assert n * n_inverse % ((p - 1) * (q - 1)) == 1
    assert pow(y, n_inverse, n) == round0.z


def test_vector_proof_checks(key: dict[str, Any], proof_json: dict[str, Any]) -> None:
    """The vectors' proof parses and checks, and serialises back identically."""
    proof = KeyProof.from_json(proof_json)
    check_key_proof(h(key["n"]), proof)
    assert proof.to_json() == proof_json
    assert parse_json(cjson(proof.to_json())) == proof_json


def _mutated(proof_json: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    """Return a copy of the proof JSON with ``path`` set to ``value``."""
    result = copy.deepcopy(proof_json)
    target: Any = result
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return result


MUST_REJECT_ERRORS = [
    (CryptoCheckError, "key_proof.rounds[7].x: x^4 ≢ (−1)^a · w^b · y (mod n)"),
    (CryptoCheckError, "key_proof.rounds[7].x: x^4 ≢ (−1)^a · w^b · y (mod n)"),
    (CryptoCheckError, "key_proof.rounds[3].z: z^n ≢ y_3 (mod n)"),
    (CryptoCheckError, "key_proof.rounds[3].x: x must be in [1, n)"),
    (StructureError, "key_proof.rounds[3].a: integer 2 outside [0, 1]"),
    (CryptoCheckError, "key_proof.w: Jacobi symbol (w|n) must be −1"),
    (StructureError, "key_proof.rounds: expected 128 items, got 127"),
]


@pytest.mark.parametrize("case", range(len(MUST_REJECT_ERRORS)))
def test_must_reject_vectors(
    key: dict[str, Any], proof_json: dict[str, Any], case: int
) -> None:
    """Every must_reject entry fails, at parsing or checking, for its reason."""
    entry = key["key_proof"]["must_reject"][case]
    if entry["value"] == "first 127 rounds":
        bad = copy.deepcopy(proof_json)
        bad["rounds"] = bad["rounds"][:127]
    else:
        bad = _mutated(proof_json, entry["path"], entry["value"])
    error, message = MUST_REJECT_ERRORS[case]
    with pytest.raises(error) as caught:
        check_key_proof(h(key["n"]), KeyProof.from_json(bad))
    assert str(caught.value) == message


def test_must_reject_list_is_covered(key: dict[str, Any]) -> None:
    """The vectors list exactly the seven cases tested above."""
    assert len(key["key_proof"]["must_reject"]) == len(MUST_REJECT_ERRORS)


def test_other_fourth_root_is_accepted(
    key: dict[str, Any], proof_json: dict[str, Any]
) -> None:
    """Any fourth root is accepted: replacing x_i by n − x_i still checks."""
    n = h(key["n"])
    bad = _mutated(
        proof_json, ["rounds", 5, "x"], hex_int(n - h(proof_json["rounds"][5]["x"]))
    )
    check_key_proof(n, KeyProof.from_json(bad))


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["rounds", 0, "x"], "0", "key_proof.rounds[0].x: x must be in [1, n)"),
        (["rounds", 0, "z"], "0", "key_proof.rounds[0].z: z must be in [1, n)"),
        (
            ["rounds", 9, "x"],
            "1",
            "key_proof.rounds[9].x: x^4 ≢ (−1)^a · w^b · y (mod n)",
        ),
        (["rounds", 127, "z"], "1", "key_proof.rounds[127].z: z^n ≢ y_127 (mod n)"),
        (
            ["rounds", 0, "a"],
            1,
            "key_proof.rounds[0].x: x^4 ≢ (−1)^a · w^b · y (mod n)",
        ),
        (
            ["rounds", 0, "b"],
            1,
            "key_proof.rounds[0].x: x^4 ≢ (−1)^a · w^b · y (mod n)",
        ),
        (["w"], "0", "key_proof.w: w must be in [1, n)"),
        (["w"], "2", "key_proof.w: Jacobi symbol (w|n) must be −1"),
    ],
)
def test_tampered_fields_are_rejected(
    key: dict[str, Any],
    proof_json: dict[str, Any],
    path: list[Any],
    value: Any,
    message: str,
) -> None:
    """Changing any field of the proof makes the check fail, naming the field."""
    bad = KeyProof.from_json(_mutated(proof_json, path, value))
    with pytest.raises(CryptoCheckError) as caught:
        check_key_proof(h(key["n"]), bad)
    assert str(caught.value) == message


def test_w_out_of_range_above_n(
    key: dict[str, Any], proof_json: dict[str, Any]
) -> None:
    """w = n + w is outside [1, n) even though it is congruent."""
    n = h(key["n"])
    bad = _mutated(proof_json, ["w"], hex_int(n + h(proof_json["w"])))
    with pytest.raises(
        CryptoCheckError, match=r"^key_proof\.w: w must be in \[1, n\)$"
    ):
        check_key_proof(n, KeyProof.from_json(bad))


def test_proof_for_another_modulus_fails(
    key: dict[str, Any], proof_json: dict[str, Any]
) -> None:
    """The proof is bound to n: n + 2 (odd, composite) does not check."""
    n = h(key["n"]) + 2
    proof = KeyProof.from_json(proof_json)
    with pytest.raises(CryptoCheckError):
        check_key_proof(n, proof)


@pytest.mark.parametrize(
    ("n", "message"),
    [
        (10, "n: n must be odd (and at least 3)"),
        (1, "n: n must be odd (and at least 3)"),
        (2**61 - 1, "n: n must not be prime"),
    ],
)
def test_modulus_must_be_odd_and_composite(
    proof_json: dict[str, Any], n: int, message: str
) -> None:
    """An even n and a prime n are rejected before the rounds are looked at."""
    with pytest.raises(CryptoCheckError) as caught:
        check_key_proof(n, KeyProof.from_json(proof_json))
    assert str(caught.value) == message


def test_check_rejects_directly_built_short_proof(
    key: dict[str, Any], proof_json: dict[str, Any]
) -> None:
    """A proof object with 127 rounds (built without parsing) fails the check."""
    proof = KeyProof.from_json(proof_json)
    short = KeyProof(w=proof.w, rounds=proof.rounds[:127])
    with pytest.raises(
        CryptoCheckError, match=r"^key_proof\.rounds: expected 128 rounds, got 127$"
    ):
        check_key_proof(h(key["n"]), short)


def test_check_rejects_directly_built_bad_bit(
    key: dict[str, Any], proof_json: dict[str, Any]
) -> None:
    """A round with a = 2 (built without parsing) fails the check."""
    proof = KeyProof.from_json(proof_json)
    r0 = proof.rounds[0]
    rounds = (KeyProofRound(x=r0.x, a=2, b=r0.b, z=r0.z), *proof.rounds[1:])
    with pytest.raises(
        CryptoCheckError, match=r"^key_proof\.rounds\[0\]: a and b must be 0 or 1$"
    ):
        check_key_proof(h(key["n"]), KeyProof(w=proof.w, rounds=rounds))


def test_challenge_sharing_a_factor_with_n_is_rejected() -> None:
    """A round whose y_i shares a factor with n fails with gcd(y_i, n) ≠ 1."""
    n = 3 * 1000000007  # odd, composite, with the small factor 3
    w = next(
        w
        for w in range(2, 10**4)
        if jacobi(w, n) == -1 and derive_challenge(n, w, 0) % 3 == 0
    )
    rounds = tuple(KeyProofRound(x=1, a=0, b=0, z=1) for _ in range(128))
    with pytest.raises(
        CryptoCheckError, match=r"^key_proof\.rounds\[0\]: gcd\(y_0, n\) ≠ 1$"
    ):
        check_key_proof(n, KeyProof(w=w, rounds=rounds))


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [
        (
            lambda p: p.update(extra=1),
            StructureError,
            "key_proof: unknown key(s): extra",
        ),
        (lambda p: p.pop("w"), StructureError, "key_proof: missing key(s): w"),
        (lambda p: p.update(w="0" + p["w"]), EncodingError, None),
        (lambda p: p.update(w=p["w"].upper()), EncodingError, None),
        (
            lambda p: p.update(w=int(p["w"][:8], 16)),
            StructureError,
            "key_proof.w: expected a hex string",
        ),
        (
            lambda p: p["rounds"][4].update(a=True),
            StructureError,
            "key_proof.rounds[4].a: expected an integer",
        ),
        (
            lambda p: p["rounds"][4].update(b="1"),
            StructureError,
            "key_proof.rounds[4].b: expected an integer",
        ),
        (
            lambda p: p["rounds"][4].pop("z"),
            StructureError,
            "key_proof.rounds[4]: missing key(s): z",
        ),
        (
            lambda p: p["rounds"][4].update(y="1"),
            StructureError,
            "key_proof.rounds[4]: unknown key(s): y",
        ),
        (lambda p: p["rounds"][2].update(x="0x1"), EncodingError, None),
        (
            lambda p: p["rounds"].append(p["rounds"][0]),
            StructureError,
            "key_proof.rounds: expected 128 items, got 129",
        ),
    ],
)
def test_parsing_is_strict(
    proof_json: dict[str, Any], mutate: Any, error: type[Exception], message: str | None
) -> None:
    """Unknown or missing keys, non-canonical hex and wrong types are rejected."""
    bad = copy.deepcopy(proof_json)
    mutate(bad)
    with pytest.raises(error) as caught:
        KeyProof.from_json(bad)
    if message is not None:
        assert str(caught.value) == message


def test_prove_and_check_a_fresh_small_key() -> None:
    """A proof with a random w for a small safe-prime key checks."""
    p, q = 1000667, 1000403  # primes ≡ 3 (mod 4)
    proof = prove_key(p, q)
    assert jacobi(proof.w, p * q) == -1
    check_key_proof(p * q, proof)


def test_prove_key_rejects_bad_primes() -> None:
    """Equal primes, primes ≡ 1 (mod 4), composites and a bad w are refused."""
    with pytest.raises(ValueError, match="distinct primes"):
        prove_key(1000667, 1000667)
    with pytest.raises(ValueError, match="distinct primes"):
        prove_key(1000667, 13)
    with pytest.raises(ValueError, match="must be primes"):
        prove_key(1000667, 15)
    with pytest.raises(ValueError, match=r"\(w\|n\) = −1"):
        prove_key(1000667, 1000403, w=1)
