"""SPEC §3: membership proofs against the independent implementation's vectors."""

import hashlib
from typing import Any

import gmpy2
import pytest

from votecrypto.canonical import cjson, hex_int
from votecrypto.errors import EncodingError, StructureError
from votecrypto.paillier import PublicKey
from votecrypto.proofs import (
    CHALLENGE_MODULUS,
    MembershipProof,
    MembershipStatement,
    ProverRandomness,
    check_equation,
    check_equation_groups,
    check_membership,
    check_membership_batch,
    membership_challenge,
    membership_equations,
    prove_membership,
)

SECTIONS = ("membership_proof", "membership_proof_range", "membership_proof_k1")
ALL_SECTIONS = (*SECTIONS, "membership_proof_minus_one")
EH = "ab" * 32


@pytest.fixture(scope="module")
def pk(vectors: dict[str, Any]) -> PublicKey:
    """The 1024-bit vector key."""
    return PublicKey(int(vectors["key"]["n"], 16))


@pytest.fixture(scope="module")
def factors(vectors: dict[str, Any]) -> tuple[int, int]:
    """The vector key's primes ``p`` and ``q``."""
    return int(vectors["key"]["p"], 16), int(vectors["key"]["q"], 16)


def _randomness(pk: PublicKey, case: dict[str, Any]) -> ProverRandomness:
    given = case["prover_randomness"]
    simulated = sorted(
        (int(j), (int(b["e"], 16), int(b["z"], 16)))
        for j, b in given["simulated"].items()
    )
    return ProverRandomness.from_values(
        pk, int(given["rho"], 16), [pair for _, pair in simulated]
    )


def _check(pk: PublicKey, case: dict[str, Any], proof: MembershipProof) -> bool:
    return check_membership(
        pk,
        int(case["c"], 16),
        case["values"],
        case["election_hash"],
        case["context"],
        proof,
    )


def _fresh(
    pk: PublicKey, m: int, values: tuple[int, ...], index: int
) -> tuple[int, MembershipProof]:
    """Encrypt ``m`` and prove it is ``values[index]`` (true or not)."""
    r = pk.random_unit()
    c = pk.encrypt(m, r)
    return c, prove_membership(pk, c, values, index, r, EH, ["t", m])


@pytest.mark.parametrize("section", SECTIONS)
def test_prove_reproduces_vector_exactly(
    vectors: dict[str, Any], pk: PublicKey, section: str
) -> None:
    """With the vector's ρ and simulated (e_j, z_j), the proof is byte-identical."""
    case = vectors[section]
    given = case["prover_randomness"]
    c = int(case["c"], 16)
    r = int(case["r"], 16)
    assert pk.encrypt(case["plaintext"], r) == c
    proof = prove_membership(
        pk,
        c,
        case["values"],
        case["index"],
        r,
        case["election_hash"],
        case["context"],
        rho=int(given["rho"], 16),
        simulated={
            int(j): (int(b["e"], 16), int(b["z"], 16))
            for j, b in given["simulated"].items()
        },
    )
    assert proof.to_json() == case["proof"]


@pytest.mark.parametrize("section", SECTIONS)
def test_precomputed_randomness_gives_the_same_proof(
    vectors: dict[str, Any], pk: PublicKey, section: str
) -> None:
    """A ProverRandomness built ahead from the same values gives the same proof."""
    case = vectors[section]
    proof = prove_membership(
        pk,
        int(case["c"], 16),
        case["values"],
        case["index"],
        int(case["r"], 16),
        case["election_hash"],
        case["context"],
        randomness=_randomness(pk, case),
    )
    assert proof.to_json() == case["proof"]


@pytest.mark.parametrize("section", ALL_SECTIONS)
def test_challenge_hash_input_matches_vector(
    vectors: dict[str, Any], pk: PublicKey, section: str
) -> None:
    """The §3 challenge hashes exactly the vector's canonical JSON."""
    case = vectors[section]
    proof = MembershipProof.from_json(case["proof"])
    hash_input = [
        "evote-paillier/1/membership",
        case["election_hash"],
        case["context"],
        hex_int(pk.n),
        case["c"],
        case["values"],
        case["proof"]["commitments"],
    ]
    assert cjson(hash_input).decode() == case["hash_input_cjson"]
    challenge = membership_challenge(
        pk,
        int(case["c"], 16),
        case["values"],
        case["election_hash"],
        case["context"],
        proof.commitments,
    )
    assert hex_int(challenge) == case["challenge"]
    assert hashlib.sha256(cjson(hash_input)).hexdigest() == case["challenge"].zfill(64)
    assert sum(proof.challenges) % CHALLENGE_MODULUS == challenge


