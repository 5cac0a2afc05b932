"""``python -m petitions.verify``: output, exit codes and error lines."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from petitions.verify import main
from votecrypto import ed25519
from votecrypto.petition_log import PetitionLogWriter, text_hash

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO.parent / "shared" / "vectors"
LOG = str(VECTORS / "sample-petition-log.jsonl")
HEADS = str(VECTORS / "sample-petition-heads.jsonl")
RECEIPT = str(VECTORS / "sample-petition-receipt.json")
KEY = "b5a66ddaadb1d813558b62ed1845946b853f13615049661416c02ffb6396ed60"
PROG = "python -m petitions.verify"


def test_sample_passes_with_full_report(capsys: pytest.CaptureFixture[str]) -> None:
    """The sample petition verifies: exit 0 and every line of the report."""
    code = main([LOG, HEADS, "--log-key", KEY, "--receipt", RECEIPT, "--count", "4"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out == [
        "Petition clean-river-2027: 14 entries, closed",
        "PASS        log entries: 14 entries",
        "PASS        heads: 15 heads",
        "PASS        head signatures",
        "PASS        head roots",
        "PASS        time rules",
        "PASS        last head covers the log",
        "PASS        receipt: seq 1: counted",
        "PASS        claimed count: 4",
        "Count: 4",
        "Duplicates (never counted): 2 (seq 4, 12)",
        "Withdrawals: 2",
        "    seq 6: 6a36c48d694183b053b588aecbb679e12fc4d64fd43cf771f85013402bdaad2e",
        "    seq 10: 77a51f596d862f2d66fd78c62175db56bbae19dd6ca7cf52e600d44ff3c21e80",
        "Invalidations: 1",
        "    seq 8: 4c5a7afe5c88889b0e840674438330677488928f661d6576eab91bce93a9ebe8"
        " reason not-eligible",
        "Receipt status: counted (seq 1, commitment "
        "2cbaf7210c9174104573afb34ed84856dee9d440fde7c7440099f22ec09862e7)",
        "Result: VERIFIED",
    ]


def test_wrong_count_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """A claimed count that the log does not give fails with exit 1."""
    code = main([LOG, HEADS, "--log-key", KEY, "--count", "5"])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert "FAIL        claimed count" in out
    assert "    claimed 5, the log counts 4" in out
    assert out[-1] == "Result: NOT VERIFIED"


def test_tampered_log_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A log with an entry removed fails with exit 1."""
    lines = Path(LOG).read_bytes().splitlines(keepends=True)
    tampered = tmp_path / "log.jsonl"
    tampered.write_bytes(b"".join(lines[:3] + lines[4:]))
    code = main([str(tampered), HEADS, "--log-key", KEY])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert "FAIL        head roots" in out
    assert "    entries[3]: seq is 4, expected 3" in out


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints the whole report as one JSON document."""
    code = main([LOG, HEADS, "--log-key", KEY, "--receipt", RECEIPT, "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["verified"] is True
    assert report["result"]["count"] == 4
    assert report["result"]["duplicates"] == [4, 12]
    assert report["result"]["invalidations"] == [
        {
            "seq": 8,
            "commitment": "4c5a7afe5c88889b0e840674438330677488928f"
            "661d6576eab91bce93a9ebe8",
            "reason": "not-eligible",
        }
    ]
    assert report["receipt"]["status"] == "counted"
    assert [c["outcome"] for c in report["checks"]] == ["PASS"] * 7


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("xyz", "bad log key: --log-key: not canonical lowercase hex bytes: 'xyz'"),
        (KEY[:62], "bad log key: --log-key: expected 32 bytes, got 31"),
        (
            "01" + "00" * 31,
            "bad log key: --log-key: one of the eight points of small order",
        ),
    ],
)
def test_bad_key_exits_2(
    key: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A key that is not a valid Ed25519 key is a one-line error, exit 2."""
    code = main([LOG, HEADS, "--log-key", key])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err == f"{PROG}: error: {message}\n"


def test_missing_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unreadable log file is a one-line error, exit 2."""
    missing = str(tmp_path / "nope.jsonl")
    code = main([missing, HEADS, "--log-key", KEY])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == (
        f"{PROG}: error: cannot read log {missing!r}: No such file or directory\n"
    )


def test_receipt_not_json_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A receipt file that is not JSON is a one-line error, exit 2."""
    receipt = tmp_path / "r.json"
    receipt.write_text("{not json", encoding="utf-8")
    code = main([LOG, HEADS, "--log-key", KEY, "--receipt", str(receipt)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"{PROG}: error: receipt {str(receipt)!r} is not valid JSON")
    assert err.count("\n") == 1


def test_negative_count_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """A negative --count is refused by the argument parser with exit 2."""
    with pytest.raises(SystemExit) as caught:
        main([LOG, HEADS, "--log-key", KEY, "--count", "-1"])
    assert caught.value.code == 2
    assert (
        "argument --count: not a non-negative integer: '-1'" in capsys.readouterr().err
    )


def test_runs_as_module() -> None:
    """``python -m petitions.verify`` works without Django settings."""
    completed = subprocess.run(
        [sys.executable, "-m", "petitions.verify", LOG, HEADS, "--log-key", KEY],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[-1] == "Result: VERIFIED"
    assert "django" not in completed.stderr.lower()


def test_imports_no_django() -> None:
    """Importing the verifier loads no Django module (it needs only votecrypto)."""
    code = (
        "import sys, petitions.verify; "
        "print(any(m.startswith('django') for m in sys.modules))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout == "False\n"


def test_open_petition_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A log still open, without duplicates, prints zero counts and passes."""
    seed = bytes(range(32))
    writer = PetitionLogWriter("p-1")
    writer.open(text_hash("T", "B"), "2027-01-01T00:00:00Z")
    writer.sign("ab" * 32, "2027-01-01T00:01:00Z")
    writer.sign_head("2027-01-01T00:01:00Z", seed)
    (tmp_path / "log.jsonl").write_bytes(writer.log_jsonl())
    (tmp_path / "heads.jsonl").write_bytes(writer.heads_jsonl())
    key = ed25519.public_key_from_seed(seed).hex()
    args = [str(tmp_path / "log.jsonl"), str(tmp_path / "heads.jsonl")]
    code = main([*args, "--log-key", key])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0] == "Petition p-1: 2 entries, open (no close entry)"
    assert out[-5:] == [
        "Count: 1",
        "Duplicates (never counted): 0",
        "Withdrawals: 0",
        "Invalidations: 0",
        "Result: VERIFIED",
    ]
