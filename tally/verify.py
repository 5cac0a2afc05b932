"""Verify a published election record from the command line (SPEC §9).

    python -m tally.verify RECORD.zip [--allow-test-keys] [--receipt R.json]
        [--json OUT|-] [--jobs N] [--no-batch]

``RECORD`` is the record ZIP or a folder holding its four files.  The tool
prints each step's outcome (V1–V9, and V10 with ``--receipt``), the
invalid ballots and audits with their reason codes, and the results.  It
exits 0 only if every step passes, 1 if a step fails or is not checked,
and 2 with a one-line error if the record or receipt cannot be read.
``--json`` writes the full report as JSON to a file, or to standard output
with ``-`` (the readable report then goes to standard error).

The server calls :func:`verify_record_file`.  This module needs only
``votecrypto``: no Django settings, no database.
"""

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from votecrypto.canonical import Json, cjson
from votecrypto.errors import VoteCryptoError
from votecrypto.record import RecordError, read_record
from votecrypto.tally import ProgressCallback, default_jobs
from votecrypto.verifier import (
    NOT_CHECKED,
    PASS,
    VerificationReport,
    verify_record,
)

EXIT_VERIFIED = 0
EXIT_NOT_VERIFIED = 1
EXIT_UNREADABLE = 2

_STAGES = {"classify": "checking ballots and audits", "shares": "checking shares"}


def verify_record_file(
    path: str | Path,
    *,
    allow_test_keys: bool = False,
    receipt: str | Path | bytes | Json | None = None,
    jobs: int | None = None,
    batch: bool = True,
    progress: ProgressCallback | None = None,
) -> VerificationReport:
    """Read a record (ZIP or folder) and verify it (SPEC §9).

    ``receipt`` is a path to a receipt file, its bytes, or the parsed
    receipt.  Raises :class:`~votecrypto.record.RecordError` when the
    record cannot be read at all and ``OSError`` when the receipt file
    cannot be read; every other problem is a step's FAIL or NOT CHECKED.
    """
    files = read_record(path)
    if isinstance(receipt, (str, Path)):
        receipt = Path(receipt).read_bytes()
    return verify_record(
        files,
        allow_test_keys=allow_test_keys,
        receipt=receipt,
        jobs=jobs,
        batch=batch,
        progress=progress,
    )


