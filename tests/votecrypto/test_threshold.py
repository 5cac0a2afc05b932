"""Key ceremony and threshold decryption (SPEC §2.2, §2.3) against the vectors."""

import copy
import dataclasses
from itertools import combinations
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from votecrypto import threshold
from votecrypto.canonical import Hint, cjson, hex_int, parse_json
from votecrypto.errors import CryptoCheckError, EncodingError, StructureError
from votecrypto.keyproof import check_key_proof
from votecrypto.paillier import PublicKey
from votecrypto.primes import generate_paillier_primes
from votecrypto.threshold import (
    CeremonyPublic,
    DecryptionProof,
    DecryptionShare,
    ShareBox,
    check_ceremony_test,
    check_decryption_share,
    check_share,
    combine,
    combine_power,
    compute_d,
    deal,
    decrypt_share,
    delta,
    encrypt_share,
    key_hash,
    lagrange_coefficients,
    make_ceremony_test_share,
    make_decryption_share,
    make_shares,
    proof_bits,
    require_valid_decryption_share,
    verification_key,
)


def h(value: str) -> int:
    """Read a vector's hex string."""
    return int(value, 16)


@pytest.fixture(scope="module")
def key(vectors: dict[str, Any]) -> dict[str, Any]:
    """The vectors' 1024-bit key section."""
    section: dict[str, Any] = vectors["key"]
    return section


@pytest.fixture(scope="module")
def n(key: dict[str, Any]) -> int:
    """The vectors' modulus."""
    return h(key["n"])


@pytest.fixture(scope="module")
def v(key: dict[str, Any]) -> int:
    """The vectors' v."""
    return h(key["v"])


@pytest.fixture(scope="module")
def vks(key: dict[str, Any]) -> dict[int, int]:
    """The vectors' verification keys by index."""
    return {int(i): h(vk) for i, vk in key["verification_keys"].items()}


@pytest.fixture(scope="module")
def vector_public(key: dict[str, Any], vectors: dict[str, Any]) -> CeremonyPublic:
    """The vectors' key as a ceremony's public part, with its test ciphertext."""
    trustee_keys = [
        X25519PrivateKey.generate().public_key().public_bytes_raw() for _ in range(3)
    ]
    test = vectors["ceremony_test_decryption"]
    output = deal(
        h(key["p"]),
        h(key["q"]),
        key["threshold"],
        trustee_keys,
        coefficients=[h(c) for c in key["coefficients"][1:]],
        x=h(key["x"]),
        w=h(key["key_proof"]["w"]),
        test_plaintext=test["plaintext"],
        test_randomness=h(test["randomness"]),
    )
    return output.public


@pytest.fixture(scope="module")
def small_primes() -> tuple[int, int]:
    """One small (512-bit) test key for this module's property tests."""
    return generate_paillier_primes(512)


# ---------------------------------------------------------------- dealer maths


def test_d_by_crt(key: dict[str, Any], n: int) -> None:
    """d ≡ 0 (mod m), d ≡ 1 (mod n), equal to the vectors' d."""
    d = compute_d(h(key["p"]), h(key["q"]))
    m = h(key["m"])
    assert d == h(key["d"])
    assert d % m == 0
    assert d % n == 1
    assert 0 <= d < n * m
    assert h(key["coefficients"][0]) == d


def test_shares_from_the_given_coefficients(key: dict[str, Any], n: int) -> None:
    """s_i = f(i) mod n·m for the vectors' coefficients [d, a_1]."""
    shares = make_shares([h(c) for c in key["coefficients"]], 3, n * h(key["m"]))
    assert shares == {int(i): h(s) for i, s in key["shares"].items()}


def test_v_verification_keys_and_key_hash(
    key: dict[str, Any], n: int, v: int, vks: dict[int, int]
) -> None:
    """v = x² mod n², v_i = v^(Δ·s_i) mod n², and key_hash match the vectors."""
    assert delta(3) == key["delta"] == 6
    assert pow(h(key["x"]), 2, n * n) == v
    for i, share in key["shares"].items():
        assert verification_key(n, 3, v, h(share)) == vks[int(i)]
        assert check_share(n, 3, v, vks[int(i)], h(share))
    assert not check_share(n, 3, v, vks[1], h(key["shares"]["2"]))
    ordered = [vks[i] for i in (1, 2, 3)]
    assert key_hash(n, 2, 3, v, ordered) == key["key_hash"]
    parts = [
        "evote-paillier/1/key",
        hex_int(n),
        2,
        3,
        hex_int(v),
        [hex_int(x) for x in ordered],
    ]
    assert cjson(parts).decode() == key["key_hash_input_cjson"]


