"""``manage.py simulate_election``: a whole election through the services."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ballots.models import Election
from tally.simulation import compare_results
from tally.verify import verify_record_file

pytestmark = pytest.mark.django_db


def test_simulation_completes_and_verifies(tmp_path: Path) -> None:
    """8 voters on a 512-bit test key: published, intent matched, verified."""
    record = tmp_path / "record.zip"
    out = io.StringIO()
    call_command(
        "simulate_election",
        "--voters",
        "8",
        "--bits",
        "512",
        "--record",
        str(record),
        stdout=out,
    )
    text = out.getvalue()
    assert "8 voters cast, 3 voted again, 1 audited a ballot" in text
    assert "verifier: VERIFIED" in text
    assert "results match the voters' intent and the record verifies" in text
    election = Election.objects.get()
    assert election.state == Election.State.PUBLISHED
    assert election.is_test_keys
    report = verify_record_file(record, allow_test_keys=True, jobs=1)
    assert report.verified
    # One audit, 8 + 3 casts, the close entry.
    assert len(report.entries) == 13
    assert len(report.counted or ()) == 8
    # Without test mode the 512-bit key is refused (SPEC §2.1).
    assert not verify_record_file(record, jobs=1).verified


def test_simulation_fails_when_intent_and_result_disagree() -> None:
    """A disagreement between intent and published counts is an error."""
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "simulate_election",
            "--voters",
            "2",
            "--bits",
            "512",
            "--trustees",
            "1",
            "--threshold",
            "1",
            "--corrupt-for-test",
            stdout=out,
        )
    assert "the results differ from the voters' intent: mayor.alice" in str(
        caught.value
    )
    assert "verifier: VERIFIED" in out.getvalue()


def test_simulation_refuses_a_bad_threshold() -> None:
    """t must be between 1 and ℓ."""
    with pytest.raises(CommandError, match="need 1 ≤ threshold ≤ trustees"):
        call_command(
            "simulate_election", "--trustees", "2", "--threshold", "3", "--bits", "512"
        )


def test_compare_results() -> None:
    """compare_results lists every option whose counts differ."""
    expected = {"c1": {"a": 1, "b": 2}, "c2": {"x": 0}}
    assert compare_results(expected, {"c1": {"a": 1, "b": 2}, "c2": {"x": 0}}) == []
    assert compare_results(expected, {"c1": {"a": 1, "b": 3}, "c2": {"x": 0}}) == [
        "c1.b: intended 2, published 3"
    ]
    assert compare_results(expected, {"c1": {"a": 1, "b": 2}}) == [
        "c2: missing from the results"
    ]
    assert compare_results(expected, {**expected, "c3": {"y": 1}}) == [
        "c3: missing from the intent"
    ]