@pytest.mark.parametrize("section", ALL_SECTIONS)
def test_vector_proofs_check(
    vectors: dict[str, Any], pk: PublicKey, section: str
) -> None:
    """Every vector proof is valid, as the vector says."""
    case = vectors[section]
    assert case["valid"] is True
    assert _check(pk, case, MembershipProof.from_json(case["proof"])) is True


def test_minus_one_vector_reproduced_and_valid(
    vectors: dict[str, Any], pk: PublicKey
) -> None:
    """a_i = −ρ^n reproduces the minus-one vector, which the squared check accepts."""
    case = vectors["membership_proof_minus_one"]
    base = _randomness(pk, case)
    assert int(case["real_commitment_factor"], 16) == pk.nsquare - 1
    flipped = ProverRandomness(
        rho=base.rho,
        rho_n=(pk.nsquare - base.rho_n) % pk.nsquare,
        simulated=base.simulated,
    )
    proof = prove_membership(
        pk,
        int(case["c"], 16),
        case["values"],
        case["index"],
        int(case["r"], 16),
        case["election_hash"],
        case["context"],
        randomness=flipped,
    )
    assert proof.to_json() == case["proof"]
    assert _check(pk, case, proof) is True


def test_minus_one_vector_fails_the_unsquared_equation(
    vectors: dict[str, Any], pk: PublicKey
) -> None:
    """The real branch of the minus-one vector is off by exactly −1 unsquared."""
    case = vectors["membership_proof_minus_one"]
    proof = MembershipProof.from_json(case["proof"])
    i = case["index"]
    nsq = pk.nsquare
    u = int(case["c"], 16) * (1 - pk.n * case["values"][i]) % nsq
    left = pow(proof.responses[i], pk.n, nsq)
    right = proof.commitments[i] * pow(u, proof.challenges[i], nsq) % nsq
    assert left == (nsq - right) % nsq


def test_response_negated_stays_valid(vectors: dict[str, Any], pk: PublicKey) -> None:
    """z_j ↦ n − z_j multiplies z^n by −1, which the squared check ignores."""
    case = vectors["membership_proof"]
    proof = MembershipProof.from_json(case["proof"])
    responses = (pk.n - proof.responses[0], *proof.responses[1:])
    changed = MembershipProof(proof.commitments, proof.challenges, responses)
    assert _check(pk, case, changed) is True


def _tampered(proof: MembershipProof, key: str, j: int, delta: int) -> MembershipProof:
    lists = {
        "commitments": list(proof.commitments),
        "challenges": list(proof.challenges),
        "responses": list(proof.responses),
    }
    lists[key][j] += delta
    return MembershipProof(
        tuple(lists["commitments"]),
        tuple(lists["challenges"]),
        tuple(lists["responses"]),
    )


@pytest.mark.parametrize("section", ALL_SECTIONS)
@pytest.mark.parametrize("key", ["commitments", "challenges", "responses"])
@pytest.mark.parametrize("delta", [1, -1])
def test_tampering_any_field_invalidates(
    vectors: dict[str, Any], pk: PublicKey, section: str, key: str, delta: int
) -> None:
    """Changing any one commitment, challenge or response by ±1 makes it invalid."""
    case = vectors[section]
    proof = MembershipProof.from_json(case["proof"])
    verdicts = [
        _check(pk, case, _tampered(proof, key, j, delta))
        for j in range(len(case["values"]))
    ]
    assert verdicts == [False] * len(case["values"])


@pytest.mark.parametrize("section", ["membership_proof", "membership_proof_range"])
def test_forged_challenge_split_is_invalid(
    vectors: dict[str, Any], pk: PublicKey, section: str
) -> None:
    """e_0 + δ and e_1 − δ keep Σ e_j = e, but the equations fail."""
    case = vectors[section]
    proof = MembershipProof.from_json(case["proof"])
    delta = 12345
    forged = _tampered(
        _tampered(proof, "challenges", 0, delta), "challenges", 1, -delta
    )
    assert sum(forged.challenges) % CHALLENGE_MODULUS == int(case["challenge"], 16)
    assert (
        membership_equations(
            pk,
            int(case["c"], 16),
            case["values"],
            case["election_hash"],
            case["context"],
            forged,
        )
        is not None
    )
    assert _check(pk, case, forged) is False