def test_deal_reproduces_the_vector_key(
    vector_public: CeremonyPublic, key: dict[str, Any], vectors: dict[str, Any]
) -> None:
    """deal with injected randomness reproduces n, the proof, v, v_i and key_hash."""
    public = vector_public.to_json()
    assert public["public_key"] == {
        "n": key["n"],
        "key_proof": key["key_proof"]["key_proof"],
    }
    assert public["trustees"] == {
        "threshold": 2,
        "count": 3,
        "v": key["v"],
        "verification_keys": [
            {"index": i, "name": f"Trustee {i}", "vk": key["verification_keys"][str(i)]}
            for i in (1, 2, 3)
        ],
    }
    assert public["key_hash"] == key["key_hash"]
    test = vectors["ceremony_test_decryption"]
    assert public["ceremony_test"] == {
        "plaintext": test["plaintext"],
        "randomness": test["randomness"],
        "ciphertext": test["ciphertext"],
    }
    vector_public.check(allow_test_keys=True)


def test_deal_boxes_decrypt_to_shares_matching_vks(
    small_primes: tuple[int, int],
) -> None:
    """Each trustee decrypts its own box to a share that matches its v_i."""
    private = [X25519PrivateKey.generate() for _ in range(4)]
    output = deal(
        *small_primes,
        3,
        [k.public_key().public_bytes_raw() for k in private],
        names=["Ana", "Bek", "Cem", "Dana"],
    )
    public = output.public
    assert [e.name for e in public.trustees.verification_keys] == [
        "Ana",
        "Bek",
        "Cem",
        "Dana",
    ]
    assert "secret_shares" not in repr(output)
    for box, trustee in zip(output.boxes, private, strict=True):
        s_i = decrypt_share(public.n, box, trustee)
        assert s_i == output.secret_shares[box.index]
        vk = public.trustees.verification_keys[box.index - 1].vk
        assert check_share(public.n, 4, public.trustees.v, vk, s_i)
    assert set(public.to_json()) == {
        "public_key",
        "trustees",
        "key_hash",
        "ceremony_test",
    }
    assert "share" not in cjson(public.to_json()).decode().replace("shares", "")


def test_deal_rejects_bad_input(small_primes: tuple[int, int]) -> None:
    """deal refuses bad thresholds, keys, names, primes and injected values."""
    p, q = small_primes
    keys = [bytes([i]) * 32 for i in range(1, 4)]
    with pytest.raises(ValueError, match="1 ≤ t ≤ ℓ"):
        deal(p, q, 4, keys)
    with pytest.raises(ValueError, match="1 ≤ t ≤ ℓ"):
        deal(p, q, 0, keys)
    with pytest.raises(ValueError, match="distinct X25519 key"):
        deal(p, q, 2, [keys[0], keys[0], keys[1]])
    with pytest.raises(ValueError, match="32 bytes"):
        deal(p, q, 2, [*keys[:2], b"short"])
    with pytest.raises(ValueError, match="one name per trustee"):
        deal(p, q, 2, keys, names=["a"])
    with pytest.raises(ValueError, match="distinct primes of equal length"):
        deal(p, p, 2, keys)
    with pytest.raises(ValueError, match="safe primes"):
        deal(p, q + 2, 2, keys)
    with pytest.raises(ValueError, match="t − 1 coefficients"):
        deal(p, q, 2, keys, coefficients=[1, 2])
    with pytest.raises(ValueError, match=r"Z\*_\{n²\}"):
        deal(p, q, 2, keys, x=p)


# ---------------------------------------------------------------- share boxes


@pytest.fixture(scope="module")
def box_vector(vectors: dict[str, Any]) -> dict[str, Any]:
    """The vectors' share-encryption section."""
    section: dict[str, Any] = vectors["share_encryption"]
    return section


def test_share_encryption_vector(box_vector: dict[str, Any], n: int) -> None:
    """With the fixed ephemeral key and nonce the box is the vectors' box exactly."""
    box = encrypt_share(
        n,
        box_vector["index"],
        h(box_vector["share"]),
        bytes.fromhex(box_vector["trustee_public_key"]),
        ephemeral_private_key=bytes.fromhex(box_vector["ephemeral_private_key"]),
        nonce=bytes.fromhex(box_vector["nonce"]),
    )
    assert box.to_json() == box_vector["box"]
    assert box.ephemeral_public_key.hex() == box_vector["ephemeral_public_key"]
    assert (
        box_vector["aad"]
        == cjson(["evote-paillier/1/share-encryption", hex_int(n), 2]).decode()
    )
    assert box_vector["plaintext_ascii"] == box_vector["share"]


