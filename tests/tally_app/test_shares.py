"""Trustees upload their decryption shares (SPEC §2.3): checked on arrival."""

from typing import Any

import pytest
from django.test import Client

from ballots.models import Election
from tally.models import TrusteeShareUpload
from tally.selectors import closed_board_files
from tally.services import tally_compute
from tests.ballots.helpers import Setup, otp_login
from tests.tally_app.helpers import trustee_shares, trustee_user
from votecrypto.canonical import cjson, hex_int

pytestmark = pytest.mark.django_db

URL = "/api/elections/city-2027/trustee-shares/"


@pytest.fixture
def counted(closed: Setup) -> Setup:
    """A closed election whose board is counted (awaiting the trustees)."""
    tally_compute(election=closed.election)
    closed.election.refresh_from_db()
    return closed


def _post(client: Client, data: bytes) -> Any:
    return client.post(URL, data=data, content_type="application/json")


def _shares(setup: Setup, index: int) -> dict[str, Any]:
    value = trustee_shares(setup, index).to_json()
    assert isinstance(value, dict)
    return value


def test_good_share_is_accepted(counted: Setup, client: Client) -> None:
    """Trustee 1's own valid shares are stored (201)."""
    otp_login(client, trustee_user(counted, 1))
    response = _post(client, cjson(_shares(counted, 1)))
    assert response.status_code == 201
    assert response.json() == {"index": 1, "accepted": True}
    upload = TrusteeShareUpload.objects.get()
    assert upload.index == 1
    assert upload.uploaded_by == trustee_user(counted, 1)


def test_duplicate_upload_is_idempotent(counted: Setup, client: Client) -> None:
    """The same file again answers 200 and stores nothing new."""
    otp_login(client, trustee_user(counted, 1))
    data = cjson(_shares(counted, 1))
    assert _post(client, data).status_code == 201
    again = _post(client, data)
    assert again.status_code == 200
    assert again.json() == {"index": 1, "accepted": True}
    assert TrusteeShareUpload.objects.count() == 1


def test_other_shares_after_acceptance_conflict(counted: Setup, client: Client) -> None:
    """A second, different file from the same trustee is refused (409)."""
    otp_login(client, trustee_user(counted, 1))
    assert _post(client, cjson(_shares(counted, 1))).status_code == 201
    response = _post(client, cjson(_shares(counted, 1)))
    assert response.status_code == 409
    assert response.json()["error"] == "already-submitted"
    assert TrusteeShareUpload.objects.count() == 1


def test_another_indexs_shares_are_forbidden(counted: Setup, client: Client) -> None:
    """Trustee 1 may not upload trustee 2's shares (403, wrong-index)."""
    otp_login(client, trustee_user(counted, 1))
    response = _post(client, cjson(_shares(counted, 2)))
    assert response.status_code == 403
    assert response.json() == {
        "error": "wrong-index",
        "detail": "These shares are trustee 2's; you are trustee 1.",
    }
    assert not TrusteeShareUpload.objects.exists()


def test_a_non_trustee_is_forbidden(
    counted: Setup, client: Client, make_user: Any
) -> None:
    """Another user, even a trustee of no seat here, gets 403."""
    stranger = make_user(role="trustee")
    otp_login(client, stranger)
    response = _post(client, cjson(_shares(counted, 1)))
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    otp_login(client, counted.official)
    assert _post(client, cjson(_shares(counted, 1))).status_code == 403
    assert not TrusteeShareUpload.objects.exists()


def test_a_trustee_without_two_factor_is_forbidden(
    counted: Setup, client: Client
) -> None:
    """The trustee's session must be TOTP-verified."""
    client.force_login(trustee_user(counted, 1))
    response = _post(client, cjson(_shares(counted, 1)))
    assert response.status_code == 403
    assert not TrusteeShareUpload.objects.exists()


def test_forged_proof_is_rejected_with_reason(counted: Setup, client: Client) -> None:
    """A share whose proof does not check is refused (400) and not stored."""
    value = _shares(counted, 1)
    option = value["contests"][0]["options"][0]
    option["proof"]["z"] = hex_int(int(option["proof"]["z"], 16) + 1)
    otp_login(client, trustee_user(counted, 1))
    response = _post(client, cjson(value))
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "bad-share"
    assert body["detail"].startswith("c1.o1")
    assert not TrusteeShareUpload.objects.exists()


def test_share_of_a_wrong_aggregate_is_rejected(counted: Setup, client: Client) -> None:
    """Shares of an aggregate other than the stored one are refused (400)."""
    value = _shares(counted, 1)
    option = value["contests"][1]["options"][2]
    option["aggregate"] = hex_int(
        int(option["aggregate"], 16) * 4 % (counted.manifest.n**2)
    )
    otp_login(client, trustee_user(counted, 1))
    response = _post(client, cjson(value))
    assert response.status_code == 400
    assert response.json() == {
        "error": "wrong-aggregate",
        "detail": "c2.o3: the aggregate differs from the one computed from the "
        "closed board.",
    }
    assert not TrusteeShareUpload.objects.exists()


