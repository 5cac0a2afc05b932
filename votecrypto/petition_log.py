"""SPEC §10: the petition signature log (``dauys-petition/1``).

A petition's log is built like the board of §6: entries ``{"seq", "type",
"received_at", "payload"}`` hashed into an RFC 9162 tree, with heads signed
by the platform's log key.  This module parses and checks entries, counts
signatures by the rules of §10, verifies a whole published log (with a
signer's receipt and a claimed count when given), and builds logs for the
server with :class:`PetitionLogWriter`.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final, Literal, cast

from votecrypto import merkle
from votecrypto.canonical import (
    H,
    Json,
    expect_int,
    expect_object,
    expect_str,
    hex_bytes,
    parse_hex_bytes,
    parse_identifier,
    parse_time,
)
from votecrypto.errors import StructureError, VoteCryptoError
from votecrypto.heads import (
    PETITION,
    Receipt,
    SignedHead,
    make_receipt,
    protocol_time,
    root_problems,
    sign_head,
    time_rule_problems,
    verify_head_signature,
)
from votecrypto.record import jsonl_file, parse_jsonl_file

PROTOCOL: Final = "dauys-petition/1"
"""The protocol name; domain tags are ``"dauys-petition/1/<purpose>"``."""

EntryType = Literal["open", "sign", "withdraw", "invalidate", "close"]

PAYLOAD_KEYS: Final[Mapping[str, tuple[str, ...]]] = {
    "open": ("petition_id", "text_hash"),
    "sign": ("commitment",),
    "withdraw": ("commitment",),
    "invalidate": ("commitment", "reason"),
    "close": (),
}
"""The exact payload keys of each entry type (SPEC §10)."""

_ENTRY_KEYS: Final = ("seq", "type", "received_at", "payload")


class Status(StrEnum):
    """Where a commitment stands after the whole log (SPEC §10)."""

    COUNTED = "counted"
    """Signed, and neither withdrawn nor invalidated since."""
    WITHDRAWN = "withdrawn"
    """Its last signature was taken back by the signer."""
    INVALIDATED = "invalidated"
    """A moderator invalidated its signature; it never counts again."""
    NOT_SIGNED = "not-signed"
    """No signature of it ever counted."""


# ---------------------------------------------------------------- hashes


def text_hash(title: str, body: str) -> str:
    """Return ``hex(H(["dauys-petition/1/text", title, body]))`` (SPEC §10)."""
    return hex_bytes(H([f"{PROTOCOL}/text", title, body]))


def commitment(petition_id: str, signer_secret: bytes) -> str:
    """Return a signer's commitment on a petition (SPEC §10).

    ``hex(H(["dauys-petition/1/signer", petition_id, hex(signer_secret)]))``:
    the same secret always gives the same commitment on one petition, and
    commitments on different petitions cannot be linked without it.
    """
    if len(signer_secret) != 32:
        raise StructureError(
            "signer_secret", f"expected 32 bytes, got {len(signer_secret)}"
        )
    return hex_bytes(H([f"{PROTOCOL}/signer", petition_id, hex_bytes(signer_secret)]))


# ---------------------------------------------------------------- entries


def _parse_digest(value: Json, field: str) -> str:
    """Read a 32-byte digest written as 64 lowercase hex digits."""
    return hex_bytes(parse_hex_bytes(value, field, 32))


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of a petition log (SPEC §10); payload fields by type."""

    seq: int
    """``seq``: the position in the log, from 0 without gaps."""
    type: EntryType
    """``type``: open, sign, withdraw, invalidate or close."""
    received_at: str
    """``received_at``: when the server appended the entry."""
    petition_id: str | None = None
    """``payload.petition_id`` of an ``open`` entry."""
    text_hash: str | None = None
    """``payload.text_hash`` of an ``open`` entry (64 hex digits)."""
    commitment: str | None = None
    """``payload.commitment`` of sign, withdraw and invalidate (64 hex digits)."""
    reason: str | None = None
    """``payload.reason`` of an ``invalidate`` entry (an identifier)."""

    @classmethod
    def from_json(cls, value: Json, field: str = "entry") -> "Entry":
        """Parse one entry strictly: exact keys at every level, canonical values."""
        obj = expect_object(value, field, _ENTRY_KEYS)
        kind = expect_str(obj["type"], f"{field}.type")
        if kind not in PAYLOAD_KEYS:
            raise StructureError(f"{field}.type", f"unknown entry type {kind[:40]!r}")
        where = f"{field}.payload"
        payload = expect_object(obj["payload"], where, PAYLOAD_KEYS[kind])
        entry_type = cast(EntryType, kind)
        return cls(
            seq=expect_int(obj["seq"], f"{field}.seq"),
            type=entry_type,
            received_at=_checked_time(obj["received_at"], f"{field}.received_at"),
            petition_id=(
                parse_identifier(payload["petition_id"], f"{where}.petition_id")
                if kind == "open"
                else None
            ),
            text_hash=(
                _parse_digest(payload["text_hash"], f"{where}.text_hash")
                if kind == "open"
                else None
            ),
            commitment=(
                _parse_digest(payload["commitment"], f"{where}.commitment")
                if "commitment" in payload
                else None
            ),
            reason=(
                parse_identifier(payload["reason"], f"{where}.reason")
                if kind == "invalidate"
                else None
            ),
        )

    def payload(self) -> dict[str, Json]:
        """Return the entry's ``payload`` object."""
        values = {
            "petition_id": self.petition_id,
            "text_hash": self.text_hash,
            "commitment": self.commitment,
            "reason": self.reason,
        }
        return {key: values[key] for key in PAYLOAD_KEYS[self.type]}

    def to_json(self) -> dict[str, Json]:
        """Return the entry as its JSON object."""
        return {
            "seq": self.seq,
            "type": self.type,
            "received_at": self.received_at,
            "payload": self.payload(),
        }

    def leaf_hash(self) -> bytes:
        """Return the entry's Merkle leaf hash (SPEC §6)."""
        return merkle.leaf_hash(self.to_json())