def test_share_decryption_vector(box_vector: dict[str, Any], n: int) -> None:
    """The trustee's private key opens the vectors' box to the share."""
    box = ShareBox.from_json(box_vector["box"])
    private = bytes.fromhex(box_vector["trustee_private_key"])
    assert decrypt_share(n, box, private) == h(box_vector["share"])
    assert decrypt_share(n, box, X25519PrivateKey.from_private_bytes(private)) == h(
        box_vector["share"]
    )


def test_wrong_trustee_key_fails_cleanly(box_vector: dict[str, Any], n: int) -> None:
    """Another trustee's key cannot open the box; the error says why."""
    box = ShareBox.from_json(box_vector["box"])
    with pytest.raises(CryptoCheckError) as caught:
        decrypt_share(n, box, X25519PrivateKey.generate())
    assert str(caught.value) == (
        "share_box: cannot decrypt: wrong trustee key, "
        "or the box, n or index was altered"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"index": 3},
        {"nonce": "00" * 12},
        {"ephemeral_public_key": "09" + "00" * 31},
        {"ciphertext": "flip"},
    ],
)
def test_tampered_box_fails(
    box_vector: dict[str, Any], n: int, change: dict[str, Any]
) -> None:
    """A change to the index, nonce, ephemeral key or ciphertext is detected."""
    data = dict(box_vector["box"])
    if change.get("ciphertext") == "flip":
        raw = bytearray(bytes.fromhex(data["ciphertext"]))
        raw[5] ^= 1
        data["ciphertext"] = raw.hex()
    else:
        data.update(change)
    box = ShareBox.from_json(data)
    with pytest.raises(CryptoCheckError, match=r"^share_box: cannot decrypt"):
        decrypt_share(n, box, bytes.fromhex(box_vector["trustee_private_key"]))


def test_box_bound_to_n(box_vector: dict[str, Any], n: int) -> None:
    """The box does not open under another modulus (n is in the AAD)."""
    box = ShareBox.from_json(box_vector["box"])
    with pytest.raises(CryptoCheckError, match=r"^share_box: cannot decrypt"):
        decrypt_share(n + 2, box, bytes.fromhex(box_vector["trustee_private_key"]))


def test_low_order_ephemeral_key_is_rejected(
    box_vector: dict[str, Any], n: int
) -> None:
    """An all-zero (small-order) ephemeral key is reported, not crashed on."""
    data = dict(box_vector["box"], ephemeral_public_key="00" * 32)
    with pytest.raises(CryptoCheckError) as caught:
        decrypt_share(
            n,
            ShareBox.from_json(data),
            bytes.fromhex(box_vector["trustee_private_key"]),
        )
    assert str(caught.value) == "share_box.ephemeral_public_key: unusable X25519 key"


def test_box_with_non_hex_plaintext_is_rejected(n: int) -> None:
    """A box whose plaintext is not canonical hex raises an EncodingError."""
    trustee = X25519PrivateKey.generate()
    trustee_public = trustee.public_key().public_bytes_raw()
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    aes_key = threshold._share_key(
        ephemeral,
        trustee_public,
        ephemeral_public + trustee_public,
        "trustee_public_key",
    )
    forged = ShareBox(
        index=1,
        ephemeral_public_key=ephemeral_public,
        nonce=bytes(12),
        ciphertext=AESGCM(aes_key).encrypt(
            bytes(12), b"00ff", threshold._share_aad(n, 1)
        ),
    )
    with pytest.raises(EncodingError, match=r"^share_box\.share: not canonical"):
        decrypt_share(n, forged, trustee)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"index": 0}, StructureError, "share_box.index: integer 0 outside >= 1"),
        (
            {"nonce": "00" * 11},
            StructureError,
            "share_box.nonce: expected 12 bytes, got 11",
        ),
        (
            {"ephemeral_public_key": "00" * 33},
            StructureError,
            "share_box.ephemeral_public_key: expected 32 bytes, got 33",
        ),
        (
            {"ciphertext": "00" * 16},
            StructureError,
            "share_box.ciphertext: shorter than the GCM tag",
        ),
        ({"nonce": "AA" * 12}, EncodingError, None),
        ({"extra": 1}, StructureError, "share_box: unknown key(s): extra"),
    ],
)
def test_share_box_parsing_is_strict(
    box_vector: dict[str, Any],
    change: dict[str, Any],
    error: type[Exception],
    message: str | None,
) -> None:
    """Wrong lengths, spellings and keys in a box are rejected, naming the field."""
    with pytest.raises(error) as caught:
        ShareBox.from_json(dict(box_vector["box"], **change))
    if message is not None:
        assert str(caught.value) == message