def test_challenge_out_of_range_is_invalid(
    vectors: dict[str, Any], pk: PublicKey
) -> None:
    """e_0 + 2^256 keeps the sum mod 2^256, but e_j < 2^256 is required."""
    case = vectors["membership_proof"]
    proof = MembershipProof.from_json(case["proof"])
    forged = _tampered(proof, "challenges", 0, CHALLENGE_MODULUS)
    assert _check(pk, case, forged) is False


def test_response_plus_n_is_invalid(vectors: dict[str, Any], pk: PublicKey) -> None:
    """z_j + n has the same z^n mod n², but z_j must lie in [1, n)."""
    case = vectors["membership_proof"]
    proof = MembershipProof.from_json(case["proof"])
    forged = _tampered(proof, "responses", 1, pk.n)
    assert pow(forged.responses[1], 2 * pk.n, pk.nsquare) == pow(
        proof.responses[1], 2 * pk.n, pk.nsquare
    )
    assert _check(pk, case, forged) is False


def test_response_sharing_a_factor_is_invalid(
    vectors: dict[str, Any], pk: PublicKey, factors: tuple[int, int]
) -> None:
    """A response z_j with gcd(z_j, n) ≠ 1 is rejected."""
    case = vectors["membership_proof"]
    proof = MembershipProof.from_json(case["proof"])
    forged = MembershipProof(
        proof.commitments, proof.challenges, (factors[0], proof.responses[1])
    )
    assert _check(pk, case, forged) is False


def test_commitment_plus_n_squared_is_invalid(
    vectors: dict[str, Any], pk: PublicKey
) -> None:
    """A consistent proof whose a_i is ρ^n + n² passes every check but a_j < n²."""
    case = vectors["membership_proof"]
    base = _randomness(pk, case)
    big = ProverRandomness(base.rho, base.rho_n + pk.nsquare, base.simulated)
    c = int(case["c"], 16)
    proof = prove_membership(
        pk,
        c,
        case["values"],
        case["index"],
        int(case["r"], 16),
        case["election_hash"],
        case["context"],
        randomness=big,
    )
    assert proof.commitments[case["index"]] >= pk.nsquare
    assert _check(pk, case, proof) is False


def test_ciphertext_plus_n_squared_is_invalid(
    vectors: dict[str, Any], pk: PublicKey
) -> None:
    """A proof made for c + n² is rejected: c must be a valid ciphertext."""
    case = vectors["membership_proof"]
    c = int(case["c"], 16) + pk.nsquare
    proof = prove_membership(
        pk,
        c,
        case["values"],
        case["index"],
        int(case["r"], 16),
        case["election_hash"],
        case["context"],
    )
    assert (
        check_membership(
            pk, c, case["values"], case["election_hash"], case["context"], proof
        )
        is False
    )


def test_equation_off_by_order_n_element_is_invalid(
    vectors: dict[str, Any], pk: PublicKey
) -> None:
    """a_i = ρ^n·(1 + n) (an element of order n) is caught by the squared check."""
    case = vectors["membership_proof"]
    base = _randomness(pk, case)
    shifted = ProverRandomness(
        base.rho, base.rho_n * (1 + pk.n) % pk.nsquare, base.simulated
    )
    proof = prove_membership(
        pk,
        int(case["c"], 16),
        case["values"],
        case["index"],
        int(case["r"], 16),
        case["election_hash"],
        case["context"],
        randomness=shifted,
    )
    assert _check(pk, case, proof) is False


@pytest.mark.parametrize(
    ("what", "election_hash", "context", "values"),
    [
        ("another credential", None, ["selection", "11" * 32, "c1", "o1"], None),
        ("another option", None, ["selection", "00" * 32, "c1", "o2"], None),
        ("another election", "cd" * 32, None, None),
        ("another V", None, None, [0, 2]),
    ],
)
def test_proof_is_bound_to_its_statement(
    vectors: dict[str, Any],
    pk: PublicKey,
    what: str,
    election_hash: str | None,
    context: list[str] | None,
    values: list[int] | None,
) -> None:
    """A valid proof fails under another context, election_hash or V."""
    case = vectors["membership_proof"]
    proof = MembershipProof.from_json(case["proof"])
    assert (
        check_membership(
            pk,
            int(case["c"], 16),
            case["values"] if values is None else values,
            case["election_hash"] if election_hash is None else election_hash,
            case["context"] if context is None else context,
            proof,
        )
        is False
    ), what


