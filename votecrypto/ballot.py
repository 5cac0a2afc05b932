"""SPEC §5, §5.1 and §7: encrypted ballots, trackers, audits and their checks.

The booth (and the server's simulation) call :func:`encrypt_ballot`, which
can take :class:`BallotRandomness` computed ahead of time, before the voter
has chosen.  The server and the verifiers call :func:`classify_cast` and
:func:`classify_audit`, which return the first failing reason code of §7 or
``None`` and never raise on any JSON input.

A cast is checked in two stages, so the expensive one can run in worker
processes or in batches:

1. :func:`check_cast_cheap` — ``structure``, ``encoding``,
   ``wrong-election``, ``unknown-credential``, ``early``, ``late``,
   ``bad-signature``, ``invalid-ciphertext``, in this order;
2. :func:`check_cast_proofs` (or :func:`check_cast_proofs_batch`) —
   ``bad-proof``.

``replay`` and ``audited`` depend on the whole board and are the tally's.
"""

import dataclasses
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from votecrypto import ed25519
from votecrypto.canonical import (
    H,
    Json,
    expect_int,
    expect_list,
    expect_object,
    expect_str,
    hex_bytes,
    hex_int,
    parse_hex_bytes,
    parse_hex_int,
    parse_identifier,
    parse_time,
)
from votecrypto.errors import EncodingError, StructureError
from votecrypto.manifest import PROTOCOL, Contest, Manifest
from votecrypto.paillier import PublicKey
from votecrypto.proofs import (
    Equation,
    MembershipProof,
    MembershipStatement,
    ProverRandomness,
    check_equation,
    check_equation_groups,
    prove_membership,
)

BALLOT_TAG: Final = "evote-paillier/1/ballot"
"""Domain tag of the tracker hash (SPEC §5)."""

CAST_PREFIX: Final = "evote-paillier/1/cast:"
"""Prefix of the signed message ``"evote-paillier/1/cast:" + tracker`` (SPEC §5)."""

SELECTION_VALUES: Final = (0, 1)
"""``V`` of a selection proof (SPEC §5)."""

STRUCTURE: Final = "structure"
ENCODING: Final = "encoding"
WRONG_ELECTION: Final = "wrong-election"
UNKNOWN_CREDENTIAL: Final = "unknown-credential"
EARLY: Final = "early"
LATE: Final = "late"
BAD_SIGNATURE: Final = "bad-signature"
INVALID_CIPHERTEXT: Final = "invalid-ciphertext"
BAD_PROOF: Final = "bad-proof"
REPLAY: Final = "replay"
AUDITED: Final = "audited"
BAD_OPENING: Final = "bad-opening"

CAST_REASONS: Final = (
    STRUCTURE,
    ENCODING,
    WRONG_ELECTION,
    UNKNOWN_CREDENTIAL,
    EARLY,
    LATE,
    BAD_SIGNATURE,
    INVALID_CIPHERTEXT,
    BAD_PROOF,
    REPLAY,
    AUDITED,
)
"""Every reason code of an invalid cast, in the order of SPEC §7.

The last two are decided on the whole board (the tally's job), the others
by :func:`classify_cast`.
"""

AUDIT_REASONS: Final = (STRUCTURE, ENCODING, BAD_OPENING)
"""Every reason code of an invalid audit, in the order of SPEC §7."""

_BALLOT_KEYS: Final = ("protocol", "election_hash", "credential", "contests")
_SIGNED_KEYS: Final = (*_BALLOT_KEYS, "signature")
_CONTEST_KEYS: Final = ("contest_id", "selections", "sum_proof")
_SELECTION_KEYS: Final = ("option_id", "ciphertext", "proof")
_OPENING_KEYS: Final = ("contest_id", "option_id", "plaintext", "randomness")
_AUDIT_KEYS: Final = ("ballot", "openings")
_HASH_LENGTH: Final = 32


def selection_context(credential: bytes, contest_id: str, option_id: str) -> list[Json]:
    """Return ``["selection", credential, contest_id, option_id]`` (SPEC §5)."""
    return ["selection", hex_bytes(credential), contest_id, option_id]


def sum_context(credential: bytes, contest_id: str) -> list[Json]:
    """Return ``["sum", credential, contest_id]`` (SPEC §5)."""
    return ["sum", hex_bytes(credential), contest_id]