def test_encrypt_share_rejects_bad_arguments(n: int) -> None:
    """A short key or nonce and a negative share are refused."""
    with pytest.raises(ValueError, match="32 bytes"):
        encrypt_share(n, 1, 5, b"x" * 31)
    with pytest.raises(ValueError, match="12 bytes"):
        encrypt_share(n, 1, 5, b"x" * 32, nonce=b"n" * 11)
    with pytest.raises(ValueError, match="non-negative"):
        encrypt_share(n, 1, -5, b"x" * 32)
    with pytest.raises(
        CryptoCheckError, match=r"^trustee_public_key: unusable X25519 key$"
    ):
        encrypt_share(n, 1, 5, bytes(32))


# ---------------------------------------------------------------- decryption shares


@pytest.fixture(scope="module")
def share_vector(vectors: dict[str, Any]) -> dict[str, Any]:
    """The vectors' decryption-share section."""
    section: dict[str, Any] = vectors["decryption_share"]
    return section


@pytest.fixture(scope="module")
def vector_share(share_vector: dict[str, Any], n: int, v: int) -> DecryptionShare:
    """The decryption share made with the vectors' r."""
    return make_decryption_share(
        n,
        3,
        v,
        share_vector["index"],
        h(share_vector["s_i"]),
        h(share_vector["A"]),
        share_vector["election_hash"],
        r=h(share_vector["r"]),
    )


def test_decryption_share_vector(
    share_vector: dict[str, Any], vector_share: DecryptionShare, n: int
) -> None:
    """c_i, the hash input, the challenge and the proof match the vectors."""
    assert proof_bits(n, 3) == share_vector["B"] == 2563
    assert share_vector["z_bound"] == "z < 2^2564"
    assert vector_share.index == 2
    assert vector_share.share == h(share_vector["share"])
    assert vector_share.proof.to_json() == share_vector["proof"]
    parts = [
        "evote-paillier/1/decryption-share",
        share_vector["election_hash"],
        2,
        share_vector["A"],
        hex_int(vector_share.share),
        hex_int(vector_share.proof.a),
        hex_int(vector_share.proof.b),
    ]
    assert cjson(parts).decode() == share_vector["hash_input_cjson"]
    assert Hint(parts) == h(share_vector["challenge"])
    x = 6 * h(share_vector["s_i"])
    assert (
        vector_share.proof.z == h(share_vector["r"]) + h(share_vector["challenge"]) * x
    )


def test_decryption_share_json_round_trip(vector_share: DecryptionShare) -> None:
    """A share serialises as {index, share, proof{a,b,z}} and parses back."""
    data = vector_share.to_json()
    assert set(data) == {"index", "share", "proof"}
    assert set(data["proof"]) == {"a", "b", "z"}
    assert DecryptionShare.from_json(parse_json(cjson(data))) == vector_share


def _check_args(
    share_vector: dict[str, Any], n: int, v: int, vks: dict[int, int]
) -> dict[str, Any]:
    return {
        "n": n,
        "count": 3,
        "v": v,
        "vk_i": vks[2],
        "election_hash_hex": share_vector["election_hash"],
        "index": 2,
        "A": h(share_vector["A"]),
    }


def test_vector_share_checks(
    share_vector: dict[str, Any],
    vector_share: DecryptionShare,
    n: int,
    v: int,
    vks: dict[int, int],
) -> None:
    """The vectors' share is valid for trustee 2, A and the election hash."""
    args = _check_args(share_vector, n, v, vks)
    assert check_decryption_share(share=vector_share, **args)
    require_valid_decryption_share(share=vector_share, **args)


def _bumped(share: DecryptionShare, field: str, value: int) -> DecryptionShare:
    """Return ``share`` with one field (of the share or its proof) replaced."""
    if field in {"a", "b", "z"}:
        proof = dataclasses.replace(share.proof, **{field: value})
        return dataclasses.replace(share, proof=proof)
    if field == "index":
        return dataclasses.replace(share, index=value)
    return dataclasses.replace(share, share=value)


