"""Trustee files protected at rest by a passphrase (SPEC §2.2 steps 6–7).

Two kinds of file, both canonical JSON plus LF, both sealed the same way:
a key from ``scrypt(passphrase, salt)`` (production cost ``N = 2^15``,
``r = 8``, ``p = 1``) encrypts the secret with AES-256-GCM under a random
96-bit nonce, and the whole file except ``ciphertext`` is the additional
data, so that changing any field makes the file unreadable.

A key file may instead derive its key with PBKDF2-HMAC-SHA256
(``{"algorithm": "pbkdf2-sha256", "salt", "iterations"}``, at least
600,000 iterations): WebCrypto has PBKDF2 but not scrypt, so this is the
variant the browser's trustee console writes and reads.  Both tools read
both variants of a key file; a share file is scrypt only.

* A **share file** holds trustee ``i``'s share ``s_i`` (decrypted from its
  :class:`~votecrypto.threshold.ShareBox`) together with what identifies and
  checks it: ``election_id``, ``key_hash``, ``index``, ``n``, ``t``, ``ℓ``,
  ``v`` and ``v_i``.
* A **key file** holds a trustee's X25519 private key, with its public key
  in clear so that the trustee can register it with the dealer.

These formats are local to the trustees' tools, not part of the record.
"""

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from votecrypto.canonical import (
    Json,
    cjson,
    cjson_line,
    expect_int,
    expect_object,
    expect_str,
    hex_bytes,
    hex_int,
    parse_hex_bytes,
    parse_hex_int,
    parse_identifier,
    parse_json,
)
from votecrypto.errors import CryptoCheckError, EncodingError, StructureError
from votecrypto.threshold import check_share

__all__ = [
    "KDF_PBKDF2",
    "KDF_SCRYPT",
    "KEY_FILE_FORMAT",
    "MAX_PBKDF2_ITERATIONS",
    "MIN_PBKDF2_ITERATIONS",
    "OPEN_FAILED",
    "PBKDF2_ITERATIONS",
    "SCRYPT_N",
    "SCRYPT_P",
    "SCRYPT_R",
    "SHARE_FILE_FORMAT",
    "TrusteeShare",
    "generate_x25519_private_key",
    "read_key_file",
    "read_key_file_public_key",
    "read_share_file",
    "write_key_file",
    "write_share_file",
    "x25519_public_key",
]

SHARE_FILE_FORMAT = "dauys-trustee-share/1"
"""The ``format`` value of a share file."""

KEY_FILE_FORMAT = "dauys-trustee-x25519/1"
"""The ``format`` value of a trustee key file."""

SCRYPT_N = 2**15
"""Production scrypt cost ``N`` (32 MiB of memory with ``r = 8``)."""
SCRYPT_R = 8
"""scrypt block size ``r``."""
SCRYPT_P = 1
"""scrypt parallelism ``p``."""

KDF_SCRYPT = "scrypt"
"""``kdf.algorithm`` of the scrypt variant (share and key files)."""
KDF_PBKDF2 = "pbkdf2-sha256"
"""``kdf.algorithm`` of the PBKDF2-HMAC-SHA256 variant (key files only)."""

PBKDF2_ITERATIONS = 600_000
"""Iterations written by default (OWASP's 2023 figure for PBKDF2-HMAC-SHA256)."""
MIN_PBKDF2_ITERATIONS = 600_000
"""Fewest iterations a PBKDF2 key file may use: fewer are refused on reading."""
MAX_PBKDF2_ITERATIONS = 10_000_000
"""Most iterations accepted, so that a file cannot make opening it hang."""

OPEN_FAILED = "wrong passphrase or corrupted file"
"""The message of every failure to open a sealed file."""

_SALT_BYTES = 16
_NONCE_BYTES = 12
_KEY_BYTES = 32
_MAX_SCRYPT_N = 2**20
_MAX_SCRYPT_R = 16
_MAX_SCRYPT_P = 4
_MAX_SCRYPT_MEMORY = 2**30


# ---------------------------------------------------------------- sealing


def _check_scrypt_cost(n: int, r: int, p: int, name: str) -> None:
    """Require a power-of-two ``n`` and bounded memory, naming ``name``."""
    if n < 2 or n > _MAX_SCRYPT_N or n & (n - 1):
        raise StructureError(f"{name}.n", "scrypt N must be a power of two ≤ 2^20")
    if not 1 <= r <= _MAX_SCRYPT_R or not 1 <= p <= _MAX_SCRYPT_P:
        raise StructureError(name, "scrypt r or p out of range")
    if 128 * n * r * p > _MAX_SCRYPT_MEMORY:
        raise StructureError(name, "scrypt parameters need too much memory")


