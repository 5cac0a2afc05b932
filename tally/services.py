"""Write services of the tally: aggregates, trustees' shares, record, verifier.

The flow (issue #4 item 6, SPEC §2.3, §7–§9)::

    closed ──tally_compute──▶ tallying ──▶ awaiting_trustees
        (counted set and aggregates stored; the closed board is offered
        to the trustees)
    awaiting_trustees ──trustee_shares_submit × t──▶ tally_publish
        ──▶ published (tally.json and the record ZIP stored)
        ──tally_verify──▶ the verifier's report stored next to the results

Every step is idempotent: running it again finds its own result and does
nothing twice.  The heavy work (classifying the board, verifying the
record) runs in Celery tasks with ``jobs=1``; side effects (the next task,
websocket events) fire on commit.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ballots.errors import ElectionError
from ballots.models import Election, Trustee
from ballots.selectors import (
    canonical_text,
    election_manifest,
    head_latest,
)
from ballots.services import election_event_record, election_transition
from ballots.services.board import board_close
from config.websocket import broadcast, broadcast_on_commit
from tally.models import ElectionTally, TrusteeShareUpload
from tally.selectors import (
    board_ends_with_close,
    closed_board_entries,
    record_objects,
    share_upload_for,
    share_uploads,
    stored_aggregates,
    stored_board,
    stored_board_tally,
    tally_for,
)
from tally.verify import format_report
from votecrypto.canonical import Json, hex_int, parse_json
from votecrypto.errors import JsonSyntaxError, VoteCryptoError
from votecrypto.record import build_record, read_record_zip
from votecrypto.tally import (
    AUDIT,
    CAST,
    BoardTally,
    TrusteeShares,
    assemble_tally,
    board_problems,
    board_reference,
    compute_tally,
    manifest_shape,
)
from votecrypto.threshold import require_valid_decryption_share
from votecrypto.verifier import verify_record

State = Election.State

PROGRESS_EVENT = "tally.progress"
STATE_EVENT = "tally.state"

ProgressSink = Callable[[str, int, int], None]


def tally_group(election_id: str) -> str:
    """Return the Channels group of an election's tally progress."""
    return f"tally-{election_id}"


def _lock(election: Election) -> Election:
    return Election.objects.select_for_update().get(pk=election.pk)


def _notify_state(election: Election, stage: str) -> None:
    broadcast_on_commit(
        tally_group(election.election_id),
        STATE_EVENT,
        {"stage": stage, "state": election.state},
    )


# ---------------------------------------------------------------- start


@transaction.atomic
def tally_request(*, election: Election, actor: Any) -> None:
    """Ask for the tally of a closed election (the official's button).

    Closes an open election whose voting has ended first (which appends
    the ``close`` entry and the final head).  The tally itself runs in the
    ``tally.compute`` task, queued on commit; asking again while it runs,
    or after it ran, queues a task that finds its work done.
    """
    from tally.tasks import enqueue
    from tally.tasks import tally_compute as tally_compute_task

    locked = _lock(election)
    if locked.state == State.OPEN:
        election_transition(election=locked, to_state=State.CLOSED, actor=actor)
    if locked.state not in (State.CLOSED, State.TALLYING):
        raise ElectionError(
            "wrong-state", _("Only a closed election can be tallied."), 409
        )
    election_event_record(election=locked, actor=actor, action="tally-requested")
    election_pk = locked.pk
    transaction.on_commit(lambda: enqueue(tally_compute_task, election_pk))
    election.refresh_from_db()


def tally_sweep(*, now: datetime | None = None) -> list[str]:
    """Queue the count of every closed election that has no tally yet.

    The periodic safety net behind "on close, count": an election closed by
    the schedule (``ballots.tick``) or by hand is counted without anyone
    pressing the button.  Returns the ``election_id``s queued.
    """
    from tally.tasks import enqueue
    from tally.tasks import tally_compute as tally_compute_task

    queued = []
    for election in Election.objects.filter(
        state__in=(State.CLOSED, State.TALLYING), tally__isnull=True
    ):
        enqueue(tally_compute_task, election.pk)
        queued.append(election.election_id)
    return queued