def tracker(ballot_without_signature: Json) -> str:
    """Return ``hex(H(["evote-paillier/1/ballot", B]))`` (64 hex digits, SPEC §5).

    ``B`` is the ballot's JSON object without its ``signature`` key.
    """
    return H([BALLOT_TAG, ballot_without_signature]).hex()


def tracker_display(value: str) -> str:
    """Return the tracker's first 32 digits in groups of four, as voters see it."""
    return " ".join(value[start : start + 4] for start in range(0, 32, 4))


def cast_message(tracker_hex: str) -> bytes:
    """Return the signed bytes ``"evote-paillier/1/cast:" + tracker`` (ASCII)."""
    return (CAST_PREFIX + tracker_hex).encode("ascii")


# ---------------------------------------------------------------- wire types


@dataclass(frozen=True, slots=True)
class Opening:
    """An audit opening ``{"contest_id", "option_id", "plaintext", "randomness"}``."""

    contest_id: str
    """The contest of the selection."""
    option_id: str
    """The option of the selection."""
    plaintext: int
    """The selection's value ``v_j`` (0 or 1 in a good opening)."""
    randomness: int
    """The encryption randomness ``r_j``."""

    def to_json(self) -> Json:
        """Return the opening object (SPEC §6 ``audit`` payload)."""
        return {
            "contest_id": self.contest_id,
            "option_id": self.option_id,
            "plaintext": self.plaintext,
            "randomness": hex_int(self.randomness),
        }

    @classmethod
    def from_json(cls, value: Json, field: str = "opening") -> "Opening":
        """Parse an opening strictly, naming ``field`` in errors."""
        obj = expect_object(value, field, _OPENING_KEYS)
        return cls(
            contest_id=parse_identifier(obj["contest_id"], f"{field}.contest_id"),
            option_id=parse_identifier(obj["option_id"], f"{field}.option_id"),
            plaintext=expect_int(obj["plaintext"], f"{field}.plaintext"),
            randomness=parse_hex_int(obj["randomness"], f"{field}.randomness"),
        )


@dataclass(frozen=True, slots=True)
class EncryptedSelection:
    """A selection ``{"option_id", "ciphertext", "proof"}`` (SPEC §5)."""

    option_id: str
    """The option this selection is for."""
    ciphertext: int
    """``c_j = Enc(v_j; r_j)``."""
    proof: MembershipProof
    """The §3 proof for ``V = [0, 1]``."""

    def to_json(self) -> Json:
        """Return the selection object."""
        return {
            "option_id": self.option_id,
            "ciphertext": hex_int(self.ciphertext),
            "proof": self.proof.to_json(),
        }


@dataclass(frozen=True, slots=True)
class EncryptedContest:
    """A contest ``{"contest_id", "selections", "sum_proof"}`` (SPEC §5)."""

    contest_id: str
    """The contest's identifier."""
    selections: tuple[EncryptedSelection, ...]
    """One selection per option, in manifest order."""
    sum_proof: MembershipProof
    """The §3 proof for ``C = Π c_j`` and ``V = [min, …, max]``."""

    def to_json(self) -> Json:
        """Return the contest object."""
        return {
            "contest_id": self.contest_id,
            "selections": [selection.to_json() for selection in self.selections],
            "sum_proof": self.sum_proof.to_json(),
        }