@pytest.mark.parametrize(
    ("field", "delta_", "message"),
    [
        ("index", 1, "share.index: expected index 2 in 1…3"),
        ("share", 1, "share.proof: (A⁴)^z ≢ a·(c_i²)^e (mod n²)"),
        ("a", 1, "share.proof: (A⁴)^z ≢ a·(c_i²)^e (mod n²)"),
        # b enters the challenge e, so the first equation already fails.
        ("b", 1, "share.proof: (A⁴)^z ≢ a·(c_i²)^e (mod n²)"),
        ("z", 1, "share.proof: (A⁴)^z ≢ a·(c_i²)^e (mod n²)"),
        ("z", -1, "share.proof: (A⁴)^z ≢ a·(c_i²)^e (mod n²)"),
    ],
)
def test_tampered_share_fields_fail(
    share_vector: dict[str, Any],
    vector_share: DecryptionShare,
    n: int,
    v: int,
    vks: dict[int, int],
    field: str,
    delta_: int,
    message: str,
) -> None:
    """Changing any field of the share or its proof makes the check fail."""
    current = (
        vector_share.index
        if field == "index"
        else (
            getattr(vector_share.proof, field)
            if field in {"a", "b", "z"}
            else vector_share.share
        )
    )
    bad = _bumped(vector_share, field, current + delta_)
    args = _check_args(share_vector, n, v, vks)
    assert not check_decryption_share(share=bad, **args)
    with pytest.raises(CryptoCheckError) as caught:
        require_valid_decryption_share(share=bad, **args)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("share", 0, "share.share: not a valid ciphertext (0 < c < n², gcd(c, n) = 1)"),
        ("a", "n", "share.proof.a: not a valid ciphertext (0 < c < n², gcd(c, n) = 1)"),
        (
            "b",
            "n2",
            "share.proof.b: not a valid ciphertext (0 < c < n², gcd(c, n) = 1)",
        ),
        ("z", "bound", "share.proof.z: z must be below 2^(B+1)"),
    ],
)
def test_invalid_group_elements_and_big_z_fail(
    share_vector: dict[str, Any],
    vector_share: DecryptionShare,
    n: int,
    v: int,
    vks: dict[int, int],
    field: str,
    value: Any,
    message: str,
) -> None:
    """Invalid ciphertexts for c_i, a, b and z ≥ 2^(B+1) are rejected."""
    number = {"n": n, "n2": n * n, "bound": 1 << 2564}.get(value, value)
    bad = _bumped(vector_share, field, number)
    with pytest.raises(CryptoCheckError) as caught:
        require_valid_decryption_share(
            share=bad, **_check_args(share_vector, n, v, vks)
        )
    assert str(caught.value) == message


def test_z_just_below_bound_is_only_an_equation_failure(
    share_vector: dict[str, Any],
    vector_share: DecryptionShare,
    n: int,
    v: int,
    vks: dict[int, int],
) -> None:
    """z = 2^(B+1) − 1 passes the bound and fails the equations."""
    bad = _bumped(vector_share, "z", (1 << 2564) - 1)
    with pytest.raises(CryptoCheckError, match=r"^share\.proof: \(A⁴\)"):
        require_valid_decryption_share(
            share=bad, **_check_args(share_vector, n, v, vks)
        )


@pytest.mark.parametrize(
    ("override", "error", "message"),
    [
        (
            lambda a, vks: {"election_hash_hex": "00" * 32},
            CryptoCheckError,
            "share.proof: (A⁴)^z ≢ a·(c_i²)^e (mod n²)",
        ),
        (
            lambda a, vks: {"election_hash_hex": "AB" * 32},
            EncodingError,
            "election_hash: not canonical lowercase hex bytes: '" + "AB" * 20 + "'",
        ),
        (
            lambda a, vks: {"election_hash_hex": "ab" * 31},
            StructureError,
            "election_hash: expected 32 bytes, got 31",
        ),
        (
            lambda a, vks: {"A": a["A"] + 1},
            CryptoCheckError,
            "share.proof: (A⁴)^z ≢ a·(c_i²)^e (mod n²)",
        ),
        (
            lambda a, vks: {"A": 0},
            CryptoCheckError,
            "aggregate: not a valid ciphertext (0 < c < n², gcd(c, n) = 1)",
        ),
        (
            lambda a, vks: {"vk_i": vks[1]},
            CryptoCheckError,
            "share.proof: v^z ≢ b·v_i^e (mod n²)",
        ),
        (
            lambda a, vks: {"vk_i": a["n"]},
            CryptoCheckError,
            "vk: not a valid ciphertext (0 < c < n², gcd(c, n) = 1)",
        ),
        (
            lambda a, vks: {"v": a["v"] + 1},
            CryptoCheckError,
            "share.proof: v^z ≢ b·v_i^e (mod n²)",
        ),
        (
            lambda a, vks: {"index": 3},
            CryptoCheckError,
            "share.index: expected index 3 in 1…3",
        ),
    ],
)
def test_wrong_context_fails(
    share_vector: dict[str, Any],
    vector_share: DecryptionShare,
    n: int,
    v: int,
    vks: dict[int, int],
    override: Any,
    error: type[Exception],
    message: str,
) -> None:
    """The share is bound to the election hash, A, v_i, v, its index and ℓ."""
    args = _check_args(share_vector, n, v, vks)
    args.update(override(args, vks))
    assert not check_decryption_share(share=vector_share, **args)
    with pytest.raises(error) as caught:
        require_valid_decryption_share(share=vector_share, **args)
    assert str(caught.value) == message


