"""The ``load_demo_data`` management command."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.identity import check_kz_iin
from accounts.management.commands.load_demo_data import DEMO_PASSWORD
from accounts.models import User
from accounts.roles import AUDITOR, CITIZEN, MODERATOR, OFFICIAL, TRUSTEE
from accounts.selectors import user_list_with_role

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("load_demo_data", *args, stdout=out)
    return out.getvalue()


def test_creates_every_role_idempotently() -> None:
    """Each role gets its accounts; running again creates nothing new."""
    first = run()
    counts = {
        role: user_list_with_role(role).count()
        for role in (CITIZEN, MODERATOR, OFFICIAL, TRUSTEE, AUDITOR)
    }
    assert counts == {CITIZEN: 3, MODERATOR: 1, OFFICIAL: 1, TRUSTEE: 3, AUDITOR: 1}
    assert User.objects.count() == 9
    assert TOTPDevice.objects.filter(confirmed=True).count() == 5
    run()
    assert User.objects.count() == 9
    assert TOTPDevice.objects.count() == 5
    assert {role: user_list_with_role(role).count() for role in counts} == counts
    assert "demo only" in first


def test_demo_users_are_verified_with_valid_iins() -> None:
    """Demo accounts are ready to use: verified, valid IINs, the password."""
    run()
    for user in User.objects.all():
        assert user.email_verified_at is not None
        assert check_kz_iin(user.identity_number) is None
        assert user.check_password(DEMO_PASSWORD)
        assert user.groups.count() == 1


def test_output_lists_accounts_secrets_and_codes() -> None:
    """The table names each e-mail, the password and TOTP details."""
    out = run()
    official = User.objects.get(email="official@demo.dauys.example")
    device = TOTPDevice.objects.get(user=official)
    assert "official@demo.dauys.example" in out
    assert DEMO_PASSWORD in out
    assert device.config_url in out
    line = next(row for row in out.splitlines() if row.startswith("official@"))
    assert line.split()[1:3] == [OFFICIAL, DEMO_PASSWORD]
    assert "now:" in line


def test_password_option() -> None:
    """``--password`` sets (and on re-runs resets) every demo password."""
    run("--password", "another-demo-pass")
    assert User.objects.get(email="auditor@demo.dauys.example").check_password(
        "another-demo-pass"
    )
    run()
    assert User.objects.get(email="auditor@demo.dauys.example").check_password(
        DEMO_PASSWORD
    )