@pytest.mark.parametrize("index", [0, 1])
def test_ciphertext_of_two_cannot_be_proven_in_zero_one(
    pk: PublicKey, index: int
) -> None:
    """Enc(2) proven as 0 or as 1 of V = [0, 1] gives an invalid proof."""
    c, proof = _fresh(pk, 2, (0, 1), index)
    assert check_membership(pk, c, (0, 1), EH, ["t", 2], proof) is False


def test_wrong_index_is_invalid(pk: PublicKey) -> None:
    """Enc(1) proven as the value 0 gives an invalid proof."""
    c, proof = _fresh(pk, 1, (0, 1), 0)
    assert check_membership(pk, c, (0, 1), EH, ["t", 1], proof) is False


@pytest.mark.parametrize(
    ("m", "values", "index"),
    [(0, (0, 1), 0), (1, (0, 1), 1), (3, (1, 2, 3), 2), (5, (5,), 0)],
)
def test_fresh_proofs_are_valid(
    pk: PublicKey, m: int, values: tuple[int, ...], index: int
) -> None:
    """Proofs made with fresh randomness check, for k = 1, 2 and 3."""
    c, proof = _fresh(pk, m, values, index)
    assert len(proof.commitments) == len(values)
    assert check_membership(pk, c, values, EH, ["t", m], proof) is True


@pytest.mark.parametrize("key", ["commitments", "challenges", "responses"])
def test_list_of_wrong_length_is_invalid(
    vectors: dict[str, Any], pk: PublicKey, key: str
) -> None:
    """A list with one item too few or too many fails the check."""
    case = vectors["membership_proof"]
    data = case["proof"]
    shorter = dict(data, **{key: data[key][:1]})
    longer = dict(data, **{key: [*data[key], data[key][0]]})
    assert _check(pk, case, MembershipProof.from_json(shorter)) is False
    assert _check(pk, case, MembershipProof.from_json(longer)) is False


def test_round_trip_json(vectors: dict[str, Any]) -> None:
    """from_json then to_json gives back the vector proof exactly."""
    data = vectors["membership_proof_range"]["proof"]
    assert MembershipProof.from_json(data).to_json() == data


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (
            lambda p: p.pop("responses"),
            StructureError,
            "proof: missing key(s): responses",
        ),
        (lambda p: p.update(extra=[]), StructureError, "proof: unknown key(s): extra"),
        (
            lambda p: p.update(challenges="00"),
            StructureError,
            "proof.challenges: expected an array",
        ),
        (
            lambda p: p["commitments"].__setitem__(1, 7),
            StructureError,
            "proof.commitments[1]: expected a hex string",
        ),
        (
            lambda p: p["responses"].__setitem__(0, p["responses"][0].upper()),
            EncodingError,
            "proof.responses[0]: not canonical lowercase hex",
        ),
        (
            lambda p: p["challenges"].__setitem__(1, "0" + p["challenges"][1]),
            EncodingError,
            "proof.challenges[1]: not canonical lowercase hex",
        ),
    ],
)
def test_from_json_is_strict(
    vectors: dict[str, Any], change: Any, error: type[Exception], message: str
) -> None:
    """Wrong keys or types are structure errors, odd spellings encoding errors."""
    data = {k: list(v) for k, v in vectors["membership_proof"]["proof"].items()}
    change(data)
    with pytest.raises(error) as caught:
        MembershipProof.from_json(data)
    assert str(caught.value).startswith(message)


def test_check_shape_ignores_spelling(vectors: dict[str, Any]) -> None:
    """check_shape accepts badly spelled hex (that is an encoding matter)."""
    data = {
        k: [x.upper() for x in v]
        for k, v in vectors["membership_proof"]["proof"].items()
    }
    MembershipProof.check_shape(data)
    with pytest.raises(EncodingError):
        MembershipProof.from_json(data)


def test_prover_rejects_bad_arguments(pk: PublicKey) -> None:
    """Bad V, index, simulated keys or randomness size raise ValueError."""
    c = pk.encrypt(1, 5)
    with pytest.raises(ValueError, match="distinct and ascending"):
        prove_membership(pk, c, (1, 0), 0, 5, EH, [])
    with pytest.raises(ValueError, match=r"index 2 outside \[0, 2\)"):
        prove_membership(pk, c, (0, 1), 2, 5, EH, [])
    with pytest.raises(ValueError, match="every j ≠ index"):
        prove_membership(pk, c, (0, 1), 1, 5, EH, [], rho=7, simulated={1: (1, 2)})
    with pytest.raises(ValueError, match="k = 3, the statement has k = 2"):
        prove_membership(
            pk, c, (0, 1), 1, 5, EH, [], randomness=ProverRandomness.generate(pk, 3)
        )


