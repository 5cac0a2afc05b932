"""Writes to the bulletin board: casts, audits, heads and the close entry.

Every append locks the election row (``select_for_update``), so ``seq``
stays gapless and the Merkle tree consistent under concurrent casts, and
one transaction holds the entry, its head and the counters: a crash never
leaves a half-written entry.  ``Election.board_clock`` is the board's
monotonic clock (whole seconds): ``received_at`` of entries and
``timestamp`` of heads never go backwards, which is what the time rules of
SPEC §6 need.
"""

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ballots.errors import ElectionError
from ballots.models import BoardEntry, CastReceipt, Election, SignedHeadRecord
from ballots.selectors import (
    board_tree,
    canonical_text,
    election_manifest,
    election_turnout,
    entry_by_tracker,
    receipt_for_entry,
    receipt_json,
    voter_is_on_roll,
)
from config.websocket import broadcast_on_commit
from votecrypto import ballot as vballot
from votecrypto import merkle
from votecrypto.canonical import Json, format_time, parse_canonical
from votecrypto.errors import EncodingError, JsonSyntaxError
from votecrypto.heads import ELECTION, sign_head

BOARD_KEY_INFO = b"dauys/1/board-key"

# Casting API codes that are not SPEC §7 reasons.
NOT_OPEN = "election-not-open"
NOT_ON_ROLL = "not-on-roll"
ALREADY_CAST = "already-cast"

_STATUS = {
    vballot.UNKNOWN_CREDENTIAL: 403,
    vballot.EARLY: 409,
    vballot.LATE: 409,
    vballot.REPLAY: 409,
    vballot.AUDITED: 409,
}


def board_seed(election_id: str) -> bytes:
    """Return the Ed25519 seed of ``election_id``'s board key.

    ``HKDF-SHA256(ikm = BOARD_KEY_SECRET, salt = election_id,
    info = "dauys/1/board-key")``: one master secret, one key per election.
    """
    secret = getattr(settings, "BOARD_KEY_SECRET", "")
    if len(secret) < 32:
        raise ImproperlyConfigured(
            "BOARD_KEY_SECRET (at least 32 characters) is required to sign "
            "the bulletin board's tree heads."
        )
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=election_id.encode("ascii"),
        info=BOARD_KEY_INFO,
    ).derive(secret.encode("utf-8"))


def _now(now: datetime | None) -> datetime:
    """Return ``now`` (or the current time) at whole seconds."""
    return (now or timezone.now()).replace(microsecond=0)


def _tick(election: Election, now: datetime | None) -> datetime:
    """Advance and return the board clock of a locked ``election``."""
    current = _now(now)
    if election.board_clock is not None and election.board_clock > current:
        current = election.board_clock
    election.board_clock = current
    return current


def _lock(election: Election) -> Election:
    """Return ``election`` re-read with its row locked (inside a transaction)."""
    return Election.objects.select_for_update().get(pk=election.pk)


def _sign(
    election: Election, tree: merkle.MerkleTree, timestamp: datetime
) -> SignedHeadRecord:
    """Sign and store a head of the whole ``tree`` (election row locked)."""
    head = sign_head(
        ELECTION,
        election.election_hash,
        tree.size,
        tree.root(),
        timestamp,
        board_seed(election.election_id),
    )
    record = SignedHeadRecord(
        election=election,
        tree_size=head.tree_size,
        root_hash=head.root_hash.hex(),
        timestamp=timestamp,
        head_json=canonical_text(head.to_json()),
    )
    record.save()
    return record


# The whole board's Merkle tree per election, kept between appends so that a
# cast costs O(log n) instead of reading every leaf.  The board is
# append-only, so a cached tree is a prefix of the real one unless a
# transaction that extended it rolled back; _tree_for_append detects that
# (a cached tree longer than the board, or whose last leaf differs from the
# row at that seq) and rebuilds from the database.
_tree_cache: dict[int, merkle.MerkleTree] = {}
_tree_cache_lock = threading.Lock()


