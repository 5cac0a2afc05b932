"""SPEC §6–§7: board entries, the counting rule, aggregates and ``tally.json``.

* :class:`BoardEntry` reads one board entry ``{"seq", "type",
  "received_at", "payload"}`` (§6) and :func:`board_problems` lists what
  breaks the board's own rules (``seq`` from 0 without gaps, ``received_at``
  never decreasing, exactly one ``close``, last, not before
  ``voting_ends``).
* :func:`compute_tally` classifies every ``cast`` and ``audit`` entry with
  its §7 reason code, applies the counting rule (per credential its valid
  cast with the highest ``seq``) and multiplies the counted ciphertexts into
  one aggregate per contest and option.  The server, the trustees' tool and
  the verifier all call it, so all three count the same way.  Proof checks,
  the expensive part, may run in worker processes and may be batched
  (SPEC §3); the outcome is the same either way.
* :class:`Tally` is ``tally.json`` with exactly the keys of §7 at every
  level; :class:`TrusteeShares` is what one trustee's tool hands back
  (its decryption shares of every aggregate), and :func:`assemble_tally`
  turns the aggregates and those shares into the published tally.
"""

import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

import gmpy2

from votecrypto import ballot as ballots
from votecrypto import merkle
from votecrypto.canonical import (
    Json,
    expect_int,
    expect_list,
    expect_object,
    hex_bytes,
    hex_int,
    parse_hex_bytes,
    parse_hex_int,
    parse_identifier,
    parse_time,
)
from votecrypto.errors import CryptoCheckError, StructureError
from votecrypto.manifest import Manifest
from votecrypto.paillier import PublicKey
from votecrypto.threshold import (
    DecryptionShare,
    check_decryption_share,
    combine,
    make_decryption_share,
)

ENTRY_KEYS: Final = ("seq", "type", "received_at", "payload")
"""The keys of a board entry (SPEC §6)."""

CAST: Final = "cast"
AUDIT: Final = "audit"
CLOSE: Final = "close"
ENTRY_TYPES: Final = (CAST, AUDIT, CLOSE)
"""The entry types of the board (SPEC §6)."""

CAST_REASONS: Final = (
    "structure",
    "encoding",
    "wrong-election",
    "unknown-credential",
    "early",
    "late",
    "bad-signature",
    "invalid-ciphertext",
    "bad-proof",
    "replay",
    "audited",
)
"""The reason codes of an invalid ``cast``, in the order §7 checks them."""

AUDIT_REASONS: Final = ("structure", "encoding", "bad-opening")
"""The reason codes of an invalid ``audit`` (SPEC §7)."""

ProgressCallback = Callable[[str, int, int], None]

_MIN_RUN: Final = 8
"""Fewest entries in a run of :func:`classify_entries` (unless there are fewer)."""
"""``progress(stage, done, total)``, called as long work advances."""


# ---------------------------------------------------------------- board entries


@dataclass(frozen=True, slots=True)
class BoardEntry:
    """One board entry ``{"seq", "type", "received_at", "payload"}`` (SPEC §6).

    The payload is kept as given: a ``cast`` or ``audit`` payload that is
    not what §5 describes is not a broken entry but an invalid ballot or
    audit (§7), which :func:`compute_tally` reports with its reason.
    """

    seq: int
    """``seq``: the entry's position on the board."""
    type: str
    """``type``: ``"cast"``, ``"audit"`` or ``"close"``."""
    received_at: str
    """``received_at`` as written (a SPEC §1 time)."""
    payload: Json
    """``payload``: a ballot (cast), an audit object, or ``{}`` (close)."""
    time: datetime = field(compare=False, repr=False)
    """``received_at`` as an aware UTC datetime, for comparisons."""

    @classmethod
    def from_json(cls, value: Json, field: str = "entry") -> "BoardEntry":
        """Parse an entry: exact keys, a known type, a valid time.

        ``payload`` must be an object, and ``{}`` for ``close``.  Raises
        :class:`StructureError` or :class:`EncodingError` naming the field.
        """
        obj = expect_object(value, field, ENTRY_KEYS)
        seq = expect_int(obj["seq"], f"{field}.seq")
        kind = obj["type"]
        if not isinstance(kind, str) or kind not in ENTRY_TYPES:
            raise StructureError(f"{field}.type", "expected cast, audit or close")
        received_at = obj["received_at"]
        time = parse_time(received_at, f"{field}.received_at")
        payload = obj["payload"]
        if not isinstance(payload, dict):
            raise StructureError(f"{field}.payload", "expected an object")
        if kind == CLOSE and payload:
            raise StructureError(f"{field}.payload", "a close entry has payload {}")
        return cls(
            seq=seq, type=kind, received_at=received_at, payload=payload, time=time
        )

    def to_json(self) -> dict[str, Json]:
        """Return the entry object (as hashed into the Merkle tree)."""
        return {
            "seq": self.seq,
            "type": self.type,
            "received_at": self.received_at,
            "payload": self.payload,
        }

    def leaf_hash(self) -> bytes:
        """Return ``SHA-256(0x00 ‖ cjson(entry))`` (SPEC §6)."""
        return merkle.leaf_hash(self.to_json())


