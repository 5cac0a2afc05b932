"""SPEC §4: the election manifest (``manifest.json``).

Two kinds of checks are kept apart on purpose:

* **structure** (:meth:`Manifest.from_json`): exact keys, types, canonical
  encodings and the rules of §4 that need no cryptography (identifiers,
  unique ids, ``0 ≤ min ≤ max ≤ k``, the voting window, verification keys
  numbered ``1…count``, credentials sorted and unique, non-empty contests
  and credentials).  Failures raise :class:`StructureError` or
  :class:`EncodingError` naming the field.
* **cryptography** (:func:`check_manifest_crypto`): the rest of V1 (SPEC §9)
  — the modulus, the key proof, the threshold, the verification keys and
  the Ed25519 keys.  Failures are collected as readable problems, so the
  verifier can print them all.
"""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import gmpy2

from votecrypto import ed25519
from votecrypto.canonical import (
    H,
    Json,
    expect_int,
    expect_list,
    expect_object,
    expect_str,
    format_time,
    hex_bytes,
    hex_int,
    parse_hex_bytes,
    parse_hex_int,
    parse_identifier,
    parse_time,
)
from votecrypto.errors import StructureError, VoteCryptoError
from votecrypto.keyproof import KeyProof, check_key_proof
from votecrypto.paillier import PublicKey

PROTOCOL: Final = "evote-paillier/1"
"""The value of every ``protocol`` field."""

MANIFEST_TAG: Final = "evote-paillier/1/manifest"
"""Domain tag of ``election_hash``."""

MIN_BITS: Final = 2048
"""Smallest ``bits(n)`` accepted outside test mode (SPEC §2.1, V1)."""

PRODUCTION_BITS: Final = 3072
"""``bits(n)`` below which V1 warns (SPEC §2.1)."""

SMALL_FACTOR_BOUND: Final = 1 << 16
"""``n`` has no prime factor below this (V1)."""

_SMALL_PRIMES_PRODUCT: Final = gmpy2.primorial(SMALL_FACTOR_BOUND - 1)

_MANIFEST_KEYS: Final = (
    "protocol",
    "election_id",
    "title",
    "description",
    "voting_starts",
    "voting_ends",
    "contests",
    "public_key",
    "trustees",
    "board_public_key",
    "credentials",
)
_CONTEST_KEYS: Final = (
    "contest_id",
    "title",
    "min_selections",
    "max_selections",
    "options",
)


@dataclass(frozen=True, slots=True)
class Option:
    """An option ``{"option_id", "title"}`` of a contest (SPEC §4)."""

    option_id: str
    """The identifier, unique within its contest."""
    title: str
    """The title shown to voters."""

    def to_json(self) -> Json:
        """Return the option object."""
        return {"option_id": self.option_id, "title": self.title}

    @classmethod
    def from_json(cls, value: Json, field: str = "option") -> "Option":
        """Parse an option strictly, naming ``field`` in errors."""
        obj = expect_object(value, field, ("option_id", "title"))
        return cls(
            option_id=parse_identifier(obj["option_id"], f"{field}.option_id"),
            title=expect_str(obj["title"], f"{field}.title"),
        )