class _Progress:
    """Progress on standard error: a bar on a terminal, else a line now and then."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.is_tty = stream.isatty()
        self.started = time.monotonic()
        self.last = self.started

    def __call__(self, stage: str, done: int, total: int) -> None:
        label = _STAGES.get(stage, stage)
        now = time.monotonic()
        if self.is_tty:
            if done < total and now - self.last < 0.1:
                return
            width = 30
            filled = width * done // total if total else width
            bar = "#" * filled + "-" * (width - filled)
            end = "\n" if done >= total else ""
            self.stream.write(f"\r{label:28} [{bar}] {done}/{total}{end}")
            self.stream.flush()
        elif total and (done >= total or now - self.last >= 10):
            if now - self.started < 2 and done >= total:
                return  # quick work needs no progress lines
            self.stream.write(f"{label}: {done}/{total}\n")
            self.stream.flush()
        self.last = now


def format_report(report: VerificationReport, source: str = "") -> str:
    """Return the readable report the command prints."""
    lines = ["Dauys election record verifier (evote-paillier/1)"]
    if source:
        lines.append(f"record: {source}")
    if report.election_id is not None:
        lines.append(
            f"election: {report.election_id}  election_hash {report.election_hash}"
        )
    if report.test_mode:
        lines.append("TEST MODE: keys below 2048 bits are accepted")
    lines.extend(f"WARNING: {warning}" for warning in report.warnings)
    lines.append("")
    for step in report.steps:
        lines.append(f"{step.step:<4} {step.status:<12} {step.title}")
        lines.extend(f"       {message}" for message in step.messages)
    invalid_casts = [e for e in report.entries if e.type == "cast" and e.reason]
    invalid_audits = [e for e in report.entries if e.type == "audit" and e.reason]
    lines.append("")
    lines.append(f"Invalid ballots (ignored, SPEC §7): {len(invalid_casts)}")
    for entry in invalid_casts:
        detail = f" ({entry.detail})" if entry.detail else ""
        lines.append(f"  seq {entry.seq}: {entry.reason}{detail}")
    if invalid_audits:
        lines.append(
            f"INVALID AUDITS: {len(invalid_audits)} — evidence of a cheating "
            "voting booth; report them to the election officials"
        )
        for entry in invalid_audits:
            detail = f" ({entry.detail})" if entry.detail else ""
            lines.append(f"  seq {entry.seq}: {entry.reason}{detail}")
    else:
        lines.append("Invalid audits: 0")
    superseded = [e for e in report.entries if e.status == "superseded"]
    if superseded:
        pairs = ", ".join(f"{e.seq}→{e.superseded_by}" for e in superseded)
        lines.append(f"Re-votes (earlier ballot → ballot counted instead): {pairs}")
    if report.counted is not None:
        lines.append(f"Counted ballots: {len(report.counted)}")
    if report.results is not None:
        lines.append("")
        lines.append(
            "Results"
            + ("" if report.verified else " (as published; NOT verified)")
            + ":"
        )
        for contest_id, options in report.results.items():
            counts = ", ".join(f"{option} {count}" for option, count in options.items())
            lines.append(f"  {contest_id}: {counts}")
    if report.receipt is not None:
        receipt = report.receipt
        lines.append("")
        text = f"Receipt: ballot at seq {receipt.seq} is {receipt.outcome}"
        if receipt.superseded_by is not None:
            text += (
                f" by the later ballot at seq {receipt.superseded_by}: if you did not "
                "vote again, someone else used your voting code"
            )
        if receipt.reason is not None:
            text += f" ({receipt.reason})"
        lines.append(text)
    lines.append("")
    if report.verified:
        lines.append("VERIFIED: every step passed.")
    else:
        failed = [
            f"{s.step} {'NOT CHECKED' if s.status == NOT_CHECKED else s.status}"
            for s in report.steps
            if s.status != PASS
        ]
        lines.append(f"NOT VERIFIED: {', '.join(failed)}.")
    return "\n".join(lines) + "\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tally.verify",
        description="Verify an evote-paillier/1 election record (SPEC §9).",
    )
    parser.add_argument("record", help="the record ZIP, or a folder of its files")
    parser.add_argument(
        "--allow-test-keys",
        action="store_true",
        help="accept keys below 2048 bits (test records only)",
    )
    parser.add_argument("--receipt", help="a voter's receipt to check (V10)")
    parser.add_argument(
        "--json", metavar="OUT", help="write the report as JSON to OUT ('-': stdout)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help=f"worker processes (default: all cores, here {default_jobs()})",
    )
    parser.add_argument(
        "--no-batch",
        action="store_true",
        help="check every proof equation on its own instead of in batches",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit status."""
    args = _parser().parse_args(argv)
    human = sys.stderr if args.json == "-" else sys.stdout
    if args.jobs is not None and args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return EXIT_UNREADABLE
    receipt: bytes | None = None
    if args.receipt is not None:
        try:
            receipt = Path(args.receipt).read_bytes()
        except OSError as exc:
            print(
                f"error: cannot read receipt {args.receipt}: {exc.strerror}",
                file=sys.stderr,
            )
            return EXIT_UNREADABLE
    try:
        report = verify_record_file(
            args.record,
            allow_test_keys=args.allow_test_keys,
            receipt=receipt,
            jobs=args.jobs,
            batch=not args.no_batch,
            progress=_Progress(sys.stderr),
        )
    except RecordError as exc:
        print(f"error: record {args.record} is unreadable: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    except VoteCryptoError as exc:  # pragma: no cover - the verifier reports these
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    human.write(format_report(report, args.record))
    human.flush()
    if args.json is not None:
        data = cjson(report.to_json()) + b"\n"
        if args.json == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            try:
                Path(args.json).write_bytes(data)
            except OSError as exc:
                print(
                    f"error: cannot write {args.json}: {exc.strerror}", file=sys.stderr
                )
                return EXIT_UNREADABLE
    return EXIT_VERIFIED if report.verified else EXIT_NOT_VERIFIED


if __name__ == "__main__":
    sys.exit(main())