def parse_board(values: Iterable[Json]) -> list[BoardEntry]:
    """Parse every entry of a board (``board.jsonl`` as JSON values).

    The board's rules across entries are :func:`board_problems`'s.
    """
    return [
        BoardEntry.from_json(value, f"board[{position}]")
        for position, value in enumerate(values)
    ]


def board_problems(manifest: Manifest, entries: Sequence[BoardEntry]) -> list[str]:
    """Return what breaks the board's rules of SPEC §6 (V2), as sentences.

    ``seq`` counts 0, 1, 2, … without gaps; ``received_at`` never decreases;
    there is exactly one ``close``, the last entry, with ``received_at ≥
    voting_ends``.  An empty list means every rule holds.
    """
    problems: list[str] = []
    for position, entry in enumerate(entries):
        if entry.seq != position:
            problems.append(
                f"board[{position}]: seq is {entry.seq}, expected {position}"
            )
        if position and entry.time < entries[position - 1].time:
            problems.append(
                f"board[{position}]: received_at {entry.received_at} is earlier than "
                f"the previous entry's {entries[position - 1].received_at}"
            )
    closes = [position for position, entry in enumerate(entries) if entry.type == CLOSE]
    if not closes:
        problems.append("the board has no close entry")
    elif len(closes) > 1:
        problems.append(f"the board has {len(closes)} close entries (at {closes})")
    if closes and closes[-1] != len(entries) - 1:
        problems.append(f"the close entry (board[{closes[-1]}]) is not the last entry")
    if closes and entries[closes[-1]].time < manifest.voting_ends:
        problems.append(
            f"the close entry's received_at {entries[closes[-1]].received_at} is "
            "before voting_ends"
        )
    return problems


def is_closed(entries: Sequence[BoardEntry]) -> bool:
    """Return whether the board ends with its ``close`` entry (and has one only)."""
    closes = [entry for entry in entries if entry.type == CLOSE]
    return len(closes) == 1 and entries[-1].type == CLOSE


# ---------------------------------------------------------------- classification


@dataclass(frozen=True, slots=True)
class Verdict:
    """The §7 classification of one ``cast`` or ``audit`` entry."""

    seq: int
    """The entry's ``seq``."""
    type: str
    """``"cast"`` or ``"audit"``."""
    reason: str | None
    """The first failing reason code (§7), or ``None`` for a valid entry."""
    tracker: str | None
    """The ballot's tracker, once its structure and encodings passed."""
    credential: str | None
    """A cast's credential (hex), once its structure and encodings passed."""
    detail: str = ""
    """More about the reason, where there is more to say (field, seq)."""

    @property
    def is_valid(self) -> bool:
        """Return whether the entry is valid (§7)."""
        return self.reason is None


@dataclass(frozen=True, slots=True)
class OptionAggregate:
    """The aggregate ``A = Π c`` of one option over the counted ballots (§7)."""

    option_id: str
    """The option."""
    aggregate: int
    """``A``: the product of the counted ballots' ciphertexts (``1`` if none)."""


@dataclass(frozen=True, slots=True)
class ContestAggregates:
    """The aggregates of one contest's options, in manifest order."""

    contest_id: str
    """The contest."""
    options: tuple[OptionAggregate, ...]
    """One aggregate per option, in manifest order."""


