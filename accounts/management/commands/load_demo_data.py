"""Create demo accounts for every role (idempotent).

DEMO ONLY: the accounts share one published password and their TOTP secrets
are printed.  Never run this against a production database.
"""

import base64
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts.identity import generate_kz_iin
from accounts.models import Region, User
from accounts.roles import (
    AUDITOR,
    CITIZEN,
    MODERATOR,
    OFFICIAL,
    TRUSTEE,
    TWO_FACTOR_ROLES,
    assign_role,
)
from accounts.selectors import user_get_by_email
from accounts.services import (
    totp_current_code,
    totp_device_create_confirmed,
    user_create,
)

DEMO_PASSWORD = "dauys-demo-only"  # noqa: S105 - public by design, demo data only
DEMO_DOMAIN = "demo.dauys.example"


@dataclass(frozen=True)
class DemoAccount:
    local_part: str
    full_name: str
    role: str
    region_code: str
    language: str


DEMO_ACCOUNTS = (
    DemoAccount("citizen1", "Aigerim Demo", CITIZEN, "astana", "kk"),
    DemoAccount("citizen2", "Dmitry Demo", CITIZEN, "almaty", "ru"),
    DemoAccount("citizen3", "Yerlan Demo", CITIZEN, "karaganda", "en"),
    DemoAccount("moderator", "Madina Moderator", MODERATOR, "astana", "en"),
    DemoAccount("official", "Olzhas Official", OFFICIAL, "astana", "en"),
    DemoAccount("trustee1", "Timur Trustee", TRUSTEE, "shymkent", "en"),
    DemoAccount("trustee2", "Togzhan Trustee", TRUSTEE, "pavlodar", "en"),
    DemoAccount("trustee3", "Tatiana Trustee", TRUSTEE, "kostanay", "en"),
    DemoAccount("auditor", "Asel Auditor", AUDITOR, "almaty", "en"),
)


class Command(BaseCommand):
    help = (
        "Create one demo account per role (3 citizens, 3 trustees), with "
        "verified e-mail and TOTP devices where the role needs 2FA. DEMO ONLY."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help=f"Password for every demo account (default: {DEMO_PASSWORD!r}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password: str = options["password"]
        rows: list[tuple[str, str, str, str]] = []
        uris: list[tuple[str, str]] = []
        with transaction.atomic():
            for account in DEMO_ACCOUNTS:
                user = self._ensure_user(account, password)
                totp = ""
                if account.role in TWO_FACTOR_ROLES:
                    device = totp_device_create_confirmed(user=user)
                    secret = base64.b32encode(device.bin_key).decode()
                    totp = f"{secret}  now: {totp_current_code(device)}"
                    uris.append((user.email, device.config_url))
                rows.append((user.email, account.role, password, totp))
        self._print(rows, uris)

    def _ensure_user(self, account: DemoAccount, password: str) -> User:
        email = f"{account.local_part}@{DEMO_DOMAIN}"
        user = user_get_by_email(email)
        if user is None:
            user = user_create(
                email=email,
                password=password,
                full_name=account.full_name,
                identity_number=generate_kz_iin(),
                region=Region.objects.filter(code=account.region_code).first(),
                preferred_language=account.language,
                email_verified=True,
            )
        else:
            # Re-running resets the password, so the printed table is true.
            user.set_password(password)
            user.save(update_fields=["password"])
        assign_role(user=user, role=account.role)
        return user

    def _print(
        self, rows: list[tuple[str, str, str, str]], uris: list[tuple[str, str]]
    ) -> None:
        write = self.stdout.write
        write(self.style.WARNING("DEMO ACCOUNTS - demo only, never use in production."))
        header = ("E-MAIL", "ROLE", "PASSWORD", "TOTP SECRET (base32) / CURRENT CODE")
        widths = [
            max(len(row[i]) for row in [header, *rows]) for i in range(len(header))
        ]
        for row in [header, *rows]:
            cells = zip(row, widths, strict=True)
            write("  ".join(cell.ljust(width) for cell, width in cells).rstrip())
        if uris:
            write("")
            write("Authenticator URIs (paste or turn into a QR code):")
            for email, uri in uris:
                write(f"  {email}: {uri}")