@dataclass(frozen=True, slots=True)
class EncryptedBallot:
    """A ballot (SPEC §5), signed, or unsigned as an audit holds it (§5.1).

    :func:`encrypt_ballot` also keeps the ``openings`` here, for the voter's
    cast-or-audit choice.  They are secret: they never enter
    :meth:`to_json` and do not take part in comparisons.
    """

    protocol: str
    """``"evote-paillier/1"`` in a ballot for this protocol."""
    election_hash: bytes
    """The election the ballot claims to be for (32 bytes)."""
    credential: bytes
    """The voter's Ed25519 public key (32 bytes)."""
    contests: tuple[EncryptedContest, ...]
    """The contests, in manifest order."""
    signature: bytes | None
    """The credential's signature of the tracker; ``None`` for an audited ballot."""
    openings: tuple[Opening, ...] = dataclasses.field(
        default=(), repr=False, compare=False
    )
    """The secret openings, in ballot order (empty unless made here)."""

    @property
    def tracker(self) -> str:
        """Return the tracker (SPEC §5) of this ballot."""
        return tracker(self.body_json())

    @property
    def ciphertexts(self) -> tuple[int, ...]:
        """Return every selection ciphertext, in ballot order."""
        return tuple(s.ciphertext for c in self.contests for s in c.selections)

    def body_json(self) -> Json:
        """Return the ballot without ``signature`` (what is hashed and audited)."""
        return {
            "protocol": self.protocol,
            "election_hash": hex_bytes(self.election_hash),
            "credential": hex_bytes(self.credential),
            "contests": [contest.to_json() for contest in self.contests],
        }

    def to_json(self) -> Json:
        """Return the ballot object, with ``signature`` when the ballot has one."""
        body = self.body_json()
        if self.signature is not None:
            body["signature"] = hex_bytes(self.signature)
        return body

    @classmethod
    def from_json(
        cls,
        value: Json,
        manifest: Manifest | None = None,
        *,
        signed: bool = True,
        field: str = "ballot",
    ) -> "EncryptedBallot":
        """Parse a ballot strictly (SPEC §5), naming the field in errors.

        Every structure check runs before any encoding check, so a ballot
        with both kinds of faults raises :class:`StructureError` (SPEC §7's
        order).  With ``manifest``, the structure must also follow it: all
        contests and selections, in manifest order.  ``signed=False`` reads
        an audited ballot, which has no ``signature`` key.
        """
        check_ballot_shape(value, manifest, signed=signed, field=field)
        return _parse_ballot(value, signed=signed, field=field)


def _expect_hex_chars(value: Json, field: str, length: int) -> None:
    """Require a string of ``2·length`` characters (spelling is checked later)."""
    text = expect_str(value, field)
    if len(text) != 2 * length:
        raise StructureError(
            field, f"expected {length} bytes as {2 * length} hex digits"
        )


def check_ballot_shape(
    value: Json,
    manifest: Manifest | None,
    *,
    signed: bool = True,
    field: str = "ballot",
) -> None:
    """Raise :class:`StructureError` unless ``value`` has a ballot's structure.

    Exact keys and JSON types at every level; byte strings of the right
    number of hex digits; with ``manifest``, every contest and every
    selection present, in manifest order.  The spelling of hex strings and
    identifiers is left to parsing (reason ``encoding``).
    """
    obj = expect_object(value, field, _SIGNED_KEYS if signed else _BALLOT_KEYS)
    expect_str(obj["protocol"], f"{field}.protocol")
    _expect_hex_chars(obj["election_hash"], f"{field}.election_hash", _HASH_LENGTH)
    _expect_hex_chars(
        obj["credential"], f"{field}.credential", ed25519.PUBLIC_KEY_LENGTH
    )
    if signed:
        _expect_hex_chars(
            obj["signature"], f"{field}.signature", ed25519.SIGNATURE_LENGTH
        )
    expected = manifest.contests if manifest is not None else None
    contests = expect_list(
        obj["contests"],
        f"{field}.contests",
        None if expected is None else len(expected),
    )
    for position, item in enumerate(contests):
        where = f"{field}.contests[{position}]"
        contest = None if expected is None else expected[position]
        _check_contest_shape(item, contest, where)


def _check_contest_shape(value: Json, contest: Contest | None, field: str) -> None:
    """Check one contest's structure (against the manifest's when given)."""
    obj = expect_object(value, field, _CONTEST_KEYS)
    contest_id = expect_str(obj["contest_id"], f"{field}.contest_id")
    if contest is not None and contest_id != contest.contest_id:
        raise StructureError(
            f"{field}.contest_id",
            f"expected {contest.contest_id!r} (all contests, in manifest order)",
        )
    options = None if contest is None else contest.option_ids
    selections = expect_list(
        obj["selections"],
        f"{field}.selections",
        None if options is None else len(options),
    )
    for position, item in enumerate(selections):
        where = f"{field}.selections[{position}]"
        selection = expect_object(item, where, _SELECTION_KEYS)
        option_id = expect_str(selection["option_id"], f"{where}.option_id")
        if options is not None and option_id != options[position]:
            raise StructureError(
                f"{where}.option_id",
                f"expected {options[position]!r} (all options, in manifest order)",
            )
        expect_str(selection["ciphertext"], f"{where}.ciphertext")
        MembershipProof.check_shape(selection["proof"], f"{where}.proof")
    MembershipProof.check_shape(obj["sum_proof"], f"{field}.sum_proof")