def _begin(election: Election, now: datetime | None) -> Election | None:
    """Move a closed election to ``tallying``; ``None`` if already counted."""
    with transaction.atomic():
        locked = _lock(election)
        if tally_for(election=locked) is not None:
            return None
        if locked.state == State.OPEN:
            # Voting has ended but the schedule has not closed it yet.
            election_transition(
                election=locked, to_state=State.CLOSED, actor=None, now=now
            )
        if locked.state == State.CLOSED:
            if not board_ends_with_close(election=locked):
                board_close(election=locked, now=now)
            election_transition(election=locked, to_state=State.TALLYING, actor=None)
        if locked.state != State.TALLYING:
            raise ElectionError(
                "wrong-state", _("Only a closed election can be tallied."), 409
            )
        _notify_state(locked, "tallying")
        return locked


def _aggregates_json(counting: BoardTally) -> str:
    value: Json = [
        {
            "contest_id": contest.contest_id,
            "options": [
                {"option_id": option.option_id, "aggregate": hex_int(option.aggregate)}
                for option in contest.options
            ],
        }
        for contest in counting.aggregates
    ]
    return canonical_text(value)


def tally_compute(
    *,
    election: Election,
    now: datetime | None = None,
    progress: ProgressSink | None = None,
) -> ElectionTally:
    """Count the closed board (SPEC §7) and store the aggregates.

    Appends ``close`` if the board lacks it, classifies every entry with
    :func:`votecrypto.tally.compute_tally` (in runs, in this process,
    reporting ``tally.progress`` events to ``tally-<election_id>``), stores
    the counted set and one aggregate per contest and option, and moves
    the election to ``awaiting_trustees``, whose trustees then download the
    closed board.  Returns the existing tally if it was computed before.
    """
    existing = tally_for(election=election)
    if existing is not None:
        return existing
    locked = _begin(election, now)
    if locked is None:
        found = tally_for(election=election)
        if found is None:  # pragma: no cover - _begin saw it under the lock
            raise RuntimeError("the tally vanished")
        return found
    group = tally_group(locked.election_id)

    def report(stage: str, done: int, total: int) -> None:
        # Progress is sent at once, not on commit: it reports work in this
        # process, and no transaction is open while the board is counted.
        broadcast(group, PROGRESS_EVENT, {"stage": stage, "done": done, "total": total})
        if progress is not None:
            progress(stage, done, total)

    manifest = election_manifest(locked)
    entries = closed_board_entries(election=locked)
    problems = board_problems(manifest, entries)
    if problems:
        raise ElectionError("bad-board", problems[0], 409)
    board = board_reference(entries)
    head = head_latest(election=locked)
    if (
        head is None
        or head.tree_size != board.tree_size
        or head.root_hash != board.root_hash.hex()
    ):
        raise ElectionError(
            "bad-board", _("The final signed head does not cover the board."), 409
        )
    # Celery's prefork children may not fork: jobs=1 (SPEC §3 batching on).
    counting = compute_tally(manifest, entries, jobs=1, progress=report)
    invalid = {
        str(verdict.seq): verdict.reason
        for verdict in counting.verdicts
        if verdict.type in (CAST, AUDIT) and verdict.reason is not None
    }
    with transaction.atomic():
        locked = _lock(election)
        found = tally_for(election=locked)
        if found is not None:
            return found
        tally = ElectionTally.objects.create(
            election=locked,
            tree_size=board.tree_size,
            root_hash=board.root_hash.hex(),
            counted_json=canonical_text(list(counting.counted)),
            aggregates_json=_aggregates_json(counting),
            invalid_json=canonical_text(invalid),
            computed_at=timezone.now(),
        )
        election_transition(
            election=locked,
            to_state=State.AWAITING_TRUSTEES,
            actor=None,
            detail=f"{len(counting.counted)} ballots counted",
        )
        _notify_state(locked, "awaiting_trustees")
    election.refresh_from_db()
    return tally


# ---------------------------------------------------------------- trustees


@dataclass(frozen=True)
class ShareSubmission:
    """An accepted share upload and whether this call stored it."""

    upload: TrusteeShareUpload
    created: bool


def _parse_shares(data: bytes | str) -> tuple[TrusteeShares, str]:
    try:
        value = parse_json(data)
    except JsonSyntaxError as exc:
        raise ElectionError("structure", str(exc)) from exc
    try:
        shares = TrusteeShares.from_json(value)
    except VoteCryptoError as exc:
        raise ElectionError("structure", str(exc)) from exc
    return shares, canonical_text(shares.to_json())


