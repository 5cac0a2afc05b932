"""Helpers of the tally tests: a voted and closed election, trustees' shares."""

import contextlib
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

from accounts.models import User
from ballots.services import ballot_audit, ballot_cast, election_transition
from tally import trustee as trustee_tool
from tally.selectors import closed_board_files
from tests.ballots.helpers import TRUSTEE_PRIVATE_KEYS, Setup, body, encrypt, make_open
from votecrypto import ballot as vballot
from votecrypto.canonical import cjson
from votecrypto.record import parse_jsonl_file
from votecrypto.sharefile import write_key_file
from votecrypto.tally import (
    TrusteeShares,
    board_reference,
    compute_tally,
    make_trustee_shares,
    parse_board,
)

VOTES: tuple[tuple[int, dict[str, list[int]]], ...] = (
    (0, {"c1": [1, 0], "c2": [1, 1, 0]}),
    (1, {"c1": [0, 1], "c2": [0, 0, 1]}),
    (2, {"c1": [0, 0], "c2": [0, 1, 0]}),
    (1, {"c1": [1, 0], "c2": [0, 1, 1]}),  # voter 1 changes their mind
)
"""(voter, choices) in casting order."""

EXPECTED = {"c1": {"o1": 2, "o2": 0}, "c2": {"o1": 1, "o2": 3, "o3": 1}}
"""The counts the voters' latest ballots add up to."""

PASSPHRASE = "correct horse battery staple"


def cast_votes(setup: Setup) -> None:
    """Cast :data:`VOTES` through the service; voter 2 audits a ballot first."""
    starts = setup.election.voting_starts_at
    audited = encrypt(setup, setup.voters[2], {"c1": [0, 1], "c2": [1, 0, 0]})
    ballot_audit(
        election=setup.election,
        user=setup.voters[2],
        body=cjson(vballot.make_audit(audited)),
        now=starts + timedelta(minutes=1),
    )
    for minute, (voter, choices) in enumerate(VOTES, start=2):
        user = setup.voters[voter]
        ballot_cast(
            election=setup.election,
            user=user,
            body=body(encrypt(setup, user, choices)),
            now=starts + timedelta(minutes=minute),
        )


def close(setup: Setup) -> None:
    """Close the election at ``voting_ends`` (appends ``close``)."""
    election_transition(
        election=setup.election,
        to_state="closed",
        actor=setup.official,
        now=setup.election.voting_ends_at,
    )
    setup.election.refresh_from_db()


def make_closed(make_user: Any) -> Setup:
    """Return an election whose voters cast :data:`VOTES`, then closed."""
    setup = make_open(make_user)
    cast_votes(setup)
    close(setup)
    return setup


def trustee_shares(setup: Setup, index: int) -> TrusteeShares:
    """Make trustee ``index``'s shares as the trustee tool does (SPEC §2.3).

    The aggregates are recomputed from the downloaded closed board.
    """
    assert setup.dealer is not None
    files = closed_board_files(election=setup.election)
    assert files.board is not None
    entries = parse_board(parse_jsonl_file(files.board, "board.jsonl"))
    manifest = setup.manifest
    counting = compute_tally(manifest, entries, jobs=1)
    return make_trustee_shares(
        manifest,
        counting,
        board_reference(entries),
        index,
        setup.dealer.secret_shares[index],
    )


def trustee_tool_shares(setup: Setup, index: int, folder: Path) -> bytes:
    """Run ``python -m tally.trustee decrypt`` for trustee ``index``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "board.zip").write_bytes(
        closed_board_files(election=setup.election).to_zip()
    )
    (folder / "pass.txt").write_text(PASSPHRASE + "\n")
    (folder / "key.json").write_bytes(
        write_key_file(TRUSTEE_PRIVATE_KEYS[index - 1], PASSPHRASE)
    )
    trustee = setup.election.trustees.get(index=index)
    (folder / "share.json").write_text(trustee.share_box_json + "\n")
    out = folder / f"shares-{index}.json"
    with contextlib.redirect_stdout(io.StringIO()):
        status = trustee_tool.main(
            [
                "decrypt",
                "--share-file",
                str(folder / "share.json"),
                "--key",
                str(folder / "key.json"),
                "--passphrase-file",
                str(folder / "pass.txt"),
                "--record-dir",
                str(folder / "board.zip"),
                "--out",
                str(out),
                "--jobs",
                "1",
            ]
        )
    assert status == 0
    return out.read_bytes()


def trustee_user(setup: Setup, index: int) -> User:
    """Return the user seated as trustee ``index``."""
    return setup.trustees[index - 1]


def publish(setup: Setup, indices: tuple[int, ...] = (2, 3)) -> None:
    """Count the closed board, submit the trustees' shares and publish."""
    from tally.services import tally_compute, tally_publish, trustee_shares_submit

    tally_compute(election=setup.election)
    setup.election.refresh_from_db()
    for index in indices:
        trustee_shares_submit(
            election=setup.election,
            trustee=setup.election.trustees.get(index=index),
            actor=trustee_user(setup, index),
            data=cjson(trustee_shares(setup, index).to_json()),
        )
    tally_publish(election=setup.election)
    setup.election.refresh_from_db()