def test_count_only_bounds_z(
    share_vector: dict[str, Any],
    vector_share: DecryptionShare,
    n: int,
    v: int,
    vks: dict[int, int],
) -> None:
    """ℓ enters the check only through B: the share also checks with ℓ = 4."""
    args = _check_args(share_vector, n, v, vks)
    assert check_decryption_share(share=vector_share, **dict(args, count=4))


def test_make_decryption_share_rejects_bad_arguments(
    share_vector: dict[str, Any], n: int, v: int
) -> None:
    """A bad election hash, index, A or r is refused before any work."""
    base = (n, 3, v, 2, h(share_vector["s_i"]), h(share_vector["A"]))
    with pytest.raises(
        StructureError, match=r"^election_hash: expected 32 bytes, got 1$"
    ):
        make_decryption_share(*base, "ab")
    with pytest.raises(ValueError, match="index must be in 1…ℓ"):
        make_decryption_share(
            n, 3, v, 4, 1, h(share_vector["A"]), share_vector["election_hash"]
        )
    with pytest.raises(ValueError, match="valid ciphertext"):
        make_decryption_share(n, 3, v, 2, 1, n, share_vector["election_hash"])
    with pytest.raises(ValueError, match=r"\[0, 2\^B\)"):
        make_decryption_share(*base, share_vector["election_hash"], r=1 << 2563)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(index=0), "share.index: integer 0 outside >= 1"),
        (lambda d: d.update(extra=0), "share: unknown key(s): extra"),
        (lambda d: d["proof"].pop("z"), "share.proof: missing key(s): z"),
        (lambda d: d["proof"].update(a=7), "share.proof.a: expected a hex string"),
        (lambda d: d.update(share="0" + d["share"]), None),
    ],
)
def test_decryption_share_parsing_is_strict(
    vector_share: DecryptionShare, mutate: Any, message: str | None
) -> None:
    """Missing or extra keys, wrong types and leading zeros are rejected."""
    data = copy.deepcopy(vector_share.to_json())
    mutate(data)
    with pytest.raises((StructureError, EncodingError)) as caught:
        DecryptionShare.from_json(data)
    if message is not None:
        assert str(caught.value) == message


def test_decryption_proof_type_round_trip() -> None:
    """A proof object parses back from its JSON."""
    proof = DecryptionProof(a=1, b=2, z=3)
    assert DecryptionProof.from_json(proof.to_json()) == proof
    assert proof.to_json() == {"a": "1", "b": "2", "z": "3"}


# ---------------------------------------------------------------- combining


def test_combine_vector(vectors: dict[str, Any], n: int) -> None:
    """λ, c' and the plaintext 42 match the vectors for trustees {1, 3}."""
    data = vectors["combine"]
    shares = {int(i): h(c) for i, c in data["shares"].items()}
    assert data["trustees"] == [1, 3]
    assert lagrange_coefficients(3, [1, 3]) == {1: 9, 3: -3}
    assert {str(i): lam for i, lam in lagrange_coefficients(3, [1, 3]).items()} == data[
        "lambdas"
    ]
    assert combine_power(n, 3, shares) == h(data["c_prime"])
    assert combine(n, 3, shares) == data["plaintext"] == 42
    assert data["A"] == vectors["decryption_share"]["A"]


def test_combine_uses_the_lowest_indices_with_threshold(
    vectors: dict[str, Any], n: int
) -> None:
    """With threshold=1 only share 1 is used; with 2 both; with 3 too few."""
    shares = {int(i): h(c) for i, c in vectors["combine"]["shares"].items()}
    assert combine(n, 3, shares, threshold=2) == 42
    with pytest.raises(CryptoCheckError, match=r"^shares: need 3 shares, got 2$"):
        combine(n, 3, shares, threshold=3)
    with pytest.raises(CryptoCheckError, match=r"^shares: the shares do not combine"):
        combine(n, 3, shares, threshold=1)