@dataclass(frozen=True, slots=True)
class Contest:
    """A contest with its options and selection limits (SPEC §4)."""

    contest_id: str
    """The identifier, unique in the manifest."""
    title: str
    """The title shown to voters."""
    min_selections: int
    """Fewest options a voter must select."""
    max_selections: int
    """Most options a voter may select."""
    options: tuple[Option, ...]
    """The ``k ≥ 1`` options, in ballot order."""

    @property
    def option_ids(self) -> tuple[str, ...]:
        """Return the option identifiers in ballot order."""
        return tuple(option.option_id for option in self.options)

    @property
    def sum_values(self) -> tuple[int, ...]:
        """Return ``V = [min_selections, …, max_selections]`` of the sum proof (§5)."""
        return tuple(range(self.min_selections, self.max_selections + 1))

    def to_json(self) -> Json:
        """Return the contest object."""
        return {
            "contest_id": self.contest_id,
            "title": self.title,
            "min_selections": self.min_selections,
            "max_selections": self.max_selections,
            "options": [option.to_json() for option in self.options],
        }

    @classmethod
    def from_json(cls, value: Json, field: str = "contest") -> "Contest":
        """Parse a contest strictly: unique option ids, ``0 ≤ min ≤ max ≤ k``."""
        obj = expect_object(value, field, _CONTEST_KEYS)
        contest_id = parse_identifier(obj["contest_id"], f"{field}.contest_id")
        title = expect_str(obj["title"], f"{field}.title")
        low = expect_int(obj["min_selections"], f"{field}.min_selections")
        high = expect_int(obj["max_selections"], f"{field}.max_selections")
        items = expect_list(obj["options"], f"{field}.options")
        if not items:
            raise StructureError(
                f"{field}.options", "a contest needs at least one option"
            )
        options = tuple(
            Option.from_json(item, f"{field}.options[{index}]")
            for index, item in enumerate(items)
        )
        _require_unique(
            [option.option_id for option in options], f"{field}.options", "option_id"
        )
        if not low <= high <= len(options):
            raise StructureError(
                field,
                f"need 0 ≤ min_selections ≤ max_selections ≤ {len(options)} options, "
                f"got {low} and {high}",
            )
        return cls(
            contest_id=contest_id,
            title=title,
            min_selections=low,
            max_selections=high,
            options=options,
        )


@dataclass(frozen=True, slots=True)
class ElectionPublicKey:
    """The manifest's ``public_key``: ``{"n", "key_proof"}`` (SPEC §2.1, §4)."""

    n: int
    """The Paillier modulus ``n``."""
    key_proof: KeyProof
    """The Paillier–Blum modulus proof (checked by V1, not by parsing)."""

    def to_json(self) -> Json:
        """Return the public key object."""
        return {"n": hex_int(self.n), "key_proof": self.key_proof.to_json()}

    @classmethod
    def from_json(cls, value: Json, field: str = "public_key") -> "ElectionPublicKey":
        """Parse the public key object strictly."""
        obj = expect_object(value, field, ("n", "key_proof"))
        return cls(
            n=parse_hex_int(obj["n"], f"{field}.n"),
            key_proof=KeyProof.from_json(obj["key_proof"], f"{field}.key_proof"),
        )


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """A trustee's ``{"index", "name", "vk"}`` (SPEC §2.2 step 5, §4)."""

    index: int
    """The trustee index ``i`` (1 ≤ i ≤ ℓ)."""
    name: str
    """The trustee's name."""
    vk: int
    """The verification key ``v_i = v^(Δ·s_i) mod n²``."""

    def to_json(self) -> Json:
        """Return the verification key object."""
        return {"index": self.index, "name": self.name, "vk": hex_int(self.vk)}

    @classmethod
    def from_json(
        cls, value: Json, field: str = "verification_key"
    ) -> "VerificationKey":
        """Parse a verification key object strictly."""
        obj = expect_object(value, field, ("index", "name", "vk"))
        return cls(
            index=expect_int(obj["index"], f"{field}.index"),
            name=expect_str(obj["name"], f"{field}.name"),
            vk=parse_hex_int(obj["vk"], f"{field}.vk"),
        )


