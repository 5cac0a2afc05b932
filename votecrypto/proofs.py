"""SPEC §3: proof that a ciphertext holds one of a few values.

Raw mathematics: callers should prefer the ballot recipes in
:mod:`votecrypto.ballot`.  The statement is "the valid ciphertext ``c``
encrypts some ``M ∈ V = [m_0, …, m_{k−1}]``", bound to a ``context`` array
and an ``election_hash`` by the Fiat–Shamir challenge

    e = Hint(["evote-paillier/1/membership", election_hash, context,
              hex(n), hex(c), V, [hex(a_0), …]]).

Writing ``u_j = c·(1 − n·m_j) mod n²``, the check for every branch ``j`` is
the squared equation ``z_j^(2n) ≡ (a_j·u_j^(e_j))² (mod n²)``, blind to
elements of order two.

Three layers serve three clients:

* the prover (booth, server simulation): :class:`ProverRandomness` holds
  every exponentiation by ``n`` a proof needs, so it can be computed before
  the voter's choice is known; :func:`prove_membership` then costs only
  short exponentiations;
* the single check :func:`check_membership`, which makes every check of §3;
* batch checking: :func:`membership_equations` runs the cheap checks of a
  proof and returns its equations; :func:`check_equation_groups` checks many
  groups of equations at once with random 128-bit weights (SPEC §3 allows
  it; it relies on ``n`` being a product of safe primes) and splits a
  failing batch until the failing groups are found, each of which is then
  decided by the exact single check.  A verifier that uses it must say so.

Speed-up used throughout: ``(1 − n·m)^e ≡ 1 − n·m·e (mod n²)`` (binomial
theorem), so ``u_j^(e_j) = c^(e_j)·(1 − n·m_j·e_j) mod n²`` and the only
long exponentiation per branch is ``z_j^n``.
"""

import itertools
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import gmpy2

from votecrypto.canonical import (
    Hint,
    Json,
    expect_list,
    expect_object,
    hex_int,
    parse_hex_int,
)
from votecrypto.errors import StructureError
from votecrypto.paillier import PublicKey

MEMBERSHIP_TAG: Final = "evote-paillier/1/membership"
"""Domain tag of the §3 challenge hash."""

CHALLENGE_BITS: Final = 256
"""Challenges ``e_j`` and their sum live modulo ``2^256`` (SPEC §3)."""

CHALLENGE_MODULUS: Final = 1 << CHALLENGE_BITS
"""``2^256``."""

BATCH_WEIGHT_BITS: Final = 128
"""Bits of the random weights of a batch check (SPEC §3: at least 128)."""

PROOF_KEYS: Final = ("challenges", "commitments", "responses")
"""The keys of a proof object (SPEC §3 step 5)."""


# ---------------------------------------------------------------- wire type


@dataclass(frozen=True, slots=True)
class MembershipProof:
    """A §3 proof ``{"commitments", "challenges", "responses"}``.

    The three lists should each have ``k`` items; :func:`check_membership`
    checks that, parsing does not (a wrong length is a failed proof, SPEC §3
    "Check").
    """

    commitments: tuple[int, ...]
    """The commitments ``a_0 … a_{k−1}`` (group elements mod ``n²``)."""
    challenges: tuple[int, ...]
    """The challenges ``e_0 … e_{k−1}`` (each below ``2^256``)."""
    responses: tuple[int, ...]
    """The responses ``z_0 … z_{k−1}`` (each in ``Z*_n``)."""

    def to_json(self) -> Json:
        """Return the proof object of SPEC §3 step 5 (big integers as hex)."""
        return {
            "commitments": [hex_int(a) for a in self.commitments],
            "challenges": [hex_int(e) for e in self.challenges],
            "responses": [hex_int(z) for z in self.responses],
        }

    @staticmethod
    def check_shape(value: Json, field: str = "proof") -> None:
        """Raise :class:`StructureError` unless ``value`` has the proof's shape.

        The shape is an object with exactly the keys ``commitments``,
        ``challenges`` and ``responses``, each an array of strings.  The
        spelling of the strings is not looked at, so a caller can report
        every structure error of a bigger object before any encoding error
        (SPEC §7 orders ``structure`` before ``encoding``).
        """
        obj = expect_object(value, field, PROOF_KEYS)
        for key in PROOF_KEYS:
            items = expect_list(obj[key], f"{field}.{key}")
            for index, item in enumerate(items):
                if not isinstance(item, str):
                    raise StructureError(
                        f"{field}.{key}[{index}]", "expected a hex string"
                    )

    @classmethod
    def from_json(cls, value: Json, field: str = "proof") -> "MembershipProof":
        """Parse a proof object strictly, naming ``field`` in any error.

        Wrong keys or types raise :class:`StructureError`; a number not in
        canonical lowercase hex raises :class:`EncodingError`.
        """
        cls.check_shape(value, field)
        lists = {
            key: tuple(
                parse_hex_int(item, f"{field}.{key}[{index}]")
                for index, item in enumerate(value[key])
            )
            for key in PROOF_KEYS
        }
        return cls(
            commitments=lists["commitments"],
            challenges=lists["challenges"],
            responses=lists["responses"],
        )


