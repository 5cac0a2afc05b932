"""SPEC §4: strict Ed25519 keys and signatures.

Signing and the final signature equation are ``cryptography``'s (OpenSSL),
which checks the cofactorless equation ``[S]B = R + [k]A`` of RFC 8032
§5.1.7 and rejects ``S ≥ L``.  OpenSSL does not decode ``A`` or ``R`` as
points, so it accepts the identity as a key (and then ``R = identity,
S = 0`` for every message) and small-order ``R`` values.  The checks that
SPEC §4 adds on top — canonical encodings that decode per RFC 8032 §5.1.3,
none of the eight points of small order, ``S < L`` — are made here, with
the few lines of curve arithmetic they need.  That arithmetic only handles
public values, so it need not be constant-time.
"""

import secrets
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from votecrypto.canonical import Json, parse_hex_bytes
from votecrypto.errors import (
    CryptoCheckError,
    EncodingError,
    StructureError,
    VoteCryptoError,
)

PUBLIC_KEY_LENGTH: Final = 32
"""Bytes in an encoded public key (and in an encoded point ``R``)."""

SIGNATURE_LENGTH: Final = 64
"""Bytes in a signature ``R ‖ S``."""

SEED_LENGTH: Final = 32
"""Bytes in a private key seed."""

P: Final = 2**255 - 19
"""The field prime ``p = 2^255 − 19``."""

L: Final = 2**252 + 27742317777372353535851937790883648493
"""The order ``L`` of the base point."""

_D: Final = (-121665 * pow(121666, -1, P)) % P
_SQRT_M1: Final = pow(2, (P - 1) // 4, P)

_Point = tuple[int, int]
_IDENTITY: Final[_Point] = (0, 1)


def _decode_point(raw: bytes, field: str) -> _Point:
    """Decode a 32-byte encoded point per RFC 8032 §5.1.3.

    Raise :class:`EncodingError` for a non-canonical encoding (``y ≥ p``,
    or ``x = 0`` with the sign bit set, a second spelling of a point) and
    :class:`CryptoCheckError` when no ``x`` fits ``y``.
    """
    number = int.from_bytes(raw, "little")
    sign = number >> 255
    y = number & ((1 << 255) - 1)
    if y >= P:
        raise EncodingError(field, "not a canonical encoding (y ≥ 2^255 − 19)")
    u = (y * y - 1) % P
    v = (_D * y * y + 1) % P
    x = (u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P)) % P
    vxx = (v * x * x) % P
    if vxx == (-u) % P:
        x = (x * _SQRT_M1) % P
    elif vxx != u:
        raise CryptoCheckError(field, "not a point of the curve (no x for this y)")
    if x == 0 and sign == 1:
        raise EncodingError(
            field, "not a canonical encoding (x = 0 with the sign bit set)"
        )
    if x & 1 != sign:
        x = P - x
    return (x, y)


def _add(a: _Point, b: _Point) -> _Point:
    """Add two affine points (the complete twisted Edwards law, a = −1)."""
    x1, y1 = a
    x2, y2 = b
    t = (_D * x1 * x2 * y1 * y2) % P
    x3 = (x1 * y2 + x2 * y1) * pow(1 + t, -1, P)
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, -1, P)
    return (x3 % P, y3 % P)


def _check_point(raw: bytes, field: str) -> None:
    """Raise unless ``raw`` is 32 bytes encoding a point not of small order."""
    if len(raw) != PUBLIC_KEY_LENGTH:
        raise StructureError(
            field, f"expected {PUBLIC_KEY_LENGTH} bytes, got {len(raw)}"
        )
    point = _decode_point(raw, field)
    # [8]P is the identity exactly for the eight points of small order.
    for _ in range(3):
        point = _add(point, point)
    if point == _IDENTITY:
        raise CryptoCheckError(field, "one of the eight points of small order")


def check_public_key(raw: bytes, field: str) -> None:
    """Raise unless ``raw`` is a public key SPEC §4 accepts.

    The key must be 32 bytes, a canonical encoding (``y < 2^255 − 19``, and
    not ``x = 0`` with the sign bit set) that decodes to a curve point per
    RFC 8032 §5.1.3, and not one of the eight points of small order.  The
    error (:class:`StructureError`, :class:`EncodingError` or
    :class:`CryptoCheckError`) names ``field``.
    """
    _check_point(raw, field)


def is_valid_public_key(raw: bytes) -> bool:
    """Return whether ``raw`` passes :func:`check_public_key` (SPEC §4)."""
    try:
        _check_point(raw, "public_key")
    except VoteCryptoError:
        return False
    return True


def parse_public_key(value: Json, field: str) -> bytes:
    """Read a hex public key and check it as SPEC §4 demands."""
    raw = parse_hex_bytes(value, field, PUBLIC_KEY_LENGTH)
    check_public_key(raw, field)
    return raw


def parse_signature(value: Json, field: str) -> bytes:
    """Read a hex signature of 64 bytes (its validity is :func:`verify`'s)."""
    return parse_hex_bytes(value, field, SIGNATURE_LENGTH)


def verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Return whether ``signature`` is a valid signature of ``message`` (SPEC §4).

    Strict: the key passes :func:`check_public_key`; ``R`` is a canonical
    encoding of a point that is not of small order; ``S < L``; and the
    cofactorless equation ``[S]B = R + [k]A`` holds (checked by OpenSSL).
    """
    if len(signature) != SIGNATURE_LENGTH:
        return False
    try:
        _check_point(public_key, "public_key")
        _check_point(signature[:32], "signature.R")
    except VoteCryptoError:
        return False
    if int.from_bytes(signature[32:], "little") >= L:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _private_key(seed: bytes) -> Ed25519PrivateKey:
    if len(seed) != SEED_LENGTH:
        raise StructureError("seed", f"expected {SEED_LENGTH} bytes, got {len(seed)}")
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_from_seed(seed: bytes) -> bytes:
    """Return the 32-byte public key of a 32-byte private key ``seed``."""
    return _private_key(seed).public_key().public_bytes_raw()


def sign(seed: bytes, message: bytes) -> bytes:
    """Return the 64-byte Ed25519 signature of ``message`` by ``seed``."""
    return _private_key(seed).sign(message)


def generate_seed() -> bytes:
    """Draw a fresh 32-byte private key seed from ``secrets``."""
    return secrets.token_bytes(SEED_LENGTH)
