"""Passphrase-sealed trustee share and key files."""

import dataclasses
from typing import Any

import pytest

from votecrypto import sharefile
from votecrypto.canonical import cjson_line, hex_int, parse_json
from votecrypto.errors import (
    CryptoCheckError,
    EncodingError,
    JsonSyntaxError,
    StructureError,
)
from votecrypto.sharefile import (
    KEY_FILE_FORMAT,
    SCRYPT_N,
    SHARE_FILE_FORMAT,
    TrusteeShare,
    generate_x25519_private_key,
    read_key_file,
    read_key_file_public_key,
    read_share_file,
    write_key_file,
    write_share_file,
    x25519_public_key,
)

FAST = 2**4
"""A low scrypt cost for tests (production uses 2^15)."""

PASSPHRASE = "correct horse battery staple"
SALT = bytes(range(16))
NONCE = bytes(range(12))


def h(value: str) -> int:
    """Read a vector's hex string."""
    return int(value, 16)


@pytest.fixture(scope="module")
def share(vectors: dict[str, Any]) -> TrusteeShare:
    """Trustee 2's share of the vectors' key."""
    key = vectors["key"]
    return TrusteeShare(
        election_id="city-budget-2027",
        key_hash=key["key_hash"],
        index=2,
        n=h(key["n"]),
        threshold=2,
        count=3,
        v=h(key["v"]),
        vk=h(key["verification_keys"]["2"]),
        share=h(key["shares"]["2"]),
    )


@pytest.fixture(scope="module")
def sealed(share: TrusteeShare) -> bytes:
    """The share file with a fixed salt and nonce at test cost."""
    return write_share_file(share, PASSPHRASE, scrypt_n=FAST, salt=SALT, nonce=NONCE)


def test_share_file_layout(sealed: bytes, share: TrusteeShare) -> None:
    """The file is canonical JSON + LF with the public fields in clear."""
    data = parse_json(sealed)
    assert sealed == cjson_line(data)
    assert {k: v for k, v in data.items() if k not in {"ciphertext"}} == {
        "format": SHARE_FILE_FORMAT,
        "election_id": "city-budget-2027",
        "key_hash": share.key_hash,
        "index": 2,
        "n": hex_int(share.n),
        "threshold": 2,
        "count": 3,
        "v": hex_int(share.v),
        "vk": hex_int(share.vk),
        "kdf": {"algorithm": "scrypt", "salt": SALT.hex(), "n": FAST, "r": 8, "p": 1},
        "nonce": NONCE.hex(),
    }
    # AES-GCM: ciphertext = len(ASCII hex(s_i)) + 16-byte tag; no plain share.
    assert len(bytes.fromhex(data["ciphertext"])) == len(hex_int(share.share)) + 16
    assert hex_int(share.share).encode() not in sealed


def test_share_file_round_trip(sealed: bytes, share: TrusteeShare) -> None:
    """The right passphrase gives back the same share and metadata."""
    assert read_share_file(sealed, PASSPHRASE) == share
    assert read_share_file(sealed.decode(), PASSPHRASE.encode()) == share


def test_share_file_default_cost_and_random_salt(share: TrusteeShare) -> None:
    """By default the production cost is used and salt and nonce are fresh."""
    first = write_share_file(share, PASSPHRASE)
    second = write_share_file(share, PASSPHRASE)
    kdf = parse_json(first)["kdf"]
    assert (kdf["n"], kdf["r"], kdf["p"]) == (SCRYPT_N, 8, 1) == (2**15, 8, 1)
    assert kdf["salt"] != parse_json(second)["kdf"]["salt"]
    assert parse_json(first)["nonce"] != parse_json(second)["nonce"]
    assert read_share_file(first, PASSPHRASE) == share


def test_repr_hides_the_share(share: TrusteeShare) -> None:
    """The secret share never appears in a repr (logs, tracebacks)."""
    assert str(share.share) not in repr(share)
    assert "share=" not in repr(share)