def _checked_time(value: Json, field: str) -> str:
    parse_time(value, field)
    return str(value)


def log_problems(entries: Sequence[Entry]) -> list[str]:
    """Return what breaks the §10 log rules, as readable sentences.

    ``seq`` runs 0, 1, 2, … without gaps; ``received_at`` never decreases;
    the first entry, and only it, is ``open``; ``close`` may only be last.
    An empty list means the rules hold.
    """
    if not entries:
        return ["the log is empty (it must start with an open entry)"]
    problems: list[str] = []
    previous_at: datetime | None = None
    for position, entry in enumerate(entries):
        where = f"entries[{position}]"
        if entry.seq != position:
            problems.append(f"{where}: seq is {entry.seq}, expected {position}")
        received = parse_time(entry.received_at, f"{where}.received_at")
        if previous_at is not None and received < previous_at:
            problems.append(
                f"{where}: received_at {entry.received_at} is earlier than "
                "the previous entry's"
            )
        previous_at = received
        if position == 0 and entry.type != "open":
            problems.append(f"{where}: the first entry is {entry.type}, not open")
        if position > 0 and entry.type == "open":
            problems.append(f"{where}: open is allowed only as the first entry")
        if entry.type == "close" and position != len(entries) - 1:
            problems.append(f"{where}: close is allowed only as the last entry")
    return problems


# ---------------------------------------------------------------- counting


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """A withdrawal that took a counted signature back."""

    seq: int
    """The ``withdraw`` entry's ``seq``."""
    commitment: str
    """The commitment whose signature was taken back."""


@dataclass(frozen=True, slots=True)
class Invalidation:
    """A moderator's invalidation of a counted signature (final)."""

    seq: int
    """The ``invalidate`` entry's ``seq``."""
    commitment: str
    """The invalidated commitment."""
    reason: str
    """The published ``reason``."""


@dataclass(frozen=True, slots=True)
class NoEffect:
    """An entry that changed nothing in the count, and why."""

    seq: int
    """The entry's ``seq``."""
    commitment: str
    """The commitment it names."""
    why: str
    """A short explanation."""