def test_prover_randomness_sizes(pk: PublicKey) -> None:
    """generate(k) holds ρ^n and k − 1 simulated branches with z^n precomputed."""
    randomness = ProverRandomness.generate(pk, 3)
    assert randomness.k == 3
    assert randomness.rho_n == pow(randomness.rho, pk.n, pk.nsquare)
    assert [b.z_n == pow(b.z, pk.n, pk.nsquare) for b in randomness.simulated] == [
        True,
        True,
    ]


def _statements(vectors: dict[str, Any], pk: PublicKey) -> list[MembershipStatement]:
    result = []
    for section in ALL_SECTIONS:
        case = vectors[section]
        result.append(
            MembershipStatement(
                pk=pk,
                c=int(case["c"], 16),
                values=tuple(case["values"]),
                election_hash=case["election_hash"],
                context=tuple(case["context"]),
                proof=MembershipProof.from_json(case["proof"]),
            )
        )
    return result


def test_batch_accepts_all_valid(vectors: dict[str, Any], pk: PublicKey) -> None:
    """A batch of valid proofs (the minus-one one included) is all valid."""
    assert check_membership_batch(_statements(vectors, pk)) == [True] * 4


def test_batch_finds_the_bad_ones(vectors: dict[str, Any], pk: PublicKey) -> None:
    """The batch check agrees with the single check and finds each bad proof."""
    good = _statements(vectors, pk)
    forged_split = _tampered(
        _tampered(good[1].proof, "challenges", 0, 99), "challenges", 1, -99
    )
    bad_response = _tampered(good[0].proof, "responses", 0, 1)
    items = [
        good[0],
        MembershipStatement(
            pk,
            good[1].c,
            good[1].values,
            good[1].election_hash,
            good[1].context,
            forged_split,
        ),
        good[2],
        good[3],
        MembershipStatement(
            pk,
            good[0].c,
            good[0].values,
            good[0].election_hash,
            good[0].context,
            bad_response,
        ),
        good[1],
    ]
    singles = [
        check_membership(pk, s.c, s.values, s.election_hash, s.context, s.proof)
        for s in items
    ]
    assert singles == [True, False, True, True, False, True]
    assert check_membership_batch(items) == singles


def test_batch_of_nothing() -> None:
    """An empty batch gives an empty answer; an empty group is valid."""
    assert check_membership_batch([]) == []
    assert check_equation_groups(PublicKey(15), [[]]) == [True]


def test_batch_splits_to_a_single_bad_equation(
    vectors: dict[str, Any], pk: PublicKey
) -> None:
    """Groups of equations: only the group with the false equation fails."""
    statements = _statements(vectors, pk)
    groups = [list(s.equations() or ()) for s in statements]
    eq = groups[2][0]
    groups[2][0] = type(eq)(
        z=eq.z, a=eq.a * (1 + pk.n) % pk.nsquare, c=eq.c, m=eq.m, e=eq.e
    )
    assert check_equation(pk, groups[2][0]) is False
    assert check_equation_groups(pk, groups) == [True, True, False, True]


def test_order_two_factor_passes_batch_too(
    vectors: dict[str, Any], pk: PublicKey, factors: tuple[int, int]
) -> None:
    """A commitment times an element of order two passes single and batch checks."""
    p, q = factors
    nsq = pk.nsquare
    # x ≡ 1 (mod p²), x ≡ −1 (mod q²): an element of order two, not ±1.
    x = int((1 + p * p * ((-2 * gmpy2.invert(p * p, q * q)) % (q * q))) % nsq)
    assert x * x % nsq == 1
    assert x not in (1, nsq - 1)
    statements = _statements(vectors, pk)
    eq = statements[0].equations()
    assert eq is not None
    changed = [type(e)(z=e.z, a=e.a * x % nsq, c=e.c, m=e.m, e=e.e) for e in eq]
    assert [check_equation(pk, e) for e in changed] == [True, True]
    assert check_equation_groups(pk, [changed, list(eq)]) == [True, True]