def _parse_ballot(value: Json, *, signed: bool, field: str) -> EncryptedBallot:
    """Parse a ballot whose shape :func:`check_ballot_shape` accepted."""
    contests = []
    for position, item in enumerate(value["contests"]):
        where = f"{field}.contests[{position}]"
        selections = tuple(
            EncryptedSelection(
                option_id=parse_identifier(
                    selection["option_id"], f"{where}.selections[{index}].option_id"
                ),
                ciphertext=parse_hex_int(
                    selection["ciphertext"], f"{where}.selections[{index}].ciphertext"
                ),
                proof=MembershipProof.from_json(
                    selection["proof"], f"{where}.selections[{index}].proof"
                ),
            )
            for index, selection in enumerate(item["selections"])
        )
        contests.append(
            EncryptedContest(
                contest_id=parse_identifier(item["contest_id"], f"{where}.contest_id"),
                selections=selections,
                sum_proof=MembershipProof.from_json(
                    item["sum_proof"], f"{where}.sum_proof"
                ),
            )
        )
    return EncryptedBallot(
        protocol=value["protocol"],
        election_hash=parse_hex_bytes(
            value["election_hash"], f"{field}.election_hash", _HASH_LENGTH
        ),
        credential=parse_hex_bytes(
            value["credential"], f"{field}.credential", ed25519.PUBLIC_KEY_LENGTH
        ),
        contests=tuple(contests),
        signature=(
            parse_hex_bytes(
                value["signature"], f"{field}.signature", ed25519.SIGNATURE_LENGTH
            )
            if signed
            else None
        ),
    )


# ---------------------------------------------------------------- encryption


@dataclass(frozen=True, slots=True)
class SelectionRandomness:
    """The randomness of one selection: ``r_j`` with ``r_j^n``, and its proof's."""

    r: int
    """The encryption randomness ``r_j ∈ Z*_n``."""
    r_n: int
    """``r_j^n mod n²``."""
    proof: ProverRandomness
    """The randomness of the selection proof (``k = 2``)."""


@dataclass(frozen=True, slots=True)
class ContestRandomness:
    """The randomness of one contest's selections and sum proof."""

    selections: tuple[SelectionRandomness, ...]
    """One per option, in manifest order."""
    sum_proof: ProverRandomness
    """The randomness of the sum proof (``k = max − min + 1``)."""


@dataclass(frozen=True, slots=True)
class BallotRandomness:
    """All randomness of a ballot, with every exponentiation by ``n`` done.

    It does not depend on the voter's choice, so a booth computes it while
    the voter reads the ballot; :func:`encrypt_ballot` then needs only short
    exponentiations.  Use it for one ballot only.
    """

    contests: tuple[ContestRandomness, ...]
    """One per contest, in manifest order."""

    @classmethod
    def generate(
        cls,
        manifest: Manifest,
        *,
        encryption_randomness: Sequence[int] | None = None,
    ) -> "BallotRandomness":
        """Draw the randomness for a ballot of ``manifest``.

        ``encryption_randomness`` (every ``r_j`` in ballot order) is for
        known-answer tests only.
        """
        pk = manifest.paillier_key
        total = sum(len(contest.options) for contest in manifest.contests)
        given = None if encryption_randomness is None else list(encryption_randomness)
        if given is not None and len(given) != total:
            raise ValueError(
                f"need {total} encryption randomness values, got {len(given)}"
            )
        position = 0
        contests = []
        for contest in manifest.contests:
            selections = []
            for _ in contest.options:
                r = pk.random_unit() if given is None else given[position]
                position += 1
                if not pk.is_unit(r):
                    raise ValueError("encryption randomness must be in Z*_n")
                selections.append(
                    SelectionRandomness(
                        r=r,
                        r_n=pk.powmod(r, pk.n),
                        proof=ProverRandomness.generate(pk, len(SELECTION_VALUES)),
                    )
                )
            contests.append(
                ContestRandomness(
                    selections=tuple(selections),
                    sum_proof=ProverRandomness.generate(pk, len(contest.sum_values)),
                )
            )
        return cls(contests=tuple(contests))


def encrypt_precomputed(pk: PublicKey, m: int, r_n: int) -> int:
    """Return ``Enc(M; r) = (1 + n·M)·r^n mod n²`` from a precomputed ``r^n``.

    The same value as ``pk.encrypt(m, r)`` (phe's ``raw_encrypt``, SPEC
    §2.1) without the exponentiation, which :class:`BallotRandomness` did
    ahead of time.
    """
    if not 0 <= m < pk.n:
        raise ValueError("plaintext must be in [0, n)")
    return (1 + pk.n * m) * r_n % pk.nsquare