def test_combine_rejects_bad_shares(vectors: dict[str, Any], n: int) -> None:
    """Out-of-range indices, invalid ciphertexts and no shares are rejected."""
    shares = {int(i): h(c) for i, c in vectors["combine"]["shares"].items()}
    with pytest.raises(CryptoCheckError, match=r"^shares: indices must be in 1…3$"):
        combine(n, 3, {**shares, 4: shares[1]})
    with pytest.raises(CryptoCheckError, match=r"^shares\[3\]: not a valid ciphertext"):
        combine(n, 3, {1: shares[1], 3: n})
    with pytest.raises(CryptoCheckError, match=r"^shares: no shares to combine$"):
        combine(n, 3, {})
    with pytest.raises(CryptoCheckError, match=r"^shares: the shares do not combine"):
        combine(n, 3, {1: shares[1], 3: shares[3] + 1})


def test_lagrange_coefficients_are_exact_integers() -> None:
    """λ_i is an integer for every subset of 5 trustees, and Σ λ_i = Δ."""
    for size in range(1, 6):
        for subset in combinations(range(1, 6), size):
            lambdas = lagrange_coefficients(5, list(subset))
            assert sum(lambdas.values()) == 120
    with pytest.raises(ValueError, match="distinct"):
        lagrange_coefficients(5, [1, 1])
    with pytest.raises(ValueError, match="1…ℓ"):
        lagrange_coefficients(5, [0, 1])


# ---------------------------------------------------------------- ceremony self-test


def test_ceremony_test_vector_shares(
    vectors: dict[str, Any], vector_public: CeremonyPublic, key: dict[str, Any]
) -> None:
    """Trustees 1 and 2 reproduce the vectors' test shares, which decrypt to M."""
    data = vectors["ceremony_test_decryption"]
    assert data["key_hash"] == vector_public.key_hash
    shares = []
    for expected in data["shares"]:
        i = expected["index"]
        share = make_ceremony_test_share(
            vector_public, i, h(key["shares"][str(i)]), r=h(expected["r"])
        )
        assert share.to_json() == {k: expected[k] for k in ("index", "share", "proof")}
        shares.append(share)
    check_ceremony_test(vector_public, shares)
    assert combine(vector_public.n, 3, {s.index: s.share for s in shares}) == 271828


def test_ceremony_test_refuses_a_bad_opening(
    vector_public: CeremonyPublic, key: dict[str, Any]
) -> None:
    """The trustee tool refuses to decrypt a test ciphertext that is not Enc(M; r)."""
    test = dataclasses.replace(vector_public.test, plaintext=271829)
    bad = dataclasses.replace(vector_public, test=test)
    with pytest.raises(CryptoCheckError) as caught:
        make_ceremony_test_share(bad, 1, h(key["shares"]["1"]))
    assert (
        str(caught.value)
        == "ceremony_test.ciphertext: is not Enc(plaintext; randomness)"
    )


def test_ceremony_test_refuses_a_wrong_share(
    vector_public: CeremonyPublic, key: dict[str, Any]
) -> None:
    """A share that does not match v_i is refused before decrypting."""
    with pytest.raises(CryptoCheckError, match=r"^share: does not match v_1$"):
        make_ceremony_test_share(vector_public, 1, h(key["shares"]["2"]))
    with pytest.raises(CryptoCheckError, match=r"^index: must be in 1…3$"):
        make_ceremony_test_share(vector_public, 4, 1)


def test_check_ceremony_test_failures(
    vectors: dict[str, Any], vector_public: CeremonyPublic, key: dict[str, Any]
) -> None:
    """Too few, duplicate, invalid or foreign shares fail the self-test."""
    share1 = make_ceremony_test_share(vector_public, 1, h(key["shares"]["1"]))
    share3 = make_ceremony_test_share(vector_public, 3, h(key["shares"]["3"]))
    check_ceremony_test(vector_public, [share3, share1])
    with pytest.raises(CryptoCheckError, match=r"^shares: need 2 shares, got 1$"):
        check_ceremony_test(vector_public, [share1])
    with pytest.raises(
        CryptoCheckError, match=r"^shares\[1\]\.index: duplicate index$"
    ):
        check_ceremony_test(vector_public, [share1, share1])
    with pytest.raises(CryptoCheckError, match=r"^shares\[0\]\.proof: "):
        check_ceremony_test(
            vector_public, [dataclasses.replace(share1, index=2), share3]
        )
    with pytest.raises(CryptoCheckError, match=r"^shares\[0\]\.index: must be in 1…3$"):
        check_ceremony_test(vector_public, [dataclasses.replace(share1, index=9)])
    # A share bound to an election hash instead of key_hash is not a test share.
    election_share = make_decryption_share(
        vector_public.n,
        3,
        vector_public.trustees.v,
        1,
        h(key["shares"]["1"]),
        vector_public.test.ciphertext,
        "00" * 32,
    )
    with pytest.raises(CryptoCheckError, match=r"^shares\[0\]\.proof: "):
        check_ceremony_test(vector_public, [election_share, share3])


