"""Steps of the browser trustee console shared by the e2e tests (issue #5, item 4)."""

from pathlib import Path
from typing import Any

from django.urls import reverse

from accounts.models import User
from tests.e2e.conftest import session_cookie, use_session


def sign_in_2fa(browser: Any, live_server: Any, user: User) -> None:
    """Put a TOTP-verified session of ``user`` (official, trustee) in the browser."""
    use_session(browser, live_server.url, session_cookie(user, two_factor=True))


def open_ceremony_page(page: Any, live_server: Any, election_id: str) -> None:
    """Open the trustee's ceremony page and wait for its console."""
    page.goto(live_server.url + reverse("ballots:trustee", args=[election_id]))
    page.wait_for_selector("#trustee-console[data-loaded='true']")


def open_share(page: Any, key_file: Path, passphrase: str) -> str:
    """Open the share box with the key file; return the status line."""
    page.set_input_files("#open-key-file", str(key_file))
    page.fill("#open-passphrase", passphrase)
    page.click("#open-submit")
    page.wait_for_selector("#trustee-console[data-busy='false']")
    return str(page.text_content("#console-status"))


def run_self_test(page: Any) -> None:
    """Press "Run the self-test" and wait for the page the form submits to."""
    with page.expect_navigation():
        page.click("#selftest-button")


def decrypt_in_browser(
    page: Any, live_server: Any, election_id: str, key_file: Path, passphrase: str
) -> None:
    """Decrypt and upload on the tally's trustee page; wait for the accepted upload."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    page.goto(live_server.url + reverse("tally:trustee", args=[election_id]))
    page.wait_for_selector("#decrypt-console[data-loaded='true']")
    page.set_input_files("#decrypt-key-file", str(key_file))
    page.fill("#decrypt-passphrase", passphrase)
    try:
        with page.expect_navigation(timeout=120_000):
            page.click("#decrypt-submit")
    except PlaywrightTimeoutError as exc:
        status = page.text_content("#console-status")
        raise AssertionError(f"no upload: {status}") from exc
    page.wait_for_selector("#upload-status")
