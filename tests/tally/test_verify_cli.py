"""``python -m tally.verify``: output, exit codes and ``--json``."""

import io
import json
import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest

from tally.verify import main
from tests.votecrypto.election_cases import honest_election
from votecrypto.record import write_record_dir

REPO = Path(__file__).resolve().parents[2]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the command in-process; return (status, stdout, stderr)."""
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_sample_record_verifies_in_test_mode(
    vectors_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 0, every step printed PASS, invalid entries and results listed."""
    status, out, _ = run(
        [
            str(vectors_dir / "sample-record.zip"),
            "--allow-test-keys",
            "--receipt",
            str(vectors_dir / "sample-receipt.json"),
            "--jobs",
            "1",
        ],
        capsys,
    )
    assert status == 0
    lines = out.splitlines()
    assert "V1   PASS         manifest and election key" in lines
    assert "V10  PASS         voter's receipt" in lines
    assert "Invalid ballots (ignored, SPEC §7): 11" in lines
    assert "  seq 15: replay (the valid cast at seq 5 holds the same tracker)" in lines
    assert (
        "INVALID AUDITS: 1 — evidence of a cheating voting booth; report them to "
        "the election officials"
    ) in lines
    assert "  c1: o1 3, o2 4, o3 5" in lines
    assert "Receipt: ballot at seq 17 is counted" in lines
    assert lines[-1] == "VERIFIED: every step passed."


def test_test_key_without_test_mode_exits_1(
    vectors_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failing step makes the exit status 1 and the verdict NOT VERIFIED."""
    status, out, _ = run(
        [str(vectors_dir / "sample-record.zip"), "--jobs", "1"], capsys
    )
    assert status == 1
    assert "V1   FAIL         manifest and election key" in out.splitlines()
    assert out.splitlines()[-1] == "NOT VERIFIED: V1 FAIL."
    assert "Results (as published; NOT verified):" in out.splitlines()


def test_json_report_to_a_file(
    vectors_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json OUT writes the whole report as canonical JSON."""
    target = tmp_path / "report.json"
    status, out, _ = run(
        [
            str(vectors_dir / "sample-record.zip"),
            "--allow-test-keys",
            "--json",
            str(target),
            "--jobs",
            "1",
        ],
        capsys,
    )
    assert status == 0
    assert out.splitlines()[-1] == "VERIFIED: every step passed."
    report = json.loads(target.read_text(encoding="utf-8"))
    assert report["verified"] is True
    assert report["steps"] == {f"V{i}": "PASS" for i in range(1, 10)}
    assert report["invalid_audits"] == {"19": "bad-opening"}
    assert report["receipt"] is None


def test_json_report_to_stdout(
    vectors_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json - prints only JSON on stdout; the readable report goes to stderr."""
    status, out, err = run(
        [str(vectors_dir / "sample-record.zip"), "--json", "-", "--jobs", "1"], capsys
    )
    assert status == 1
    report = json.loads(out)
    assert report["steps"]["V1"] == "FAIL"
    assert report["verified"] is False
    assert err.splitlines()[-1] == "NOT VERIFIED: V1 FAIL."


def test_folder_of_record_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The four files served one by one verify like the ZIP."""
    write_record_dir(tmp_path / "record", honest_election().files)
    status, out, _ = run(
        [str(tmp_path / "record"), "--allow-test-keys", "--jobs", "2"], capsys
    )
    assert status == 0
    assert out.splitlines()[-1] == "VERIFIED: every step passed."


def test_unreadable_record_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that is no ZIP gives a one-line error and exit status 2."""
    path = tmp_path / "record.zip"
    path.write_bytes(b"not a zip")
    status, out, err = run([str(path)], capsys)
    assert (status, out) == (2, "")
    assert err == (
        f"error: record {path} is unreadable: cannot read the record ZIP: "
        "File is not a zip file\n"
    )


def test_duplicate_member_names_exit_2(
    vectors_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ZIP holding two tally.json members is unreadable (SPEC §8)."""
    path = tmp_path / "record.zip"
    with zipfile.ZipFile(vectors_dir / "sample-record.zip") as source:
        members = [(name, source.read(name)) for name in source.namelist()]
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in [*members, ("tally.json", b"{}\n")]:
                archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    status, _, err = run([str(path), "--allow-test-keys"], capsys)
    assert status == 2
    assert err == (
        f"error: record {path} is unreadable: tally.json: the ZIP holds two "
        "members of this name\n"
    )


def test_missing_receipt_file_exits_2(
    vectors_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A receipt file that cannot be read is a one-line error."""
    missing = tmp_path / "receipt.json"
    status, _, err = run(
        [str(vectors_dir / "sample-record.zip"), "--receipt", str(missing)], capsys
    )
    assert status == 2
    assert err == (f"error: cannot read receipt {missing}: No such file or directory\n")


def test_runs_as_a_module_without_django(vectors_dir: Path) -> None:
    """python -m tally.verify runs with no Django settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "DJANGO_SETTINGS_MODULE"
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tally.verify",
            str(vectors_dir / "sample-record.zip"),
            "--allow-test-keys",
            "--jobs",
            "2",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "VERIFIED: every step passed."
    assert "django" not in result.stderr.lower()