# ---------------------------------------------------------------- helpers


def check_values(values: Sequence[int]) -> tuple[int, ...]:
    """Return ``V`` as a tuple after checking it is a valid §3 value list.

    ``V`` is non-empty, of distinct non-negative integers in ascending order.
    A bad ``V`` is the caller's mistake, not the proof's: raise ``ValueError``.
    """
    result = tuple(values)
    if not result:
        raise ValueError("V must hold at least one value (k ≥ 1)")
    for m in result:
        if isinstance(m, bool) or not isinstance(m, int) or m < 0:
            raise ValueError(f"values in V must be non-negative integers, not {m!r}")
    if any(a >= b for a, b in itertools.pairwise(result)):
        raise ValueError("values in V must be distinct and ascending")
    return result


def membership_challenge(
    pk: PublicKey,
    c: int,
    values: Sequence[int],
    election_hash: str,
    context: Sequence[Json],
    commitments: Sequence[int],
) -> int:
    """Return the §3 step 3 challenge ``e``.

    ``election_hash`` is the 64-digit hex string as hashed; ``context`` is
    the JSON array, nested as given; ``V`` enters as JSON integers.
    """
    return Hint(
        [
            MEMBERSHIP_TAG,
            election_hash,
            list(context),
            hex_int(pk.n),
            hex_int(c),
            list(values),
            [hex_int(a) for a in commitments],
        ]
    )


def _u_power(c: int, m: int, e: int, n: int, nsquare: int) -> gmpy2.mpz:
    """Return ``u^e mod n²`` for ``u = c·(1 − n·m)``, as ``c^e·(1 − n·m·e)``."""
    return gmpy2.powmod(c, e, nsquare) * ((1 - n * ((m * e) % n)) % nsquare) % nsquare


# ---------------------------------------------------------------- prover


@dataclass(frozen=True, slots=True)
class SimulatedBranch:
    """A simulated branch ``j ≠ i`` (SPEC §3 step 1), with ``z_j^n`` precomputed."""

    e: int
    """The challenge ``e_j``, uniform in ``[0, 2^256)``."""
    z: int
    """The response ``z_j``, uniform in ``Z*_n``."""
    z_n: int
    """``z_j^n mod n²``: the expensive part of ``a_j``."""


@dataclass(frozen=True, slots=True)
class ProverRandomness:
    """Everything random in one §3 proof, drawn before the choice is known.

    A proof for ``k`` values needs ``ρ`` (step 2) and ``k − 1`` simulated
    branches (step 1).  The simulated branches are assigned, in order, to
    the indices ``j ≠ i`` in ascending order once ``i`` is known.  The
    exponentiations by ``n`` are done here, so a booth can compute this
    while the voter is still choosing.  Each object is for one proof only:
    reusing it leaks the vote.
    """

    rho: int
    """``ρ``, uniform in ``Z*_n``."""
    rho_n: int
    """``ρ^n mod n²``, which is the real branch's commitment ``a_i``."""
    simulated: tuple[SimulatedBranch, ...]
    """The ``k − 1`` simulated branches."""

    @property
    def k(self) -> int:
        """Return the number of values ``k`` this randomness is for."""
        return len(self.simulated) + 1

    @classmethod
    def generate(cls, pk: PublicKey, k: int) -> "ProverRandomness":
        """Draw fresh randomness for a proof over ``k`` values (uses ``secrets``)."""
        if k < 1:
            raise ValueError("k must be at least 1")
        return cls.from_values(
            pk,
            pk.random_unit(),
            [
                (secrets.randbits(CHALLENGE_BITS), pk.random_unit())
                for _ in range(k - 1)
            ],
        )

    @classmethod
    def from_values(
        cls, pk: PublicKey, rho: int, simulated: Sequence[tuple[int, int]]
    ) -> "ProverRandomness":
        """Build the randomness from given ``ρ`` and ``(e_j, z_j)`` pairs.

        For known-answer tests only: real proofs use :meth:`generate`.
        """
        if not pk.is_unit(rho):
            raise ValueError("rho must be in Z*_n")
        branches = []
        for e, z in simulated:
            if not 0 <= e < CHALLENGE_MODULUS:
                raise ValueError("a simulated challenge must be in [0, 2^256)")
            if not pk.is_unit(z):
                raise ValueError("a simulated response must be in Z*_n")
            branches.append(SimulatedBranch(e=e, z=z, z_n=pk.powmod(z, pk.n)))
        return cls(rho=rho, rho_n=pk.powmod(rho, pk.n), simulated=tuple(branches))