def _check_choices(
    manifest: Manifest, choices: Mapping[str, Sequence[int]]
) -> list[list[int]]:
    """Return the choices in manifest order, or raise ``ValueError`` saying why."""
    known = {contest.contest_id for contest in manifest.contests}
    unknown = sorted(set(choices) - known)
    if unknown:
        raise ValueError(f"choices for unknown contest(s): {', '.join(unknown)}")
    result = []
    for contest in manifest.contests:
        if contest.contest_id not in choices:
            raise ValueError(f"contest {contest.contest_id!r}: no choice given")
        values = list(choices[contest.contest_id])
        if len(values) != len(contest.options):
            raise ValueError(
                f"contest {contest.contest_id!r}: {len(values)} values for "
                f"{len(contest.options)} options"
            )
        for value in values:
            if isinstance(value, bool) or value not in SELECTION_VALUES:
                raise ValueError(
                    f"contest {contest.contest_id!r}: each selection is 0 or 1, "
                    f"not {value!r}"
                )
        selected = sum(values)
        if not contest.min_selections <= selected <= contest.max_selections:
            raise ValueError(
                f"contest {contest.contest_id!r}: {selected} selected, allowed "
                f"{contest.min_selections} to {contest.max_selections}"
            )
        result.append(values)
    return result


def encrypt_ballot(
    manifest: Manifest,
    election_hash: str,
    credential_seed: bytes,
    choices: Mapping[str, Sequence[int]],
    *,
    randomness: BallotRandomness | None = None,
) -> EncryptedBallot:
    """Encrypt, prove and sign a ballot (SPEC §5); keep its openings (§5.1).

    ``choices`` maps every contest id to its 0/1 selections in option order;
    a missing or unknown contest, a wrong count, a value other than 0 or 1,
    or a total outside ``[min_selections, max_selections]`` raises
    ``ValueError``.  ``randomness`` is precomputed with
    :meth:`BallotRandomness.generate` (drawn here if omitted).  The result is
    signed with ``credential_seed`` and carries the openings in
    ``EncryptedBallot.openings`` for :func:`make_audit`.
    """
    values = _check_choices(manifest, choices)
    parse_hex_bytes(election_hash, "election_hash", _HASH_LENGTH)
    if randomness is None:
        randomness = BallotRandomness.generate(manifest)
    if len(randomness.contests) != len(manifest.contests) or any(
        len(r.selections) != len(c.options)
        for r, c in zip(randomness.contests, manifest.contests, strict=True)
    ):
        raise ValueError("the randomness was made for another manifest")
    pk = manifest.paillier_key
    n, nsquare = pk.n, pk.nsquare
    credential = ed25519.public_key_from_seed(credential_seed)
    contests = []
    openings = []
    for contest, picks, contest_randomness in zip(
        manifest.contests, values, randomness.contests, strict=True
    ):
        selections = []
        sum_c = 1
        sum_r = 1
        for option, v, sel in zip(
            contest.options, picks, contest_randomness.selections, strict=True
        ):
            c = encrypt_precomputed(pk, v, sel.r_n)
            proof = prove_membership(
                pk,
                c,
                SELECTION_VALUES,
                v,
                sel.r,
                election_hash,
                selection_context(credential, contest.contest_id, option.option_id),
                randomness=sel.proof,
            )
            selections.append(EncryptedSelection(option.option_id, c, proof))
            openings.append(Opening(contest.contest_id, option.option_id, v, sel.r))
            sum_c = sum_c * c % nsquare
            sum_r = sum_r * sel.r % n
        sum_proof = prove_membership(
            pk,
            sum_c,
            contest.sum_values,
            sum(picks) - contest.min_selections,
            sum_r,
            election_hash,
            sum_context(credential, contest.contest_id),
            randomness=contest_randomness.sum_proof,
        )
        contests.append(
            EncryptedContest(contest.contest_id, tuple(selections), sum_proof)
        )
    unsigned = EncryptedBallot(
        protocol=PROTOCOL,
        election_hash=bytes.fromhex(election_hash),
        credential=credential,
        contests=tuple(contests),
        signature=None,
    )
    signature = ed25519.sign(credential_seed, cast_message(unsigned.tracker))
    return EncryptedBallot(
        protocol=unsigned.protocol,
        election_hash=unsigned.election_hash,
        credential=unsigned.credential,
        contests=unsigned.contests,
        signature=signature,
        openings=tuple(openings),
    )


