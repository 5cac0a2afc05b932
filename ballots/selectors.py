"""Read-side queries of the ballots app: elections, manifests, the board."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from ballots.models import (
    BoardEntry,
    CastReceipt,
    Election,
    ElectionEvent,
    SignedHeadRecord,
    Trustee,
    Voter,
)
from votecrypto import merkle
from votecrypto.canonical import Json, cjson, cjson_line, format_time, parse_json
from votecrypto.heads import ELECTION, Receipt, SignedHead
from votecrypto.manifest import Manifest
from votecrypto.threshold import CeremonyPublic

AnyUser = AbstractBaseUser | AnonymousUser

# States in which an election is public (its page, board and heads).
PUBLIC_STATES = frozenset(
    {
        Election.State.READY,
        Election.State.OPEN,
        Election.State.CLOSED,
        Election.State.TALLYING,
        Election.State.AWAITING_TRUSTEES,
        Election.State.PUBLISHED,
        Election.State.CANCELLED,
    }
)

_manifest_cache: dict[str, Manifest] = {}
_manifest_lock = threading.Lock()


def election_get(*, election_id: str) -> Election:
    """Return the election with the public ``election_id`` or raise 404."""
    try:
        return Election.objects.get(election_id=election_id)
    except Election.DoesNotExist as exc:
        raise Http404(election_id) from exc


def election_list_open() -> QuerySet[Election]:
    """Return the elections open for voting, soonest end first."""
    return Election.objects.filter(state=Election.State.OPEN).order_by(
        "voting_ends_at", "election_id"
    )


def election_list_visible(*, viewer: AnyUser) -> QuerySet[Election]:
    """Return the elections ``viewer`` may see: public ones, all for officials."""
    from ballots.permissions import can_manage_elections

    if can_manage_elections(viewer):
        return Election.objects.all()
    return Election.objects.filter(state__in=PUBLIC_STATES)


def election_events(*, election: Election) -> QuerySet[ElectionEvent]:
    """Return the audit log of ``election``, oldest first, with actors."""
    return election.events.select_related("actor").order_by("at", "id")


def election_manifest(election: Election) -> Manifest:
    """Return the frozen manifest of ``election`` (parsed once per process).

    Raises ``ValueError`` if the manifest is not frozen yet.
    """
    if not election.manifest_json or not election.election_hash:
        raise ValueError("the manifest is not frozen yet")
    key = election.election_hash
    with _manifest_lock:
        cached = _manifest_cache.get(key)
    if cached is not None:
        return cached
    manifest = Manifest.from_json(parse_json(election.manifest_json))
    if manifest.election_hash != key:
        raise ValueError("the stored manifest does not match its election_hash")
    with _manifest_lock:
        _manifest_cache[key] = manifest
    return manifest


def ceremony_public(election: Election) -> CeremonyPublic | None:
    """Return the uploaded ``public.json`` of the key ceremony, if any."""
    if not election.ceremony_public_json:
        return None
    return CeremonyPublic.from_json(parse_json(election.ceremony_public_json))


def trustee_for_user(*, election: Election, user: AnyUser) -> Trustee | None:
    """Return ``user``'s trustee seat in ``election``, if they hold one."""
    if not user.is_authenticated:
        return None
    return Trustee.objects.filter(election=election, user_id=user.pk).first()


def voter_is_on_roll(*, election: Election, user: AnyUser) -> bool:
    """Return whether ``user``'s identity number is on the voter roll."""
    number = getattr(user, "identity_number", "")
    if not user.is_authenticated or not number:
        return False
    return Voter.objects.filter(election=election, identity_number=number).exists()


# ---------------------------------------------------------------- the board


def board_entry_json(entry: BoardEntry) -> dict[str, Json]:
    """Return the SPEC §6 entry object of a board row."""
    return {
        "seq": entry.seq,
        "type": entry.entry_type,
        "received_at": format_time(entry.received_at),
        "payload": parse_json(entry.payload_json),
    }


def board_entries(*, election: Election) -> QuerySet[BoardEntry]:
    """Return the board's rows in ``seq`` order."""
    return BoardEntry.objects.filter(election=election).order_by("seq")


def board_jsonl_lines(*, election: Election) -> Iterator[bytes]:
    """Yield ``board.jsonl`` (SPEC §8): one canonical entry plus LF per line."""
    for entry in board_entries(election=election).iterator(chunk_size=500):
        yield cjson_line(board_entry_json(entry))