@dataclass(frozen=True, slots=True)
class TrusteeKeys:
    """The manifest's ``trustees`` object (SPEC §2.2 step 7, §4)."""

    threshold: int
    """The threshold ``t``."""
    count: int
    """The number of trustees ``ℓ``."""
    v: int
    """The base ``v`` of the verification keys."""
    verification_keys: tuple[VerificationKey, ...]
    """``v_1 … v_ℓ``, sorted by index."""

    @property
    def delta(self) -> int:
        """Return ``Δ = ℓ!``."""
        return int(gmpy2.fac(self.count))

    def to_json(self) -> Json:
        """Return the trustees object."""
        return {
            "threshold": self.threshold,
            "count": self.count,
            "v": hex_int(self.v),
            "verification_keys": [key.to_json() for key in self.verification_keys],
        }

    @classmethod
    def from_json(cls, value: Json, field: str = "trustees") -> "TrusteeKeys":
        """Parse the trustees object: verification keys numbered ``1…count``."""
        obj = expect_object(
            value, field, ("threshold", "count", "v", "verification_keys")
        )
        threshold = expect_int(obj["threshold"], f"{field}.threshold")
        count = expect_int(obj["count"], f"{field}.count")
        v = parse_hex_int(obj["v"], f"{field}.v")
        items = expect_list(obj["verification_keys"], f"{field}.verification_keys")
        keys = tuple(
            VerificationKey.from_json(item, f"{field}.verification_keys[{position}]")
            for position, item in enumerate(items)
        )
        indices = [key.index for key in keys]
        if indices != list(range(1, count + 1)):
            raise StructureError(
                f"{field}.verification_keys",
                f"indices must be 1…{count} in order (count = {count})",
            )
        return cls(threshold=threshold, count=count, v=v, verification_keys=keys)