# ---------------------------------------------------------------- cast checks


@dataclass(frozen=True, slots=True)
class CastCheck:
    """The outcome of :func:`check_cast_cheap`."""

    reason: str | None
    """The first failing reason code, or ``None`` if only the proofs remain."""
    ballot: EncryptedBallot | None
    """The parsed ballot, once ``structure`` and ``encoding`` passed."""
    tracker: str | None
    """Its tracker, once ``structure`` and ``encoding`` passed."""
    detail: str = ""
    """Why ``structure`` or ``encoding`` failed (the field and the check)."""


def _time(value: datetime | str) -> datetime:
    """Return ``received_at`` as an aware datetime (a string is parsed)."""
    return parse_time(value, "received_at") if isinstance(value, str) else value


def check_cast_cheap(
    manifest: Manifest,
    election_hash: str,
    credentials: Set[bytes] | None,
    payload: Json,
    received_at: datetime | str,
) -> CastCheck:
    """Run every check of a ``cast`` before the proofs, in SPEC §7's order.

    ``structure``, ``encoding``, ``wrong-election`` (``protocol`` and the
    verifier's own ``election_hash``), ``unknown-credential`` (against
    ``credentials``, by default the manifest's), ``early``/``late``
    (``voting_starts ≤ received_at < voting_ends``; an aware datetime or a
    protocol time string), ``bad-signature`` and ``invalid-ciphertext``.
    Never raises on any JSON ``payload``.  A ``CastCheck`` with no reason
    goes on to :func:`check_cast_proofs`.
    """
    try:
        check_ballot_shape(payload, manifest, signed=True)
    except StructureError as exc:
        return CastCheck(STRUCTURE, None, None, str(exc))
    try:
        ballot = _parse_ballot(payload, signed=True, field="ballot")
    except (StructureError, EncodingError) as exc:
        reason = STRUCTURE if isinstance(exc, StructureError) else ENCODING
        return CastCheck(reason, None, None, str(exc))
    body = {key: value for key, value in payload.items() if key != "signature"}
    ballot_tracker = tracker(body)

    def fail(reason: str, detail: str) -> CastCheck:
        """Return the failure ``reason`` for the parsed ballot."""
        return CastCheck(reason, ballot, ballot_tracker, detail)

    if ballot.protocol != PROTOCOL:
        return fail(WRONG_ELECTION, f"ballot.protocol is not {PROTOCOL!r}")
    if ballot.election_hash.hex() != election_hash:
        return fail(WRONG_ELECTION, "ballot.election_hash is not this election's")
    known = manifest.credential_set if credentials is None else credentials
    if ballot.credential not in known:
        return fail(UNKNOWN_CREDENTIAL, "ballot.credential is not in the manifest")
    when = _time(received_at)
    if when < manifest.voting_starts:
        return fail(EARLY, "received_at is before voting_starts")
    if when >= manifest.voting_ends:
        return fail(LATE, "received_at is not before voting_ends")
    signature = ballot.signature or b""
    if not ed25519.verify(ballot.credential, signature, cast_message(ballot_tracker)):
        return fail(BAD_SIGNATURE, "ballot.signature does not verify")
    pk = manifest.paillier_key
    for position, contest in enumerate(ballot.contests):
        for index, selection in enumerate(contest.selections):
            if not pk.is_valid_ciphertext(selection.ciphertext):
                return fail(
                    INVALID_CIPHERTEXT,
                    f"ballot.contests[{position}].selections[{index}].ciphertext: "
                    "not a valid ciphertext (0 < c < n², gcd(c, n) = 1)",
                )
    return CastCheck(None, ballot, ballot_tracker)