def _check_shares(
    election: Election, tally: ElectionTally, trustee: Trustee, shares: TrusteeShares
) -> None:
    """Check every share against the stored aggregates and ``v_i`` (SPEC §2.3)."""
    if shares.index != trustee.index:
        raise ElectionError(
            "wrong-index",
            _("These shares are trustee %(given)s's; you are trustee %(index)s.")
            % {"given": shares.index, "index": trustee.index},
            403,
        )
    if shares.election_hash != election.election_hash:
        raise ElectionError(
            "wrong-election",
            _("These shares are for another election (election_hash differs)."),
        )
    if shares.board != stored_board(tally):
        raise ElectionError(
            "wrong-board",
            _(
                "These shares count a board of %(size)s entries with another root; "
                "the closed board has %(expected)s entries, root %(root)s."
            )
            % {
                "size": shares.board.tree_size,
                "expected": tally.tree_size,
                "root": tally.root_hash,
            },
        )
    manifest = election_manifest(election)
    given = [
        (contest_id, [option.option_id for option in options])
        for contest_id, options in shares.contests
    ]
    if given != manifest_shape(manifest):
        raise ElectionError(
            "structure",
            _("The shares must cover every contest and option, in manifest order."),
        )
    keys = manifest.trustees
    vk = keys.verification_keys[trustee.index - 1].vk
    found = shares.share_map()
    for contest in stored_aggregates(tally):
        for option in contest.options:
            where = f"{contest.contest_id}.{option.option_id}"
            candidate = found[(contest.contest_id, option.option_id)]
            if candidate.aggregate != option.aggregate:
                raise ElectionError(
                    "wrong-aggregate",
                    _(
                        "%(where)s: the aggregate differs from the one computed "
                        "from the closed board."
                    )
                    % {"where": where},
                )
            try:
                require_valid_decryption_share(
                    manifest.n,
                    keys.count,
                    keys.v,
                    vk,
                    election.election_hash,
                    trustee.index,
                    option.aggregate,
                    candidate.share,
                    field=where,
                )
            except VoteCryptoError as exc:
                raise ElectionError("bad-share", str(exc)) from exc


def trustee_shares_submit(
    *, election: Election, trustee: Trustee, actor: Any, data: bytes | str
) -> ShareSubmission:
    """Check and store a trustee's decryption shares (SPEC §2.3).

    ``data`` is the file ``python -m tally.trustee decrypt`` wrote.  It must
    be ``trustee``'s own (its index; else ``wrong-index``, 403), for this
    election and closed board, hold the stored aggregate of every contest
    and option (``wrong-aggregate``) and a valid share with a valid proof
    under the trustee's verification key for each (``bad-share``).  A bad
    file is refused with the reason and nothing is stored.  Sending the
    same file again returns the stored upload; a different file after an
    accepted one is refused (``already-submitted``).  Once ``t`` trustees'
    shares are in, ``tally.publish`` is queued on commit.
    """
    from tally.tasks import enqueue
    from tally.tasks import tally_publish as tally_publish_task

    if trustee.election_id != election.pk:
        raise ElectionError(
            "forbidden", _("You are not a trustee of this election."), 403
        )
    shares, text = _parse_shares(data)
    existing = share_upload_for(election=election, index=trustee.index)
    if existing is not None and existing.shares_json == text:
        return ShareSubmission(existing, False)
    tally = tally_for(election=election)
    if tally is None or election.state != State.AWAITING_TRUSTEES:
        raise ElectionError(
            "wrong-state",
            _("The election is not waiting for the trustees' shares."),
            409,
        )
    _check_shares(election, tally, trustee, shares)
    with transaction.atomic():
        locked = _lock(election)
        existing = share_upload_for(election=locked, index=trustee.index)
        if existing is not None:
            if existing.shares_json == text:
                return ShareSubmission(existing, False)
            raise ElectionError(
                "already-submitted",
                _("Your shares are already accepted; nothing was changed."),
                409,
            )
        if locked.state != State.AWAITING_TRUSTEES:
            raise ElectionError(
                "wrong-state",
                _("The election is not waiting for the trustees' shares."),
                409,
            )
        try:
            with transaction.atomic():
                upload = TrusteeShareUpload.objects.create(
                    election=locked,
                    trustee=trustee,
                    index=trustee.index,
                    shares_json=text,
                    uploaded_by=actor if getattr(actor, "pk", None) else None,
                )
        except IntegrityError as exc:  # pragma: no cover - the lock prevents it
            raise ElectionError(
                "already-submitted", _("Your shares are already accepted."), 409
            ) from exc
        election_event_record(
            election=locked,
            actor=actor,
            action="trustee-shares",
            detail=str(trustee.index),
        )
        _notify_state(locked, "shares")
        if share_uploads(election=locked).count() >= locked.threshold:
            election_pk = locked.pk
            transaction.on_commit(lambda: enqueue(tally_publish_task, election_pk))
    return ShareSubmission(upload, True)


