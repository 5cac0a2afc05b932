"""The trustee console's pages and who-has-acted table (issue #5, item 4).

The browser does the cryptography (frontend/tests/js, tests/e2e); these
tests check what the server hands it and who may have it.
"""

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tally.models import TrusteeShareUpload
from tally.selectors import TrusteeProgress, trustee_progress
from tally.services import tally_compute, trustee_shares_submit
from tally.trustee_console import trustee_console_strings
from tests.ballots.helpers import Setup, deal_and_upload, make_draft, otp_login
from tests.tally_app.helpers import trustee_shares, trustee_user
from votecrypto.canonical import cjson, cjson_line

pytestmark = pytest.mark.django_db

WORKER_SOURCE = (
    Path(__file__).resolve().parents[2] / "frontend/static/js/crypto/trustee-worker.js"
)
CEREMONY_URL = reverse("ballots:trustee", args=["city-2027"])
DECRYPT_URL = reverse("tally:trustee", args=["city-2027"])
WORKER_CODES = (
    "keyfile-unreadable",
    "keyfile-scrypt",
    "keyfile-passphrase",
    "box-index",
    "box-open",
    "share-mismatch",
    "not-open",
    "wrong-key",
    "key-proof",
    "bad-public",
    "test-opening",
    "manifest",
    "hash-mismatch",
    "board",
    "not-counted",
    "internal",
)


@pytest.fixture
def counted(closed: Setup) -> Setup:
    """A closed election whose board is counted (awaiting the trustees)."""
    tally_compute(election=closed.election)
    closed.election.refresh_from_db()
    return closed


def _strings(html: str) -> dict[str, str]:
    found = re.search(
        r'<script id="console-strings" type="application/json">(.*?)</script>', html
    )
    assert found is not None
    value: dict[str, str] = json.loads(found.group(1))
    return value


def _data(html: str, element_id: str) -> dict[str, str]:
    found = re.search(rf'<div id="{element_id}"(.*?)>', html, re.DOTALL)
    assert found is not None
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', found.group(1)))


def _progress_rows(html: str) -> list[list[str]]:
    body = html.split('<table id="trustee-progress">')[1].split("</table>")[0]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)
        ]
        for row in re.findall(r"<tr data-index.*?</tr>", body, re.DOTALL)
    ]


def test_progress_says_who_has_acted(counted: Setup) -> None:
    """Keys, accepted test shares and accepted decryption shares, per trustee."""
    trustee_shares_submit(
        election=counted.election,
        trustee=counted.election.trustees.get(index=3),
        actor=trustee_user(counted, 3),
        data=cjson(trustee_shares(counted, 3).to_json()),
    )
    seats = {t.index: t.pk for t in counted.election.trustees.all()}
    assert trustee_progress(election=counted.election) == [
        TrusteeProgress(seats[1], 1, "Trustee 1", True, True, True, False),
        TrusteeProgress(seats[2], 2, "Trustee 2", True, True, True, False),
        TrusteeProgress(seats[3], 3, "Trustee 3", True, True, False, True),
    ]


def test_ceremony_page_offers_the_key_maker_before_the_deal(
    make_user: Callable[..., User],
) -> None:
    """Before the dealer's upload: make a key in the browser, nothing to open."""
    setup = make_draft(make_user)
    setup.election.trustees.filter(index=3).update(x25519_public_key="")
    client = otp_login(Client(), setup.trustees[0])
    html = client.get(CEREMONY_URL).content.decode()
    data = _data(html, "trustee-console")
    assert data == {
        "index": "1",
        "election-id": "city-2027",
        "min-passphrase": "12",
        "share-box-url": "/api/elections/city-2027/trustee/share-box/",
        "public-url": "/api/elections/city-2027/trustee/ceremony-public/",
        "worker-url": "/static/js/crypto/trustee-worker.js",
    }
    assert 'id="keygen-form"' in html
    assert 'id="open-form"' not in html
    assert 'src="/static/js/trustee.js"' in html
    assert _strings(html) == trustee_console_strings()
    assert _progress_rows(html) == [
        ["1. Trustee 1", "yes", "not yet", "not yet"],
        ["2. Trustee 2", "yes", "not yet", "not yet"],
        ["3. Trustee 3", "not yet", "not yet", "not yet"],
    ]


def test_ceremony_page_offers_the_share_opener_after_the_deal(
    make_user: Callable[..., User],
) -> None:
    """After the dealer's upload: open the share box and run the self-test."""
    setup = make_draft(make_user)
    deal_and_upload(setup)
    html = otp_login(Client(), setup.trustees[1]).get(CEREMONY_URL).content.decode()
    assert 'id="keygen-form"' not in html
    assert 'id="open-form"' in html
    assert 'id="selftest-button"' in html
    assert _data(html, "trustee-console")["index"] == "2"