def ballot_statements(
    manifest: Manifest,
    election_hash: str,
    ballot: EncryptedBallot,
    pk: PublicKey | None = None,
) -> list[MembershipStatement]:
    """Return every §3 statement of a ballot: each selection's, then the contest's sum.

    The ballot must follow the manifest's structure (as every ballot that
    passed :func:`check_cast_cheap` does); otherwise ``ValueError``.  Proofs
    are bound to the verifier's own ``election_hash``.
    """
    pk = manifest.paillier_key if pk is None else pk
    if len(ballot.contests) != len(manifest.contests):
        raise ValueError("the ballot does not follow the manifest")
    statements = []
    for contest, encrypted in zip(manifest.contests, ballot.contests, strict=True):
        if encrypted.contest_id != contest.contest_id or len(
            encrypted.selections
        ) != len(contest.options):
            raise ValueError("the ballot does not follow the manifest")
        for option_id, selection in zip(
            contest.option_ids, encrypted.selections, strict=True
        ):
            if selection.option_id != option_id:
                raise ValueError("the ballot does not follow the manifest")
            statements.append(
                MembershipStatement(
                    pk=pk,
                    c=selection.ciphertext,
                    values=SELECTION_VALUES,
                    election_hash=election_hash,
                    context=tuple(
                        selection_context(
                            ballot.credential, contest.contest_id, option_id
                        )
                    ),
                    proof=selection.proof,
                )
            )
        statements.append(
            MembershipStatement(
                pk=pk,
                c=pk.aggregate(s.ciphertext for s in encrypted.selections),
                values=contest.sum_values,
                election_hash=election_hash,
                context=tuple(sum_context(ballot.credential, contest.contest_id)),
                proof=encrypted.sum_proof,
            )
        )
    return statements


def ballot_equations(
    manifest: Manifest,
    election_hash: str,
    ballot: EncryptedBallot,
    pk: PublicKey | None = None,
) -> tuple[Equation, ...] | None:
    """Return all proof equations of a ballot, or ``None`` if a cheap §3 check fails.

    The ballot's proofs are all valid exactly when this is not ``None`` and
    every equation holds; :func:`votecrypto.proofs.check_equation_groups`
    checks many ballots' equations in batches.
    """
    equations: list[Equation] = []
    for statement in ballot_statements(manifest, election_hash, ballot, pk):
        found = statement.equations()
        if found is None:
            return None
        equations.extend(found)
    return tuple(equations)


def check_cast_proofs(
    manifest: Manifest, election_hash: str, ballot: EncryptedBallot
) -> str | None:
    """Return ``"bad-proof"`` unless every proof of the ballot checks (SPEC §5, §3).

    Exact checks, no batching.  Picklable arguments, so it can run in a
    worker process; ``ballot`` is :attr:`CastCheck.ballot` of a cast that
    passed :func:`check_cast_cheap`.
    """
    pk = manifest.paillier_key
    for statement in ballot_statements(manifest, election_hash, ballot, pk):
        equations = statement.equations()
        if equations is None or not all(check_equation(pk, eq) for eq in equations):
            return BAD_PROOF
    return None


def check_cast_proofs_batch(
    manifest: Manifest, election_hash: str, ballots: Sequence[EncryptedBallot]
) -> list[str | None]:
    """Return :func:`check_cast_proofs` for many ballots, batching the equations.

    Each ballot's equations form one group of
    :func:`votecrypto.proofs.check_equation_groups`: a valid ballot is always
    found valid, an invalid one is found invalid except with probability
    below 2^−128 for a key of safe primes (SPEC §3).  A verifier that uses
    this must report that batching was used.
    """
    pk = manifest.paillier_key
    result: list[str | None] = [BAD_PROOF] * len(ballots)
    positions = []
    groups = []
    for position, ballot in enumerate(ballots):
        equations = ballot_equations(manifest, election_hash, ballot, pk)
        if equations is not None:
            positions.append(position)
            groups.append(equations)
    for position, ok in zip(positions, check_equation_groups(pk, groups), strict=True):
        result[position] = None if ok else BAD_PROOF
    return result


def classify_cast(
    manifest: Manifest,
    election_hash: str,
    credentials: Set[bytes] | None,
    payload: Json,
    received_at: datetime | str,
) -> str | None:
    """Return the first failing SPEC §7 reason of a ``cast`` payload, or ``None``.

    Runs :func:`check_cast_cheap`, then :func:`check_cast_proofs`; the
    board-level reasons ``replay`` and ``audited`` are not decided here.
    Never raises on any JSON ``payload``.
    """
    check = check_cast_cheap(manifest, election_hash, credentials, payload, received_at)
    if check.reason is not None or check.ballot is None:
        return check.reason
    return check_cast_proofs(manifest, election_hash, check.ballot)


# ---------------------------------------------------------------- audits


