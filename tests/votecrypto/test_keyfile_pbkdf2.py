"""The PBKDF2-HMAC-SHA256 variant of the trustee key file (the browser's)."""

from pathlib import Path
from typing import Any

import pytest

from tally.trustee import main as trustee_main
from votecrypto.canonical import cjson_line, parse_json
from votecrypto.errors import CryptoCheckError, StructureError
from votecrypto.sharefile import (
    KDF_PBKDF2,
    KEY_FILE_FORMAT,
    MIN_PBKDF2_ITERATIONS,
    PBKDF2_ITERATIONS,
    TrusteeShare,
    generate_x25519_private_key,
    read_key_file,
    read_key_file_public_key,
    read_share_file,
    write_key_file,
    write_share_file,
    x25519_public_key,
)
from votecrypto.threshold import DecryptionShare, check_decryption_share, deal

PASSPHRASE = "Қазақ тілі ✓ correct horse"
SALT = bytes(range(16))
NONCE = bytes(range(12))
PRIVATE_KEY = bytes(range(32, 64))
UNREADABLE = "key_file: wrong passphrase or corrupted file"


@pytest.fixture(scope="module")
def sealed() -> bytes:
    """A PBKDF2 key file with a fixed salt and nonce."""
    return write_key_file(
        PRIVATE_KEY, PASSPHRASE, kdf=KDF_PBKDF2, salt=SALT, nonce=NONCE
    )


def test_layout(sealed: bytes) -> None:
    """The file is canonical JSON + LF: public key in clear, PBKDF2 parameters."""
    data = parse_json(sealed)
    assert sealed == cjson_line(data)
    assert {k: v for k, v in data.items() if k != "ciphertext"} == {
        "format": KEY_FILE_FORMAT,
        "public_key": x25519_public_key(PRIVATE_KEY).hex(),
        "kdf": {"algorithm": "pbkdf2-sha256", "salt": SALT.hex(), "iterations": 600000},
        "nonce": NONCE.hex(),
    }
    assert PBKDF2_ITERATIONS == MIN_PBKDF2_ITERATIONS == 600_000
    assert len(bytes.fromhex(data["ciphertext"])) == 32 + 16
    assert PRIVATE_KEY.hex() not in sealed.decode()


def test_round_trip(sealed: bytes) -> None:
    """The right passphrase (str or UTF-8 bytes) gives the private key back."""
    assert read_key_file(sealed, PASSPHRASE) == PRIVATE_KEY
    assert read_key_file(sealed.decode(), PASSPHRASE.encode()) == PRIVATE_KEY
    assert read_key_file_public_key(sealed) == x25519_public_key(PRIVATE_KEY)
    fresh = write_key_file(PRIVATE_KEY, PASSPHRASE, kdf=KDF_PBKDF2)
    assert parse_json(fresh)["kdf"]["salt"] != SALT.hex()
    assert read_key_file(fresh, PASSPHRASE) == PRIVATE_KEY


@pytest.mark.parametrize("wrong", ["", "Қазақ тілі ✓ correct hors", PASSPHRASE.upper()])
def test_wrong_passphrase(sealed: bytes, wrong: str) -> None:
    """A wrong passphrase gives the one message of every sealed file."""
    with pytest.raises(CryptoCheckError) as caught:
        read_key_file(sealed, wrong)
    assert str(caught.value) == UNREADABLE


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("public_key", x25519_public_key(bytes(32)).hex()),
        ("nonce", "00" * 12),
        ("ciphertext", "flip"),
        (
            "kdf",
            {"algorithm": "pbkdf2-sha256", "salt": "11" * 16, "iterations": 600000},
        ),
        (
            "kdf",
            {"algorithm": "pbkdf2-sha256", "salt": SALT.hex(), "iterations": 600001},
        ),
    ],
)
def test_tampered_field(sealed: bytes, field: str, value: Any) -> None:
    """Every field is authenticated: changing one reads as a wrong passphrase."""
    data = parse_json(sealed)
    if value == "flip":
        raw = bytearray(bytes.fromhex(data[field]))
        raw[-1] ^= 0x01
        value = raw.hex()
    data[field] = value
    with pytest.raises(CryptoCheckError) as caught:
        read_key_file(cjson_line(data), PASSPHRASE)
    assert str(caught.value) == UNREADABLE