def test_shares_of_another_board_are_rejected(counted: Setup, client: Client) -> None:
    """Shares counting another board (size or root) are refused (400)."""
    value = _shares(counted, 1)
    value["board"]["tree_size"] = 5
    otp_login(client, trustee_user(counted, 1))
    response = _post(client, cjson(value))
    assert response.status_code == 400
    assert response.json()["error"] == "wrong-board"
    assert not TrusteeShareUpload.objects.exists()


def test_malformed_file_is_rejected(counted: Setup, client: Client) -> None:
    """A file that is not a shares object names the broken field."""
    otp_login(client, trustee_user(counted, 1))
    response = _post(client, b'{"index": 1}')
    assert response.status_code == 400
    assert response.json()["error"] == "structure"
    assert not TrusteeShareUpload.objects.exists()


def test_shares_before_the_count_are_refused(closed: Setup, client: Client) -> None:
    """Before the board is counted there is nothing to decrypt (409)."""
    otp_login(client, trustee_user(closed, 1))
    # Shares made offline from the closed board, uploaded too early.
    response = _post(client, cjson(_shares(closed, 1)))
    assert response.status_code == 409
    assert response.json()["error"] == "wrong-state"


def test_t_shares_publish_the_record(
    counted: Setup, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """The second valid upload (t = 2) publishes and verifies the record."""
    otp_login(client, trustee_user(counted, 3))
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, cjson(_shares(counted, 3))).status_code == 201
    counted.election.refresh_from_db()
    assert counted.election.state == Election.State.AWAITING_TRUSTEES
    otp_login(client, trustee_user(counted, 1))
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, cjson(_shares(counted, 1))).status_code == 201
    counted.election.refresh_from_db()
    assert counted.election.state == Election.State.PUBLISHED
    assert counted.election.tally.is_verified is True


def test_trustee_page_uploads_a_file(counted: Setup, client: Client) -> None:
    """The trustee page offers the closed board and takes the file upload."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    otp_login(client, trustee_user(counted, 2))
    page = client.get("/tally/city-2027/trustee/")
    assert page.status_code == 200
    assert b"/tally/city-2027/closed-board.zip" in page.content
    bad = _shares(counted, 1)
    response = client.post(
        "/tally/city-2027/trustee/",
        {"shares": SimpleUploadedFile("shares.json", cjson(bad))},
    )
    assert response.status_code == 403
    assert b"These shares are trustee 1&#x27;s; you are trustee 2." in response.content
    good = SimpleUploadedFile("shares.json", cjson(_shares(counted, 2)))
    response = client.post("/tally/city-2027/trustee/", {"shares": good})
    assert response.status_code == 302
    assert TrusteeShareUpload.objects.get().index == 2
    page = client.get("/tally/city-2027/trustee/")
    assert b"Your shares were accepted" in page.content


def test_trustee_page_is_for_the_elections_trustees(
    counted: Setup, client: Client, make_user: Any
) -> None:
    """A trustee of no seat in this election gets 404."""
    otp_login(client, make_user(role="trustee"))
    assert client.get("/tally/city-2027/trustee/").status_code == 404


def test_closed_board_zip_is_what_the_trustee_tool_reads(
    counted: Setup, client: Client, tmp_path: Any
) -> None:
    """The download holds manifest.json and board.jsonl of the closed board."""
    from votecrypto.record import read_record_zip

    response = client.get("/tally/city-2027/closed-board.zip")
    assert response.status_code == 200
    files = read_record_zip(response.content)
    assert files.missing() == ("heads.jsonl", "tally.json")
    assert files.manifest == counted.election.manifest_json.encode() + b"\n"
    assert files.board is not None
    assert files.board.count(b"\n") == 6


def test_aggregates_download_matches_the_trustee_tools_count(
    counted: Setup, client: Client
) -> None:
    """aggregates.json holds the counted set and aggregates a trustee recomputes."""
    import json

    from votecrypto.record import parse_jsonl_file
    from votecrypto.tally import compute_tally, parse_board

    response = client.get("/tally/city-2027/aggregates.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    served = json.loads(response.content)
    files = closed_board_files(election=counted.election)
    assert files.board is not None
    entries = parse_board(parse_jsonl_file(files.board, "board.jsonl"))
    counting = compute_tally(counted.manifest, entries, jobs=1)
    assert served["election_hash"] == counted.election.election_hash
    assert served["board"]["tree_size"] == len(entries)
    assert served["counted"] == list(counting.counted)
    assert {
        (contest["contest_id"], option["option_id"]): int(option["aggregate"], 16)
        for contest in served["contests"]
        for option in contest["options"]
    } == counting.aggregate_map()


def test_aggregates_download_waits_for_the_count(closed: Setup, client: Client) -> None:
    """Before the board is counted there is nothing to download."""
    assert client.get("/tally/city-2027/aggregates.json").status_code == 404
