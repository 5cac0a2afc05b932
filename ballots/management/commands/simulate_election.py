"""Run a whole election headless through the server's services and verify it.

    python manage.py simulate_election --voters N --bits B
        [--trustees L --threshold T] [--record PATH]

Creates an official, trustees, an election with two contests, a voter roll
and credentials (the codes stay in memory), deals a ``B``-bit key (below
2048 bits: a test key, and the election says so), opens the election, has
every voter cast through the casting service (some vote again, one audits
a ballot), closes and counts it with the tally task, lets ``t`` trustees
compute their shares with ``python -m tally.trustee decrypt`` and upload
them, publishes the record and runs the verifier on it.  Prints the
results and the verdict; writes the record ZIP to ``PATH`` when asked.
Exits non-zero if the results differ from what the voters meant or the
verifier does not pass.  With the embedded default (SQLite, eager tasks)
it needs no services.
"""

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tally.simulation import (
    SimulationError,
    compare_results,
    simulate_election,
)


class Command(BaseCommand):
    help = (
        "Simulate a whole election through the server's services, publish and "
        "verify its record."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--voters", type=int, default=8, help="number of voters")
        parser.add_argument(
            "--bits",
            type=int,
            default=2048,
            help="bits of the Paillier key n (below 2048: a test key)",
        )
        parser.add_argument("--trustees", type=int, default=3, help="trustees (ℓ)")
        parser.add_argument("--threshold", type=int, default=2, help="threshold (t)")
        parser.add_argument("--record", help="write the record ZIP to this path")
        # Tests only: pretend one voter meant something else, to check that a
        # disagreement between intent and result fails the command.
        parser.add_argument(
            "--corrupt-for-test", action="store_true", help=argparse.SUPPRESS
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = int(options["verbosity"])

        def say(line: str) -> None:
            if verbosity >= 1:
                self.stdout.write(line)

        try:
            outcome = simulate_election(
                voters=options["voters"],
                bits=options["bits"],
                trustees=options["trustees"],
                threshold=options["threshold"],
                say=say,
            )
        except (SimulationError, ValueError) as exc:
            raise CommandError(f"the simulation failed: {exc}") from exc
        expected = outcome.expected
        if options["corrupt_for_test"]:
            contest_id = next(iter(expected))
            option_id = next(iter(expected[contest_id]))
            expected[contest_id][option_id] += 1
        self.stdout.write("Results:")
        for contest_id, counts in outcome.results.items():
            line = ", ".join(f"{option} {count}" for option, count in counts.items())
            self.stdout.write(f"  {contest_id}: {line}")
        if verbosity >= 2:
            self.stdout.write(outcome.report_text)
        if options["record"]:
            Path(options["record"]).write_bytes(outcome.record_zip)
            self.stdout.write(f"record written to {options['record']}")
        mismatches = compare_results(expected, outcome.results)
        verdict = "VERIFIED" if outcome.verified else "NOT VERIFIED"
        self.stdout.write(f"verifier: {verdict}")
        if mismatches:
            raise CommandError(
                "the results differ from the voters' intent: " + "; ".join(mismatches)
            )
        if not outcome.verified:
            raise CommandError("the verifier did not pass:\n" + outcome.report_text)
        self.stdout.write(
            self.style.SUCCESS(
                f"election {outcome.election_id}: results match the voters' intent "
                "and the record verifies"
            )
        )
