"""SPEC §6 and §10: signed tree heads and receipts of the two logs.

The election board (§6) and each petition's signature log (§10) are the
same RFC 9162 log with different names: a head is signed over
``"<protocol>/sth:" + cjson(head without signature)`` and names its log by
``election_hash`` or by ``petition_id``, and a receipt carries the voter's
``tracker`` or the signer's ``signer_secret``.  A :class:`LogKind` holds
those differences, so one implementation serves both logs.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from votecrypto import ed25519, merkle
from votecrypto.canonical import (
    MAX_JSON_INT,
    Json,
    cjson,
    expect_int,
    expect_list,
    expect_object,
    format_time,
    hex_bytes,
    parse_hex_bytes,
    parse_identifier,
    parse_time,
)


def _parse_election_hash(value: Json, field: str) -> str:
    """Read an ``election_hash``: 32 bytes as 64 lowercase hex digits."""
    return hex_bytes(parse_hex_bytes(value, field, 32))


@dataclass(frozen=True, slots=True)
class LogKind:
    """What distinguishes the election board (§6) from a petition log (§10)."""

    name: str
    """A short name for messages: ``"election"`` or ``"petition"``."""
    sth_prefix: str
    """The ASCII prefix of the signed message, ending in ``/sth:``."""
    subject_key: str
    """The key naming the log in heads and receipts."""
    receipt_key: str
    """The receipt's 32-byte value: ``tracker`` (§6) or ``signer_secret`` (§10)."""
    parse_subject: Callable[[Json, str], str]
    """Read and check the subject value, naming the field on failure."""


ELECTION: Final = LogKind(
    name="election",
    sth_prefix="evote-paillier/1/sth:",
    subject_key="election_hash",
    receipt_key="tracker",
    parse_subject=_parse_election_hash,
)
"""The bulletin board of an election (SPEC §6)."""

PETITION: Final = LogKind(
    name="petition",
    sth_prefix="dauys-petition/1/sth:",
    subject_key="petition_id",
    receipt_key="signer_secret",
    parse_subject=parse_identifier,
)
"""The signature log of a petition (SPEC §10)."""

_HEAD_KEYS: Final = ("tree_size", "root_hash", "timestamp", "signature")


def protocol_time(value: datetime | str, field: str) -> str:
    """Return the SPEC §1 spelling of a time given as a datetime or a string.

    A datetime must be timezone-aware and is written at whole seconds; a
    string must already be a valid protocol time (the error names ``field``).
    """
    if isinstance(value, datetime):
        return format_time(value)
    parse_time(value, field)
    return value


@dataclass(frozen=True, slots=True)
class SignedHead:
    """A signed tree head of a log (SPEC §6, §10)."""

    kind: LogKind
    """Which log the head belongs to."""
    subject: str
    """``election_hash`` (§6) or ``petition_id`` (§10)."""
    tree_size: int
    """``tree_size``: the number of entries the head covers."""
    root_hash: bytes
    """``root_hash``: the RFC 9162 tree hash of those entries."""
    timestamp: str
    """``timestamp``: when the head was signed (SPEC §1 time string)."""
    signature: bytes
    """``signature``: Ed25519 over :meth:`signed_message`."""

    @classmethod
    def from_json(cls, kind: LogKind, value: Json, field: str = "head") -> "SignedHead":
        """Parse a head strictly: exact keys, canonical encodings."""
        obj = expect_object(value, field, (kind.subject_key, *_HEAD_KEYS))
        return cls(
            kind=kind,
            subject=kind.parse_subject(
                obj[kind.subject_key], f"{field}.{kind.subject_key}"
            ),
            tree_size=expect_int(obj["tree_size"], f"{field}.tree_size"),
            root_hash=parse_hex_bytes(obj["root_hash"], f"{field}.root_hash", 32),
            timestamp=protocol_time(obj["timestamp"], f"{field}.timestamp"),
            signature=ed25519.parse_signature(obj["signature"], f"{field}.signature"),
        )

    def unsigned_json(self) -> dict[str, Json]:
        """Return the head without its ``signature`` key."""
        return {
            self.kind.subject_key: self.subject,
            "tree_size": self.tree_size,
            "root_hash": hex_bytes(self.root_hash),
            "timestamp": self.timestamp,
        }

    def to_json(self) -> dict[str, Json]:
        """Return the head as its JSON object."""
        return {**self.unsigned_json(), "signature": hex_bytes(self.signature)}

    def signed_message(self) -> bytes:
        """Return the bytes the log key signs (SPEC §6, §10)."""
        return self.kind.sth_prefix.encode("ascii") + cjson(self.unsigned_json())

    @property
    def timestamp_at(self) -> datetime:
        """Return ``timestamp`` as an aware UTC datetime."""
        return parse_time(self.timestamp, "timestamp")