@dataclass(frozen=True, slots=True)
class CountResult:
    """The count of a petition log and how each commitment stands (SPEC §10)."""

    count: int
    """Commitments counted at the end of the log."""
    counted: tuple[str, ...]
    """The counted commitments, in the order of the sign that counts."""
    duplicates: tuple[int, ...]
    """``seq`` of every sign of a commitment that was already counted."""
    withdrawals: tuple[Withdrawal, ...]
    """Every withdrawal that took a counted signature back."""
    invalidations: tuple[Invalidation, ...]
    """Every invalidation of a counted signature, with its reason."""
    no_effect: tuple[NoEffect, ...]
    """Entries that changed nothing (other than duplicates)."""
    statuses: Mapping[str, Status] = field(hash=False)
    """The final status of every commitment named in the log."""

    def status(self, commitment: str) -> Status:
        """Return the final status of ``commitment`` (not-signed if absent)."""
        return self.statuses.get(commitment, Status.NOT_SIGNED)

    @property
    def withdrawn(self) -> tuple[str, ...]:
        """Return the commitments whose final status is withdrawn."""
        return tuple(c for c, s in self.statuses.items() if s is Status.WITHDRAWN)

    def to_json(self) -> dict[str, Json]:
        """Return the result as a JSON object (for ``--json`` output)."""
        return {
            "count": self.count,
            "counted": list(self.counted),
            "duplicates": list(self.duplicates),
            "withdrawals": [
                {"seq": w.seq, "commitment": w.commitment} for w in self.withdrawals
            ],
            "withdrawn": list(self.withdrawn),
            "invalidations": [
                {"seq": i.seq, "commitment": i.commitment, "reason": i.reason}
                for i in self.invalidations
            ],
            "no_effect": [
                {"seq": n.seq, "commitment": n.commitment, "why": n.why}
                for n in self.no_effect
            ],
        }


def count(entries: Iterable[Entry]) -> CountResult:
    """Count a petition log by the rules of SPEC §10.

    Per commitment: a ``sign`` counts unless the commitment is already
    counted (a duplicate, which never counts) or invalidated (final); a
    ``withdraw`` or ``invalidate`` takes a counted signature back; a
    ``withdraw`` or ``invalidate`` of a commitment that is not counted
    changes nothing; a sign after a withdrawal counts again.
    """
    statuses: dict[str, Status] = {}
    counted_at: dict[str, int] = {}
    duplicates: list[int] = []
    withdrawals: list[Withdrawal] = []
    invalidations: list[Invalidation] = []
    no_effect: list[NoEffect] = []
    for entry in entries:
        c = entry.commitment
        if c is None:
            continue
        status = statuses.get(c, Status.NOT_SIGNED)
        if entry.type == "sign":
            if status is Status.COUNTED:
                duplicates.append(entry.seq)
            elif status is Status.INVALIDATED:
                no_effect.append(
                    NoEffect(entry.seq, c, "sign of an invalidated commitment")
                )
            else:
                statuses[c] = Status.COUNTED
                counted_at[c] = entry.seq
            continue
        statuses.setdefault(c, Status.NOT_SIGNED)
        if status is not Status.COUNTED:
            what: str = entry.type
            if entry.reason is not None:
                what += f" (reason {entry.reason})"
            why = f"{what} of a commitment that is {status}"
            no_effect.append(NoEffect(entry.seq, c, why))
        elif entry.type == "withdraw":
            statuses[c] = Status.WITHDRAWN
            withdrawals.append(Withdrawal(entry.seq, c))
        else:
            statuses[c] = Status.INVALIDATED
            invalidations.append(Invalidation(entry.seq, c, entry.reason or ""))
    counted = tuple(
        sorted(
            (c for c, s in statuses.items() if s is Status.COUNTED),
            key=counted_at.__getitem__,
        )
    )
    return CountResult(
        count=len(counted),
        counted=counted,
        duplicates=tuple(duplicates),
        withdrawals=tuple(withdrawals),
        invalidations=tuple(invalidations),
        no_effect=tuple(no_effect),
        statuses=statuses,
    )


# ---------------------------------------------------------------- verifying


