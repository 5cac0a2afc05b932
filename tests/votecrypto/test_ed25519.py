"""SPEC §4: strict Ed25519 against the independent implementation's vectors."""

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from votecrypto import ed25519
from votecrypto.errors import CryptoCheckError, EncodingError, StructureError

VALID_KEY = "a8b2de163daddaa2def7cd3651544f5f7d55d9e10742d9648bc4806cac93b468"


def _message(vectors: dict[str, Any]) -> bytes:
    return str(vectors["ed25519"]["message_ascii"]).encode("ascii")


def test_public_key_from_seed_matches_vector(vectors: dict[str, Any]) -> None:
    """The public key of the vector seed is the vector's key."""
    seed = bytes.fromhex(vectors["ed25519"]["seed"])
    assert ed25519.public_key_from_seed(seed).hex() == VALID_KEY


def test_sign_reproduces_vector_signature(vectors: dict[str, Any]) -> None:
    """Signing the vector message with the seed gives the vector signature."""
    seed = bytes.fromhex(vectors["ed25519"]["seed"])
    valid = vectors["ed25519"]["signatures"][0]
    assert valid["valid"] is True
    assert ed25519.sign(seed, _message(vectors)).hex() == valid["signature"]


def test_verify_matches_every_vector_flag(vectors: dict[str, Any]) -> None:
    """verify() returns exactly the vector's valid flag for every signature."""
    results = [
        ed25519.verify(
            bytes.fromhex(case["public_key"]),
            bytes.fromhex(case["signature"]),
            _message(vectors),
        )
        for case in vectors["ed25519"]["signatures"]
    ]
    assert results == [True, False, False, False, False]
    assert results == [case["valid"] for case in vectors["ed25519"]["signatures"]]


def test_openssl_alone_accepts_what_the_strict_checks_reject(
    vectors: dict[str, Any],
) -> None:
    """The vectors marked openssl_accepts pass bare OpenSSL but not verify()."""
    accepted = [
        case
        for case in vectors["ed25519"]["signatures"]
        if case.get("openssl_accepts") is True
    ]
    assert len(accepted) == 2
    for case in accepted:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(case["public_key"]))
        key.verify(bytes.fromhex(case["signature"]), _message(vectors))
        assert not ed25519.verify(
            bytes.fromhex(case["public_key"]),
            bytes.fromhex(case["signature"]),
            _message(vectors),
        )


def test_identity_key_signature_rejected_for_any_message(
    vectors: dict[str, Any],
) -> None:
    """The identity key with (R = identity, S = 0) is rejected for any message."""
    case = vectors["ed25519"]["signatures"][4]
    key = bytes.fromhex(case["public_key"])
    signature = bytes.fromhex(case["signature"])
    assert not ed25519.verify(key, signature, b"")
    assert not ed25519.verify(key, signature, b"anything at all")


def test_small_order_encodings_rejected_as_keys(vectors: dict[str, Any]) -> None:
    """Each of the eight small-order encodings is rejected, naming the field."""
    encodings = vectors["ed25519"]["small_order_encodings"]
    assert len(encodings) == 8
    for encoding in encodings:
        with pytest.raises(CryptoCheckError) as caught:
            ed25519.check_public_key(bytes.fromhex(encoding), "board_public_key")
        assert str(caught.value) == (
            "board_public_key: one of the eight points of small order"
        )
        assert not ed25519.is_valid_public_key(bytes.fromhex(encoding))


def test_non_canonical_encodings_rejected_as_keys(vectors: dict[str, Any]) -> None:
    """Non-canonical encodings (y ≥ p, or x = 0 with sign) raise EncodingError."""
    messages = []
    for case in vectors["ed25519"]["non_canonical_encodings"]:
        with pytest.raises(EncodingError) as caught:
            ed25519.check_public_key(bytes.fromhex(case["encoding"]), "credentials[0]")
        messages.append(str(caught.value))
    assert messages == [
        "credentials[0]: not a canonical encoding (y ≥ 2^255 − 19)",
        "credentials[0]: not a canonical encoding (y ≥ 2^255 − 19)",
        "credentials[0]: not a canonical encoding (y ≥ 2^255 − 19)",
        "credentials[0]: not a canonical encoding (x = 0 with the sign bit set)",
        "credentials[0]: not a canonical encoding (x = 0 with the sign bit set)",
    ]


def test_encoding_without_curve_point_rejected() -> None:
    """A y with no matching x (y = 2) does not decode and is rejected."""
    with pytest.raises(CryptoCheckError) as caught:
        ed25519.check_public_key((2).to_bytes(32, "little"), "key")
    assert str(caught.value) == "key: not a point of the curve (no x for this y)"


def test_wrong_length_key_rejected() -> None:
    """A key of 31 bytes is a structure error naming the field."""
    with pytest.raises(StructureError) as caught:
        ed25519.check_public_key(bytes(31), "key")
    assert str(caught.value) == "key: expected 32 bytes, got 31"


def test_valid_key_accepted_and_parsed() -> None:
    """A genuine key passes the checks and parse_public_key returns its bytes."""
    ed25519.check_public_key(bytes.fromhex(VALID_KEY), "key")
    assert ed25519.parse_public_key(VALID_KEY, "key") == bytes.fromhex(VALID_KEY)


def test_parse_public_key_rejects_uppercase_hex() -> None:
    """An uppercase hex key is an encoding error (SPEC §1)."""
    with pytest.raises(EncodingError):
        ed25519.parse_public_key(VALID_KEY.upper(), "key")


def test_small_order_r_rejected_even_with_valid_equation() -> None:
    """A signature whose R is a small-order point never verifies."""
    seed = bytes(range(32))
    key = ed25519.public_key_from_seed(seed)
    good = ed25519.sign(seed, b"m")
    identity = (1).to_bytes(32, "little")
    assert ed25519.verify(key, good, b"m")
    assert not ed25519.verify(key, identity + good[32:], b"m")


def test_signature_of_wrong_length_or_message_rejected() -> None:
    """A truncated signature or another message fails verification."""
    seed = bytes(range(32))
    key = ed25519.public_key_from_seed(seed)
    good = ed25519.sign(seed, b"m")
    assert not ed25519.verify(key, good[:63], b"m")
    assert not ed25519.verify(key, good, b"n")
    assert not ed25519.verify(key[:31], good, b"m")


def test_generated_seeds_are_fresh_and_usable() -> None:
    """generate_seed() gives distinct 32-byte seeds whose signatures verify."""
    first, second = ed25519.generate_seed(), ed25519.generate_seed()
    assert len(first) == 32
    assert first != second
    signature = ed25519.sign(first, b"hello")
    assert ed25519.verify(ed25519.public_key_from_seed(first), signature, b"hello")


def test_seed_of_wrong_length_rejected() -> None:
    """A 16-byte seed is a structure error naming the seed."""
    with pytest.raises(StructureError) as caught:
        ed25519.sign(bytes(16), b"m")
    assert str(caught.value) == "seed: expected 32 bytes, got 16"
