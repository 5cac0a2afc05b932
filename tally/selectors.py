"""Read-side queries of the tally app: stored aggregates, record files, results."""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from ballots.models import Election
from ballots.selectors import (
    board_entries,
    board_entry_json,
    election_manifest,
    head_json,
    head_list,
)
from tally.models import ElectionTally, TrusteeShareUpload
from votecrypto.canonical import Json, parse_json
from votecrypto.record import (
    RECORD_FILES,
    RecordFiles,
    json_file,
    jsonl_file,
    read_record_zip,
)
from votecrypto.tally import (
    BoardEntry,
    BoardTally,
    ContestAggregates,
    OptionAggregate,
    TallyBoard,
    parse_board,
)


def tally_for(*, election: Election) -> ElectionTally | None:
    """Return the stored tally of ``election``, if it was computed."""
    return ElectionTally.objects.filter(election=election).first()


def closed_board_entries(*, election: Election) -> list[BoardEntry]:
    """Return the board's entries as protocol objects, in ``seq`` order."""
    return parse_board(
        board_entry_json(row)
        for row in board_entries(election=election).iterator(chunk_size=500)
    )


def board_ends_with_close(*, election: Election) -> bool:
    """Return whether the board's last row is the ``close`` entry."""
    last = board_entries(election=election).order_by("-seq").first()
    return last is not None and last.entry_type == "close"


def stored_board(tally: ElectionTally) -> TallyBoard:
    """Return ``{"tree_size", "root_hash"}`` of the board the tally counted."""
    return TallyBoard(
        tree_size=tally.tree_size, root_hash=bytes.fromhex(tally.root_hash)
    )


def stored_aggregates(tally: ElectionTally) -> tuple[ContestAggregates, ...]:
    """Return the stored aggregates ``A`` per contest and option."""
    value: Any = parse_json(tally.aggregates_json)
    return tuple(
        ContestAggregates(
            contest_id=contest["contest_id"],
            options=tuple(
                OptionAggregate(option["option_id"], int(option["aggregate"], 16))
                for option in contest["options"]
            ),
        )
        for contest in value
    )


def stored_counted(tally: ElectionTally) -> tuple[int, ...]:
    """Return the counted ``seq``s, ascending."""
    value: Any = parse_json(tally.counted_json)
    return tuple(int(seq) for seq in value)


def stored_board_tally(tally: ElectionTally) -> BoardTally:
    """Return the stored counting outcome as a :class:`BoardTally`.

    Only the parts :func:`votecrypto.tally.assemble_tally` reads are kept:
    ``election_hash``, the counted set and the aggregates (verdicts are in
    ``invalid_json``).
    """
    return BoardTally(
        election_hash=tally.election.election_hash,
        verdicts=(),
        counted=stored_counted(tally),
        superseded={},
        aggregates=stored_aggregates(tally),
        batched=False,
    )


def share_uploads(*, election: Election) -> QuerySet[TrusteeShareUpload]:
    """Return the accepted share uploads of ``election``, by trustee index."""
    return TrusteeShareUpload.objects.filter(election=election).order_by("index")


def share_upload_for(*, election: Election, index: int) -> TrusteeShareUpload | None:
    """Return trustee ``index``'s accepted upload, if any."""
    return share_uploads(election=election).filter(index=index).first()


def closed_board_files(*, election: Election) -> RecordFiles:
    """Return ``manifest.json`` and ``board.jsonl`` of the closed board.

    The trustees' tool reads these and recomputes the aggregates itself
    (SPEC §2.3); ``heads.jsonl`` and ``tally.json`` are absent.
    """
    return RecordFiles(
        manifest=json_file(parse_json(election.manifest_json)),
        board=jsonl_file(
            board_entry_json(row)
            for row in board_entries(election=election).iterator(chunk_size=500)
        ),
        heads=None,
        tally=None,
    )


def record_objects(*, election: Election) -> tuple[Json, list[Json], list[Json]]:
    """Return the manifest, board entries and heads of ``election`` (SPEC §8)."""
    manifest = parse_json(election.manifest_json)
    entries: list[Json] = [
        board_entry_json(row)
        for row in board_entries(election=election).iterator(chunk_size=500)
    ]
    heads: list[Json] = [head_json(record) for record in head_list(election=election)]
    return manifest, entries, heads


def record_files(tally: ElectionTally) -> RecordFiles | None:
    """Return the published record's files (read back from its ZIP)."""
    if not tally.is_published:
        return None
    return read_record_zip(bytes(tally.record_zip))


def record_file(tally: ElectionTally, name: str) -> bytes | None:
    """Return one file of the published record (SPEC §8), by its name."""
    if name not in RECORD_FILES:
        return None
    files = record_files(tally)
    if files is None:
        return None
    return files.as_mapping().get(name)


@dataclass(frozen=True)
class OptionResult:
    """One option's published count, with its title."""

    option_id: str
    title: str
    count: int


@dataclass(frozen=True)
class ContestResult:
    """One contest's published counts, with its title."""

    contest_id: str
    title: str
    options: list[OptionResult]
    total: int


def election_results(
    *, election: Election, tally: ElectionTally
) -> list[ContestResult] | None:
    """Return the published counts per contest and option, with titles."""
    if not tally.tally_json:
        return None
    value: Any = parse_json(tally.tally_json)
    counts = {
        (contest["contest_id"], option["option_id"]): option["count"]
        for contest in value["contests"]
        for option in contest["options"]
    }
    manifest = election_manifest(election)
    results = []
    for contest in manifest.contests:
        options = [
            OptionResult(
                option.option_id,
                option.title,
                counts[(contest.contest_id, option.option_id)],
            )
            for option in contest.options
        ]
        results.append(
            ContestResult(
                contest.contest_id,
                contest.title,
                options,
                sum(option.count for option in options),
            )
        )
    return results


def tally_status_json(*, election: Election) -> dict[str, Json]:
    """Return the tally's public status (for the API and the websocket)."""
    tally = tally_for(election=election)
    uploaded = [
        upload.index for upload in share_uploads(election=election).only("index")
    ]
    status: dict[str, Json] = {
        "election_id": election.election_id,
        "state": election.state,
        "threshold": election.threshold,
        "shares_uploaded": list(uploaded),
        "computed": tally is not None,
        "published": tally is not None and tally.is_published,
        "verified": None if tally is None else tally.is_verified,
    }
    if tally is not None:
        status["board"] = {"tree_size": tally.tree_size, "root_hash": tally.root_hash}
        status["counted"] = len(stored_counted(tally))
    return status


@dataclass(frozen=True)
class TrusteeProgress:
    """What one trustee has done so far (nothing secret)."""

    pk: int
    """The trustee seat's primary key (for the officials' actions on it)."""
    index: int
    name: str
    has_key: bool
    """The X25519 public key is registered."""
    has_share_box: bool
    """The dealer's share box for this trustee is stored (§2.2 step 6)."""
    has_test_share: bool
    """The ceremony's test share was accepted (stored only once checked)."""
    has_uploaded: bool
    """The decryption shares were accepted."""


def trustee_progress(*, election: Election) -> list[TrusteeProgress]:
    """Return every trustee of ``election`` with the steps they have done."""
    uploaded = set(share_uploads(election=election).values_list("index", flat=True))
    return [
        TrusteeProgress(
            pk=trustee.pk,
            index=trustee.index,
            name=trustee.name,
            has_key=bool(trustee.x25519_public_key),
            has_share_box=bool(trustee.share_box_json),
            has_test_share=bool(trustee.test_share_json),
            has_uploaded=trustee.index in uploaded,
        )
        for trustee in election.trustees.order_by("index")
    ]