def prove_membership(
    pk: PublicKey,
    c: int,
    values: Sequence[int],
    index: int,
    r: int,
    election_hash: str,
    context: Sequence[Json],
    *,
    rho: int | None = None,
    simulated: Mapping[int, tuple[int, int]] | None = None,
    randomness: ProverRandomness | None = None,
) -> MembershipProof:
    """Prove that ``c = Enc(values[index]; r)`` holds a value of ``V`` (SPEC §3).

    The prover's randomness comes from ``randomness`` (precomputed with
    :meth:`ProverRandomness.generate`), or is drawn here.  For known-answer
    tests only, ``rho`` and ``simulated`` (``{j: (e_j, z_j)}`` for every
    ``j ≠ index``) fix it instead.  The function does not check that ``c``
    encrypts ``values[index]`` with ``r``: a false statement gives a proof
    that fails the check.
    """
    V = check_values(values)
    k = len(V)
    if not 0 <= index < k:
        raise ValueError(f"index {index} outside [0, {k})")
    if randomness is not None and (rho is not None or simulated is not None):
        raise ValueError("give either randomness or rho/simulated, not both")
    if randomness is None:
        if rho is None and simulated is None:
            randomness = ProverRandomness.generate(pk, k)
        else:
            pairs = dict(simulated or {})
            if sorted(pairs) != [j for j in range(k) if j != index]:
                raise ValueError("simulated must hold (e_j, z_j) for every j ≠ index")
            randomness = ProverRandomness.from_values(
                pk,
                pk.random_unit() if rho is None else rho,
                [pairs[j] for j in sorted(pairs)],
            )
    if randomness.k != k:
        raise ValueError(
            f"randomness is for k = {randomness.k}, the statement has k = {k}"
        )

    n, nsquare = pk.n, pk.nsquare
    branches = iter(randomness.simulated)
    commitments: list[int] = []
    challenges: list[int] = []
    responses: list[int] = []
    for j, m in enumerate(V):
        if j == index:
            commitments.append(randomness.rho_n)
            challenges.append(0)
            responses.append(0)
            continue
        branch = next(branches)
        # a_j = z_j^n · u_j^(−e_j): the inverse of u_j^(e_j) exists since c is a unit.
        u_e = _u_power(c, m, branch.e, n, nsquare)
        commitments.append(int(branch.z_n * gmpy2.invert(u_e, nsquare) % nsquare))
        challenges.append(branch.e)
        responses.append(branch.z)
    e = membership_challenge(pk, c, V, election_hash, context, commitments)
    e_i = (e - sum(challenges)) % CHALLENGE_MODULUS
    challenges[index] = e_i
    responses[index] = int(randomness.rho * gmpy2.powmod(r, e_i, n) % n)
    return MembershipProof(
        commitments=tuple(commitments),
        challenges=tuple(challenges),
        responses=tuple(responses),
    )


# ---------------------------------------------------------------- verifier


@dataclass(frozen=True, slots=True)
class Equation:
    """One branch equation ``z^(2n) ≡ (a·u^e)² (mod n²)``, ``u = c·(1 − n·m)``.

    Produced by :func:`membership_equations` after the cheap checks of §3
    passed, so every element in it is known to be valid.
    """

    z: int
    """The response ``z_j``."""
    a: int
    """The commitment ``a_j``."""
    c: int
    """The statement's ciphertext ``c``."""
    m: int
    """The branch's value ``m_j``."""
    e: int
    """The challenge ``e_j``."""