@pytest.mark.parametrize(
    ("kdf", "message"),
    [
        (
            {"algorithm": "pbkdf2-sha256", "salt": SALT.hex(), "iterations": 599999},
            "key_file.kdf.iterations: PBKDF2 needs 600000…10000000 iterations",
        ),
        (
            {"algorithm": "pbkdf2-sha256", "salt": SALT.hex(), "iterations": 10**7 + 1},
            "key_file.kdf.iterations: PBKDF2 needs 600000…10000000 iterations",
        ),
        (
            {"algorithm": "pbkdf2-sha256", "salt": SALT.hex(), "iterations": "600000"},
            "key_file.kdf.iterations: expected an integer",
        ),
        (
            {
                "algorithm": "pbkdf2-sha256",
                "salt": SALT.hex(),
                "iterations": 600000,
                "n": 1,
            },
            "key_file.kdf: unknown key(s): n",
        ),
        (
            {"algorithm": "pbkdf2-sha256", "salt": SALT.hex()},
            "key_file.kdf: missing key(s): iterations",
        ),
        (
            {"algorithm": "pbkdf2-sha256", "salt": "00", "iterations": 600000},
            "key_file.kdf.salt: expected 16 bytes, got 1",
        ),
        (
            {"algorithm": "pbkdf2-sha512", "salt": SALT.hex(), "iterations": 600000},
            'key_file.kdf.algorithm: expected "scrypt" or "pbkdf2-sha256"',
        ),
        ({"salt": SALT.hex()}, "key_file.kdf: missing key(s): algorithm"),
        ("pbkdf2-sha256", "key_file.kdf: expected an object"),
    ],
)
def test_malformed_or_weak_kdf_is_refused(
    sealed: bytes, kdf: Any, message: str
) -> None:
    """Too few iterations and unknown variants or fields are refused by name."""
    data = parse_json(sealed)
    data["kdf"] = kdf
    with pytest.raises(StructureError) as caught:
        read_key_file(cjson_line(data), PASSPHRASE)
    assert str(caught.value) == message


def test_write_refuses_weak_iterations_and_unknown_kdf() -> None:
    """Writing refuses what reading would refuse."""
    with pytest.raises(StructureError, match="PBKDF2 needs"):
        write_key_file(PRIVATE_KEY, PASSPHRASE, kdf=KDF_PBKDF2, iterations=100_000)
    with pytest.raises(ValueError, match="unknown kdf"):
        write_key_file(PRIVATE_KEY, PASSPHRASE, kdf="argon2")
    with pytest.raises(ValueError, match="must not be empty"):
        write_key_file(PRIVATE_KEY, "", kdf=KDF_PBKDF2)


def test_share_files_stay_scrypt_only(vectors: dict[str, Any]) -> None:
    """A share file with a PBKDF2 kdf is refused: that variant is for key files."""
    key = vectors["key"]
    share = TrusteeShare(
        election_id="city-budget-2027",
        key_hash=key["key_hash"],
        index=2,
        n=int(key["n"], 16),
        threshold=2,
        count=3,
        v=int(key["v"], 16),
        vk=int(key["verification_keys"]["2"], 16),
        share=int(key["shares"]["2"], 16),
    )
    data = parse_json(write_share_file(share, PASSPHRASE, scrypt_n=2**4))
    data["kdf"] = {
        "algorithm": "pbkdf2-sha256",
        "salt": SALT.hex(),
        "iterations": 600000,
    }
    with pytest.raises(StructureError) as caught:
        read_share_file(cjson_line(data), PASSPHRASE)
    assert str(caught.value) == 'share_file.kdf.algorithm: expected "scrypt"'


def test_trustee_tool_reads_a_pbkdf2_key_file(
    vectors: dict[str, Any], tmp_path: Path
) -> None:
    """``python -m tally.trustee selftest`` opens a share box with a PBKDF2 key."""
    key = vectors["key"]
    private_key = generate_x25519_private_key()
    others = [generate_x25519_private_key() for _ in range(2)]
    output = deal(
        int(key["p"], 16),
        int(key["q"], 16),
        2,
        [x25519_public_key(k) for k in (private_key, *others)],
    )
    (tmp_path / "public.json").write_bytes(cjson_line(output.public.to_json()))
    (tmp_path / "share.json").write_bytes(cjson_line(output.boxes[0].to_json()))
    (tmp_path / "key.json").write_bytes(
        write_key_file(private_key, PASSPHRASE, kdf=KDF_PBKDF2)
    )
    (tmp_path / "pass.txt").write_text(PASSPHRASE + "\n", encoding="utf-8")
    status = trustee_main(
        [
            "selftest",
            "--share-file",
            str(tmp_path / "share.json"),
            "--key",
            str(tmp_path / "key.json"),
            "--passphrase-file",
            str(tmp_path / "pass.txt"),
            "--public",
            str(tmp_path / "public.json"),
            "--out",
            str(tmp_path / "test-share.json"),
        ]
    )
    assert status == 0
    public = output.public
    share = DecryptionShare.from_json(
        parse_json((tmp_path / "test-share.json").read_bytes())
    )
    trustees = public.trustees
    assert check_decryption_share(
        public.n,
        trustees.count,
        trustees.v,
        trustees.verification_keys[0].vk,
        public.key_hash,
        1,
        public.test.ciphertext,
        share,
    )
