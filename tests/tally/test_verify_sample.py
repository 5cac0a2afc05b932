"""The shared sample record verifies exactly as sample-record.json states.

sample-record.zip was made by an independent implementation of SPEC.md;
sample-record.json says what verifying it must report.
"""

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tally.verify import verify_record_file
from votecrypto.verifier import FAIL, PASS, VerificationReport


@pytest.fixture(scope="module")
def expected(vectors_dir: Path) -> dict[str, Any]:
    """sample-record.json."""
    value: dict[str, Any] = json.loads(
        (vectors_dir / "sample-record.json").read_text(encoding="utf-8")
    )
    return value


@pytest.fixture(scope="module")
def report(vectors_dir: Path) -> VerificationReport:
    """The verifier's report in test mode with sample-receipt.json (two processes)."""
    return verify_record_file(
        vectors_dir / "sample-record.zip",
        allow_test_keys=True,
        receipt=vectors_dir / "sample-receipt.json",
        jobs=2,
    )


def test_sample_file_is_the_one_described(
    vectors_dir: Path, expected: dict[str, Any]
) -> None:
    """The ZIP is byte for byte the one sample-record.json describes."""
    data = (vectors_dir / "sample-record.zip").read_bytes()
    assert hashlib.sha256(data).hexdigest() == expected["sha256"]


def test_every_step_passes_in_test_mode(
    report: VerificationReport, expected: dict[str, Any]
) -> None:
    """V1–V10 all PASS in test mode with the sample receipt."""
    assert report.statuses() == expected["expected"]["steps"]
    assert report.verified is expected["expected"]["verified_in_test_mode"] is True
    assert report.election_hash == expected["election_hash"]
    assert report.election_id == expected["election_id"]


def test_counted_results_and_invalid_entries(
    report: VerificationReport, expected: dict[str, Any]
) -> None:
    """Counted set, results and every invalid ballot and audit with its reason."""
    want = expected["expected"]
    assert list(report.counted or ()) == want["counted"]
    assert report.results == want["results"]
    as_json = report.to_json()
    assert as_json["invalid_ballots"] == want["invalid_ballots"]
    assert as_json["invalid_audits"] == want["invalid_audits"]


def test_story_of_every_entry(
    report: VerificationReport, expected: dict[str, Any]
) -> None:
    """What happened to each seq agrees with the sample's story."""
    story: dict[str, str] = expected["story"]
    entries = {entry.seq: entry for entry in report.entries}
    assert sorted(entries) == sorted(int(seq) for seq in story)
    for seq_text, text in story.items():
        entry = entries[int(seq_text)]
        invalid = re.search(r"\((?:INVALID AUDIT|invalid): ([a-z-]+)", text)
        superseded = re.search(r"superseded by the re-vote at seq (\d+)", text)
        if text == "close":
            assert (entry.type, entry.status) == ("close", "close")
        elif invalid:
            assert (entry.status, entry.reason) == ("invalid", invalid.group(1)), (
                seq_text
            )
        elif text.startswith("audit"):
            assert (entry.type, entry.status) == ("audit", "valid"), seq_text
        elif superseded:
            assert entry.status == "superseded", seq_text
            assert entry.superseded_by == int(superseded.group(1))
        elif "counted" in text:
            assert entry.status == "counted", seq_text
        else:
            assert "(valid" in text
            assert entry.status in ("counted", "superseded"), seq_text


def test_sample_receipt_is_counted(
    report: VerificationReport, expected: dict[str, Any]
) -> None:
    """The sample receipt's ballot (seq 17) is counted."""
    want = expected["receipt"]
    assert report.step("V10").status == want["expected_V10"] == PASS
    assert report.receipt is not None
    assert (report.receipt.seq, report.receipt.outcome) == (want["seq"], "counted")


def test_superseded_receipt_passes_and_reports_the_override(
    vectors_dir: Path, expected: dict[str, Any]
) -> None:
    """V10 passes for seq 5 and says loudly that seq 14 replaced it."""
    want = expected["superseded_receipt"]
    report = verify_record_file(
        vectors_dir / "sample-record.zip",
        allow_test_keys=True,
        receipt=want["receipt"],
        jobs=1,
    )
    assert report.step("V10").status == want["expected_V10"] == PASS
    assert report.receipt is not None
    assert report.receipt.outcome == want["outcome"] == "superseded"
    assert report.receipt.superseded_by == want["superseded_by"] == 14
    assert report.step("V10").messages == (
        "ATTENTION: the ballot at seq 5 is NOT counted: a later valid ballot of the "
        "same credential (seq 14) replaced it. If you did not vote again, someone "
        "else used your voting code.",
    )


def test_without_test_mode_only_v1_fails(vectors_dir: Path) -> None:
    """Outside test mode the 1024-bit key fails V1; every other step passes."""
    report = verify_record_file(
        vectors_dir / "sample-record.zip",
        receipt=vectors_dir / "sample-receipt.json",
        jobs=1,
    )
    assert report.statuses() == {
        "V1": FAIL,
        **{f"V{i}": PASS for i in range(2, 11)},
    }
    assert report.step("V1").messages[0] == (
        "public_key.n: bits(n) = 1024 < 2048 (test keys are accepted only in test mode)"
    )
    assert report.verified is False


def test_one_process_gives_the_same_report(
    vectors_dir: Path, report: VerificationReport
) -> None:
    """jobs=1 and jobs=2 report the same."""
    single = verify_record_file(
        vectors_dir / "sample-record.zip",
        allow_test_keys=True,
        receipt=vectors_dir / "sample-receipt.json",
        jobs=1,
    )
    assert single.to_json() == report.to_json()


def test_warnings_name_the_test_key_and_the_batching(
    report: VerificationReport,
) -> None:
    """The report warns about the test key and says batching was used."""
    assert report.warnings == (
        "public_key.n: bits(n) = 1024 < 2048: a TEST key, NOT secure (accepted in "
        "test mode)",
        "ballot proofs were checked in batches with random 128-bit weights "
        "(SPEC §3); this relies on the dealer having used safe primes (SPEC §0)",
    )