def membership_equations(
    pk: PublicKey,
    c: int,
    values: Sequence[int],
    election_hash: str,
    context: Sequence[Json],
    proof: MembershipProof,
) -> tuple[Equation, ...] | None:
    """Run the cheap checks of §3 and return the ``k`` branch equations.

    Return ``None`` when a cheap check fails: ``c`` is not a valid
    ciphertext, a list's length is not ``k``, some ``a_j`` is not a valid
    ciphertext, some ``e_j ≥ 2^256``, some ``z_j ∉ Z*_n``, or
    ``Σ e_j ≢ e (mod 2^256)``.  The proof is valid exactly when, in
    addition, every returned equation holds (:func:`check_equation`).
    """
    V = check_values(values)
    k = len(V)
    if not pk.is_valid_ciphertext(c):
        return None
    if not len(proof.commitments) == len(proof.challenges) == len(proof.responses) == k:
        return None
    if not all(pk.is_valid_ciphertext(a) for a in proof.commitments):
        return None
    if not all(0 <= e < CHALLENGE_MODULUS for e in proof.challenges):
        return None
    if not all(pk.is_unit(z) for z in proof.responses):
        return None
    e = membership_challenge(pk, c, V, election_hash, context, proof.commitments)
    if sum(proof.challenges) % CHALLENGE_MODULUS != e:
        return None
    return tuple(
        Equation(z=z, a=a, c=c, m=m, e=e_j)
        for z, a, m, e_j in zip(
            proof.responses, proof.commitments, V, proof.challenges, strict=True
        )
    )


def check_equation(pk: PublicKey, equation: Equation) -> bool:
    """Return whether ``z^(2n) ≡ (a·u^e)² (mod n²)`` holds (exact, no batching)."""
    n, nsquare = pk.n, pk.nsquare
    left = gmpy2.powmod(equation.z, n, nsquare)
    right = (
        equation.a * _u_power(equation.c, equation.m, equation.e, n, nsquare) % nsquare
    )
    return bool(left * left % nsquare == right * right % nsquare)


def check_membership(
    pk: PublicKey,
    c: int,
    values: Sequence[int],
    election_hash: str,
    context: Sequence[Json],
    proof: MembershipProof,
) -> bool:
    """Return whether ``proof`` shows that ``c`` encrypts a value of ``V`` (§3).

    Makes every check of SPEC §3 "Check", exactly (no batching).
    """
    equations = membership_equations(pk, c, values, election_hash, context, proof)
    return equations is not None and all(check_equation(pk, eq) for eq in equations)


_WINDOW_BITS: Final = 4
"""Exponent bits read at a time by :func:`_product_of_powers`."""