def _passphrase_bytes(passphrase: str | bytes) -> bytes:
    """Return the passphrase as bytes (a ``str`` as UTF-8, not normalised)."""
    return passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase


def _check_pbkdf2_iterations(iterations: int, name: str) -> None:
    """Require ``MIN_PBKDF2_ITERATIONS ≤ iterations ≤ MAX_PBKDF2_ITERATIONS``."""
    if not MIN_PBKDF2_ITERATIONS <= iterations <= MAX_PBKDF2_ITERATIONS:
        raise StructureError(
            f"{name}.iterations",
            f"PBKDF2 needs {MIN_PBKDF2_ITERATIONS}…{MAX_PBKDF2_ITERATIONS} iterations",
        )


def _derive(passphrase: str | bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    """Return the 32-byte AES key ``scrypt(passphrase, salt, N, r, p)``."""
    return Scrypt(salt=salt, length=_KEY_BYTES, n=n, r=r, p=p).derive(
        _passphrase_bytes(passphrase)
    )


def _derive_pbkdf2(passphrase: str | bytes, salt: bytes, iterations: int) -> bytes:
    """Return the 32-byte AES key ``PBKDF2-HMAC-SHA256(passphrase, salt, c)``."""
    return PBKDF2HMAC(
        algorithm=hashes.SHA256(), length=_KEY_BYTES, salt=salt, iterations=iterations
    ).derive(_passphrase_bytes(passphrase))


def _seal(
    header: Mapping[str, Json],
    secret: bytes,
    passphrase: str | bytes,
    *,
    scrypt_n: int,
    salt: bytes | None,
    nonce: bytes | None,
    kdf: str = KDF_SCRYPT,
    iterations: int = PBKDF2_ITERATIONS,
) -> bytes:
    """Return the sealed file: ``header`` plus ``kdf``, ``nonce``, ``ciphertext``.

    ``kdf`` is :data:`KDF_SCRYPT` (cost ``scrypt_n``) or :data:`KDF_PBKDF2`
    (``iterations``).
    """
    if not _passphrase_bytes(passphrase):
        raise ValueError("the passphrase must not be empty")
    salt = secrets.token_bytes(_SALT_BYTES) if salt is None else salt
    nonce = secrets.token_bytes(_NONCE_BYTES) if nonce is None else nonce
    if len(salt) != _SALT_BYTES or len(nonce) != _NONCE_BYTES:
        raise ValueError("salt has 16 bytes and nonce 12")
    obj: dict[str, Json] = dict(header)
    if kdf == KDF_SCRYPT:
        _check_scrypt_cost(scrypt_n, SCRYPT_R, SCRYPT_P, "kdf")
        obj["kdf"] = {
            "algorithm": KDF_SCRYPT,
            "salt": hex_bytes(salt),
            "n": scrypt_n,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
        }
        key = _derive(passphrase, salt, scrypt_n, SCRYPT_R, SCRYPT_P)
    elif kdf == KDF_PBKDF2:
        _check_pbkdf2_iterations(iterations, "kdf")
        obj["kdf"] = {
            "algorithm": KDF_PBKDF2,
            "salt": hex_bytes(salt),
            "iterations": iterations,
        }
        key = _derive_pbkdf2(passphrase, salt, iterations)
    else:
        raise ValueError(f"unknown kdf {kdf!r}")
    obj["nonce"] = hex_bytes(nonce)
    obj["ciphertext"] = hex_bytes(AESGCM(key).encrypt(nonce, secret, cjson(obj)))
    return cjson_line(obj)


def _parse_file(data: bytes | str, name: str, keys: tuple[str, ...]) -> dict[str, Json]:
    """Parse a sealed file strictly with exactly ``keys`` plus the sealing keys."""
    value = parse_json(data)
    obj = expect_object(value, name, (*keys, "kdf", "nonce", "ciphertext"))
    return dict(obj)


def _kdf_key(
    value: Json, passphrase: str | bytes, name: str, algorithms: tuple[str, ...]
) -> Callable[[], bytes]:
    """Parse ``kdf`` strictly for one of ``algorithms``; return the key's maker.

    Every field is checked before any (slow) key derivation starts.
    """
    field = f"{name}.kdf"
    if not isinstance(value, dict):
        raise StructureError(field, "expected an object")
    if "algorithm" not in value:
        raise StructureError(field, "missing key(s): algorithm")
    algorithm = value["algorithm"]
    if algorithm not in algorithms:
        expected = " or ".join(f'"{known}"' for known in algorithms)
        raise StructureError(f"{field}.algorithm", f"expected {expected}")
    if algorithm == KDF_PBKDF2:
        kdf = expect_object(value, field, ("algorithm", "salt", "iterations"))
        salt = parse_hex_bytes(kdf["salt"], f"{field}.salt", _SALT_BYTES)
        iterations = expect_int(kdf["iterations"], f"{field}.iterations", 1)
        _check_pbkdf2_iterations(iterations, field)
        return lambda: _derive_pbkdf2(passphrase, salt, iterations)
    kdf = expect_object(value, field, ("algorithm", "salt", "n", "r", "p"))
    salt = parse_hex_bytes(kdf["salt"], f"{field}.salt", _SALT_BYTES)
    n = expect_int(kdf["n"], f"{field}.n", 2)
    r = expect_int(kdf["r"], f"{field}.r", 1)
    p = expect_int(kdf["p"], f"{field}.p", 1)
    _check_scrypt_cost(n, r, p, field)
    return lambda: _derive(passphrase, salt, n, r, p)


def _open(
    obj: Mapping[str, Json],
    passphrase: str | bytes,
    name: str,
    algorithms: tuple[str, ...] = (KDF_SCRYPT,),
) -> bytes:
    """Return the secret of a parsed sealed file, or raise on a bad passphrase."""
    derive = _kdf_key(obj["kdf"], passphrase, name, algorithms)
    nonce = parse_hex_bytes(obj["nonce"], f"{name}.nonce", _NONCE_BYTES)
    ciphertext = parse_hex_bytes(obj["ciphertext"], f"{name}.ciphertext")
    header = {key: value for key, value in obj.items() if key != "ciphertext"}
    key = derive()
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, cjson(header))
    except InvalidTag as exc:
        raise CryptoCheckError(name, OPEN_FAILED) from exc


