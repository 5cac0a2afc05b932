"""``python -m tally.trustee``: a trustee decrypts what it recomputed itself."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tally.trustee import main
from tests.votecrypto.election_cases import (
    HONEST_RESULTS,
    honest_election,
    tampered_election,
)
from votecrypto.canonical import cjson_line, parse_json
from votecrypto.record import (
    build_record,
    jsonl_file,
    write_record_dir,
    write_record_zip,
)
from votecrypto.sharefile import write_key_file
from votecrypto.simulate import SimulatedRecord
from votecrypto.tally import (
    TallyBoard,
    TrusteeShares,
    assemble_tally,
    compute_tally,
    parse_board,
)
from votecrypto.verifier import verify_record

REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery staple"
FAST_SCRYPT = 2**10


@pytest.fixture(scope="module")
def election() -> SimulatedRecord:
    """The session's small honest election (closed board, three trustees)."""
    return honest_election()


@pytest.fixture(scope="module")
def trustee_files(
    election: SimulatedRecord, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A folder with each trustee's share box, sealed key file and passphrase."""
    folder = tmp_path_factory.mktemp("trustees")
    (folder / "passphrase.txt").write_text(PASSPHRASE + "\n", encoding="utf-8")
    for trustee in election.trustees:
        (folder / f"share-{trustee.index}.json").write_bytes(
            cjson_line(trustee.box.to_json())
        )
        (folder / f"key-{trustee.index}.json").write_bytes(
            write_key_file(trustee.x25519_private_key, PASSPHRASE, scrypt_n=FAST_SCRYPT)
        )
    return folder


@pytest.fixture(scope="module")
def record_dir(
    election: SimulatedRecord, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """manifest.json and the closed board.jsonl, as the server publishes them."""
    folder = tmp_path_factory.mktemp("record")
    write_record_dir(folder, election.files)
    (folder / "tally.json").unlink()
    return folder


def decrypt_args(
    trustees: Path,
    index: int,
    record: Path,
    out: Path,
    *,
    passphrase: Path | None = None,
) -> list[str]:
    """Return the command line of trustee ``index``'s decryption."""
    return [
        "decrypt",
        "--share-file",
        str(trustees / f"share-{index}.json"),
        "--key",
        str(trustees / f"key-{index}.json"),
        "--passphrase-file",
        str(passphrase or trustees / "passphrase.txt"),
        "--record-dir",
        str(record),
        "--out",
        str(out),
        "--jobs",
        "1",
    ]


def test_round_trip_dealer_trustees_combine_verify(
    election: SimulatedRecord,
    trustee_files: Path,
    record_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Trustees 2 and 3 decrypt; their shares combine into a tally that verifies."""
    zipped = tmp_path / "record.zip"
    write_record_zip(zipped, election.files)
    outputs = []
    for index, source in ((2, record_dir), (3, zipped)):
        out = tmp_path / f"shares-{index}.json"
        assert main(decrypt_args(trustee_files, index, source, out)) == 0
        printed = capsys.readouterr().out.splitlines()
        assert printed[-1] == f"trustee {index}: wrote 6 decryption shares to {out}"
        assert printed[2] == "counted ballots: 4 (0 invalid casts ignored)"
        outputs.append(TrusteeShares.from_json(parse_json(out.read_bytes())))
    assert [shares.index for shares in outputs] == [2, 3]
    entries = parse_board(election.entries)
    counting = compute_tally(election.manifest, entries)
    board = TallyBoard.from_json(election.tally["board"])
    assert outputs[0].board == board
    tally = assemble_tally(election.manifest, counting, board, outputs)
    assert tally.results() == HONEST_RESULTS
    files = build_record(
        election.manifest_json, election.entries, election.heads, tally.to_json()
    )
    report = verify_record(files, allow_test_keys=True, jobs=1)
    assert report.verified is True
    assert [s.index for s in tally.contests[0].options[0].shares] == [2, 3]


def test_wrong_passphrase(
    trustee_files: Path,
    record_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A wrong passphrase is a one-line error, and nothing is written."""
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase\n", encoding="utf-8")
    out = tmp_path / "shares.json"
    status = main(decrypt_args(trustee_files, 1, record_dir, out, passphrase=wrong))
    assert status == 2
    assert capsys.readouterr().err == (
        "error: the key file: wrong passphrase or corrupted file\n"
    )
    assert not out.exists()


def test_wrong_election(
    trustee_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A share dealt for another election is refused before any decryption."""
    other = tmp_path / "other"
    write_record_dir(other, tampered_election().record.files)
    out = tmp_path / "shares.json"
    assert main(decrypt_args(trustee_files, 1, other, out)) == 2
    # Both test elections use the session's key, so the box opens; the share
    # then fails the other election's verification key.
    assert capsys.readouterr().err == (
        "error: the share does not match trustee 1's verification key (wrong "
        "election, or a corrupted share)\n"
    )
    assert not out.exists()


def test_share_of_another_trustee(
    trustee_files: Path,
    record_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Trustee 1's key cannot open trustee 2's share box."""
    args = decrypt_args(trustee_files, 1, record_dir, tmp_path / "out.json")
    args[2] = str(trustee_files / "share-2.json")
    assert main(args) == 2
    assert capsys.readouterr().err == (
        "error: cannot open the share: it was not dealt for this election's key, "
        "the key file is not this trustee's, or the share file is corrupted\n"
    )


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (
            lambda box: {**box, "ciphertext": "00" + box["ciphertext"][2:]},
            "error: cannot open the share: it was not dealt for this election's "
            "key, the key file is not this trustee's, or the share file is "
            "corrupted\n",
        ),
        (
            lambda box: {**box, "nonce": "00"},
            "error: the share file is corrupted: share_box.nonce: expected 12 bytes, "
            "got 1\n",
        ),
    ],
)
def test_corrupted_share_file(
    corrupt: object,
    message: str,
    trustee_files: Path,
    record_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A damaged share box is reported in one line."""
    box = json.loads((trustee_files / "share-1.json").read_text(encoding="utf-8"))
    damaged = tmp_path / "share-1.json"
    damaged.write_bytes(cjson_line(corrupt(box)))  # type: ignore[operator]
    args = decrypt_args(trustee_files, 1, record_dir, tmp_path / "out.json")
    args[2] = str(damaged)
    assert main(args) == 2
    assert capsys.readouterr().err == message


def test_truncated_share_file(
    trustee_files: Path,
    record_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A share file that is not JSON is reported as corrupted."""
    damaged = tmp_path / "share-1.json"
    damaged.write_bytes((trustee_files / "share-1.json").read_bytes()[:40])
    args = decrypt_args(trustee_files, 1, record_dir, tmp_path / "out.json")
    args[2] = str(damaged)
    assert main(args) == 2
    assert capsys.readouterr().err.startswith(
        "error: the share file is corrupted: not valid JSON"
    )


def test_refuses_a_board_without_close(
    election: SimulatedRecord,
    trustee_files: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An open board is never decrypted: its aggregates are not final."""
    folder = tmp_path / "open"
    write_record_dir(folder, election.files)
    (folder / "board.jsonl").write_bytes(jsonl_file(election.entries[:-1]))
    out = tmp_path / "shares.json"
    assert main(decrypt_args(trustee_files, 1, folder, out)) == 2
    assert capsys.readouterr().err == (
        "error: refusing to decrypt: the board has no close entry\n"
    )
    assert not out.exists()


def test_missing_board(
    trustee_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder without board.jsonl is refused."""
    folder = tmp_path / "empty"
    folder.mkdir()
    assert main(decrypt_args(trustee_files, 1, folder, tmp_path / "out.json")) == 2
    assert capsys.readouterr().err == (
        f"error: {folder} must hold manifest.json and board.jsonl\n"
    )


def test_ceremony_selftest(
    election: SimulatedRecord,
    trustee_files: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Trustees 1 and 3 decrypt the test ciphertext; their shares check."""
    public = tmp_path / "public.json"
    public.write_bytes(cjson_line(election.dealer.public.to_json()))
    outputs = []
    for index in (3, 1):
        out = tmp_path / f"test-{index}.json"
        status = main(
            [
                "selftest",
                "--share-file",
                str(trustee_files / f"share-{index}.json"),
                "--key",
                str(trustee_files / f"key-{index}.json"),
                "--passphrase-file",
                str(trustee_files / "passphrase.txt"),
                "--public",
                str(public),
                "--out",
                str(out),
            ]
        )
        assert status == 0
        outputs.append(str(out))
    capsys.readouterr()
    assert main(["selftest-check", "--public", str(public), *outputs]) == 0
    plaintext = election.dealer.public.test.plaintext
    assert capsys.readouterr().out == (
        "the ceremony test passed: 2 shares decrypt the test ciphertext to "
        f"{plaintext}\n"
    )
    assert main(["selftest-check", "--public", str(public), outputs[0]]) == 2
    assert capsys.readouterr().err == (
        "error: the ceremony test FAILED: shares: need 2 shares, got 1\n"
    )


def test_selftest_checks_the_opening_first(
    election: SimulatedRecord,
    trustee_files: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A test ciphertext that is not Enc(M; r) is never decrypted."""
    public_json = copy.deepcopy(election.dealer.public.to_json())
    public_json["ceremony_test"]["plaintext"] += 1
    public = tmp_path / "public.json"
    public.write_bytes(cjson_line(public_json))
    out = tmp_path / "test.json"
    status = main(
        [
            "selftest",
            "--share-file",
            str(trustee_files / "share-1.json"),
            "--key",
            str(trustee_files / "key-1.json"),
            "--passphrase-file",
            str(trustee_files / "passphrase.txt"),
            "--public",
            str(public),
            "--out",
            str(out),
        ]
    )
    assert status == 2
    assert capsys.readouterr().err == (
        "error: refusing to decrypt the test ciphertext: "
        "ceremony_test.ciphertext: is not Enc(plaintext; randomness)\n"
    )
    assert not out.exists()


def test_tools_import_no_django() -> None:
    """tally.verify and tally.trustee run without Django (no settings, no apps)."""
    code = (
        "import sys, tally.verify, tally.trustee; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout == "[]\n"