@pytest.mark.parametrize(
    "wrong", ["", "correct horse battery stapl", "Correct horse battery staple"]
)
def test_wrong_passphrase(sealed: bytes, wrong: str) -> None:
    """A wrong passphrase gives one clear message."""
    with pytest.raises(CryptoCheckError) as caught:
        read_share_file(sealed, wrong)
    assert str(caught.value) == "share_file: wrong passphrase or corrupted file"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("election_id", "other-election"),
        ("key_hash", "00" * 32),
        ("index", 1),
        ("n", "3"),
        ("threshold", 3),
        ("count", 4),
        ("v", "5"),
        ("vk", "7"),
        ("nonce", "00" * 12),
        ("ciphertext", "flip"),
        ("kdf", {"algorithm": "scrypt", "salt": "11" * 16, "n": FAST, "r": 8, "p": 1}),
        (
            "kdf",
            {"algorithm": "scrypt", "salt": SALT.hex(), "n": 2 * FAST, "r": 8, "p": 1},
        ),
    ],
)
def test_tampered_field_makes_the_file_unreadable(
    sealed: bytes, field: str, value: Any
) -> None:
    """Changing any field (all are authenticated) fails like a wrong passphrase."""
    data = parse_json(sealed)
    if value == "flip":
        raw = bytearray(bytes.fromhex(data[field]))
        raw[0] ^= 0x80
        value = raw.hex()
    data[field] = value
    with pytest.raises(CryptoCheckError) as caught:
        read_share_file(cjson_line(data), PASSPHRASE)
    assert str(caught.value) == "share_file: wrong passphrase or corrupted file"


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [
        (lambda d: d.pop("vk"), StructureError, "share_file: missing key(s): vk"),
        (
            lambda d: d.update(share="1"),
            StructureError,
            "share_file: unknown key(s): share",
        ),
        (
            lambda d: d.update(format="x/1"),
            StructureError,
            "share_file.format: expected 'dauys-trustee-share/1'",
        ),
        (
            lambda d: d.update(index=4),
            StructureError,
            "share_file.index: integer 4 outside [1, 3]",
        ),
        (
            lambda d: d.update(index="2"),
            StructureError,
            "share_file.index: expected an integer",
        ),
        (
            lambda d: d.update(election_id="Bad Id"),
            EncodingError,
            "share_file.election_id: not a valid identifier: 'Bad Id'",
        ),
        (lambda d: d.update(n="0" + d["n"]), EncodingError, None),
        (
            lambda d: d.update(key_hash="00"),
            StructureError,
            "share_file.key_hash: expected 32 bytes, got 1",
        ),
        (
            lambda d: d.update(nonce="00"),
            StructureError,
            "share_file.nonce: expected 12 bytes, got 1",
        ),
        (
            lambda d: d["kdf"].update(algorithm="argon2"),
            StructureError,
            'share_file.kdf.algorithm: expected "scrypt"',
        ),
        (
            lambda d: d["kdf"].update(n=1000),
            StructureError,
            "share_file.kdf.n: scrypt N must be a power of two ≤ 2^20",
        ),
        (
            lambda d: d["kdf"].update(n=2**21),
            StructureError,
            "share_file.kdf.n: scrypt N must be a power of two ≤ 2^20",
        ),
        (
            lambda d: d["kdf"].update(r=64),
            StructureError,
            "share_file.kdf: scrypt r or p out of range",
        ),
        (
            lambda d: d["kdf"].update(n=2**20, r=16),
            StructureError,
            "share_file.kdf: scrypt parameters need too much memory",
        ),
    ],
)
def test_malformed_fields_are_named(
    sealed: bytes, mutate: Any, error: type[Exception], message: str | None
) -> None:
    """Bad structure is reported with the field before any key derivation."""
    data = parse_json(sealed)
    mutate(data)
    with pytest.raises(error) as caught:
        read_share_file(cjson_line(data), PASSPHRASE)
    if message is not None:
        assert str(caught.value) == message


@pytest.mark.parametrize(
    "content", [b"", b"{", b"\xef\xbb\xbf{}", b'{"a":1.5}', b"[]", b"not json"]
)
def test_corrupted_json(content: bytes) -> None:
    """Content that is not strict JSON, or not an object, is rejected."""
    with pytest.raises((JsonSyntaxError, StructureError)):
        read_share_file(content, PASSPHRASE)


def test_share_not_matching_vk_is_rejected_on_read(share: TrusteeShare) -> None:
    """A correctly sealed file whose share does not match vk is refused."""
    forged = dataclasses.replace(share, share=share.share + 1)
    content = sharefile._seal(
        forged.header_json(),
        hex_int(forged.share).encode("ascii"),
        PASSPHRASE,
        scrypt_n=FAST,
        salt=None,
        nonce=None,
    )
    with pytest.raises(CryptoCheckError) as caught:
        read_share_file(content, PASSPHRASE)
    assert (
        str(caught.value)
        == "share_file.share: the share does not match the verification key vk"
    )


def test_non_canonical_sealed_share_is_rejected(share: TrusteeShare) -> None:
    """A sealed share spelled with a leading zero is an encoding error."""
    content = sharefile._seal(
        share.header_json(),
        b"0" + hex_int(share.share).encode("ascii"),
        PASSPHRASE,
        scrypt_n=FAST,
        salt=None,
        nonce=None,
    )
    with pytest.raises(EncodingError, match=r"^share_file\.share: not canonical"):
        read_share_file(content, PASSPHRASE)