def _expect_format(value: Json, expected: str, name: str) -> None:
    """Require the ``format`` field to be ``expected``."""
    if expect_str(value, f"{name}.format") != expected:
        raise StructureError(f"{name}.format", f"expected {expected!r}")


# ---------------------------------------------------------------- share files


@dataclass(frozen=True, slots=True)
class TrusteeShare:
    """A trustee's share with what identifies and checks it (SPEC §2.2)."""

    election_id: str
    """The election this share decrypts for."""
    key_hash: str
    """The ceremony's ``key_hash`` (64 hex digits, SPEC §2.2 step 7)."""
    index: int
    """``i``: the trustee's index, 1…ℓ."""
    n: int
    """The Paillier modulus."""
    threshold: int
    """``t``."""
    count: int
    """``ℓ``."""
    v: int
    """``v`` of SPEC §2.2 step 5."""
    vk: int
    """``v_i``, the trustee's verification key."""
    share: int = field(repr=False)
    """``s_i``: secret."""

    def matches_vk(self) -> bool:
        """Return whether ``v^(Δ·s_i) ≡ v_i`` (SPEC §2.2 step 6)."""
        return check_share(self.n, self.count, self.v, self.vk, self.share)

    def header_json(self) -> dict[str, Json]:
        """Return the public fields as the file stores them."""
        return {
            "format": SHARE_FILE_FORMAT,
            "election_id": self.election_id,
            "key_hash": self.key_hash,
            "index": self.index,
            "n": hex_int(self.n),
            "threshold": self.threshold,
            "count": self.count,
            "v": hex_int(self.v),
            "vk": hex_int(self.vk),
        }


_SHARE_HEADER_KEYS = (
    "format",
    "election_id",
    "key_hash",
    "index",
    "n",
    "threshold",
    "count",
    "v",
    "vk",
)


def write_share_file(
    share: TrusteeShare,
    passphrase: str | bytes,
    *,
    scrypt_n: int = SCRYPT_N,
    salt: bytes | None = None,
    nonce: bytes | None = None,
) -> bytes:
    """Return the bytes of a share file sealing ``share.share``.

    ``scrypt_n`` stays at its default outside tests; ``salt`` and ``nonce``
    are random unless injected for a known-answer test.  A share that does
    not match its ``vk`` is refused (``ValueError``).
    """
    parse_identifier(share.election_id, "election_id")
    parse_hex_bytes(share.key_hash, "key_hash", 32)
    if not 1 <= share.index <= share.count or not 1 <= share.threshold <= share.count:
        raise ValueError("need 1 ≤ index ≤ ℓ and 1 ≤ t ≤ ℓ")
    if not share.matches_vk():
        raise ValueError("the share does not match its verification key")
    return _seal(
        share.header_json(),
        hex_int(share.share).encode("ascii"),
        passphrase,
        scrypt_n=scrypt_n,
        salt=salt,
        nonce=nonce,
    )