@dataclass(frozen=True, slots=True)
class BoardTally:
    """The outcome of :func:`compute_tally`: verdicts, counted set, aggregates."""

    election_hash: str
    """The ``election_hash`` every ballot was checked against."""
    verdicts: tuple[Verdict, ...]
    """One verdict per ``cast`` and ``audit`` entry, in ``seq`` order."""
    counted: tuple[int, ...]
    """Per credential its valid cast with the highest ``seq``, ascending (§7)."""
    superseded: Mapping[int, int]
    """Each valid but uncounted cast's ``seq`` → the counted ``seq`` replacing it."""
    aggregates: tuple[ContestAggregates, ...]
    """``A`` per contest and option, in manifest order."""
    batched: bool
    """Whether the proofs were checked in batches (SPEC §3: to be reported)."""

    def verdict(self, seq: int) -> Verdict | None:
        """Return the verdict of the ``cast``/``audit`` entry ``seq``, if any."""
        for verdict in self.verdicts:
            if verdict.seq == seq:
                return verdict
        return None

    def invalid_casts(self) -> dict[int, str]:
        """Return ``{seq: reason}`` for every invalid ``cast``."""
        return {
            v.seq: v.reason
            for v in self.verdicts
            if v.type == CAST and v.reason is not None
        }

    def invalid_audits(self) -> dict[int, str]:
        """Return ``{seq: reason}`` for every invalid ``audit``."""
        return {
            v.seq: v.reason
            for v in self.verdicts
            if v.type == AUDIT and v.reason is not None
        }

    def aggregate_map(self) -> dict[tuple[str, str], int]:
        """Return ``{(contest_id, option_id): A}``."""
        return {
            (contest.contest_id, option.option_id): option.aggregate
            for contest in self.aggregates
            for option in contest.options
        }


@dataclass(frozen=True, slots=True)
class _Job:
    """A run of entries for one worker: ``(seq, type, received_at, payload)``."""

    manifest: Manifest
    election_hash: str
    entries: tuple[tuple[int, str, str, Json], ...]
    batch: bool


def _classify_job(job: _Job) -> list[Verdict]:
    """Classify a run of entries on their own (every §7 check but the board's).

    ``replay`` and ``audited`` need the whole board and are left to
    :func:`compute_tally`.  Runs in a worker process when ``jobs > 1``.
    """
    manifest = job.manifest
    pk = manifest.paillier_key
    credentials = manifest.credential_set
    verdicts: list[Verdict] = []
    pending: list[tuple[int, ballots.CastCheck]] = []
    for seq, kind, received_at, payload in job.entries:
        if kind == AUDIT:
            audit = ballots.check_audit(manifest, pk, payload)
            verdicts.append(
                Verdict(seq, AUDIT, audit.reason, audit.tracker, None, audit.detail)
            )
            continue
        check = ballots.check_cast_cheap(
            manifest, job.election_hash, credentials, payload, received_at
        )
        credential = None if check.ballot is None else check.ballot.credential.hex()
        if check.reason is None and check.ballot is not None:
            pending.append((len(verdicts), check))
        verdicts.append(
            Verdict(seq, CAST, check.reason, check.tracker, credential, check.detail)
        )
    if pending:
        found = [check.ballot for _, check in pending if check.ballot is not None]
        if job.batch:
            reasons = ballots.check_cast_proofs_batch(
                manifest, job.election_hash, found
            )
        else:
            reasons = [
                ballots.check_cast_proofs(manifest, job.election_hash, ballot)
                for ballot in found
            ]
        for (position, _), reason in zip(pending, reasons, strict=True):
            if reason is not None:
                old = verdicts[position]
                verdicts[position] = Verdict(
                    old.seq,
                    CAST,
                    reason,
                    old.tracker,
                    old.credential,
                    "a selection or sum proof does not check (SPEC §3, §5)",
                )
    return verdicts


def default_jobs() -> int:
    """Return the number of worker processes to use by default (all cores)."""
    return max(1, os.cpu_count() or 1)


def _can_fork_workers() -> bool:
    """Return whether this process may start worker processes.

    A daemonic process (a Celery prefork worker, for one) may not have
    children; it classifies in-process instead.
    """
    return not multiprocessing.current_process().daemon