class Outcome(StrEnum):
    """The outcome of one check (SPEC §9: NOT CHECKED counts as a failure)."""

    PASS = "PASS"  # noqa: S105 (an outcome, not a password)
    FAIL = "FAIL"
    NOT_CHECKED = "NOT CHECKED"


@dataclass(frozen=True, slots=True)
class Check:
    """One named check of a petition log and what it found."""

    name: str
    """What was checked."""
    outcome: Outcome
    """PASS, FAIL or NOT CHECKED."""
    details: tuple[str, ...] = ()
    """Problems found (FAIL), why it could not run (NOT CHECKED), or notes."""

    def to_json(self) -> dict[str, Json]:
        """Return the check as a JSON object."""
        return {
            "name": self.name,
            "outcome": str(self.outcome),
            "details": list(self.details),
        }


@dataclass(frozen=True, slots=True)
class ReceiptResult:
    """What a signer's receipt shows (SPEC §10)."""

    seq: int
    """The receipt's ``seq``."""
    commitment: str
    """The commitment computed from the receipt's ``signer_secret``."""
    status: Status
    """The commitment's final status in the log."""


@dataclass(frozen=True, slots=True)
class PetitionReport:
    """The result of :func:`verify_log`."""

    checks: tuple[Check, ...]
    """Every check, in the order run."""
    petition_id: str | None
    """The petition named by the ``open`` entry, if the log could be read."""
    entries: int | None
    """The number of entries, if the log could be read."""
    closed: bool
    """Whether the log ends with ``close``."""
    result: CountResult | None
    """The count, if the entries could be parsed."""
    receipt: ReceiptResult | None
    """What the receipt shows, if one was given and could be checked."""

    @property
    def ok(self) -> bool:
        """Return whether every check passed."""
        return all(check.outcome is Outcome.PASS for check in self.checks)

    def to_json(self) -> dict[str, Json]:
        """Return the report as a JSON object (for ``--json`` output)."""
        return {
            "verified": self.ok,
            "petition_id": self.petition_id,
            "entries": self.entries,
            "closed": self.closed,
            "checks": [check.to_json() for check in self.checks],
            "result": None if self.result is None else self.result.to_json(),
            "receipt": (
                None
                if self.receipt is None
                else {
                    "seq": self.receipt.seq,
                    "commitment": self.receipt.commitment,
                    "status": str(self.receipt.status),
                }
            ),
        }


def _outcome(name: str, problems: Sequence[str], notes: Sequence[str] = ()) -> Check:
    if problems:
        return Check(name, Outcome.FAIL, tuple(problems))
    return Check(name, Outcome.PASS, tuple(notes))


def _not_checked(name: str, why: str) -> Check:
    return Check(name, Outcome.NOT_CHECKED, (why,))


def _parse_entries(data: bytes) -> tuple[list[Entry] | None, list[str]]:
    """Parse the log file; return the entries (or None) and the problems."""
    try:
        values = parse_jsonl_file(data, "log")
        entries = [
            Entry.from_json(value, f"log:{n}") for n, value in enumerate(values, 1)
        ]
    except VoteCryptoError as exc:
        return None, [str(exc)]
    return entries, log_problems(entries)


def _parse_heads(data: bytes) -> tuple[list[SignedHead] | None, list[str]]:
    """Parse the heads file; return the heads (or None) and the problems."""
    try:
        values = parse_jsonl_file(data, "heads")
        parsed = [
            SignedHead.from_json(PETITION, value, f"heads:{n}")
            for n, value in enumerate(values, 1)
        ]
    except VoteCryptoError as exc:
        return None, [str(exc)]
    return parsed, [] if parsed else ["the heads file holds no head"]


