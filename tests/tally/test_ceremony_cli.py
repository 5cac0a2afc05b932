"""The offline dealer CLI ``python -m tally.ceremony`` (SPEC §2.2)."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tally.ceremony import main
from votecrypto.canonical import cjson_line, parse_json
from votecrypto.sharefile import read_key_file, read_key_file_public_key
from votecrypto.threshold import (
    CeremonyPublic,
    ShareBox,
    check_ceremony_test,
    check_share,
    decrypt_share,
    make_ceremony_test_share,
)

REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = "a long passphrase"


def keygen(tmp_path: Path, name: str) -> Path:
    """Make a trustee key file through the CLI and return its path."""
    passphrase_file = tmp_path / "passphrase.txt"
    passphrase_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    out = tmp_path / name
    assert (
        main(["keygen", "--out", str(out), "--passphrase-file", str(passphrase_file)])
        == 0
    )
    return out


@pytest.fixture
def key_files(tmp_path: Path) -> list[Path]:
    """Three trustee key files made with ``keygen``."""
    return [keygen(tmp_path, f"key-{i}.json") for i in (1, 2, 3)]


@pytest.fixture
def trustees_file(tmp_path: Path, key_files: list[Path]) -> Path:
    """A trustees.json listing the three keys (in reverse order)."""
    entries = [
        {
            "index": i,
            "name": f"Trustee {'ABC'[i - 1]}",
            "x25519_public_key": read_key_file_public_key(path.read_bytes()).hex(),
        }
        for i, path in enumerate(key_files, start=1)
    ]
    path = tmp_path / "trustees.json"
    path.write_text(json.dumps(entries[::-1]), encoding="utf-8")
    return path


def deal_args(trustees: Path, out: Path, *extra: str, bits: str = "256") -> list[str]:
    """Return the argv of a test-key deal."""
    return [
        "--trustees",
        str(trustees),
        "--threshold",
        "2",
        "--bits",
        bits,
        "--allow-test-keys",
        "--out",
        str(out),
        *extra,
    ]


def test_keygen_writes_a_private_key_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """keygen writes a 0600 sealed key file and prints its public key."""
    path = keygen(tmp_path, "key.json")
    public_key = read_key_file_public_key(path.read_bytes())
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"wrote {path}"
    assert printed[1] == f"x25519_public_key: {public_key.hex()}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(read_key_file(path.read_bytes(), PASSPHRASE)) == 32


def test_keygen_pbkdf2_key_file_for_the_browser(tmp_path: Path) -> None:
    """--kdf pbkdf2 seals the key the way the browser's console opens it."""
    passphrase_file = tmp_path / "passphrase.txt"
    passphrase_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    out = tmp_path / "key.json"
    argv = ["keygen", "--out", str(out), "--passphrase-file", str(passphrase_file)]
    assert main([*argv, "--kdf", "pbkdf2"]) == 0
    sealed = json.loads(out.read_text(encoding="utf-8"))
    assert sealed["kdf"]["algorithm"] == "pbkdf2-sha256"
    assert len(read_key_file(out.read_bytes(), PASSPHRASE)) == 32
    default = tmp_path / "default.json"
    assert (
        main(
            ["keygen", "--out", str(default), "--passphrase-file", str(passphrase_file)]
        )
        == 0
    )
    assert (
        json.loads(default.read_text(encoding="utf-8"))["kdf"]["algorithm"] == "scrypt"
    )


def test_keygen_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An existing key file is never overwritten (exit 2, one line)."""
    path = keygen(tmp_path, "key.json")
    before = path.read_bytes()
    capsys.readouterr()
    code = main(
        [
            "keygen",
            "--out",
            str(path),
            "--passphrase-file",
            str(tmp_path / "passphrase.txt"),
        ]
    )
    assert code == 2
    assert (
        capsys.readouterr().err == f"error: {path}: already exists; not overwritten\n"
    )
    assert path.read_bytes() == before


def test_keygen_bad_passphrase_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing or empty passphrase file is a one-line error, nothing written."""
    missing = tmp_path / "missing.txt"
    out = tmp_path / "key.json"
    assert main(["keygen", "--out", str(out), "--passphrase-file", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"error: cannot read passphrase file {missing}: No such file or directory\n"
    )
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"\r\n")
    assert main(["keygen", "--out", str(out), "--passphrase-file", str(empty)]) == 2
    assert capsys.readouterr().err == f"error: {empty}: the passphrase is empty\n"
    assert not out.exists()