@dataclass(frozen=True, slots=True)
class Manifest:
    """The election manifest (SPEC §4), frozen before voting starts."""

    protocol: str
    """Always ``"evote-paillier/1"``."""
    election_id: str
    """The election's identifier (never reused; the credentials' HKDF salt)."""
    title: str
    """The election's title."""
    description: str
    """The election's description."""
    voting_starts: datetime
    """First instant at which a cast is accepted (aware, UTC)."""
    voting_ends: datetime
    """First instant at which a cast is late (aware, UTC)."""
    contests: tuple[Contest, ...]
    """The contests, in ballot order."""
    public_key: ElectionPublicKey
    """``n`` and its key proof."""
    trustees: TrusteeKeys
    """The threshold, the trustee count and the verification keys."""
    board_public_key: bytes
    """The Ed25519 key that signs the board's tree heads (§6)."""
    credentials: tuple[bytes, ...]
    """The eligible voters' Ed25519 keys, sorted, unique."""
    _credential_set: frozenset[bytes] = dataclasses.field(
        init=False, repr=False, compare=False, default=frozenset()
    )
    _paillier_key: PublicKey | None = dataclasses.field(
        init=False, repr=False, compare=False, default=None
    )
    _election_hash: str | None = dataclasses.field(
        init=False, repr=False, compare=False, default=None
    )

    def __post_init__(self) -> None:
        """Build the credential set once (the checks of a cast look it up)."""
        object.__setattr__(self, "_credential_set", frozenset(self.credentials))

    @property
    def n(self) -> int:
        """Return the Paillier modulus ``n``."""
        return self.public_key.n

    @property
    def paillier_key(self) -> PublicKey:
        """Return the :class:`PublicKey` for ``n`` (made once, it caches ``n²``)."""
        key = self._paillier_key
        if key is None:
            key = PublicKey(self.public_key.n)
            object.__setattr__(self, "_paillier_key", key)
        return key

    @property
    def credential_set(self) -> frozenset[bytes]:
        """Return the credentials as a set, for fast eligibility look-ups."""
        return self._credential_set

    @property
    def election_hash(self) -> str:
        """Return ``hex(H(["evote-paillier/1/manifest", manifest]))`` (SPEC §4).

        Computed from the canonical JSON on first use, then remembered.
        """
        value = self._election_hash
        if value is None:
            value = H([MANIFEST_TAG, self.to_json()]).hex()
            object.__setattr__(self, "_election_hash", value)
        return value

    def contest(self, contest_id: str) -> Contest:
        """Return the contest with ``contest_id`` (``KeyError`` if none)."""
        for contest in self.contests:
            if contest.contest_id == contest_id:
                return contest
        raise KeyError(contest_id)

    def to_json(self) -> Json:
        """Return the manifest object exactly as §4 spells it."""
        return {
            "protocol": self.protocol,
            "election_id": self.election_id,
            "title": self.title,
            "description": self.description,
            "voting_starts": format_time(self.voting_starts),
            "voting_ends": format_time(self.voting_ends),
            "contests": [contest.to_json() for contest in self.contests],
            "public_key": self.public_key.to_json(),
            "trustees": self.trustees.to_json(),
            "board_public_key": hex_bytes(self.board_public_key),
            "credentials": [hex_bytes(key) for key in self.credentials],
        }

    @classmethod
    def from_json(cls, value: Json) -> "Manifest":
        """Parse a manifest with every structural check of SPEC §4 and V1.

        Raises :class:`StructureError` or :class:`EncodingError` naming the
        field.  The cryptographic checks of V1 are
        :func:`check_manifest_crypto`'s.
        """
        obj = expect_object(value, "manifest", _MANIFEST_KEYS)
        protocol = expect_str(obj["protocol"], "protocol")
        if protocol != PROTOCOL:
            raise StructureError(
                "protocol", f"expected {PROTOCOL!r}, got {protocol[:40]!r}"
            )
        starts = parse_time(obj["voting_starts"], "voting_starts")
        ends = parse_time(obj["voting_ends"], "voting_ends")
        if not starts < ends:
            raise StructureError("voting_ends", "must be later than voting_starts")
        items = expect_list(obj["contests"], "contests")
        if not items:
            raise StructureError("contests", "a manifest needs at least one contest")
        contests = tuple(
            Contest.from_json(item, f"contests[{index}]")
            for index, item in enumerate(items)
        )
        _require_unique([c.contest_id for c in contests], "contests", "contest_id")
        keys = expect_list(obj["credentials"], "credentials")
        if not keys:
            raise StructureError(
                "credentials", "a manifest needs at least one credential"
            )
        credentials = tuple(
            parse_hex_bytes(item, f"credentials[{index}]", ed25519.PUBLIC_KEY_LENGTH)
            for index, item in enumerate(keys)
        )
        for index in range(1, len(credentials)):
            if credentials[index - 1] >= credentials[index]:
                raise StructureError(
                    f"credentials[{index}]",
                    "credentials must be sorted and unique",
                )
        return cls(
            protocol=protocol,
            election_id=parse_identifier(obj["election_id"], "election_id"),
            title=expect_str(obj["title"], "title"),
            description=expect_str(obj["description"], "description"),
            voting_starts=starts,
            voting_ends=ends,
            contests=contests,
            public_key=ElectionPublicKey.from_json(obj["public_key"]),
            trustees=TrusteeKeys.from_json(obj["trustees"]),
            board_public_key=parse_hex_bytes(
                obj["board_public_key"], "board_public_key", ed25519.PUBLIC_KEY_LENGTH
            ),
            credentials=credentials,
        )


def _require_unique(ids: Sequence[str], field: str, key: str) -> None:
    """Raise :class:`StructureError` if an id occurs twice."""
    seen: set[str] = set()
    for position, item in enumerate(ids):
        if item in seen:
            raise StructureError(
                f"{field}[{position}].{key}", f"duplicate {key} {item!r}"
            )
        seen.add(item)


# ---------------------------------------------------------------- V1 crypto


@dataclass(frozen=True, slots=True)
class ManifestCryptoReport:
    """The outcome of the cryptographic checks of V1 on a parsed manifest."""

    problems: tuple[str, ...]
    """Failed checks, each naming its field; V1 fails if there is any."""
    warnings: tuple[str, ...]
    """Things to print prominently that do not fail V1 (key size)."""

    @property
    def ok(self) -> bool:
        """Return whether no check failed."""
        return not self.problems