def sign_head(
    kind: LogKind,
    subject_id: str,
    tree_size: int,
    root_hash: bytes,
    timestamp: datetime | str,
    seed: bytes,
) -> SignedHead:
    """Sign a tree head of ``kind``'s log with the private key ``seed``.

    ``timestamp`` is a protocol time string or an aware datetime (written
    at whole seconds).
    """
    subject = kind.parse_subject(subject_id, kind.subject_key)
    expect_int(tree_size, "tree_size", 0, MAX_JSON_INT - 1)
    if len(root_hash) != merkle.HASH_LENGTH:
        raise ValueError(
            f"root_hash has {merkle.HASH_LENGTH} bytes, got {len(root_hash)}"
        )
    unsigned = SignedHead(
        kind=kind,
        subject=subject,
        tree_size=tree_size,
        root_hash=root_hash,
        timestamp=protocol_time(timestamp, "timestamp"),
        signature=b"",
    )
    return replace(unsigned, signature=ed25519.sign(seed, unsigned.signed_message()))


def verify_head_signature(kind: LogKind, head: SignedHead, public_key: bytes) -> bool:
    """Return whether ``head`` is a head of ``kind`` signed by ``public_key``.

    The kind is part of the check: a head of the other log never passes,
    since its signed message has another domain prefix.
    """
    if head.kind != kind:
        return False
    return ed25519.verify(public_key, head.signature, head.signed_message())


@dataclass(frozen=True, slots=True)
class Receipt:
    """A receipt: an entry's ``seq`` and a signed head that includes it.

    SPEC §6: ``{"election_hash", "seq", "tracker", "head", "inclusion_proof"}``;
    SPEC §10: ``{"petition_id", "signer_secret", "seq", "head",
    "inclusion_proof"}``.
    """

    kind: LogKind
    """Which log the receipt is for."""
    subject: str
    """``election_hash`` (§6) or ``petition_id`` (§10)."""
    seq: int
    """``seq``: the entry the receipt is for."""
    value: bytes
    """``tracker`` (§6) or ``signer_secret`` (§10), 32 bytes."""
    head: SignedHead
    """``head``: a signed head whose tree includes the entry."""
    inclusion_proof: tuple[bytes, ...]
    """``inclusion_proof``: RFC 9162 ``PATH(seq, D[head.tree_size])``."""

    @classmethod
    def from_json(cls, kind: LogKind, value: Json, field: str = "receipt") -> "Receipt":
        """Parse a receipt strictly: exact keys, canonical encodings."""
        keys = (kind.subject_key, kind.receipt_key, "seq", "head", "inclusion_proof")
        obj = expect_object(value, field, keys)
        proof = expect_list(obj["inclusion_proof"], f"{field}.inclusion_proof")
        return cls(
            kind=kind,
            subject=kind.parse_subject(
                obj[kind.subject_key], f"{field}.{kind.subject_key}"
            ),
            seq=expect_int(obj["seq"], f"{field}.seq"),
            value=parse_hex_bytes(
                obj[kind.receipt_key], f"{field}.{kind.receipt_key}", 32
            ),
            head=SignedHead.from_json(kind, obj["head"], f"{field}.head"),
            inclusion_proof=tuple(
                parse_hex_bytes(node, f"{field}.inclusion_proof[{index}]", 32)
                for index, node in enumerate(proof)
            ),
        )

    def to_json(self) -> dict[str, Json]:
        """Return the receipt as its JSON object."""
        return {
            self.kind.subject_key: self.subject,
            self.kind.receipt_key: hex_bytes(self.value),
            "seq": self.seq,
            "head": self.head.to_json(),
            "inclusion_proof": [hex_bytes(node) for node in self.inclusion_proof],
        }

    def includes(self, leaf: bytes) -> bool:
        """Return whether the proof shows ``leaf`` at ``seq`` under the head's root.

        Also requires that the head names the receipt's log.  The head's
        signature is :func:`verify_head_signature`'s business.
        """
        if self.head.subject != self.subject or self.head.kind != self.kind:
            return False
        return merkle.verify_inclusion(
            leaf,
            self.seq,
            self.head.tree_size,
            self.inclusion_proof,
            self.head.root_hash,
        )