def test_deal_end_to_end(
    tmp_path: Path,
    trustees_file: Path,
    key_files: list[Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The dealt files let each trustee open its share and decrypt the test."""
    out = tmp_path / "ceremony"
    capsys.readouterr()
    assert main(deal_args(trustees_file, out)) == 0
    captured = capsys.readouterr()
    assert captured.err == "warning: bits(n) = 256: a TEST key, NOT secure\n"
    assert sorted(p.name for p in out.iterdir()) == [
        "public.json",
        "share-1.json",
        "share-2.json",
        "share-3.json",
    ]
    raw = (out / "public.json").read_bytes()
    data = parse_json(raw)
    assert raw == cjson_line(data)
    assert set(data) == {"public_key", "trustees", "key_hash", "ceremony_test"}
    assert set(data["public_key"]) == {"n", "key_proof"}
    assert set(data["trustees"]) == {"threshold", "count", "v", "verification_keys"}
    assert [e["name"] for e in data["trustees"]["verification_keys"]] == [
        "Trustee A",
        "Trustee B",
        "Trustee C",
    ]
    public = CeremonyPublic.from_json(data)
    public.check(allow_test_keys=True)
    assert public.n.bit_length() == 256
    assert (public.trustees.threshold, public.trustees.count) == (2, 3)
    assert f"key_hash: {public.key_hash}" in captured.out.splitlines()

    shares = []
    for i, key_file in enumerate(key_files, start=1):
        box_raw = (out / f"share-{i}.json").read_bytes()
        box = ShareBox.from_json(parse_json(box_raw))
        assert box_raw == cjson_line(box.to_json())
        assert box.index == i
        s_i = decrypt_share(
            public.n, box, read_key_file(key_file.read_bytes(), PASSPHRASE)
        )
        vk = public.trustees.verification_keys[i - 1].vk
        assert check_share(public.n, 3, public.trustees.v, vk, s_i)
        shares.append(make_ceremony_test_share(public, i, s_i))
    check_ceremony_test(public, shares[1:])
    check_ceremony_test(public, [shares[2], shares[0]])


def test_deal_via_python_m(tmp_path: Path, trustees_file: Path) -> None:
    """``python -m tally.ceremony`` runs as a module and exits 0."""
    out = tmp_path / "ceremony"
    result = subprocess.run(
        [sys.executable, "-m", "tally.ceremony", *deal_args(trustees_file, out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stderr
    assert (out / "public.json").is_file()


def test_deal_refuses_small_keys_without_flag(
    tmp_path: Path, trustees_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """bits < 2048 needs --allow-test-keys."""
    out = tmp_path / "ceremony"
    args = [
        a
        for a in deal_args(trustees_file, out, bits="1024")
        if a != "--allow-test-keys"
    ]
    capsys.readouterr()
    assert main(args) == 2
    assert capsys.readouterr().err == (
        "error: --bits: 1024 < 2048 makes a test key; "
        "pass --allow-test-keys to make one anyway\n"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("bits", "threshold", "message"),
    [
        ("257", "2", "--bits: need an even number ≥ 64"),
        ("32", "2", "--bits: need an even number ≥ 64"),
        ("256", "0", "--threshold: need 1 ≤ T ≤ 3 (the trustees)"),
        ("256", "4", "--threshold: need 1 ≤ T ≤ 3 (the trustees)"),
    ],
)
def test_deal_bad_numbers(
    tmp_path: Path,
    trustees_file: Path,
    capsys: pytest.CaptureFixture[str],
    bits: str,
    threshold: str,
    message: str,
) -> None:
    """Bad --bits and --threshold are one-line errors with exit status 2."""
    out = tmp_path / "ceremony"
    args = deal_args(trustees_file, out, bits=bits)
    args[args.index("--threshold") + 1] = threshold
    capsys.readouterr()
    assert main(args) == 2
    assert capsys.readouterr().err == f"error: {message}\n"
    assert not out.exists()


KEY_A = "11" * 32
KEY_B = "22" * 32
KEY_C = "ab" * 32


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "not valid JSON (Expecting value at 0)"),
        ("{}", "trustees: expected an array"),
        ("[]", "trustees: the list is empty"),
        (
            '[{"index": 1, "name": "A"}]',
            "trustees[0]: missing key(s): x25519_public_key",
        ),
        (
            f'[{{"index": 1, "name": "A", "x25519_public_key": "{KEY_A}", "e": 1}}]',
            "trustees[0]: unknown key(s): e",
        ),
        (
            f'[{{"index": 2, "name": "A", "x25519_public_key": "{KEY_A}"}}]',
            "trustees[0].index: integer 2 outside [1, 1]",
        ),
        (
            f'[{{"index": 1, "name": "A", "x25519_public_key": "{KEY_A}"}},'
            f' {{"index": 1, "name": "B", "x25519_public_key": "{KEY_B}"}}]',
            "trustees[1].index: duplicate index 1",
        ),
        (
            f'[{{"index": 1, "name": "A", "x25519_public_key": "{KEY_A}"}},'
            f' {{"index": 2, "name": "B", "x25519_public_key": "{KEY_A}"}}]',
            "trustees[1].x25519_public_key: used by another trustee",
        ),
        (
            '[{"index": 1, "name": "A", "x25519_public_key": "abcd"}]',
            "trustees[0].x25519_public_key: expected 32 bytes, got 2",
        ),
        (
            f'[{{"index": 1, "name": "A", "x25519_public_key": "{KEY_C.upper()}"}}]',
            "trustees[0].x25519_public_key: not canonical lowercase hex bytes: "
            f"'{KEY_C.upper()[:40]}'",
        ),
        (
            f'[{{"index": 1, "name": "A", "x25519_public_key": "{"00" * 32}"}}]',
            "trustees[0].x25519_public_key: not a usable X25519 key",
        ),
        (
            f'[{{"index": 1, "name": " ", "x25519_public_key": "{KEY_A}"}}]',
            "trustees[0].name: empty name",
        ),
        (
            f'[{{"index": true, "name": "A", "x25519_public_key": "{KEY_A}"}}]',
            "trustees[0].index: expected an integer",
        ),
        (
            '[{"index": 1, "name": "A", "name": "B", "x25519_public_key": "00"}]',
            "name: duplicate key",
        ),
    ],
)
def test_deal_bad_trustees_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    """Every problem in trustees.json is one line naming the field; exit 2."""
    trustees = tmp_path / "trustees.json"
    trustees.write_text(content, encoding="utf-8")
    out = tmp_path / "ceremony"
    args = deal_args(trustees, out)
    args[args.index("--threshold") + 1] = "1"
    capsys.readouterr()
    assert main(args) == 2
    assert capsys.readouterr().err == f"error: {trustees}: {message}\n"
    assert not out.exists()


def test_deal_missing_trustees_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A trustees file that cannot be read is a one-line error."""
    missing = tmp_path / "nope.json"
    capsys.readouterr()
    assert main(deal_args(missing, tmp_path / "out")) == 2
    assert capsys.readouterr().err == (
        f"error: cannot read trustees file {missing}: No such file or directory\n"
    )


def test_deal_refuses_a_non_empty_output_directory(
    tmp_path: Path, trustees_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An output directory with files in it is left alone (exit 2)."""
    out = tmp_path / "ceremony"
    out.mkdir()
    (out / "public.json").write_text("old", encoding="utf-8")
    capsys.readouterr()
    assert main(deal_args(trustees_file, out)) == 2
    assert (
        capsys.readouterr().err
        == f"error: {out}: exists and is not an empty directory\n"
    )
    assert [p.name for p in out.iterdir()] == ["public.json"]
    assert (out / "public.json").read_text(encoding="utf-8") == "old"


def test_deal_into_an_existing_empty_directory(
    tmp_path: Path, trustees_file: Path
) -> None:
    """An existing empty output directory is filled."""
    out = tmp_path / "ceremony"
    out.mkdir()
    assert main(deal_args(trustees_file, out)) == 0
    assert (out / "share-3.json").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".ceremony-")] == []


def test_deal_missing_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    """argparse reports missing options with exit status 2."""
    with pytest.raises(SystemExit) as caught:
        main(["--threshold", "2"])
    assert caught.value.code == 2
    assert "the following arguments are required" in capsys.readouterr().err
