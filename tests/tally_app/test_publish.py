"""Combining the shares, publishing the record (SPEC §8) and verifying it."""

from pathlib import Path

import pytest
from django.test import Client

from ballots.errors import ElectionError
from ballots.models import Election, ElectionEvent
from tally.models import ElectionTally
from tally.services import (
    tally_compute,
    tally_publish,
    tally_verify,
    trustee_shares_submit,
)
from tests.ballots.helpers import Setup
from tests.tally_app.helpers import (
    EXPECTED,
    trustee_shares,
    trustee_tool_shares,
    trustee_user,
)
from votecrypto.canonical import cjson, parse_json
from votecrypto.record import RECORD_FILES, read_record_zip
from votecrypto.verifier import verify_record

pytestmark = pytest.mark.django_db


def _submit(setup: Setup, index: int, data: bytes) -> None:
    trustee_shares_submit(
        election=setup.election,
        trustee=setup.election.trustees.get(index=index),
        actor=trustee_user(setup, index),
        data=data,
    )


@pytest.fixture
def published(closed: Setup, tmp_path: Path) -> Setup:
    """Counted, two trustees' shares from the real tool in, published, verified."""
    tally_compute(election=closed.election)
    closed.election.refresh_from_db()
    for index in (2, 3):
        _submit(
            closed, index, trustee_tool_shares(closed, index, tmp_path / str(index))
        )
    tally_publish(election=closed.election)
    tally_verify(election=closed.election)
    closed.election.refresh_from_db()
    return closed


def test_publish_waits_for_t_shares(closed: Setup) -> None:
    """With fewer than t trustees' shares nothing is published."""
    tally_compute(election=closed.election)
    closed.election.refresh_from_db()
    _submit(closed, 1, cjson(trustee_shares(closed, 1).to_json()))
    assert tally_publish(election=closed.election) is None
    closed.election.refresh_from_db()
    assert closed.election.state == Election.State.AWAITING_TRUSTEES


def test_published_record_verifies_and_counts_the_intent(published: Setup) -> None:
    """The record ZIP holds the four files, verifies, and counts the intent."""
    tally = ElectionTally.objects.get(election=published.election)
    assert published.election.state == Election.State.PUBLISHED
    files = read_record_zip(bytes(tally.record_zip))
    assert files.missing() == ()
    report = verify_record(files, allow_test_keys=True, jobs=1)
    assert report.verified
    assert report.results == EXPECTED
    assert tally.is_verified is True
    stored = parse_json(tally.verification_json)
    assert isinstance(stored, dict)
    assert stored["verified"] is True
    assert stored["results"] == EXPECTED
    assert "VERIFIED: every step passed." in tally.verification_text
    value = parse_json(tally.tally_json)
    assert isinstance(value, dict)
    # t = 2 shares per option, the trustees that sent them (2 and 3).
    assert [s["index"] for s in value["contests"][0]["options"][0]["shares"]] == [2, 3]


def test_publish_and_verify_are_idempotent(published: Setup) -> None:
    """Running them again changes nothing and records nothing."""
    tally = ElectionTally.objects.get(election=published.election)
    events = ElectionEvent.objects.filter(election=published.election).count()
    again = tally_publish(election=published.election)
    assert again is not None
    assert bytes(again.record_zip) == bytes(tally.record_zip)
    assert tally_verify(election=published.election).verified_at == tally.verified_at
    assert ElectionEvent.objects.filter(election=published.election).count() == events


def test_no_shares_after_publication(published: Setup) -> None:
    """Trustee 1 comes too late: the election no longer waits for shares."""
    with pytest.raises(ElectionError) as caught:
        _submit(published, 1, cjson(trustee_shares(published, 1).to_json()))
    assert caught.value.code == "wrong-state"


def test_results_page_shows_counts_record_and_report(
    published: Setup, client: Client
) -> None:
    """Anyone sees the results, the record downloads and the verifier's report."""
    page = client.get("/tally/city-2027/results/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "VERIFIED: every step of the verifier passed" in content
    assert "<td>3</td>" in content  # c2.o2, Library
    assert "VERIFIED: every step passed." in content
    for name in RECORD_FILES:
        assert f"/tally/city-2027/record/{name}" in content
    record = client.get("/tally/city-2027/record.zip")
    assert record.status_code == 200
    files = read_record_zip(record.content)
    for name in RECORD_FILES:
        response = client.get(f"/tally/city-2027/record/{name}")
        assert response.status_code == 200
        assert response.content == files.as_mapping()[name]
    assert client.get("/tally/city-2027/record/other.json").status_code == 404
    report = client.get("/tally/city-2027/verification.json")
    assert report.status_code == 200
    assert parse_json(report.content)["verified"] is True  # type: ignore[index]


def test_results_page_before_publication_is_404(closed: Setup, client: Client) -> None:
    """No results, record or report before publication."""
    assert client.get("/tally/city-2027/results/").status_code == 404
    assert client.get("/tally/city-2027/record.zip").status_code == 404
    assert client.get("/tally/city-2027/record/tally.json").status_code == 404
    assert client.get("/tally/city-2027/verification.json").status_code == 404


def test_status_api(published: Setup, client: Client) -> None:
    """The status API says what is done."""
    value = client.get("/api/elections/city-2027/tally/").json()
    assert value["state"] == "published"
    assert value["shares_uploaded"] == [2, 3]
    assert value["verified"] is True
    assert value["counted"] == 3


def test_record_written_through_cli_verifies(published: Setup, tmp_path: Path) -> None:
    """The stored ZIP passes ``python -m tally.verify --allow-test-keys``."""
    from tally.verify import main

    path = tmp_path / "record.zip"
    path.write_bytes(bytes(published.election.tally.record_zip))
    assert main([str(path), "--allow-test-keys", "--jobs", "1"]) == 0


def test_verify_refuses_an_unpublished_record(closed: Setup) -> None:
    """The verifier task has nothing to check before publication."""
    with pytest.raises(ElectionError) as caught:
        tally_verify(election=closed.election)
    assert caught.value.code == "not-published"


def test_verify_records_a_failing_report(published: Setup) -> None:
    """A record that does not verify is shown as NOT VERIFIED."""
    tally = ElectionTally.objects.get(election=published.election)
    files = read_record_zip(bytes(tally.record_zip))
    broken = files.as_mapping()
    assert files.tally is not None
    broken["tally.json"] = files.tally.replace(b'"count":3', b'"count":2', 1)
    from votecrypto.record import RecordFiles

    ElectionTally.objects.filter(pk=tally.pk).update(
        record_zip=RecordFiles.from_mapping(broken).to_zip(), is_verified=None
    )
    row = tally_verify(election=published.election)
    assert row.is_verified is False
    assert "NOT VERIFIED" in row.verification_text


def test_election_page_links_to_results_once_published(
    published: Setup, closed: Setup, client: Client
) -> None:
    """The public election page points to the results after publication."""
    page = client.get("/elections/city-2027/").content.decode()
    assert 'href="/tally/city-2027/results/"' in page
