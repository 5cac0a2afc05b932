"""Browser tests: real headless Chromium (Debian's) driven by Playwright.

The ``browser`` fixture launches ``/usr/bin/chromium`` through Playwright's
sync API (never a browser that Playwright downloads).  Without Chromium or
Playwright a developer's run skips these tests with the reason; in CI
(``CI=true``) that is an error, so they always run there.  A failing test
leaves a screenshot in ``test-artifacts/``.
"""

import asyncio
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client

from accounts.models import User
from tests.accounts import conftest as accounts_fixtures
from tests.ballots.helpers import Setup, make_open, otp_login
from tests.tally_app.helpers import cast_votes, close, publish

# Playwright's sync API runs an event loop in this thread; Django's ORM would
# otherwise refuse to run in the test body (SynchronousOnlyOperation).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

rng = accounts_fixtures.rng
make_user = accounts_fixtures.make_user
_clear_cache = accounts_fixtures._clear_cache


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _missing() -> str:
    """Return why the browser tests cannot run here ("" if they can)."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    return ""


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Skip (locally) or refuse (in CI) browser tests without Chromium."""
    wanted = [item for item in items if item.get_closest_marker("e2e")]
    problem = _missing() if wanted else ""
    if not problem:
        return
    reason = f"browser test skipped: {problem}"
    if _in_ci():
        raise pytest.UsageError(f"CI must not skip tests, but {reason}")
    for item in wanted:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, for the screenshot on failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def browser() -> Iterator[Any]:
    """Launch Debian's headless Chromium with a fresh profile, for one test.

    Between its calls, Playwright's sync API marks its event loop as running
    in this thread, and Django then keeps database connections per context
    instead of per thread: the test body gets connections of its own.  The
    browser is therefore started after the database fixtures and stopped
    before they tear down, and those connections are closed and the loop
    unmarked on the way out, so nothing leaks into later tests.
    """
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="dauys-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                headless=True,
                args=LAUNCH_ARGS,
                viewport={"width": 390, "height": 844},
            )
            try:
                yield context
            finally:
                context.close()
                connections.close_all()
    finally:
        asyncio._set_running_loop(None)
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh tab with no cookies; a screenshot lands in test-artifacts/ on failure."""
    tab = browser.new_page()
    tab.set_default_timeout(30_000)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.page_errors = errors
    yield tab
    failed = any(
        getattr(getattr(request.node, f"report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    tab.close()


def session_cookie(user: User, *, two_factor: bool = False) -> str:
    """Return a session cookie of ``user``, TOTP-verified if ``two_factor``."""
    client = otp_login(Client(), user) if two_factor else Client()
    if not two_factor:
        client.force_login(user)
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def use_session(browser: Any, url: str, cookie: str) -> None:
    """Put the session ``cookie`` into the browser for the server at ``url``."""
    browser.clear_cookies()
    browser.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": url}]
    )


@pytest.fixture
def sign_in(browser: Any, live_server: Any) -> Callable[[User], None]:
    """Return ``sign_in(user)``: put a signed-in session cookie into the browser."""

    def _sign_in(user: User) -> None:
        use_session(browser, live_server.url, session_cookie(user))

    return _sign_in


@pytest.fixture
def published(live_server: Any, make_user: Callable[..., User]) -> Setup:
    """A published, verified election with an audit at seq 0.

    Built by the Python services before the browser starts: casting
    notifies the live channel synchronously, which Playwright's running
    event loop forbids in the test's thread.
    """
    setup = make_open(make_user)
    cast_votes(setup)
    close(setup)
    publish(setup)
    return setup