def check_manifest_crypto(
    manifest: Manifest, *, allow_test_keys: bool = False
) -> ManifestCryptoReport:
    """Run the cryptographic checks of V1 (SPEC §9) and collect the outcome.

    ``n`` odd, not a perfect square, without prime factors below 2^16 and
    with ``gcd(n, 2·Δ) = 1``; ``bits(n) ≥ 2048`` (below that a problem, or
    only a warning with ``allow_test_keys``; a warning below 3072); the key
    proof checks (§2.1); ``1 ≤ t ≤ ℓ``; ``v`` and every ``vk`` valid
    ciphertexts, not 1, with Jacobi symbol ``(x mod n | n) = 1``; every
    credential and ``board_public_key`` a valid Ed25519 key (§4).  The
    structural checks were made by :meth:`Manifest.from_json`.
    """
    problems: list[str] = []
    warnings: list[str] = []
    n = manifest.n
    trustees = manifest.trustees
    n_is_odd = n % 2 == 1
    if not n_is_odd:
        problems.append("public_key.n: n is even")
    if gmpy2.is_square(n):
        problems.append("public_key.n: n is a perfect square")
    if gmpy2.gcd(n, _SMALL_PRIMES_PRODUCT) != 1:
        problems.append("public_key.n: n has a prime factor below 2^16")
    if gmpy2.gcd(n, 2 * trustees.delta) != 1:
        problems.append("public_key.n: gcd(n, 2·Δ) ≠ 1")
    bits = n.bit_length()
    if bits < MIN_BITS:
        message = f"public_key.n: bits(n) = {bits} < {MIN_BITS}"
        if allow_test_keys:
            warnings.append(
                f"{message}: a TEST key, NOT secure (accepted in test mode)"
            )
        else:
            problems.append(f"{message} (test keys are accepted only in test mode)")
    elif bits < PRODUCTION_BITS:
        warnings.append(
            f"public_key.n: bits(n) = {bits} < {PRODUCTION_BITS} "
            "(accepted with a warning)"
        )
    try:
        check_key_proof(n, manifest.public_key.key_proof, "public_key.key_proof")
    except VoteCryptoError as exc:
        problems.append(f"key proof: {exc}")
    if not 1 <= trustees.threshold <= trustees.count:
        problems.append(
            f"trustees: need 1 ≤ threshold ≤ count, got t = {trustees.threshold}, "
            f"ℓ = {trustees.count}"
        )
    pk = PublicKey(n)
    elements = [("trustees.v", trustees.v)] + [
        (f"trustees.verification_keys[{position}].vk", key.vk)
        for position, key in enumerate(trustees.verification_keys)
    ]
    for name, x in elements:
        if not pk.is_valid_ciphertext(x):
            problems.append(
                f"{name}: not a valid ciphertext (0 < x < n², gcd(x, n) = 1)"
            )
        elif x == 1:
            problems.append(f"{name}: must not be 1")
        elif n_is_odd and gmpy2.jacobi(x % n, n) != 1:
            problems.append(f"{name}: Jacobi symbol (x mod n | n) is not 1")
    ed25519_keys = [("board_public_key", manifest.board_public_key)] + [
        (f"credentials[{position}]", key)
        for position, key in enumerate(manifest.credentials)
    ]
    for name, key in ed25519_keys:
        try:
            ed25519.check_public_key(key, name)
        except VoteCryptoError as exc:
            problems.append(f"not a valid Ed25519 key: {exc}")
    return ManifestCryptoReport(problems=tuple(problems), warnings=tuple(warnings))


def crypto_problems(manifest: Manifest, *, allow_test_keys: bool = False) -> list[str]:
    """Return the failed cryptographic V1 checks (see :func:`check_manifest_crypto`)."""
    return list(
        check_manifest_crypto(manifest, allow_test_keys=allow_test_keys).problems
    )