def _product_of_powers(
    pairs: Sequence[tuple[int, int]], modulus: gmpy2.mpz
) -> gmpy2.mpz:
    """Return ``Π b^x mod modulus`` over the ``(b, x)`` pairs, every ``x ≥ 0``.

    Straus's simultaneous exponentiation: each base gets a table of its
    powers ``b^0 … b^15`` and the exponents are read 4 bits at a time from
    the top, so one chain of squarings serves every base.  For the 128-bit
    weights of a batch this is about three times faster than one ``powmod``
    per base (``python -m bench crypto`` prints the figures).
    """
    mask = (1 << _WINDOW_BITS) - 1
    tables: list[tuple[list[gmpy2.mpz], int]] = []
    top = 0
    for base, exponent in pairs:
        if exponent < 0:
            raise ValueError("exponents must be non-negative")
        power = gmpy2.mpz(base) % modulus
        table = [gmpy2.mpz(1), power]
        for _ in range(mask - 1):
            table.append(table[-1] * power % modulus)
        tables.append((table, exponent))
        top = max(top, exponent.bit_length())
    result = gmpy2.mpz(1)
    for shift in range((top - 1) // _WINDOW_BITS * _WINDOW_BITS, -1, -_WINDOW_BITS):
        for _ in range(_WINDOW_BITS):
            result = result * result % modulus
        for table, exponent in tables:
            digit = (exponent >> shift) & mask
            if digit:
                result = result * table[digit] % modulus
    return result


def _weighted_products(
    pk: PublicKey, equations: Sequence[Equation]
) -> tuple[gmpy2.mpz, gmpy2.mpz]:
    """Return ``(Π z^w, Π a^w · Π_c c^(Σ e·w) · (1 − n·Σ m·e·w)) mod n²``.

    Each equation gets a fresh random weight ``w`` of 128 bits, drawn from
    ``secrets`` after the equations are fixed.  All the equations hold
    together with the weights when ``(Π z^w)^(2n) ≡ (right side)²``.
    """
    n, nsquare = pk.n, gmpy2.mpz(pk.nsquare)
    left: list[tuple[int, int]] = []
    right: list[tuple[int, int]] = []
    c_exponents: dict[int, int] = {}
    shift = 0
    for eq in equations:
        w = secrets.randbits(BATCH_WEIGHT_BITS)
        left.append((eq.z, w))
        right.append((eq.a, w))
        ew = eq.e * w
        c_exponents[eq.c] = c_exponents.get(eq.c, 0) + ew
        shift += eq.m * ew
    right.extend(c_exponents.items())
    z_product = _product_of_powers(left, nsquare)
    product = _product_of_powers(right, nsquare)
    return z_product, product * ((1 - n * (shift % n)) % nsquare) % nsquare


def check_equation_groups(
    pk: PublicKey, groups: Sequence[Sequence[Equation]]
) -> list[bool]:
    """Decide for each group whether all its equations hold, checking in batches.

    A group is what passes or fails as a whole (a proof, or all the proofs
    of a ballot).  Every equation gets a random 128-bit weight ``w`` and
    the groups are checked together:
    ``(Π z^w)^(2n) ≡ (Π a^w · Π_c c^(Σ e·w) · (1 − n·Σ m·e·w))² (mod n²)``.
    Both sides are squares, so elements of order two drop out; for a key of
    safe primes every other element's order has only large prime factors,
    and a false equation passes with probability below 2^−128 (SPEC §0,
    §3).  A failing batch is split in halves (reusing the weighted
    products, so each test costs one exponentiation by ``n``) until single
    groups remain; a single failing group is decided by the exact check of
    each equation.  So a valid group is always reported valid, and an
    invalid one is reported invalid except with probability below 2^−128.
    """
    n, nsquare = pk.n, pk.nsquare
    partials = [_weighted_products(pk, group) for group in groups]
    result = [True] * len(groups)

    def holds(indices: Sequence[int]) -> bool:
        left = gmpy2.mpz(1)
        right = gmpy2.mpz(1)
        for index in indices:
            left = left * partials[index][0] % nsquare
            right = right * partials[index][1] % nsquare
        left = gmpy2.powmod(left, n, nsquare)
        return bool(left * left % nsquare == right * right % nsquare)

    def resolve(indices: list[int]) -> None:
        if not indices or holds(indices):
            return
        if len(indices) == 1:
            index = indices[0]
            result[index] = all(check_equation(pk, eq) for eq in groups[index])
            return
        middle = len(indices) // 2
        resolve(indices[:middle])
        resolve(indices[middle:])

    resolve(list(range(len(groups))))
    return result


@dataclass(frozen=True, slots=True)
class MembershipStatement:
    """One §3 statement with its proof, as :func:`check_membership_batch` takes it."""

    pk: PublicKey
    """The Paillier key."""
    c: int
    """The ciphertext ``c``."""
    values: tuple[int, ...]
    """The allowed values ``V``."""
    election_hash: str
    """The verifier's own ``election_hash`` (hex)."""
    context: tuple[Json, ...]
    """The ``context`` array."""
    proof: MembershipProof
    """The proof to check."""

    def equations(self) -> tuple[Equation, ...] | None:
        """Return :func:`membership_equations` for this statement."""
        return membership_equations(
            self.pk, self.c, self.values, self.election_hash, self.context, self.proof
        )


def check_membership_batch(items: Sequence[MembershipStatement]) -> list[bool]:
    """Check many §3 proofs, batching their equations (SPEC §3).

    Returns one verdict per item, the same as :func:`check_membership` would
    give except with probability below 2^−128 for keys of safe primes (see
    :func:`check_equation_groups`).  Items may use different keys.
    """
    result = [False] * len(items)
    by_key: dict[int, tuple[PublicKey, list[int], list[tuple[Equation, ...]]]] = {}
    for position, item in enumerate(items):
        equations = item.equations()
        if equations is None:
            continue
        _, positions, groups = by_key.setdefault(item.pk.n, (item.pk, [], []))
        positions.append(position)
        groups.append(equations)
    for pk, positions, groups in by_key.values():
        for position, verdict in zip(
            positions, check_equation_groups(pk, groups), strict=True
        ):
            result[position] = verdict
    return result
