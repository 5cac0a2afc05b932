"""``manage.py issue_credentials ELECTION --out codes.csv`` (SPEC §4.1).

The credential authority's step: one random voting code per voter on the
roll, written with the voter's identity number, e-mail and name to a CSV
for the authority's own mailing; the server keeps only the public keys.
The file is created with mode 0600 and never overwritten.
"""

import csv
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ballots.errors import ElectionError
from ballots.models import Election
from ballots.services import credentials_issue

HEADER = ("identity_number", "email", "full_name", "voting_code")


class Command(BaseCommand):
    help = "Issue voting codes: write them to a CSV, store only the public keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("election", help="the election id")
        parser.add_argument("--out", required=True, help="the CSV file to create")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        try:
            election = Election.objects.get(election_id=options["election"])
        except Election.DoesNotExist as exc:
            raise CommandError(f"no election {options['election']!r}") from exc
        try:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise CommandError(f"{out} exists; it is never overwritten") from exc
        try:
            issued = credentials_issue(election=election)
        except ElectionError as exc:
            os.close(fd)
            out.unlink()
            raise CommandError(exc.detail) from exc
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            for item in issued:
                writer.writerow(
                    (item.identity_number, item.email, item.full_name, item.code)
                )
        self.stdout.write(
            f"issued {len(issued)} voting codes for {election.election_id}; "
            f"codes written to {out} (hand it to the credential authority's "
            "mailer, then destroy it)"
        )
