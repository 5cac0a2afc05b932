"""The trustee console's key ceremony in headless Chromium (issue #5, item 4).

Trustees make their X25519 keys in the browser and register them; the
dealer runs Python's ceremony code on the registered keys and the official
uploads its output on the ceremony page; each trustee opens their share
box in the browser and passes the self-test.  Nothing secret reaches the
server: the test checks what was posted.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import User
from ballots.models import Election
from tests.ballots.helpers import make_draft, vector_primes
from tests.e2e.test_accessibility import assert_accessible
from tests.e2e.trustee_steps import (
    open_ceremony_page,
    open_share,
    run_self_test,
    sign_in_2fa,
)
from votecrypto.canonical import cjson_line, parse_json
from votecrypto.sharefile import read_key_file, write_key_file, x25519_public_key
from votecrypto.threshold import deal

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

PASSPHRASES = {
    1: "first trustee's passphrase",
    2: "zweite Passphrase ✓",
    3: "үшінші құпия сөз",
}


def make_key(page: Any, index: int, folder: Path) -> Path:
    """Make a key on the ceremony page, save the key file, register the key."""
    page.fill("#keygen-passphrase", PASSPHRASES[index])
    page.fill("#keygen-confirm", PASSPHRASES[index])
    with page.expect_download() as info:
        page.click("#keygen-submit")
    download = info.value
    assert download.suggested_filename == f"trustee-key-city-2027-{index}.json"
    path = folder / f"key-{index}.json"
    download.save_as(path)
    page.wait_for_selector("#trustee-console[data-key-file='downloaded']")
    public_key = page.input_value("#id_x25519_public_key")
    assert page.evaluate("document.activeElement.id") == "key-submit"
    with page.expect_navigation():
        page.click("#key-submit")
    assert "Your key is registered." in str(page.text_content(".messages"))
    assert page.text_content("#registered-key") == public_key
    return path


def test_trustees_make_keys_and_pass_the_self_test_in_the_browser(
    live_server: Any,
    make_user: Callable[..., User],
    browser: Any,
    page: Any,
    tmp_path: Path,
) -> None:
    """Browser keys, Python's dealer, browser self-test: the ceremony passes."""
    setup = make_draft(make_user, voters=1)
    setup.election.trustees.update(x25519_public_key="")
    posted: list[str] = []
    page.on(
        "request",
        lambda request: (
            posted.append(request.post_data or "") if request.method == "POST" else None
        ),
    )

    # 1. Each trustee makes a key in the browser and registers it.
    key_files = {}
    for index in (1, 2, 3):
        sign_in_2fa(browser, live_server, setup.trustees[index - 1])
        open_ceremony_page(page, live_server, "city-2027")
        if index == 1:
            page.fill("#keygen-passphrase", "too short")
            page.fill("#keygen-confirm", "too short")
            page.click("#keygen-submit")
            assert page.text_content("#keygen-error") == (
                "Choose a passphrase of at least 12 characters."
            )
            assert page.get_attribute("#keygen-passphrase", "aria-invalid") == "true"
            page.fill("#keygen-passphrase", PASSPHRASES[1])
            page.fill("#keygen-confirm", PASSPHRASES[2])
            page.click("#keygen-submit")
            assert page.text_content("#keygen-error") == "The two passphrases differ."
        if index == 1:
            assert_accessible(page, "the trustee's key maker", "en")
        key_files[index] = make_key(page, index, tmp_path)
    private_keys = {
        index: read_key_file(path.read_bytes(), PASSPHRASES[index])
        for index, path in key_files.items()
    }
    trustees = list(setup.election.trustees.order_by("index"))
    assert [t.x25519_public_key for t in trustees] == [
        x25519_public_key(private_keys[index]).hex() for index in (1, 2, 3)
    ]
    for index, path in key_files.items():
        assert parse_json(path.read_bytes())["kdf"]["algorithm"] == "pbkdf2-sha256"
        assert not any(private_keys[index].hex() in body for body in posted)
        assert not any(PASSPHRASES[index] in body for body in posted)

    # 2. The official moves to the key ceremony; the dealer (Python) deals to
    # the registered keys; the official uploads public.json and the boxes.
    sign_in_2fa(browser, live_server, setup.official)
    page.goto(live_server.url + reverse("ballots:detail", args=["city-2027"]))
    with page.expect_navigation():
        page.click("form:has(input[name='to_state'][value='key_ceremony']) button")
    p, q = vector_primes()
    output = deal(
        p,
        q,
        2,
        [bytes.fromhex(t.x25519_public_key) for t in trustees],
        names=[t.name for t in trustees],
    )
    (tmp_path / "public.json").write_bytes(cjson_line(output.public.to_json()))
    for box in output.boxes:
        (tmp_path / f"share-{box.index}.json").write_bytes(cjson_line(box.to_json()))
    page.goto(live_server.url + reverse("ballots:ceremony", args=["city-2027"]))
    page.set_input_files("#id_public", str(tmp_path / "public.json"))
    page.set_input_files(
        "#id_shares", [str(tmp_path / f"share-{i}.json") for i in (1, 2, 3)]
    )
    with page.expect_navigation():
        page.click("main form button[type='submit']")
    assert "The key ceremony's output is stored." in str(page.text_content(".messages"))

    # 3. Trustee 3 mistypes the passphrase, then tries trustee 1's key file.
    sign_in_2fa(browser, live_server, setup.trustees[2])
    open_ceremony_page(page, live_server, "city-2027")
    assert page.locator("#keygen-form").count() == 0
    assert open_share(page, key_files[3], "wrong passphrase!") == (
        "Wrong passphrase, or the key file was changed."
    )
    assert page.text_content("#open-error") == (
        "Wrong passphrase, or the key file was changed."
    )
    assert page.is_disabled("#selftest-button")
    assert open_share(page, key_files[1], PASSPHRASES[1]) == (
        "Your share box cannot be opened with this key file: it was dealt for "
        "another key, or it is damaged."
    )
    scrypt_file = tmp_path / "cli-key.json"
    scrypt_file.write_bytes(write_key_file(private_keys[3], PASSPHRASES[3]))
    assert open_share(page, scrypt_file, PASSPHRASES[3]) == (
        "This key file was made by the command-line tool (scrypt), which a "
        "browser cannot open. Use “python -m tally.trustee” with it instead."
    )

    # 4. Trustees 1 and 2 open their share and pass the self-test.
    for index in (1, 2):
        sign_in_2fa(browser, live_server, setup.trustees[index - 1])
        open_ceremony_page(page, live_server, "city-2027")
        assert open_share(page, key_files[index], PASSPHRASES[index]) == (
            f"Your share is open and matches your verification key (trustee "
            f"{index}). Nothing secret was sent to the server."
        )
        if index == 1:
            assert_accessible(page, "the trustee's ceremony console", "en")
        run_self_test(page)
        assert "Your test share is accepted." in str(page.text_content(".messages"))
    setup.election.refresh_from_db()
    assert setup.election.ceremony_tested_at is not None
    assert setup.election.state == Election.State.KEY_CEREMONY
    rows = page.locator("#trustee-progress tbody tr")
    assert rows.all_inner_texts() == [
        "1. Trustee 1\tyes\tyes\tnot yet",
        "2. Trustee 2\tyes\tyes\tnot yet",
        "3. Trustee 3\tyes\tnot yet\tnot yet",
    ]
    for index in (1, 2, 3):
        share = output.secret_shares[index]
        assert not any(f"{share:x}" in body for body in posted)
    assert page.page_errors == []