def make_audit(
    ballot: EncryptedBallot, openings: Sequence[Opening] | None = None
) -> Json:
    """Return the §6 ``audit`` payload: the ballot without signature and its openings.

    ``openings`` default to those :func:`encrypt_ballot` kept in the ballot;
    they must be one per selection, in ballot order.
    """
    chosen = tuple(ballot.openings if openings is None else openings)
    expected = [
        (contest.contest_id, selection.option_id)
        for contest in ballot.contests
        for selection in contest.selections
    ]
    if [(o.contest_id, o.option_id) for o in chosen] != expected:
        raise ValueError("need one opening per selection, in ballot order")
    return {
        "ballot": ballot.body_json(),
        "openings": [opening.to_json() for opening in chosen],
    }


@dataclass(frozen=True, slots=True)
class AuditCheck:
    """The outcome of :func:`check_audit`."""

    reason: str | None
    """The first failing reason code, or ``None`` for a valid audit."""
    tracker: str | None
    """The audited ballot's tracker, once ``structure`` and ``encoding`` passed."""
    detail: str = ""
    """Which field or opening failed, and how."""


def _check_openings_shape(value: Json, ballot: Json) -> None:
    """Check the openings' structure: one per selection, in ballot order."""
    expected = [
        (contest["contest_id"], selection["option_id"])
        for contest in ballot["contests"]
        for selection in contest["selections"]
    ]
    items = expect_list(value, "openings", len(expected))
    for position, (item, (contest_id, option_id)) in enumerate(
        zip(items, expected, strict=True)
    ):
        where = f"openings[{position}]"
        obj = expect_object(item, where, _OPENING_KEYS)
        if expect_str(obj["contest_id"], f"{where}.contest_id") != contest_id:
            raise StructureError(f"{where}.contest_id", f"expected {contest_id!r}")
        if expect_str(obj["option_id"], f"{where}.option_id") != option_id:
            raise StructureError(f"{where}.option_id", f"expected {option_id!r}")
        expect_int(obj["plaintext"], f"{where}.plaintext")
        expect_str(obj["randomness"], f"{where}.randomness")


def check_audit(manifest: Manifest, pk: PublicKey, payload: Json) -> AuditCheck:
    """Check an ``audit`` payload (SPEC §5.1, §7) and say why it fails.

    ``structure`` (the ballot without signature, following the manifest,
    and one opening per selection in ballot order), ``encoding``, then
    ``bad-opening``: every plaintext 0 or 1, every randomness in ``Z*_n``,
    and ``Enc(v_j; r_j) = c_j``.  The ballot's credential, election and
    proofs are not checked.  Never raises on any JSON ``payload``.
    """
    try:
        obj = expect_object(payload, "audit", _AUDIT_KEYS)
        check_ballot_shape(obj["ballot"], manifest, signed=False)
        _check_openings_shape(obj["openings"], obj["ballot"])
    except StructureError as exc:
        return AuditCheck(STRUCTURE, None, str(exc))
    try:
        ballot = _parse_ballot(obj["ballot"], signed=False, field="ballot")
        openings = [
            Opening.from_json(item, f"openings[{position}]")
            for position, item in enumerate(obj["openings"])
        ]
    except (StructureError, EncodingError) as exc:
        reason = STRUCTURE if isinstance(exc, StructureError) else ENCODING
        return AuditCheck(reason, None, str(exc))
    audit_tracker = tracker(obj["ballot"])
    for position, (opening, c) in enumerate(
        zip(openings, ballot.ciphertexts, strict=True)
    ):
        where = f"openings[{position}]"
        if opening.plaintext not in SELECTION_VALUES:
            return AuditCheck(
                BAD_OPENING, audit_tracker, f"{where}: plaintext not 0 or 1"
            )
        if not pk.is_unit(opening.randomness):
            return AuditCheck(
                BAD_OPENING, audit_tracker, f"{where}: randomness not in Z*_n"
            )
        if pk.encrypt(opening.plaintext, opening.randomness) != c:
            return AuditCheck(
                BAD_OPENING,
                audit_tracker,
                f"{where}: Enc(plaintext; randomness) ≠ ciphertext",
            )
    return AuditCheck(None, audit_tracker)


def classify_audit(manifest: Manifest, pk: PublicKey, payload: Json) -> str | None:
    """Return the first failing SPEC §7 reason of an ``audit`` payload, or ``None``."""
    return check_audit(manifest, pk, payload).reason