def test_write_refuses_bad_shares(share: TrusteeShare) -> None:
    """Writing refuses a mismatching share, bad metadata and an empty passphrase."""
    with pytest.raises(ValueError, match="does not match its verification key"):
        write_share_file(dataclasses.replace(share, share=1), PASSPHRASE, scrypt_n=FAST)
    with pytest.raises(ValueError, match="1 ≤ index ≤ ℓ"):
        write_share_file(dataclasses.replace(share, index=4), PASSPHRASE, scrypt_n=FAST)
    with pytest.raises(EncodingError, match="election_id"):
        write_share_file(
            dataclasses.replace(share, election_id="X"), PASSPHRASE, scrypt_n=FAST
        )
    with pytest.raises(ValueError, match="must not be empty"):
        write_share_file(share, "", scrypt_n=FAST)
    with pytest.raises(StructureError, match="power of two"):
        write_share_file(share, PASSPHRASE, scrypt_n=1000)


def test_unicode_passphrase(share: TrusteeShare) -> None:
    """A non-ASCII passphrase works and is used as UTF-8 bytes, unnormalised."""
    content = write_share_file(share, "Қазақ тілі ✓", scrypt_n=FAST)
    assert read_share_file(content, "Қазақ тілі ✓".encode()) == share
    with pytest.raises(CryptoCheckError):
        read_share_file(content, "Қазақ тілі ✓".upper())


# ---------------------------------------------------------------- key files


def test_key_file_round_trip() -> None:
    """A key file opens to its private key; its public key needs no passphrase."""
    private_key = generate_x25519_private_key()
    content = write_key_file(private_key, PASSPHRASE, scrypt_n=FAST)
    data = parse_json(content)
    assert set(data) == {"format", "public_key", "kdf", "nonce", "ciphertext"}
    assert data["format"] == KEY_FILE_FORMAT
    assert read_key_file_public_key(content) == x25519_public_key(private_key)
    assert read_key_file(content, PASSPHRASE) == private_key
    assert private_key.hex() not in content.decode()


def test_key_file_known_public_key(vectors: dict[str, Any]) -> None:
    """The public key of the vectors' trustee private key is the vectors' one."""
    data = vectors["share_encryption"]
    private_key = bytes.fromhex(data["trustee_private_key"])
    assert x25519_public_key(private_key).hex() == data["trustee_public_key"]
    content = write_key_file(private_key, PASSPHRASE, scrypt_n=FAST)
    assert read_key_file_public_key(content).hex() == data["trustee_public_key"]


def test_key_file_wrong_passphrase_and_tampering() -> None:
    """A wrong passphrase or a swapped public key makes the file unreadable."""
    private_key = generate_x25519_private_key()
    content = write_key_file(private_key, PASSPHRASE, scrypt_n=FAST)
    with pytest.raises(CryptoCheckError) as caught:
        read_key_file(content, "nope")
    assert str(caught.value) == "key_file: wrong passphrase or corrupted file"
    data = parse_json(content)
    data["public_key"] = x25519_public_key(generate_x25519_private_key()).hex()
    with pytest.raises(CryptoCheckError, match="wrong passphrase or corrupted file"):
        read_key_file(cjson_line(data), PASSPHRASE)


def test_key_file_rejects_share_files(sealed: bytes) -> None:
    """A share file is not a key file (and the reverse)."""
    with pytest.raises(
        StructureError, match=r"^key_file: missing key\(s\): public_key"
    ):
        read_key_file_public_key(sealed)
    key_content = write_key_file(
        generate_x25519_private_key(), PASSPHRASE, scrypt_n=FAST
    )
    with pytest.raises(StructureError, match=r"^share_file: missing key\(s\)"):
        read_share_file(key_content, PASSPHRASE)


def test_key_file_with_mismatched_public_key_is_rejected() -> None:
    """A correctly sealed key file whose clear public key is wrong is refused."""
    private_key = generate_x25519_private_key()
    other = x25519_public_key(generate_x25519_private_key())
    content = sharefile._seal(
        {"format": KEY_FILE_FORMAT, "public_key": other.hex()},
        private_key,
        PASSPHRASE,
        scrypt_n=FAST,
        salt=None,
        nonce=None,
    )
    with pytest.raises(CryptoCheckError) as caught:
        read_key_file(content, PASSPHRASE)
    assert str(caught.value) == "key_file.public_key: does not match the private key"


def test_x25519_public_key_rejects_wrong_length() -> None:
    """A private key must have 32 bytes."""
    with pytest.raises(ValueError, match="32 bytes"):
        x25519_public_key(b"x" * 31)