def _check_receipt(
    receipt: Json,
    petition_id: str,
    entries: Sequence[Entry],
    tree: merkle.MerkleTree,
    published: Sequence[SignedHead],
    log_public_key: bytes,
    result: CountResult,
) -> tuple[list[str], ReceiptResult | None]:
    """Check a signer's receipt against the log; return problems and status."""
    try:
        parsed = Receipt.from_json(PETITION, receipt)
    except VoteCryptoError as exc:
        return [str(exc)], None
    problems: list[str] = []
    head = parsed.head
    if parsed.subject != petition_id or head.subject != petition_id:
        problems.append(
            f"receipt: names petition {parsed.subject!r}, not {petition_id!r}"
        )
    if not verify_head_signature(PETITION, head, log_public_key):
        problems.append("receipt.head: signature is not valid for the log key")
    if head not in published:
        problems.append("receipt.head: does not appear in the published heads")
    problems.extend(
        f"receipt.{problem}"
        for problem in root_problems([head], tree)
        + time_rule_problems([head], [e.received_at for e in entries])
    )
    mine = commitment(petition_id, parsed.value)
    if parsed.seq >= len(entries):
        problems.append(
            f"receipt.seq: {parsed.seq} is beyond the log's {len(entries)} entries"
        )
        return problems, None
    entry = entries[parsed.seq]
    if entry.type != "sign" or entry.commitment != mine:
        problems.append(
            f"receipt.seq: entry {parsed.seq} is not a sign of the receipt's "
            f"commitment {mine}"
        )
    if not parsed.includes(entry.leaf_hash()):
        problems.append(
            "receipt.inclusion_proof: does not show the entry under the head"
        )
    return problems, ReceiptResult(parsed.seq, mine, result.status(mine))


def verify_log(
    entries_jsonl: bytes,
    heads_jsonl: bytes,
    log_public_key: bytes,
    *,
    receipt: Json | None = None,
    claimed_count: int | None = None,
) -> PetitionReport:
    """Verify a published petition log (SPEC §10); every check that can run runs.

    Checks: canonical, well-formed entries obeying the log rules; canonical
    heads of this petition; every head's signature by ``log_public_key``;
    every head's ``root_hash`` against the log prefix; the §6 time rules;
    that the last head covers the whole log; the receipt (signature, head
    published and consistent with the log, inclusion, a ``sign`` of the
    secret's commitment) and its status; and ``claimed_count``.  The text
    hash is not checked here (it needs the published title and body).
    """
    checks: list[Check] = []
    entries, entry_problems = _parse_entries(entries_jsonl)
    petition_id = entries[0].petition_id if entries else None
    notes = [f"{len(entries)} entries"] if entries is not None else []
    checks.append(_outcome("log entries", entry_problems, notes))

    parsed_heads, head_problems = _parse_heads(heads_jsonl)
    if parsed_heads is not None and petition_id is not None:
        head_problems += [
            f"heads[{i}]: petition_id {h.subject!r} is not the log's {petition_id!r}"
            for i, h in enumerate(parsed_heads)
            if h.subject != petition_id
        ]
    checks.append(
        _outcome("heads", head_problems, [f"{len(parsed_heads or [])} heads"])
    )

    if not parsed_heads:
        checks.append(_not_checked("head signatures", "there are no heads to check"))
    else:
        bad = [
            f"heads[{i}] (tree_size {h.tree_size}): signature is not valid"
            for i, h in enumerate(parsed_heads)
            if not verify_head_signature(PETITION, h, log_public_key)
        ]
        checks.append(_outcome("head signatures", bad))

    tree = (
        None if entries is None else merkle.MerkleTree(e.leaf_hash() for e in entries)
    )
    names = ("head roots", "time rules", "last head covers the log")
    if entries is None or tree is None or not parsed_heads:
        why = "the log or the heads could not be read"
        checks.extend(_not_checked(name, why) for name in names)
    else:
        checks.append(_outcome(names[0], root_problems(parsed_heads, tree)))
        times = [e.received_at for e in entries]
        checks.append(_outcome(names[1], time_rule_problems(parsed_heads, times)))
        last = parsed_heads[-1].tree_size
        covers = (
            []
            if last == len(entries)
            else [f"the last head has tree_size {last}, the log {len(entries)} entries"]
        )
        checks.append(_outcome(names[2], covers))

    result = None if entries is None else count(entries)
    receipt_result: ReceiptResult | None = None
    if receipt is not None:
        if entries is None or tree is None or petition_id is None or result is None:
            checks.append(_not_checked("receipt", "the log could not be read"))
        else:
            problems, receipt_result = _check_receipt(
                receipt,
                petition_id,
                entries,
                tree,
                parsed_heads or [],
                log_public_key,
                result,
            )
            note = (
                []
                if receipt_result is None
                else [f"seq {receipt_result.seq}: {receipt_result.status}"]
            )
            checks.append(_outcome("receipt", problems, note))
    if claimed_count is not None:
        if result is None:
            checks.append(_not_checked("claimed count", "the log could not be read"))
        else:
            mismatch = (
                []
                if claimed_count == result.count
                else [f"claimed {claimed_count}, the log counts {result.count}"]
            )
            checks.append(_outcome("claimed count", mismatch, [str(claimed_count)]))
    return PetitionReport(
        checks=tuple(checks),
        petition_id=petition_id,
        entries=None if entries is None else len(entries),
        closed=entries is not None and bool(entries) and entries[-1].type == "close",
        result=result,
        receipt=receipt_result,
    )