# ---------------------------------------------------------------- publishing


def tally_publish(*, election: Election) -> ElectionTally | None:
    """Combine ``t`` trustees' shares and publish the record (SPEC §7, §8).

    :func:`votecrypto.tally.assemble_tally` keeps the valid shares (all
    stored ones were checked on arrival) and combines the lowest ``t`` per
    option; the record ZIP (``manifest.json``, ``board.jsonl``,
    ``heads.jsonl``, ``tally.json``) is stored, the election becomes
    ``published`` and ``tally.verify`` is queued on commit.  Returns
    ``None`` while fewer than ``t`` trustees have sent shares, and the
    stored tally if it was already published.
    """
    from tally.tasks import enqueue
    from tally.tasks import tally_verify as tally_verify_task

    with transaction.atomic():
        locked = _lock(election)
        tally = tally_for(election=locked)
        if tally is None:
            raise ElectionError("not-tallied", _("No tally yet."), 409)
        if tally.is_published:
            return tally
        if locked.state != State.AWAITING_TRUSTEES:
            raise ElectionError(
                "wrong-state",
                _("The election is not waiting for the trustees' shares."),
                409,
            )
        uploads = list(share_uploads(election=locked))
        if len(uploads) < locked.threshold:
            return None
        manifest = election_manifest(locked)
        try:
            result = assemble_tally(
                manifest,
                stored_board_tally(tally),
                stored_board(tally),
                [
                    TrusteeShares.from_json(parse_json(upload.shares_json))
                    for upload in uploads
                ],
            )
        except VoteCryptoError as exc:
            raise ElectionError("combine-failed", str(exc), 409) from exc
        manifest_value, entries, heads = record_objects(election=locked)
        files = build_record(manifest_value, entries, heads, result.to_json())
        archive = files.to_zip()
        tally.tally_json = canonical_text(result.to_json())
        tally.record_zip = archive
        tally.record_sha256 = hashlib.sha256(archive).hexdigest()
        tally.published_at = timezone.now()
        tally.save(
            update_fields=["tally_json", "record_zip", "record_sha256", "published_at"]
        )
        election_transition(
            election=locked,
            to_state=State.PUBLISHED,
            actor=None,
            detail=f"record sha256 {tally.record_sha256}",
        )
        _notify_state(locked, "published")
        election_pk = locked.pk
        transaction.on_commit(lambda: enqueue(tally_verify_task, election_pk))
    election.refresh_from_db()
    return tally


def tally_verify(*, election: Election) -> ElectionTally:
    """Run the verifier (SPEC §9) on the published record and store its report.

    Test keys are accepted only for an election marked as using them.
    Idempotent: a record verified once is not verified again.
    """
    tally = tally_for(election=election)
    if tally is None or not tally.is_published:
        raise ElectionError("not-published", _("The record is not published."), 409)
    if tally.is_verified is not None:
        return tally
    report = verify_record(
        read_record_zip(bytes(tally.record_zip)),
        allow_test_keys=election.is_test_keys,
        jobs=1,
    )
    text = format_report(report, f"record-{election.election_id}.zip")
    with transaction.atomic():
        row = ElectionTally.objects.select_for_update().get(pk=tally.pk)
        if row.is_verified is not None:
            return row
        row.verification_json = canonical_text(report.to_json())
        row.verification_text = text
        row.is_verified = report.verified
        row.verified_at = timezone.now()
        row.save(
            update_fields=[
                "verification_json",
                "verification_text",
                "is_verified",
                "verified_at",
            ]
        )
        election_event_record(
            election=election,
            actor=None,
            action="record-verified" if report.verified else "record-not-verified",
        )
        _notify_state(election, "verified")
    return row