def test_every_worker_error_has_a_message() -> None:
    """Each error code of crypto/trustee-worker.js has a translated message."""
    strings = trustee_console_strings()
    assert [code for code in WORKER_CODES if code not in strings] == []
    source = WORKER_SOURCE.read_text(encoding="utf-8")
    used = set(re.findall(r'ConsoleError\("([a-z-]+)"', source))
    used |= {f"keyfile-{code}" for code in ("unreadable", "scrypt", "passphrase")}
    used |= set(re.findall(r'fail\("([a-z-]+)"', source))
    assert used <= set(WORKER_CODES)


def test_decrypt_page_offers_the_console_until_the_upload(
    counted: Setup, client: Client
) -> None:
    """Awaiting the trustees: the console has what it needs; then it is gone."""
    otp_login(client, trustee_user(counted, 2))
    html = client.get(DECRYPT_URL).content.decode()
    tally = counted.election.tally
    data = _data(html, "decrypt-console")
    assert data.pop("csrf-token")
    assert data == {
        "index": "2",
        "election-id": "city-2027",
        "election-hash": counted.election.election_hash,
        "tree-size": str(tally.tree_size),
        "root-hash": tally.root_hash,
        "manifest-url": "/api/elections/city-2027/manifest.json",
        "board-url": "/api/elections/city-2027/board.jsonl",
        "share-box-url": "/api/elections/city-2027/trustee/share-box/",
        "upload-url": "/tally/city-2027/trustee/",
        "worker-url": "/static/js/crypto/trustee-worker.js",
    }
    assert 'src="/static/js/trustee-decrypt.js"' in html
    assert '<progress id="decrypt-progress"' in html
    assert _progress_rows(html)[1] == ["2. Trustee 2", "yes", "yes", "not yet"]

    # The console posts the tool's file (canonical JSON + LF) to the page's
    # upload form, with the CSRF token in a header; success is a redirect.
    csrf = Client(enforce_csrf_checks=True)
    otp_login(csrf, trustee_user(counted, 2))
    token = _data(csrf.get(DECRYPT_URL).content.decode(), "decrypt-console")[
        "csrf-token"
    ]
    upload = SimpleUploadedFile(
        "shares.json", cjson_line(trustee_shares(counted, 2).to_json())
    )
    response = csrf.post(DECRYPT_URL, {"shares": upload}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302
    assert TrusteeShareUpload.objects.get().index == 2
    html = client.get(DECRYPT_URL).content.decode()
    assert 'id="decrypt-console"' not in html
    assert "trustee-decrypt.js" not in html
    assert "Your shares were accepted at" in html
    assert _progress_rows(html)[1] == ["2. Trustee 2", "yes", "yes", "yes"]


def test_decrypt_page_has_no_console_before_the_count(
    closed: Setup, client: Client
) -> None:
    """Nothing to decrypt before the board is counted."""
    otp_login(client, trustee_user(closed, 1))
    html = client.get(DECRYPT_URL).content.decode()
    assert "The board has not been counted yet." in html
    assert 'id="decrypt-console"' not in html
    assert "trustee-decrypt.js" not in html


@pytest.mark.parametrize("url", [CEREMONY_URL, DECRYPT_URL])
def test_console_pages_are_only_for_the_elections_trustees(
    counted: Setup, make_user: Callable[..., User], url: str
) -> None:
    """Another election's trustee gets 404; without 2FA, the 2FA page."""
    assert otp_login(Client(), make_user(role="trustee")).get(url).status_code == 404
    otp_login(Client(), trustee_user(counted, 1))  # a confirmed TOTP device
    plain = Client()
    plain.force_login(trustee_user(counted, 1))
    response = plain.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))


def test_console_api_refuses_strangers_and_bad_files(
    counted: Setup, make_user: Callable[..., User]
) -> None:
    """The console's endpoints: 403 for others, 4xx with a reason, nothing stored."""
    stranger = otp_login(Client(), make_user(role="trustee"))
    for path in ("trustee/share-box/", "trustee/ceremony-public/"):
        response = stranger.get(f"/api/elections/city-2027/{path}")
        assert response.status_code == 403
        assert response.json() == {
            "error": "forbidden",
            "detail": "You are not a trustee of this election.",
        }
    shares = cjson_line(trustee_shares(counted, 1).to_json())
    response = stranger.post(
        "/api/elections/city-2027/trustee-shares/",
        data=shares,
        content_type="application/json",
    )
    assert response.status_code == 403
    own = otp_login(Client(), trustee_user(counted, 1))
    response = own.post(
        "/api/elections/city-2027/trustee-shares/",
        data=shares.replace(b'"index":1', b'"index":1,"extra":1'),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "unknown key(s): extra" in response.json()["detail"]
    assert not TrusteeShareUpload.objects.exists()


def test_key_registration_closes_once_dealt(counted: Setup, client: Client) -> None:
    """A key made in the browser after the deal is refused with a reason."""
    otp_login(client, trustee_user(counted, 1))
    before = counted.election.trustees.get(index=1).x25519_public_key
    response = client.post(
        CEREMONY_URL, {"action": "key", "x25519_public_key": "ab" * 32}
    )
    assert response.status_code == 200
    assert "This step is not possible in the election" in response.content.decode()
    assert counted.election.trustees.get(index=1).x25519_public_key == before