def _tree_for_append(election: Election) -> merkle.MerkleTree:
    """Return the tree of the whole board (election row locked by the caller)."""
    size = election.board_size
    with _tree_cache_lock:
        cached = _tree_cache.pop(election.pk, None)
    if cached is not None and cached.size <= size:
        start = max(cached.size - 1, 0)
        rows = list(
            BoardEntry.objects.filter(election=election, seq__gte=start)
            .order_by("seq")
            .values_list("seq", "leaf_hash")
        )
        matches = cached.size == 0 or (
            bool(rows)
            and rows[0][0] == start
            and bytes.fromhex(rows[0][1]) == cached.leaf(start)
        )
        if matches:
            for seq, leaf in rows:
                if seq >= cached.size:
                    cached.append(bytes.fromhex(leaf))
            if cached.size == size:
                return cached
    return board_tree(election=election)


def _append(
    election: Election,
    *,
    entry_type: str,
    payload: Json,
    received_at: datetime,
    tracker: str = "",
    credential: str = "",
) -> tuple[BoardEntry, SignedHeadRecord, merkle.MerkleTree]:
    """Append an entry and sign a head including it (election row locked)."""
    seq = election.board_size
    entry_json: Json = {
        "seq": seq,
        "type": entry_type,
        "received_at": format_time(received_at),
        "payload": payload,
    }
    tree = _tree_for_append(election)
    if tree.size != seq:
        raise RuntimeError("the board's size does not match its rows")
    leaf = merkle.leaf_hash(entry_json)
    tree.append(leaf)
    # The head goes in first so that the entry can point at its receipt head.
    head = _sign(election, tree, received_at)
    entry = BoardEntry(
        election=election,
        seq=seq,
        entry_type=entry_type,
        received_at=received_at,
        payload_json=canonical_text(payload),
        tracker=tracker,
        credential=credential,
        leaf_hash=leaf.hex(),
        receipt_head=head,
    )
    entry.save()
    with _tree_cache_lock:
        _tree_cache[election.pk] = tree
    election.board_size = seq + 1
    election.save(update_fields=["board_size", "board_clock"])
    return entry, head, tree


def head_publish_empty(*, election: Election, now: datetime | None = None) -> None:
    """Publish the head of size 0 (called when the election becomes ready)."""
    locked = _lock(election)
    stamp = _tick(locked, now)
    _sign(locked, merkle.MerkleTree(), stamp)
    locked.save(update_fields=["board_clock"])


@transaction.atomic
def head_publish(
    *, election: Election, now: datetime | None = None
) -> SignedHeadRecord:
    """Sign and publish a head of the whole board now (the periodic head)."""
    locked = _lock(election)
    stamp = _tick(locked, now)
    record = _sign(locked, board_tree(election=locked), stamp)
    locked.save(update_fields=["board_clock"])
    return record


def board_close(*, election: Election, now: datetime | None = None) -> None:
    """Append the ``close`` entry and the final head (election row locked).

    Called by the lifecycle's transition to ``closed``; SPEC §6 needs
    ``received_at ≥ voting_ends``.
    """
    stamp = _tick(election, now)
    if stamp < election.voting_ends_at:
        raise ElectionError(
            "too-early",
            _("An election can be closed only once voting has ended."),
            409,
        )
    _append(election, entry_type=BoardEntry.Type.CLOSE, payload={}, received_at=stamp)


# ---------------------------------------------------------------- casting


@dataclass(frozen=True)
class Accepted:
    """An accepted cast or audit: its receipt and whether it was new."""

    receipt: dict[str, Json]
    created: bool


def _parse_body(body: bytes) -> Json:
    """Parse the request body, which must be exactly canonical JSON."""
    try:
        return parse_canonical(body)
    except JsonSyntaxError as exc:
        raise ElectionError(vballot.STRUCTURE, str(exc)) from exc
    except EncodingError as exc:
        raise ElectionError(
            vballot.ENCODING, _("The body must be the ballot's canonical JSON.")
        ) from exc


def _refuse(reason: str, detail: object) -> ElectionError:
    return ElectionError(reason, str(detail), _STATUS.get(reason, 400))


def _check_caster(election: Election, user: Any) -> None:
    if election.state != Election.State.OPEN:
        raise ElectionError(NOT_OPEN, _("This election is not open for voting."), 409)
    if not voter_is_on_roll(election=election, user=user):
        raise ElectionError(
            NOT_ON_ROLL, _("You are not on this election's voter roll."), 403
        )


