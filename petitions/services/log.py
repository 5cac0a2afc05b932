"""Appending to a petition's §10 log and signing its heads.

The log code is ``votecrypto.petition_log`` (the same RFC 9162 log as the
ballot board of §6); this module only stores what its writer produces.
Every function here expects the caller to hold the petition's row lock
(``select_for_update``), which keeps ``seq`` gapless under concurrency.
"""

import json
import re
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from config import rows
from petitions.models import LogEntry, LogHead, Petition
from votecrypto import ed25519, merkle
from votecrypto.canonical import Json, format_time, hex_bytes
from votecrypto.heads import PETITION, Receipt, SignedHead, make_receipt, sign_head
from votecrypto.petition_log import Appended, Entry, EntryType, PetitionLogWriter
from votecrypto.record import jsonl_file

LOG_FIELDS = ("log_size", "log_root", "last_received_at", "last_head_at")
"""The petition fields that a log append or a head changes."""

_SEED_RE = re.compile(r"^[0-9a-f]{64}$")

# Process-local writers, so an append on a popular petition does not replay
# the whole log.  A cached writer is used only when its size and root equal
# what the locked petition row says (a rolled-back append or another
# process's append makes them differ, and the writer is rebuilt).
_writers: dict[int, PetitionLogWriter] = {}
_writers_lock = threading.Lock()


def log_seed() -> bytes:
    """Return the platform's log key seed; raise if it is not configured."""
    seed: str = getattr(settings, "PETITION_LOG_SEED", "")
    if not _SEED_RE.match(seed):
        raise ImproperlyConfigured(
            "PETITION_LOG_SEED must be 64 lowercase hex digits (the Ed25519 seed "
            "of the petition log key)."
        )
    return bytes.fromhex(seed)


def log_public_key() -> str:
    """Return the platform's petition log public key as 64 hex digits."""
    return hex_bytes(ed25519.public_key_from_seed(log_seed()))


_ENTRIES_SQL = (
    "SELECT seq, type, received_at, payload FROM petitions_logentry"
    " WHERE petition_id = %s AND seq >= %s ORDER BY seq"
)


def _entries_from(found: list[tuple[Any, ...]]) -> list[Entry]:
    return [
        Entry.from_json(
            {
                "seq": seq,
                "type": kind,
                "received_at": received_at,
                "payload": json.loads(payload) if isinstance(payload, str) else payload,
            },
            f"log[{seq}]",
        )
        for seq, kind, received_at, payload in found
    ]


def _stored_entries(petition: Petition, start: int = 0) -> list[Entry]:
    (found,) = rows.run(rows.plain(_ENTRIES_SQL, [petition.pk, start]))
    return _entries_from(found)


def _matches(writer: PetitionLogWriter, petition: Petition) -> bool:
    if writer.tree_size != petition.log_size:
        return False
    return writer.tree_size == 0 or hex_bytes(writer.tree.root()) == petition.log_root


def log_catch_up_query(petition_id: int) -> tuple[int, rows.Query[tuple[Any, ...]]]:
    """Return where this process's copy of the log ends, and a query for the rest.

    On a busy petition served by several processes, each batch first
    reads the entries the others appended meanwhile: the signing path
    sends this query with its others, and gives the rows to
    :func:`log_writer`.
    """
    with _writers_lock:
        writer = _writers.get(petition_id)
    start = 0 if writer is None else writer.tree_size
    return start, rows.plain(_ENTRIES_SQL, [petition_id, start])


def log_writer(
    petition: Petition, *, fetched: tuple[int, list[tuple[Any, ...]]] | None = None
) -> PetitionLogWriter:
    """Return the writer holding the petition's stored log (lock held).

    ``fetched`` is ``(start, rows)`` from :func:`log_catch_up_query`, read
    under the lock; without it (or when the writer moved since) the
    entries are read here.
    """
    with _writers_lock:
        writer = _writers.get(petition.pk)
    if writer is not None and writer.tree_size < petition.log_size:
        try:
            if fetched is not None and fetched[0] == writer.tree_size:
                writer.extend(_entries_from(fetched[1]))
            else:
                writer.extend(_stored_entries(petition, writer.tree_size))
        except ValueError:
            writer = None
    if writer is None or not _matches(writer, petition):
        entries = (
            _entries_from(fetched[1])
            if fetched is not None and fetched[0] == 0
            else _stored_entries(petition)
        )
        # The entries are in the database: keep only the tree (about 64
        # bytes per entry) and the last entry, per petition and process.
        writer = PetitionLogWriter(petition.log_id, entries, keep_entries=False)
        if not _matches(writer, petition):
            raise RuntimeError(f"the stored log of {petition.log_id} is inconsistent")
    with _writers_lock:
        _writers[petition.pk] = writer
    return writer