def make_receipt(
    head: SignedHead, seq: int, value: bytes, tree: merkle.MerkleTree
) -> Receipt:
    """Return the receipt for entry ``seq`` under ``head`` (the server's side)."""
    if head.root_hash != tree.root(head.tree_size):
        raise ValueError("the head's root_hash is not the tree's root at its size")
    return Receipt(
        kind=head.kind,
        subject=head.subject,
        seq=seq,
        value=value,
        head=head,
        inclusion_proof=tuple(tree.inclusion_proof(seq, head.tree_size)),
    )


def time_rule_problems(
    heads: Sequence[SignedHead], received_at: Sequence[datetime | str]
) -> list[str]:
    """Return what breaks the SPEC §6 time rules, as readable sentences.

    ``received_at[seq]`` is entry ``seq``'s ``received_at``.  The rules:
    heads are in order (``tree_size`` and ``timestamp`` never decrease);
    no head covers more entries than there are; each head's ``timestamp``
    is at least the ``received_at`` of its last entry; and no entry outside
    a head (``seq ≥ tree_size``) has a ``received_at`` earlier than that
    head's ``timestamp``.  An empty list means every rule holds.
    """
    times = [
        value if isinstance(value, datetime) else parse_time(value, f"entries[{seq}]")
        for seq, value in enumerate(received_at)
    ]
    count = len(times)
    # later_min[s] is the earliest received_at among entries s, s+1, ...
    later_min: list[datetime | None] = [None] * (count + 1)
    for seq in range(count - 1, -1, -1):
        following = later_min[seq + 1]
        later_min[seq] = times[seq] if following is None else min(times[seq], following)
    problems: list[str] = []
    previous: SignedHead | None = None
    for index, head in enumerate(heads):
        where = f"heads[{index}] (tree_size {head.tree_size})"
        stamp = head.timestamp_at
        if previous is not None:
            if head.tree_size < previous.tree_size:
                problems.append(
                    f"{where}: tree_size decreases from {previous.tree_size}"
                )
            if stamp < previous.timestamp_at:
                problems.append(
                    f"{where}: timestamp {head.timestamp} is earlier than the "
                    f"previous head's {previous.timestamp}"
                )
        previous = head
        if head.tree_size > count:
            problems.append(f"{where}: covers more entries than the log's {count}")
            continue
        if head.tree_size > 0 and stamp < times[head.tree_size - 1]:
            problems.append(
                f"{where}: timestamp {head.timestamp} is earlier than the "
                f"received_at {format_time(times[head.tree_size - 1])} of its "
                f"last entry (seq {head.tree_size - 1})"
            )
        earliest = later_min[head.tree_size]
        if earliest is not None and earliest < stamp:
            seq = next(s for s in range(head.tree_size, count) if times[s] < stamp)
            problems.append(
                f"{where}: entry seq {seq} outside the head has received_at "
                f"{format_time(times[seq])}, earlier than the head's timestamp "
                f"{head.timestamp}"
            )
    return problems


def root_problems(heads: Sequence[SignedHead], tree: merkle.MerkleTree) -> list[str]:
    """Return the heads whose ``root_hash`` is not the log's root at their size."""
    problems: list[str] = []
    for index, head in enumerate(heads):
        where = f"heads[{index}] (tree_size {head.tree_size})"
        if head.tree_size > tree.size:
            problems.append(f"{where}: covers more entries than the log's {tree.size}")
        elif head.root_hash != tree.root(head.tree_size):
            problems.append(
                f"{where}: root_hash {hex_bytes(head.root_hash)} is not the root "
                f"{hex_bytes(tree.root(head.tree_size))} of the first "
                f"{head.tree_size} entries"
            )
    return problems