def board_tree(*, election: Election, size: int | None = None) -> merkle.MerkleTree:
    """Return the Merkle tree of the board's first ``size`` entries (all)."""
    rows = board_entries(election=election)
    if size is not None:
        rows = rows.filter(seq__lt=size)
    return merkle.MerkleTree(
        bytes.fromhex(value)
        for value in rows.values_list("leaf_hash", flat=True).iterator(chunk_size=5000)
    )


def head_list(*, election: Election) -> QuerySet[SignedHeadRecord]:
    """Return every signed head of ``election`` in publication order."""
    return SignedHeadRecord.objects.filter(election=election).order_by("id")


def head_latest(*, election: Election) -> SignedHeadRecord | None:
    """Return the latest signed head, if any."""
    return head_list(election=election).last()


def head_json(record: SignedHeadRecord) -> dict[str, Any]:
    """Return the head object of a stored head."""
    value = parse_json(record.head_json)
    assert isinstance(value, dict)  # noqa: S101 - stored by head_sign
    return value


def heads_jsonl_lines(*, election: Election) -> Iterator[bytes]:
    """Yield ``heads.jsonl`` (SPEC §8): every head in publication order."""
    for record in head_list(election=election).iterator(chunk_size=500):
        yield record.head_json.encode() + b"\n"


def entry_by_tracker(*, election: Election, tracker: str) -> BoardEntry | None:
    """Return the first board entry holding ``tracker`` (cast or audit)."""
    return (
        board_entries(election=election).filter(tracker=tracker).order_by("seq").first()
    )


def receipt_json(
    *,
    election: Election,
    entry: BoardEntry,
    head: SignedHeadRecord,
    tree: merkle.MerkleTree | None = None,
) -> dict[str, Json]:
    """Return the SPEC §6 receipt of ``entry`` under ``head``."""
    if tree is None:
        tree = board_tree(election=election, size=head.tree_size)
    signed = SignedHead.from_json(ELECTION, parse_json(head.head_json))
    receipt = Receipt(
        kind=ELECTION,
        subject=election.election_hash,
        seq=entry.seq,
        value=bytes.fromhex(entry.tracker),
        head=signed,
        inclusion_proof=tuple(tree.inclusion_proof(entry.seq, head.tree_size)),
    )
    return receipt.to_json()


def receipt_for_entry(*, election: Election, entry: BoardEntry) -> dict[str, Json]:
    """Return the receipt first given for ``entry`` (its ``receipt_head``)."""
    head = entry.receipt_head or head_latest(election=election)
    if head is None:
        raise ValueError("no head covers this entry")
    return receipt_json(election=election, entry=entry, head=head)


def receipt_list_for_user(
    *, election: Election, user: AnyUser
) -> list[dict[str, Json]]:
    """Return the receipts ``user`` received in ``election`` (only their own)."""
    if not user.is_authenticated:
        return []
    rows = (
        CastReceipt.objects.filter(entry__election=election, user_id=user.pk)
        .select_related("entry", "entry__receipt_head")
        .order_by("entry__seq")
    )
    return [receipt_for_entry(election=election, entry=row.entry) for row in rows]


@dataclass(frozen=True)
class Turnout:
    """Live counters of an open election."""

    tree_size: int
    casts: int
    voters: int

    def to_json(self) -> dict[str, int]:
        """Return the counters as a JSON object."""
        return {"tree_size": self.tree_size, "casts": self.casts, "voters": self.voters}


def election_turnout(*, election: Election) -> Turnout:
    """Return the board size, the casts, and distinct credentials that cast."""
    casts = board_entries(election=election).filter(entry_type=BoardEntry.Type.CAST)
    return Turnout(
        tree_size=election.board_size,
        casts=casts.count(),
        voters=casts.values("credential").distinct().count(),
    )


def board_public_key_hex(election: Election) -> str:
    """Return the election's board key (hex), derived from the master secret."""
    from ballots.services.board import board_seed
    from votecrypto.ed25519 import public_key_from_seed

    return public_key_from_seed(board_seed(election.election_id)).hex()


def max_body_bytes() -> int:
    """Return the casting API's body size limit."""
    return int(getattr(settings, "BALLOTS_MAX_BODY_BYTES", 1024 * 1024))


def canonical_text(value: Json) -> str:
    """Return ``cjson(value)`` as text (for storing canonical JSON)."""
    return cjson(value).decode("utf-8")


def entries_by_tracker_prefix(*, election: Election, prefix: str) -> list[BoardEntry]:
    """Return up to two entries whose tracker starts with ``prefix``."""
    return list(
        board_entries(election=election)
        .filter(tracker__startswith=prefix)
        .exclude(tracker="")[:2]
    )