def _chunks(
    items: Sequence[tuple[int, str, str, Json]], count: int
) -> list[tuple[tuple[int, str, str, Json], ...]]:
    """Split ``items`` into ``count`` runs of consecutive entries (some maybe empty)."""
    size = -(-len(items) // count) if items else 0
    return [tuple(items[i : i + size]) for i in range(0, len(items), size or 1)]


def classify_entries(
    manifest: Manifest,
    entries: Sequence[BoardEntry],
    *,
    election_hash: str | None = None,
    jobs: int | None = 1,
    batch: bool = True,
    progress: ProgressCallback | None = None,
) -> tuple[Verdict, ...]:
    """Classify every ``cast`` and ``audit`` entry with its SPEC §7 reason.

    Each entry is first checked on its own (in ``jobs`` worker processes
    when ``jobs > 1``; ``None`` means all cores), the proofs in batches when
    ``batch`` (SPEC §3); then, in ``seq`` order, a valid cast whose tracker
    an earlier valid cast holds becomes ``replay``, and one whose tracker an
    earlier valid audit holds becomes ``audited``.  The verdicts are the
    same for every ``jobs`` and ``batch`` (batching errs with probability
    below 2^−128 for keys of safe primes).
    """
    if election_hash is None:
        election_hash = manifest.election_hash
    workers = default_jobs() if jobs is None else max(1, jobs)
    items = [
        (entry.seq, entry.type, entry.received_at, entry.payload)
        for entry in entries
        if entry.type in (CAST, AUDIT)
    ]
    total = len(items)
    if workers <= 1 or total <= 1 or not _can_fork_workers():
        workers = 1
    # Runs of at least _MIN_RUN entries keep batches large (one long
    # exponentiation per batch); several runs per worker balance the load
    # and let progress advance.
    runs = _chunks(items, max(1, min(max(16, workers * 4), -(-total // _MIN_RUN))))
    if len(runs) == 1:
        workers = 1
    found: list[Verdict] = []
    done = 0
    if progress is not None:
        progress("classify", 0, total)
    job_list = [_Job(manifest, election_hash, run, batch) for run in runs]
    if workers == 1:
        for job in job_list:
            found.extend(_classify_job(job))
            done += len(job.entries)
            if progress is not None:
                progress("classify", done, total)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for job, verdicts in zip(
                job_list, pool.map(_classify_job, job_list), strict=True
            ):
                found.extend(verdicts)
                done += len(job.entries)
                if progress is not None:
                    progress("classify", done, total)
    return _board_rules(found)


def _board_rules(verdicts: Sequence[Verdict]) -> tuple[Verdict, ...]:
    """Apply ``replay`` and ``audited`` (§7) in ``seq`` order."""
    cast_trackers: dict[str, int] = {}
    audit_trackers: dict[str, int] = {}
    result: list[Verdict] = []
    for verdict in sorted(verdicts, key=lambda v: v.seq):
        if verdict.reason is not None or verdict.tracker is None:
            result.append(verdict)
            continue
        if verdict.type == AUDIT:
            audit_trackers.setdefault(verdict.tracker, verdict.seq)
            result.append(verdict)
        elif verdict.tracker in cast_trackers:
            result.append(
                Verdict(
                    verdict.seq,
                    CAST,
                    ballots.REPLAY,
                    verdict.tracker,
                    verdict.credential,
                    f"the valid cast at seq {cast_trackers[verdict.tracker]} "
                    "holds the same tracker",
                )
            )
        elif verdict.tracker in audit_trackers:
            result.append(
                Verdict(
                    verdict.seq,
                    CAST,
                    ballots.AUDITED,
                    verdict.tracker,
                    verdict.credential,
                    f"the valid audit at seq {audit_trackers[verdict.tracker]} "
                    "holds the same tracker",
                )
            )
        else:
            cast_trackers[verdict.tracker] = verdict.seq
            result.append(verdict)
    return tuple(result)


def counting_rule(
    verdicts: Iterable[Verdict],
) -> tuple[tuple[int, ...], dict[int, int]]:
    """Return the counted ``seq``s and ``{superseded seq: counted seq}`` (§7).

    For each credential its valid ``cast`` with the highest ``seq`` counts;
    its earlier valid casts are superseded by it.
    """
    latest: dict[str, int] = {}
    earlier: dict[str, list[int]] = {}
    for verdict in sorted(verdicts, key=lambda v: v.seq):
        if verdict.type != CAST or verdict.reason is not None:
            continue
        if verdict.credential is None:  # pragma: no cover - valid casts have one
            raise ValueError(f"valid cast {verdict.seq} without credential")
        if verdict.credential in latest:
            earlier.setdefault(verdict.credential, []).append(
                latest[verdict.credential]
            )
        latest[verdict.credential] = verdict.seq
    superseded = {
        seq: latest[credential] for credential, seqs in earlier.items() for seq in seqs
    }
    return tuple(sorted(latest.values())), superseded


def ballot_ciphertexts(manifest: Manifest, payload: Json) -> list[list[int]]:
    """Return a cast payload's ciphertexts as ``[contest][option]``.

    The payload must have passed the structure and encoding checks; other
    payloads raise from the :mod:`votecrypto.errors` family.
    """
    ballot = ballots.EncryptedBallot.from_json(payload, manifest)
    return [
        [selection.ciphertext for selection in contest.selections]
        for contest in ballot.contests
    ]


def aggregate_ballots(
    manifest: Manifest, payloads: Iterable[Json], pk: PublicKey | None = None
) -> tuple[ContestAggregates, ...]:
    """Return ``A = Π c`` per contest and option over the given cast payloads (§7).

    Every payload must follow the manifest (structure and encodings).  No
    ballots give ``A = 1`` everywhere.
    """
    key = manifest.paillier_key if pk is None else pk
    # GMP's products: Python's own are about eight times slower at 3072 bits.
    nsquare = gmpy2.mpz(key.nsquare)
    products = [[gmpy2.mpz(1)] * len(contest.options) for contest in manifest.contests]
    for payload in payloads:
        for row, ciphertexts in zip(
            products, ballot_ciphertexts(manifest, payload), strict=True
        ):
            for position, c in enumerate(ciphertexts):
                row[position] = row[position] * c % nsquare
    return tuple(
        ContestAggregates(
            contest_id=contest.contest_id,
            options=tuple(
                OptionAggregate(option.option_id, int(aggregate))
                for option, aggregate in zip(contest.options, row, strict=True)
            ),
        )
        for contest, row in zip(manifest.contests, products, strict=True)
    )


def compute_tally(
    manifest: Manifest,
    entries: Sequence[BoardEntry],
    *,
    election_hash: str | None = None,
    jobs: int | None = 1,
    batch: bool = True,
    progress: ProgressCallback | None = None,
) -> BoardTally:
    """Classify the board and apply the counting rule of SPEC §7.

    Returns every entry's verdict, the counted ``seq``s, which valid casts
    were superseded by a later one of the same credential, and the
    aggregate ``A`` per contest and option.  ``election_hash`` defaults to
    the manifest's; ``jobs``, ``batch`` and ``progress`` are as for
    :func:`classify_entries`.  Board rules (a ``close`` at the end, …) are
    :func:`board_problems`'s: the caller decides whether a board may be
    counted.
    """
    if election_hash is None:
        election_hash = manifest.election_hash
    verdicts = classify_entries(
        manifest,
        entries,
        election_hash=election_hash,
        jobs=jobs,
        batch=batch,
        progress=progress,
    )
    counted, superseded = counting_rule(verdicts)
    by_seq = {entry.seq: entry for entry in entries}
    aggregates = aggregate_ballots(manifest, (by_seq[seq].payload for seq in counted))
    has_proofs = any(
        v.type == CAST
        and v.reason in (None, ballots.BAD_PROOF, ballots.REPLAY, ballots.AUDITED)
        for v in verdicts
    )
    return BoardTally(
        election_hash=election_hash,
        verdicts=verdicts,
        counted=counted,
        superseded=superseded,
        aggregates=aggregates,
        batched=batch and has_proofs,
    )


# ---------------------------------------------------------------- tally.json


_TALLY_KEYS: Final = ("election_hash", "board", "counted", "contests")
_BOARD_KEYS: Final = ("tree_size", "root_hash")
_CONTEST_KEYS: Final = ("contest_id", "options")
_OPTION_KEYS: Final = ("option_id", "aggregate", "count", "shares")


def _parse_hash(value: Json, field: str) -> str:
    """Read a 32-byte digest as 64 lowercase hex digits."""
    return parse_hex_bytes(value, field, 32).hex()


@dataclass(frozen=True, slots=True)
class TallyBoard:
    """``board`` of ``tally.json``: the board the tally counts (§7)."""

    tree_size: int
    """``tree_size``: the number of entries, ``close`` included."""
    root_hash: bytes
    """``root_hash``: the Merkle root of those entries (§6)."""

    def to_json(self) -> dict[str, Json]:
        """Return ``{"tree_size", "root_hash"}``."""
        return {"tree_size": self.tree_size, "root_hash": hex_bytes(self.root_hash)}

    @classmethod
    def from_json(cls, value: Json, field: str = "board") -> "TallyBoard":
        """Parse strictly: exact keys, canonical encodings."""
        obj = expect_object(value, field, _BOARD_KEYS)
        return cls(
            tree_size=expect_int(obj["tree_size"], f"{field}.tree_size"),
            root_hash=parse_hex_bytes(obj["root_hash"], f"{field}.root_hash", 32),
        )


@dataclass(frozen=True, slots=True)
class TallyOption:
    """One option of ``tally.json``: aggregate, count and shares (§7)."""

    option_id: str
    """``option_id``."""
    aggregate: int
    """``aggregate``: ``A = Π c`` over the counted ballots."""
    count: int
    """``count``: the decrypted number of votes for the option."""
    shares: tuple[DecryptionShare, ...]
    """``shares``: the trustees' decryption shares of ``A``, sorted by index."""

    def to_json(self) -> dict[str, Json]:
        """Return ``{"option_id", "aggregate", "count", "shares"}``."""
        return {
            "option_id": self.option_id,
            "aggregate": hex_int(self.aggregate),
            "count": self.count,
            "shares": [share.to_json() for share in self.shares],
        }

    @classmethod
    def from_json(cls, value: Json, field: str = "option") -> "TallyOption":
        """Parse strictly; order and validity of the shares are V7's."""
        obj = expect_object(value, field, _OPTION_KEYS)
        items = expect_list(obj["shares"], f"{field}.shares")
        return cls(
            option_id=parse_identifier(obj["option_id"], f"{field}.option_id"),
            aggregate=parse_hex_int(obj["aggregate"], f"{field}.aggregate"),
            count=expect_int(obj["count"], f"{field}.count"),
            shares=tuple(
                DecryptionShare.from_json(item, f"{field}.shares[{position}]")
                for position, item in enumerate(items)
            ),
        )


@dataclass(frozen=True, slots=True)
class TallyContest:
    """One contest of ``tally.json`` with its options in manifest order."""

    contest_id: str
    """``contest_id``."""
    options: tuple[TallyOption, ...]
    """``options``, in manifest order."""

    def to_json(self) -> dict[str, Json]:
        """Return ``{"contest_id", "options"}``."""
        return {
            "contest_id": self.contest_id,
            "options": [option.to_json() for option in self.options],
        }

    @classmethod
    def from_json(cls, value: Json, field: str = "contest") -> "TallyContest":
        """Parse strictly: exact keys at every level."""
        obj = expect_object(value, field, _CONTEST_KEYS)
        items = expect_list(obj["options"], f"{field}.options")
        return cls(
            contest_id=parse_identifier(obj["contest_id"], f"{field}.contest_id"),
            options=tuple(
                TallyOption.from_json(item, f"{field}.options[{position}]")
                for position, item in enumerate(items)
            ),
        )


@dataclass(frozen=True, slots=True)
class Tally:
    """``tally.json`` (SPEC §7): the counted set, aggregates, counts and shares."""

    election_hash: str
    """``election_hash`` (64 hex digits)."""
    board: TallyBoard
    """``board``: the size and root of the board counted."""
    counted: tuple[int, ...]
    """``counted``: the ``seq`` of every counted ballot, ascending."""
    contests: tuple[TallyContest, ...]
    """``contests``, in manifest order."""

    def to_json(self) -> dict[str, Json]:
        """Return the ``tally.json`` object."""
        return {
            "election_hash": self.election_hash,
            "board": self.board.to_json(),
            "counted": list(self.counted),
            "contests": [contest.to_json() for contest in self.contests],
        }

    @classmethod
    def from_json(cls, value: Json, field: str = "tally") -> "Tally":
        """Parse ``tally.json`` strictly: exactly the keys of §7 at every level.

        Raises :class:`StructureError` or :class:`EncodingError` naming the
        field.  That the tally matches the manifest and the board is the
        verifier's business (V5–V9).
        """
        obj = expect_object(value, field, _TALLY_KEYS)
        counted = expect_list(obj["counted"], f"{field}.counted")
        contests = expect_list(obj["contests"], f"{field}.contests")
        return cls(
            election_hash=_parse_hash(obj["election_hash"], f"{field}.election_hash"),
            board=TallyBoard.from_json(obj["board"], f"{field}.board"),
            counted=tuple(
                expect_int(item, f"{field}.counted[{position}]")
                for position, item in enumerate(counted)
            ),
            contests=tuple(
                TallyContest.from_json(item, f"{field}.contests[{position}]")
                for position, item in enumerate(contests)
            ),
        )

    def shape(self) -> list[tuple[str, list[str]]]:
        """Return ``[(contest_id, [option_id, …]), …]`` in the tally's order."""
        return [
            (contest.contest_id, [option.option_id for option in contest.options])
            for contest in self.contests
        ]

    def results(self) -> dict[str, dict[str, int]]:
        """Return ``{contest_id: {option_id: count}}``."""
        return {
            contest.contest_id: {
                option.option_id: option.count for option in contest.options
            }
            for contest in self.contests
        }


def manifest_shape(manifest: Manifest) -> list[tuple[str, list[str]]]:
    """Return ``[(contest_id, [option_id, …]), …]`` in manifest order."""
    return [
        (contest.contest_id, list(contest.option_ids)) for contest in manifest.contests
    ]


# ---------------------------------------------------------------- trustee shares


_TRUSTEE_SHARES_KEYS: Final = ("election_hash", "board", "index", "contests")
_TRUSTEE_OPTION_KEYS: Final = ("option_id", "aggregate", "share", "proof")


@dataclass(frozen=True, slots=True)
class TrusteeOptionShare:
    """A trustee's share of one option's aggregate, with the aggregate itself."""

    option_id: str
    """The option."""
    aggregate: int
    """The aggregate ``A`` the trustee recomputed from the board."""
    share: DecryptionShare
    """``c_i`` with its proof (SPEC §2.3)."""


@dataclass(frozen=True, slots=True)
class TrusteeShares:
    """What a trustee's tool writes: its decryption shares of every aggregate.

    ``{"election_hash", "board": {"tree_size", "root_hash"}, "index",
    "contests": [{"contest_id", "options": [{"option_id", "aggregate",
    "share", "proof"}]}]}``.  Not part of the record: the server checks the
    shares and copies them into ``tally.json`` (SPEC §7).
    """

    election_hash: str
    """The election the shares are for."""
    board: TallyBoard
    """The closed board the trustee counted."""
    index: int
    """The trustee's index ``i``."""
    contests: tuple[tuple[str, tuple[TrusteeOptionShare, ...]], ...]
    """``(contest_id, options)`` in manifest order."""

    def to_json(self) -> dict[str, Json]:
        """Return the JSON object described above."""
        return {
            "election_hash": self.election_hash,
            "board": self.board.to_json(),
            "index": self.index,
            "contests": [
                {
                    "contest_id": contest_id,
                    "options": [
                        {
                            "option_id": option.option_id,
                            "aggregate": hex_int(option.aggregate),
                            "share": hex_int(option.share.share),
                            "proof": option.share.proof.to_json(),
                        }
                        for option in options
                    ],
                }
                for contest_id, options in self.contests
            ],
        }

    @classmethod
    def from_json(cls, value: Json, field: str = "shares") -> "TrusteeShares":
        """Parse strictly: exact keys at every level, canonical encodings."""
        obj = expect_object(value, field, _TRUSTEE_SHARES_KEYS)
        index = expect_int(obj["index"], f"{field}.index", 1)
        contests = []
        for position, item in enumerate(
            expect_list(obj["contests"], f"{field}.contests")
        ):
            where = f"{field}.contests[{position}]"
            contest = expect_object(item, where, _CONTEST_KEYS)
            options = []
            for number, entry in enumerate(
                expect_list(contest["options"], f"{where}.options")
            ):
                at = f"{where}.options[{number}]"
                option = expect_object(entry, at, _TRUSTEE_OPTION_KEYS)
                options.append(
                    TrusteeOptionShare(
                        option_id=parse_identifier(
                            option["option_id"], f"{at}.option_id"
                        ),
                        aggregate=parse_hex_int(option["aggregate"], f"{at}.aggregate"),
                        share=DecryptionShare.from_json(
                            {
                                "index": index,
                                "share": option["share"],
                                "proof": option["proof"],
                            },
                            at,
                        ),
                    )
                )
            contests.append(
                (
                    parse_identifier(contest["contest_id"], f"{where}.contest_id"),
                    tuple(options),
                )
            )
        return cls(
            election_hash=_parse_hash(obj["election_hash"], f"{field}.election_hash"),
            board=TallyBoard.from_json(obj["board"], f"{field}.board"),
            index=index,
            contests=tuple(contests),
        )

    def share_map(self) -> dict[tuple[str, str], TrusteeOptionShare]:
        """Return ``{(contest_id, option_id): share}``."""
        return {
            (contest_id, option.option_id): option
            for contest_id, options in self.contests
            for option in options
        }


def board_reference(entries: Sequence[BoardEntry]) -> TallyBoard:
    """Return ``{"tree_size", "root_hash"}`` of the whole board (§6, §7)."""
    tree = merkle.MerkleTree(entry.leaf_hash() for entry in entries)
    return TallyBoard(tree_size=tree.size, root_hash=tree.root())


def make_trustee_shares(
    manifest: Manifest,
    counting: BoardTally,
    board: TallyBoard,
    index: int,
    s_i: int,
    *,
    progress: ProgressCallback | None = None,
) -> TrusteeShares:
    """Make trustee ``index``'s decryption share of every aggregate (SPEC §2.3).

    ``counting`` must be the trustee's own :func:`compute_tally` of the
    closed board: a trustee never decrypts an aggregate it did not
    recompute.
    """
    trustees = manifest.trustees
    if not 1 <= index <= trustees.count:
        raise ValueError(f"index must be in 1…{trustees.count}")
    total = sum(len(contest.options) for contest in counting.aggregates)
    done = 0
    contests = []
    for contest in counting.aggregates:
        options = []
        for option in contest.options:
            share = make_decryption_share(
                manifest.n,
                trustees.count,
                trustees.v,
                index,
                s_i,
                option.aggregate,
                counting.election_hash,
            )
            options.append(
                TrusteeOptionShare(option.option_id, option.aggregate, share)
            )
            done += 1
            if progress is not None:
                progress("decrypt", done, total)
        contests.append((contest.contest_id, tuple(options)))
    return TrusteeShares(
        election_hash=counting.election_hash,
        board=board,
        index=index,
        contests=tuple(contests),
    )


def assemble_tally(
    manifest: Manifest,
    counting: BoardTally,
    board: TallyBoard,
    trustee_shares: Iterable[TrusteeShares],
) -> Tally:
    """Build ``tally.json`` from the aggregates and the trustees' shares (§7).

    A trustee's share of an option is kept only if the trustee counted the
    same board and the same aggregate and the share is valid (§2.3); the
    first valid share of each index is kept, the others are dropped, and
    the shares are sorted by index.  Each count combines the ``t`` valid
    shares with the lowest indices.  Raises :class:`CryptoCheckError` when
    an option has fewer than ``t`` valid shares.
    """
    trustees = manifest.trustees
    keys = {key.index: key.vk for key in trustees.verification_keys}
    given = [
        shares
        for shares in trustee_shares
        if shares.election_hash == counting.election_hash and shares.board == board
    ]
    contests = []
    for contest in counting.aggregates:
        options = []
        for option in contest.options:
            found: dict[int, DecryptionShare] = {}
            for shares in given:
                candidate = shares.share_map().get(
                    (contest.contest_id, option.option_id)
                )
                if (
                    candidate is None
                    or candidate.aggregate != option.aggregate
                    or shares.index in found
                    or shares.index not in keys
                ):
                    continue
                if check_decryption_share(
                    manifest.n,
                    trustees.count,
                    trustees.v,
                    keys[shares.index],
                    counting.election_hash,
                    shares.index,
                    option.aggregate,
                    candidate.share,
                ):
                    found[shares.index] = candidate.share
            if len(found) < trustees.threshold:
                raise CryptoCheckError(
                    f"{contest.contest_id}.{option.option_id}",
                    f"{len(found)} valid decryption shares, "
                    f"{trustees.threshold} needed",
                )
            ordered = tuple(found[i] for i in sorted(found))
            count = combine(
                manifest.n,
                trustees.count,
                {share.index: share.share for share in ordered},
                threshold=trustees.threshold,
            )
            options.append(
                TallyOption(option.option_id, option.aggregate, count, ordered)
            )
        contests.append(TallyContest(contest.contest_id, tuple(options)))
    return Tally(
        election_hash=counting.election_hash,
        board=board,
        counted=counting.counted,
        contests=tuple(contests),
    )