# ---------------------------------------------------------------- writing


@dataclass(frozen=True, slots=True)
class Appended:
    """What :meth:`PetitionLogWriter.append` returns."""

    seq: int
    """The new entry's ``seq``."""
    entry: Entry
    """The entry as appended."""
    leaf_hash: bytes
    """Its Merkle leaf hash."""


class PetitionLogWriter:
    """Build one petition's log in memory, append-only (the server's side).

    The writer refuses anything that would make the log fail
    :func:`verify_log`: entries out of order in type or time, an entry
    earlier than a head already signed, a head earlier than its last entry.

    With ``keep_entries=False`` it keeps only the Merkle tree and the last
    entry (a server whose entries are stored elsewhere, with a log of
    millions of signatures in memory): :attr:`entries`, :meth:`receipt`
    and :meth:`log_jsonl` then refuse.
    """

    def __init__(
        self,
        petition_id: str,
        entries: Iterable[Entry] = (),
        *,
        keep_entries: bool = True,
    ) -> None:
        """Start the log of ``petition_id``, replaying ``entries`` if given."""
        self.petition_id = parse_identifier(petition_id, "petition_id")
        self._entries: list[Entry] | None = [] if keep_entries else None
        self._size = 0
        self._last: Entry | None = None
        self._tree = merkle.MerkleTree()
        self._heads: list[SignedHead] = []
        for entry in entries:
            self._add(entry)

    def _kept(self) -> list[Entry]:
        if self._entries is None:
            raise ValueError("this writer keeps no entries (keep_entries=False)")
        return self._entries

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Return the entries so far."""
        return tuple(self._kept())

    @property
    def heads(self) -> tuple[SignedHead, ...]:
        """Return the heads this writer signed, in order."""
        return tuple(self._heads)

    @property
    def tree(self) -> merkle.MerkleTree:
        """Return the Merkle tree of the entries (do not append to it)."""
        return self._tree

    @property
    def tree_size(self) -> int:
        """Return the number of entries."""
        return self._size

    def _add(self, entry: Entry) -> Appended:
        """Append a parsed entry after checking the log and time rules."""
        seq = self._size
        last = self._last
        received = parse_time(entry.received_at, "received_at")
        problem = None
        if entry.seq != seq:
            problem = f"seq is {entry.seq}, expected {seq}"
        elif last is None and entry.type != "open":
            problem = "the first entry must be open"
        elif last is not None and entry.type == "open":
            problem = "open is allowed only as the first entry"
        elif last is not None and last.type == "close":
            problem = "the log is closed"
        elif entry.type == "open" and entry.petition_id != self.petition_id:
            problem = f"open names petition {entry.petition_id!r}"
        elif last is not None and received < parse_time(
            last.received_at, "received_at"
        ):
            problem = (
                f"received_at {entry.received_at} is earlier than {last.received_at}"
            )
        elif self._heads and received < self._heads[-1].timestamp_at:
            problem = (
                f"received_at {entry.received_at} is earlier than the last "
                f"head's timestamp {self._heads[-1].timestamp}"
            )
        if problem is not None:
            raise ValueError(f"cannot append {entry.type} at seq {seq}: {problem}")
        leaf = entry.leaf_hash()
        self._tree.append(leaf)
        if self._entries is not None:
            self._entries.append(entry)
        self._last = entry
        self._size += 1
        return Appended(seq, entry, leaf)

    def append(
        self,
        entry_type: EntryType,
        payload: Mapping[str, Json],
        received_at: datetime | str,
    ) -> Appended:
        """Append an entry of ``entry_type`` with ``payload``; return its seq and leaf.

        The entry is parsed as a verifier would parse it, so a malformed
        payload raises the same error family.
        """
        value = {
            "seq": self._size,
            "type": entry_type,
            "received_at": protocol_time(received_at, "received_at"),
            "payload": dict(payload),
        }
        return self._add(Entry.from_json(value, "entry"))

    def extend(self, entries: Iterable[Entry]) -> None:
        """Append parsed entries (another writer's, read back from storage).

        Each is checked against the log and time rules as :meth:`append`
        checks a new one; their ``seq`` must continue this log's.
        """
        for entry in entries:
            self._add(entry)

    def open(self, text_hash: str, received_at: datetime | str) -> Appended:
        """Append the ``open`` entry (SPEC §10)."""
        payload = {"petition_id": self.petition_id, "text_hash": text_hash}
        return self.append("open", payload, received_at)

    def sign(self, commitment: str, received_at: datetime | str) -> Appended:
        """Append a ``sign`` entry."""
        return self.append("sign", {"commitment": commitment}, received_at)

    def withdraw(self, commitment: str, received_at: datetime | str) -> Appended:
        """Append a ``withdraw`` entry."""
        return self.append("withdraw", {"commitment": commitment}, received_at)

    def invalidate(
        self, commitment: str, reason: str, received_at: datetime | str
    ) -> Appended:
        """Append a moderator's ``invalidate`` entry with its ``reason``."""
        payload = {"commitment": commitment, "reason": reason}
        return self.append("invalidate", payload, received_at)

    def close(self, received_at: datetime | str) -> Appended:
        """Append the ``close`` entry; nothing can be appended afterwards."""
        return self.append("close", {}, received_at)

    def sign_head(self, timestamp: datetime | str, seed: bytes) -> SignedHead:
        """Sign a head over all entries so far with the log key ``seed``.

        The timestamp must not be earlier than the last entry's
        ``received_at`` or the previous head's timestamp (SPEC §6).
        """
        text = protocol_time(timestamp, "timestamp")
        at = parse_time(text, "timestamp")
        if self._last is not None and at < parse_time(
            self._last.received_at, "received_at"
        ):
            raise ValueError(
                f"timestamp {text} is earlier than the last entry's received_at"
            )
        if self._heads and at < self._heads[-1].timestamp_at:
            raise ValueError(f"timestamp {text} is earlier than the previous head's")
        head = sign_head(
            PETITION,
            self.petition_id,
            self.tree_size,
            self._tree.root(),
            text,
            seed,
        )
        self._heads.append(head)
        return head

    def receipt(
        self, seq: int, signer_secret: bytes, head: SignedHead | None = None
    ) -> Receipt:
        """Return the signer's receipt for the ``sign`` entry ``seq`` (SPEC §10).

        ``head`` defaults to the last head signed; it must include ``seq``.
        """
        chosen = (
            head if head is not None else (self._heads[-1] if self._heads else None)
        )
        if chosen is None:
            raise ValueError("no head has been signed yet")
        if not 0 <= seq < chosen.tree_size:
            raise ValueError(
                f"the head of tree_size {chosen.tree_size} does not include seq {seq}"
            )
        entry = self._kept()[seq]
        if entry.type != "sign" or entry.commitment != commitment(
            self.petition_id, signer_secret
        ):
            raise ValueError(f"entry {seq} is not a sign of this signer's commitment")
        return make_receipt(chosen, seq, signer_secret, self._tree)

    def log_jsonl(self) -> bytes:
        """Return the log as its published ``.jsonl`` bytes."""
        return jsonl_file(entry.to_json() for entry in self._kept())

    def heads_jsonl(self) -> bytes:
        """Return the signed heads as their published ``.jsonl`` bytes."""
        return jsonl_file(head.to_json() for head in self._heads)
