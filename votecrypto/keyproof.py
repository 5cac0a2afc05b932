"""SPEC §2.1: the key proof that ``n`` is a Paillier–Blum modulus.

After Canetti et al. 2021 (Π^mod): ``n`` is the product of two distinct
primes ≡ 3 (mod 4) with ``gcd(n, φ(n)) = 1``.  The dealer publishes ``w``
with Jacobi symbol ``(w|n) = −1`` and 128 rounds ``{x, a, b, z}`` answering
the challenges ``y_i`` derived by hashing; :func:`check_key_proof` is what
every verifier runs (V1).
"""

import secrets
from dataclasses import dataclass
from typing import Any

import gmpy2

from votecrypto.canonical import (
    Hint,
    Json,
    expect_int,
    expect_list,
    expect_object,
    hex_int,
    parse_hex_int,
)
from votecrypto.errors import CryptoCheckError

__all__ = [
    "KEY_PROOF_ROUNDS",
    "KEY_PROOF_TAG",
    "KeyProof",
    "KeyProofRound",
    "challenge_blocks",
    "check_key_proof",
    "derive_challenge",
    "prove_key",
]

KEY_PROOF_TAG = "evote-paillier/1/key-proof"
"""Domain tag of the challenge hash ``y_i`` (SPEC §2.1)."""

KEY_PROOF_ROUNDS = 128
"""Number of rounds ``i = 0…127`` (SPEC §2.1)."""


@dataclass(frozen=True, slots=True)
class KeyProofRound:
    """One round ``{"x", "a", "b", "z"}`` of the key proof (SPEC §2.1)."""

    x: int
    """``x_i``: a fourth root of ``(−1)^a_i · w^b_i · y_i`` modulo ``n``."""
    a: int
    """``a_i ∈ {0, 1}``: the exponent of ``−1``."""
    b: int
    """``b_i ∈ {0, 1}``: the exponent of ``w``."""
    z: int
    """``z_i = y_i^(n⁻¹ mod φ(n)) mod n``: an ``n``-th root of ``y_i``."""

    def to_json(self) -> dict[str, Json]:
        """Return the round as a JSON object (big integers as hex)."""
        return {"x": hex_int(self.x), "a": self.a, "b": self.b, "z": hex_int(self.z)}

    @classmethod
    def from_json(cls, value: Json, field: str = "round") -> "KeyProofRound":
        """Parse a round strictly: exactly its four keys, canonical values."""
        obj = expect_object(value, field, ("x", "a", "b", "z"))
        return cls(
            x=parse_hex_int(obj["x"], f"{field}.x"),
            a=expect_int(obj["a"], f"{field}.a", 0, 1),
            b=expect_int(obj["b"], f"{field}.b", 0, 1),
            z=parse_hex_int(obj["z"], f"{field}.z"),
        )


@dataclass(frozen=True, slots=True)
class KeyProof:
    """The Paillier–Blum modulus proof ``{"w", "rounds"}`` (SPEC §2.1)."""

    w: int
    """``w ∈ [1, n)`` with Jacobi symbol ``(w|n) = −1``."""
    rounds: tuple[KeyProofRound, ...]
    """The 128 rounds, ``i = 0…127`` in order."""

    def to_json(self) -> dict[str, Json]:
        """Return ``{"w": hex(w), "rounds": [...]}``."""
        return {"w": hex_int(self.w), "rounds": [r.to_json() for r in self.rounds]}

    @classmethod
    def from_json(cls, value: Json, field: str = "key_proof") -> "KeyProof":
        """Parse a key proof strictly: exactly 128 rounds, canonical encodings.

        Ranges that depend on ``n`` are checked by :func:`check_key_proof`.
        """
        obj = expect_object(value, field, ("w", "rounds"))
        w = parse_hex_int(obj["w"], f"{field}.w")
        items = expect_list(obj["rounds"], f"{field}.rounds", KEY_PROOF_ROUNDS)
        rounds = tuple(
            KeyProofRound.from_json(item, f"{field}.rounds[{i}]")
            for i, item in enumerate(items)
        )
        return cls(w=w, rounds=rounds)