def test_ceremony_test_wrong_plaintext_detected(
    vector_public: CeremonyPublic, key: dict[str, Any]
) -> None:
    """Valid shares that decrypt to another value than the stated M fail."""
    shares = [
        make_ceremony_test_share(vector_public, i, h(key["shares"][str(i)]))
        for i in (1, 2)
    ]
    claimed = dataclasses.replace(vector_public.test, plaintext=5)
    with pytest.raises(CryptoCheckError) as caught:
        check_ceremony_test(dataclasses.replace(vector_public, test=claimed), shares)
    assert str(caught.value) == "shares: decrypt to 271828, not the test plaintext"


def test_ceremony_public_json_round_trip(vector_public: CeremonyPublic) -> None:
    """public.json parses back; a wrong key_hash or an extra key is rejected."""
    data = parse_json(cjson(vector_public.to_json()))
    assert CeremonyPublic.from_json(data) == vector_public
    data["key_hash"] = "00" * 32
    with pytest.raises(CryptoCheckError) as caught:
        CeremonyPublic.from_json(data)
    assert (
        str(caught.value)
        == "public.key_hash: does not match the published key material"
    )
    data = vector_public.to_json()
    data["extra"] = 1
    with pytest.raises(StructureError, match=r"^public: unknown key\(s\): extra$"):
        CeremonyPublic.from_json(data)
    data = vector_public.to_json()
    data["ceremony_test"]["plaintext"] = "5"
    with pytest.raises(
        StructureError, match=r"^public\.ceremony_test\.plaintext: expected an integer$"
    ):
        CeremonyPublic.from_json(data)


def test_ceremony_public_check(vector_public: CeremonyPublic) -> None:
    """A 1024-bit key needs test mode; tampered v or proof fail the check."""
    with pytest.raises(
        CryptoCheckError, match=r"^public_key\.n: bits\(n\) = 1024 < 2048"
    ):
        vector_public.check()
    trustees = dataclasses.replace(vector_public.trustees, v=0)
    with pytest.raises(CryptoCheckError, match=r"^trustees\.v: not a valid ciphertext"):
        dataclasses.replace(vector_public, trustees=trustees).check(
            allow_test_keys=True
        )
    trustees = dataclasses.replace(vector_public.trustees, threshold=4)
    with pytest.raises(
        CryptoCheckError, match=r"^trustees\.threshold: need 1 ≤ t ≤ ℓ$"
    ):
        dataclasses.replace(vector_public, trustees=trustees).check(
            allow_test_keys=True
        )
    test = dataclasses.replace(vector_public.test, randomness=vector_public.n)
    with pytest.raises(
        CryptoCheckError, match=r"^ceremony_test\.randomness: not in Z\*_n$"
    ):
        dataclasses.replace(vector_public, test=test).check(allow_test_keys=True)


# ---------------------------------------------------------------- round trip


@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_deal_encrypt_decrypt_round_trip(
    small_primes: tuple[int, int], data: st.DataObject
) -> None:
    """For t ≤ ℓ ≤ 5, any ≥ t valid shares of Enc(M) combine to M."""
    count = data.draw(st.integers(1, 5), label="ℓ")
    threshold = data.draw(st.integers(1, count), label="t")
    trustees = [X25519PrivateKey.generate() for _ in range(count)]
    output = deal(
        *small_primes, threshold, [k.public_key().public_bytes_raw() for k in trustees]
    )
    public = output.public
    n, v = public.n, public.trustees.v
    check_key_proof(n, public.public_key.key_proof)
    key = PublicKey(n)
    message = data.draw(st.integers(0, n - 1), label="M")
    A = key.encrypt(message, key.random_unit())
    subset = data.draw(
        st.lists(
            st.integers(1, count), min_size=threshold, max_size=count, unique=True
        ),
        label="S",
    )
    election_hash = "ab" * 32
    shares = {}
    for i in subset:
        s_i = decrypt_share(n, output.boxes[i - 1], trustees[i - 1])
        share = make_decryption_share(n, count, v, i, s_i, A, election_hash)
        vk = public.trustees.verification_keys[i - 1].vk
        assert check_decryption_share(n, count, v, vk, election_hash, i, A, share)
        shares[i] = share.share
    assert combine(n, count, shares, threshold=threshold) == message
    assert combine(n, count, shares) == message
