"""Check a published petition signature log (SPEC §10) from the command line.

Usage::

    python -m petitions.verify LOG.jsonl HEADS.jsonl --log-key HEX
        [--receipt RECEIPT.json] [--count N] [--json]

Prints every check as PASS, FAIL or NOT CHECKED, then the count, the
duplicates, the withdrawals and the invalidations with their reasons, and
the receipt's status.  Exits 0 only if every check passes, 1 if one fails
or could not run, and 2 for unreadable input or a bad key.  Needs only
``votecrypto``: no Django, no settings, no database.
"""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from votecrypto import ed25519
from votecrypto.canonical import Json, parse_json
from votecrypto.errors import VoteCryptoError
from votecrypto.petition_log import Outcome, PetitionReport, verify_log

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

PROG = "python -m petitions.verify"


class InputError(Exception):
    """An input file or option that cannot be used at all (exit 2)."""


def _count(text: str) -> int:
    """Parse ``--count``: a non-negative integer."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a non-negative integer: {text!r}")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Verify a dauys-petition/1 signature log and its signed heads.",
    )
    parser.add_argument("log", help="the petition log (.jsonl)")
    parser.add_argument("heads", help="the signed tree heads (.jsonl)")
    parser.add_argument(
        "--log-key", required=True, help="the platform's log key (64 hex digits)"
    )
    parser.add_argument("--receipt", help="a signer's receipt (.json) to check")
    parser.add_argument(
        "--count", type=_count, help="a published count to compare with the log"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise InputError(f"cannot read {what} {path!r}: {reason}") from exc


def _log_key(text: str) -> bytes:
    try:
        return ed25519.parse_public_key(text, "--log-key")
    except VoteCryptoError as exc:
        raise InputError(f"bad log key: {exc}") from exc


def _receipt(path: str) -> Json:
    data = _read(path, "receipt")
    try:
        return parse_json(data)
    except VoteCryptoError as exc:
        raise InputError(f"receipt {path!r} is not valid JSON: {exc}") from exc


def render(report: PetitionReport) -> list[str]:
    """Return the human-readable report, one line per item."""
    lines = []
    if report.petition_id is not None:
        state = "closed" if report.closed else "open (no close entry)"
        lines.append(
            f"Petition {report.petition_id}: {report.entries} entries, {state}"
        )
    for check in report.checks:
        label = f"{check.outcome:<11} {check.name}"
        if len(check.details) == 1 and check.outcome is not Outcome.FAIL:
            lines.append(f"{label}: {check.details[0]}")
            continue
        lines.append(label)
        lines.extend(f"    {detail}" for detail in check.details)
    result = report.result
    if result is not None:
        lines.append(f"Count: {result.count}")
        duplicates = f"Duplicates (never counted): {len(result.duplicates)}"
        if result.duplicates:
            duplicates += f" (seq {', '.join(map(str, result.duplicates))})"
        lines.append(duplicates)
        lines.append(f"Withdrawals: {len(result.withdrawals)}")
        lines.extend(f"    seq {w.seq}: {w.commitment}" for w in result.withdrawals)
        lines.append(f"Invalidations: {len(result.invalidations)}")
        lines.extend(
            f"    seq {i.seq}: {i.commitment} reason {i.reason}"
            for i in result.invalidations
        )
        if result.no_effect:
            lines.append(f"Entries without effect: {len(result.no_effect)}")
            lines.extend(
                f"    seq {n.seq}: {n.commitment} ({n.why})" for n in result.no_effect
            )
    if report.receipt is not None:
        lines.append(
            f"Receipt status: {report.receipt.status} "
            f"(seq {report.receipt.seq}, commitment {report.receipt.commitment})"
        )
    lines.append("Result: VERIFIED" if report.ok else "Result: NOT VERIFIED")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the verifier on ``argv`` (default: ``sys.argv``); return the exit code."""
    args = _parser().parse_args(argv)
    try:
        key = _log_key(args.log_key)
        log = _read(args.log, "log")
        heads = _read(args.heads, "heads")
        receipt = None if args.receipt is None else _receipt(args.receipt)
    except InputError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report = verify_log(log, heads, key, receipt=receipt, claimed_count=args.count)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(render(report)))
    return EXIT_OK if report.ok else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