def log_forget(petition_id: int) -> None:
    """Drop the cached writer of a petition whose log is closed."""
    with _writers_lock:
        _writers.pop(petition_id, None)


def _next_time(petition: Petition, now: datetime | None) -> str:
    """Return a protocol time not earlier than the last entry or head (§6)."""
    stamp = format_time(now or timezone.now())
    return max(stamp, petition.last_received_at, petition.last_head_at)


def log_entry_pending(
    petition: Petition,
    entry_type: EntryType,
    payload: Mapping[str, Json],
    now: datetime | None = None,
) -> tuple[Appended, LogEntry]:
    """Append one entry to the locked petition's log, without storing it.

    Updates the petition's log fields in memory and returns the entry and
    its row; the caller stores the row (``log_append``, or with the rest of
    a batch through ``config.rows.write``) and the petition's fields.
    """
    writer = log_writer(petition)
    appended = writer.append(entry_type, payload, _next_time(petition, now))
    petition.log_size = writer.tree_size
    petition.log_root = hex_bytes(writer.tree.root())
    petition.last_received_at = appended.entry.received_at
    row = LogEntry(
        petition=petition,
        seq=appended.seq,
        type=appended.entry.type,
        received_at=appended.entry.received_at,
        payload=appended.entry.payload(),
    )
    return appended, row


def log_head_pending(
    petition: Petition, now: datetime | None = None
) -> tuple[SignedHead, LogHead]:
    """Sign a head over the locked petition's whole log, without storing it."""
    writer = log_writer(petition)
    head = sign_head(
        PETITION,
        petition.log_id,
        writer.tree_size,
        writer.tree.root(),
        _next_time(petition, now),
        log_seed(),
    )
    petition.last_head_at = head.timestamp
    row = LogHead(
        petition=petition,
        tree_size=head.tree_size,
        root_hash=hex_bytes(head.root_hash),
        timestamp=head.timestamp,
        signature=hex_bytes(head.signature),
    )
    return head, row


def log_append(
    petition: Petition,
    entry_type: EntryType,
    payload: Mapping[str, Json],
    *,
    now: datetime | None = None,
) -> Appended:
    """Append one entry to the locked petition's log and store it.

    Updates the petition's log fields in memory; the caller saves them
    (``update_fields=LOG_FIELDS``).
    """
    appended, row = log_entry_pending(petition, entry_type, payload, now)
    rows.insert(row)
    return appended


def log_sign_head(petition: Petition, *, now: datetime | None = None) -> SignedHead:
    """Sign and store a head over the locked petition's whole log."""
    head, row = log_head_pending(petition, now)
    rows.insert(row)
    return head


def log_receipt_current(
    petition: Petition, head: SignedHead, *, seq: int, signer_secret: bytes
) -> Receipt:
    """Return a receipt under ``head``, just signed over the locked log.

    Uses the writer's tree in memory, so a signature on a long log does not
    re-read it.
    """
    return make_receipt(head, seq, signer_secret, log_writer(petition).tree)


def _head_from_row(row: LogHead) -> SignedHead:
    return SignedHead.from_json(PETITION, row.to_json())


def log_receipt(petition: Petition, *, seq: int, signer_secret: bytes) -> Receipt:
    """Return a receipt for the ``sign`` entry ``seq`` under the latest head.

    Reads the stored rows only (no lock needed): the tree is rebuilt from
    the entries the head covers.
    """
    row = (
        LogHead.objects.filter(petition=petition, tree_size__gt=seq)
        .order_by("-id")
        .first()
    )
    if row is None:
        raise ValueError(f"no head of {petition.log_id} includes seq {seq} yet")
    head = _head_from_row(row)
    entries = LogEntry.objects.filter(petition=petition, seq__lt=head.tree_size)
    tree = merkle.MerkleTree(
        Entry.from_json(e.to_json()).leaf_hash() for e in entries.order_by("seq")
    )
    return make_receipt(head, seq, signer_secret, tree)


def log_jsonl(petition: Petition) -> bytes:
    """Return the petition's log as its published ``.jsonl`` bytes."""
    rows = LogEntry.objects.filter(petition=petition).order_by("seq")
    return jsonl_file(row.to_json() for row in rows.iterator())


def heads_jsonl(petition: Petition) -> bytes:
    """Return the petition's signed heads as their published ``.jsonl`` bytes."""
    rows = LogHead.objects.filter(petition=petition).order_by("id")
    return jsonl_file(row.to_json() for row in rows.iterator())