def _notify_turnout(election: Election) -> None:
    broadcast_on_commit(
        f"election-{election.election_id}",
        "turnout.update",
        election_turnout(election=election).to_json(),
    )


def ballot_cast(
    *, election: Election, user: Any, body: bytes, now: datetime | None = None
) -> Accepted:
    """Check a cast (SPEC §6, §7) and append it to the board atomically.

    ``body`` must be the ballot's canonical JSON.  The proofs are checked
    before the lock is taken; the window, replay and audit checks under it.
    Posting the same ballot again returns the same receipt.  Raises
    :class:`ElectionError` with the §7 reason (or ``election-not-open``,
    ``not-on-roll``) and leaves the board untouched.
    """
    _check_caster(election, user)
    payload = _parse_body(body)
    manifest = election_manifest(election)
    check = vballot.check_cast_cheap(
        manifest, election.election_hash, None, payload, _now(now)
    )
    if check.reason is not None or check.ballot is None or check.tracker is None:
        raise _refuse(check.reason or vballot.STRUCTURE, check.detail)
    reason = vballot.check_cast_proofs(manifest, election.election_hash, check.ballot)
    if reason is not None:
        raise _refuse(reason, _("A proof of the ballot does not check."))
    tracker = check.tracker
    with transaction.atomic():
        locked = _lock(election)
        existing = entry_by_tracker(election=locked, tracker=tracker)
        if existing is not None:
            if existing.entry_type == BoardEntry.Type.AUDIT:
                raise _refuse(
                    vballot.AUDITED, _("This ballot was audited; it cannot be cast.")
                )
            mine = CastReceipt.objects.filter(entry=existing, user_id=user.pk).exists()
            if not mine:
                raise _refuse(vballot.REPLAY, _("This ballot is already on the board."))
            return Accepted(receipt_for_entry(election=locked, entry=existing), False)
        if locked.state != Election.State.OPEN:
            raise ElectionError(
                NOT_OPEN, _("This election is not open for voting."), 409
            )
        received_at = _tick(locked, now)
        if received_at >= manifest.voting_ends:
            raise _refuse(vballot.LATE, _("Voting has ended."))
        entry, head, tree = _append(
            locked,
            entry_type=BoardEntry.Type.CAST,
            payload=payload,
            received_at=received_at,
            tracker=tracker,
            credential=check.ballot.credential.hex(),
        )
        CastReceipt.objects.create(entry=entry, user_id=user.pk)
        _notify_turnout(locked)
        return Accepted(
            receipt_json(election=locked, entry=entry, head=head, tree=tree), True
        )


def ballot_audit(
    *, election: Election, user: Any, body: bytes, now: datetime | None = None
) -> Accepted:
    """Check an audit (SPEC §5.1, §6) and append it to the board atomically.

    The openings must match the ciphertexts; an audit of a tracker already
    cast is refused (``already-cast``), and that tracker can never be cast
    afterwards.  Auditing the same ballot again returns the same receipt.
    """
    _check_caster(election, user)
    payload = _parse_body(body)
    manifest = election_manifest(election)
    check = vballot.check_audit(manifest, manifest.paillier_key, payload)
    if check.reason is not None or check.tracker is None:
        raise _refuse(check.reason or vballot.STRUCTURE, check.detail)
    tracker = check.tracker
    with transaction.atomic():
        locked = _lock(election)
        existing = entry_by_tracker(election=locked, tracker=tracker)
        if existing is not None:
            if existing.entry_type == BoardEntry.Type.CAST:
                raise ElectionError(
                    ALREADY_CAST, _("This ballot was cast; it cannot be audited."), 409
                )
            return Accepted(receipt_for_entry(election=locked, entry=existing), False)
        if locked.state != Election.State.OPEN:
            raise ElectionError(
                NOT_OPEN, _("This election is not open for voting."), 409
            )
        received_at = _tick(locked, now)
        entry, head, tree = _append(
            locked,
            entry_type=BoardEntry.Type.AUDIT,
            payload=payload,
            received_at=received_at,
            tracker=tracker,
        )
        return Accepted(
            receipt_json(election=locked, entry=entry, head=head, tree=tree), True
        )