def read_share_file(data: bytes | str, passphrase: str | bytes) -> TrusteeShare:
    """Open a share file and check the share against its ``vk``.

    Raise from the :mod:`votecrypto.errors` family, naming the field:
    malformed JSON or fields (``JsonSyntaxError``, ``StructureError``,
    ``EncodingError``); ``"wrong passphrase or corrupted file"``
    (``CryptoCheckError``) when the passphrase is wrong or any field was
    changed; ``CryptoCheckError`` when the share does not match ``vk``.
    The caller compares ``election_id`` and ``key_hash`` with the election
    it decrypts for.
    """
    name = "share_file"
    obj = _parse_file(data, name, _SHARE_HEADER_KEYS)
    _expect_format(obj["format"], SHARE_FILE_FORMAT, name)
    count = expect_int(obj["count"], f"{name}.count", 1)
    election_id = parse_identifier(obj["election_id"], f"{name}.election_id")
    key_hash = parse_hex_bytes(obj["key_hash"], f"{name}.key_hash", 32).hex()
    index = expect_int(obj["index"], f"{name}.index", 1, count)
    threshold = expect_int(obj["threshold"], f"{name}.threshold", 1, count)
    n = parse_hex_int(obj["n"], f"{name}.n")
    v = parse_hex_int(obj["v"], f"{name}.v")
    vk = parse_hex_int(obj["vk"], f"{name}.vk")
    secret = _open(obj, passphrase, name)
    try:
        share_value = parse_hex_int(secret.decode("ascii"), f"{name}.share")
    except UnicodeDecodeError as exc:
        raise EncodingError(f"{name}.share", "not ASCII hex") from exc
    result = TrusteeShare(
        election_id=election_id,
        key_hash=key_hash,
        index=index,
        n=n,
        threshold=threshold,
        count=count,
        v=v,
        vk=vk,
        share=share_value,
    )
    if not result.matches_vk():
        raise CryptoCheckError(
            f"{name}.share", "the share does not match the verification key vk"
        )
    return result


# ---------------------------------------------------------------- key files


def generate_x25519_private_key() -> bytes:
    """Return a fresh X25519 private key (32 bytes)."""
    return X25519PrivateKey.generate().private_bytes_raw()


def x25519_public_key(private_key: bytes) -> bytes:
    """Return the X25519 public key (32 bytes) of a 32-byte private key."""
    if len(private_key) != _KEY_BYTES:
        raise ValueError("an X25519 private key has 32 bytes")
    key = X25519PrivateKey.from_private_bytes(private_key)
    return key.public_key().public_bytes_raw()


def write_key_file(
    private_key: bytes,
    passphrase: str | bytes,
    *,
    scrypt_n: int = SCRYPT_N,
    salt: bytes | None = None,
    nonce: bytes | None = None,
    kdf: str = KDF_SCRYPT,
    iterations: int = PBKDF2_ITERATIONS,
) -> bytes:
    """Return the bytes of a key file sealing an X25519 private key.

    The file shows ``public_key`` in clear, for registering with the dealer.
    ``kdf`` is :data:`KDF_SCRYPT` (the default; cost ``scrypt_n``) or
    :data:`KDF_PBKDF2` (``iterations``, at least
    :data:`MIN_PBKDF2_ITERATIONS`), the variant a browser can open.
    """
    header = {
        "format": KEY_FILE_FORMAT,
        "public_key": x25519_public_key(private_key).hex(),
    }
    return _seal(
        header,
        private_key,
        passphrase,
        scrypt_n=scrypt_n,
        salt=salt,
        nonce=nonce,
        kdf=kdf,
        iterations=iterations,
    )


def _parse_key_file(data: bytes | str) -> tuple[dict[str, Json], bytes]:
    """Parse a key file strictly; return it and its clear public key."""
    name = "key_file"
    obj = _parse_file(data, name, ("format", "public_key"))
    _expect_format(obj["format"], KEY_FILE_FORMAT, name)
    public_key = parse_hex_bytes(obj["public_key"], f"{name}.public_key", _KEY_BYTES)
    return obj, public_key


def read_key_file_public_key(data: bytes | str) -> bytes:
    """Return the public key of a key file without its passphrase."""
    return _parse_key_file(data)[1]


def read_key_file(data: bytes | str, passphrase: str | bytes) -> bytes:
    """Open a key file (either variant) and return its X25519 private key.

    Raise ``CryptoCheckError("key_file", "wrong passphrase or corrupted
    file")`` when the passphrase is wrong or the file was changed, and
    ``StructureError`` for an unknown ``kdf`` or one too weak (PBKDF2 with
    fewer than :data:`MIN_PBKDF2_ITERATIONS` iterations).
    """
    obj, public_key = _parse_key_file(data)
    private_key = _open(obj, passphrase, "key_file", (KDF_SCRYPT, KDF_PBKDF2))
    if len(private_key) != _KEY_BYTES or x25519_public_key(private_key) != public_key:
        raise CryptoCheckError("key_file.public_key", "does not match the private key")
    return private_key