def challenge_blocks(n: int) -> int:
    """Return ``J = ⌈(bits(n) + 128) / 256⌉``, the hash blocks per ``y_i``."""
    return -(-(n.bit_length() + 128) // 256)


def derive_challenge(n: int, w: int, i: int) -> int:
    """Return ``y_i`` of SPEC §2.1.

    ``y_i = (Σ_{j<J} Hint([tag, hex(n), hex(w), i, j]) · 2^(256·j)) mod n``.
    """
    total = 0
    for j in range(challenge_blocks(n)):
        total |= Hint([KEY_PROOF_TAG, hex_int(n), hex_int(w), i, j]) << (256 * j)
    return total % n


def _random_w(n: int) -> int:
    """Draw ``w`` uniform in ``[1, n)`` with ``(w|n) = −1``."""
    while True:
        w = 1 + secrets.randbelow(n - 1)
        if gmpy2.jacobi(w, n) == -1:
            return w


def _fourth_root_mod(y: int, prime: int) -> int:
    """Return ``y^(((prime+1)/4)²) mod prime``, a fourth root of a QR ``y``."""
    e = (prime + 1) // 4
    return int(gmpy2.powmod(y, e * e, prime))


def prove_key(p: int, q: int, *, w: int | None = None) -> KeyProof:
    """Make the dealer's key proof for ``n = p·q`` (SPEC §2.1).

    ``p`` and ``q`` must be distinct primes ≡ 3 (mod 4).  ``w`` (with
    ``(w|n) = −1``) is drawn at random unless injected for a known-answer
    test.  Each round takes the unique ``(a_i, b_i)`` that makes
    ``y'_i = (−1)^a_i·w^b_i·y_i`` a square modulo both primes and the
    fourth root ``x_i`` of the spec's formula.
    """
    if p == q or p % 4 != 3 or q % 4 != 3:
        raise ValueError("p and q must be distinct primes ≡ 3 (mod 4)")
    if not (gmpy2.is_prime(p) and gmpy2.is_prime(q)):
        raise ValueError("p and q must be primes")
    n = p * q
    phi = (p - 1) * (q - 1)
    if w is None:
        w = _random_w(n)
    elif not 1 <= w < n or gmpy2.jacobi(w, n) != -1:
        raise ValueError("w must be in [1, n) with Jacobi symbol (w|n) = −1")
    n_inverse = int(gmpy2.invert(n, phi))
    q_inverse_mod_p = int(gmpy2.invert(q, p))
    rounds = []
    for i in range(KEY_PROOF_ROUNDS):
        y = derive_challenge(n, w, i)
        if gmpy2.gcd(y, n) != 1:  # pragma: no cover - reveals a factor of n
            raise ValueError(f"y_{i} shares a factor with n")
        a, b, y_prime = _square_variant(y, w, p, q, n)
        x_p = _fourth_root_mod(y_prime % p, p)
        x_q = _fourth_root_mod(y_prime % q, q)
        x = x_q + q * ((x_p - x_q) * q_inverse_mod_p % p)
        z = int(gmpy2.powmod(y, n_inverse, n))
        rounds.append(KeyProofRound(x=x, a=a, b=b, z=z))
    return KeyProof(w=w, rounds=tuple(rounds))


def _square_variant(y: int, w: int, p: int, q: int, n: int) -> tuple[int, int, int]:
    """Return ``(a, b, y')`` with ``y' = (−1)^a·w^b·y mod n`` a square mod p and q."""
    for a in (0, 1):
        for b in (0, 1):
            y_prime = y * (w if b else 1) % n
            if a:
                y_prime = (n - y_prime) % n
            if gmpy2.legendre(y_prime, p) == 1 and gmpy2.legendre(y_prime, q) == 1:
                return a, b, y_prime
    raise ValueError("w must be a non-residue modulo exactly one prime")


def check_key_proof(n: int, proof: KeyProof, field: str = "key_proof") -> None:
    """Check the key proof for ``n`` (SPEC §2.1, V1).

    Raise :class:`CryptoCheckError` naming the failed check and round:
    ``n`` odd and not prime; ``w ∈ [1, n)`` with ``(w|n) = −1``; exactly
    128 rounds with ``a_i, b_i ∈ {0, 1}``; and for every ``i``:
    ``gcd(y_i, n) = 1``, ``x_i, z_i ∈ [1, n)``, ``z_i^n ≡ y_i`` and
    ``x_i^4 ≡ (−1)^a_i · w^b_i · y_i (mod n)``.
    """
    if n < 3 or n % 2 == 0:
        raise CryptoCheckError("n", "n must be odd (and at least 3)")
    if gmpy2.is_prime(n):
        raise CryptoCheckError("n", "n must not be prime")
    w = proof.w
    if not 1 <= w < n:
        raise CryptoCheckError(f"{field}.w", "w must be in [1, n)")
    if gmpy2.jacobi(w, n) != -1:
        raise CryptoCheckError(f"{field}.w", "Jacobi symbol (w|n) must be −1")
    if len(proof.rounds) != KEY_PROOF_ROUNDS:
        raise CryptoCheckError(
            f"{field}.rounds",
            f"expected {KEY_PROOF_ROUNDS} rounds, got {len(proof.rounds)}",
        )
    mpz_n = gmpy2.mpz(n)
    for i, round_ in enumerate(proof.rounds):
        _check_round(mpz_n, w, i, round_, f"{field}.rounds[{i}]")


def _check_round(n: Any, w: int, i: int, round_: KeyProofRound, field: str) -> None:
    """Check round ``i`` of the key proof, raising on the first failure."""
    if round_.a not in (0, 1) or round_.b not in (0, 1):
        raise CryptoCheckError(field, "a and b must be 0 or 1")
    y = derive_challenge(int(n), w, i)
    if gmpy2.gcd(y, n) != 1:
        raise CryptoCheckError(field, f"gcd(y_{i}, n) ≠ 1")
    if not 1 <= round_.x < n:
        raise CryptoCheckError(f"{field}.x", "x must be in [1, n)")
    if not 1 <= round_.z < n:
        raise CryptoCheckError(f"{field}.z", "z must be in [1, n)")
    if gmpy2.powmod(round_.z, n, n) != y:
        raise CryptoCheckError(f"{field}.z", f"z^n ≢ y_{i} (mod n)")
    expected = y * (w if round_.b else 1) % n
    if round_.a:
        expected = (n - expected) % n
    if gmpy2.powmod(round_.x, 4, n) != expected:
        raise CryptoCheckError(f"{field}.x", "x^4 ≢ (−1)^a · w^b · y (mod n)")
