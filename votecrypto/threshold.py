"""SPEC §2.2–§2.3: the trusted-dealer key ceremony and threshold decryption.

Raw protocol mathematics; callers handle files and users.

* The dealer (:func:`deal`) makes ``d``, the shares ``s_i = f(i) mod n·m``,
  ``v`` and the verification keys ``v_i``, encrypts every share to its
  trustee's X25519 key (:func:`encrypt_share`) and publishes
  :class:`CeremonyPublic`: ``n``, the key proof, ``t``, ``ℓ``, ``v``, the
  ``v_i``, their ``key_hash`` and a test ciphertext with its opening.
* A trustee decrypts its :class:`ShareBox` (:func:`decrypt_share`), checks it
  against ``v_i`` (:func:`check_share`) and, for every aggregate it has
  recomputed itself, publishes a :class:`DecryptionShare` with its proof
  (:func:`make_decryption_share`).
* Anyone checks shares (:func:`check_decryption_share`) and combines ``t`` of
  them (:func:`combine`).

Warning: :class:`DealerOutput` holds the plain shares for the dealer's own
self-test; the dealer discards it after writing the public part and the boxes.
"""

import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import gmpy2
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from votecrypto.canonical import (
    H,
    Hint,
    Json,
    cjson,
    expect_int,
    expect_object,
    hex_bytes,
    hex_int,
    parse_hex_bytes,
    parse_hex_int,
)
from votecrypto.errors import (
    CryptoCheckError,
    EncodingError,
    StructureError,
    VoteCryptoError,
)
from votecrypto.keyproof import check_key_proof, prove_key
from votecrypto.manifest import ElectionPublicKey, TrusteeKeys, VerificationKey
from votecrypto.paillier import L, PublicKey
from votecrypto.primes import is_safe_prime

__all__ = [
    "DECRYPTION_SHARE_TAG",
    "KEY_TAG",
    "MAX_JSON_PLAINTEXT",
    "SHARE_ENCRYPTION_TAG",
    "CeremonyPublic",
    "CeremonyTest",
    "DealerOutput",
    "DecryptionProof",
    "DecryptionShare",
    "ShareBox",
    "check_ceremony_test",
    "check_decryption_share",
    "check_share",
    "combine",
    "combine_power",
    "compute_d",
    "deal",
    "decrypt_share",
    "delta",
    "encrypt_share",
    "key_hash",
    "lagrange_coefficients",
    "make_ceremony_test_share",
    "make_decryption_share",
    "make_shares",
    "proof_bits",
    "require_valid_decryption_share",
    "verification_key",
]

SHARE_ENCRYPTION_TAG = "evote-paillier/1/share-encryption"
"""HKDF ``info`` and AAD tag of a share box (SPEC §2.2 step 6)."""

KEY_TAG = "evote-paillier/1/key"
"""Domain tag of ``key_hash`` (SPEC §2.2 step 7)."""

DECRYPTION_SHARE_TAG = "evote-paillier/1/decryption-share"
"""Domain tag of the decryption-share challenge ``e`` (SPEC §2.3)."""

MAX_JSON_PLAINTEXT = 2**53
"""Test plaintexts are JSON integers, so they lie below ``2^53`` (SPEC §1)."""

_X25519_KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_MIN_PRODUCTION_BITS = 2048


# ---------------------------------------------------------------- helpers


def delta(count: int) -> int:
    """Return ``Δ = ℓ!`` for ``ℓ = count`` trustees (SPEC §2.1)."""
    if count < 1:
        raise ValueError("there is at least one trustee")
    return math.factorial(count)


def proof_bits(n: int, count: int) -> int:
    """Return ``B = 2·bits(n) + bits(Δ) + 512`` of SPEC §2.3."""
    return 2 * n.bit_length() + delta(count).bit_length() + 512


def _check_election_hash(election_hash_hex: str) -> None:
    """Require a 32-byte digest as 64 lowercase hex digits (SPEC §1)."""
    parse_hex_bytes(election_hash_hex, "election_hash", 32)


# ---------------------------------------------------------------- dealer maths


def compute_d(p: int, q: int) -> int:
    """Return ``d`` of SPEC §2.2 step 2: ``d ≡ 0 (mod m)``, ``d ≡ 1 (mod n)``.

    ``m = p'·q'`` for the safe primes ``p = 2p'+1`` and ``q = 2q'+1``; the
    result is the unique such value modulo ``n·m``.
    """
    n = p * q
    m = ((p - 1) // 2) * ((q - 1) // 2)
    return m * int(gmpy2.invert(m, n)) % (n * m)


def make_shares(polynomial: Sequence[int], count: int, modulus: int) -> dict[int, int]:
    """Return ``{i: f(i) mod modulus}`` for ``i = 1…count`` (SPEC §2.2 step 4).

    ``polynomial`` is ``[d, a_1, …, a_{t−1}]``, lowest degree first.
    """
    if not polynomial:
        raise ValueError("the polynomial needs at least its constant term d")
    shares = {}
    for i in range(1, count + 1):
        value = 0
        for coefficient in reversed(polynomial):  # Horner's rule
            value = value * i + coefficient
        shares[i] = value % modulus
    return shares


def verification_key(n: int, count: int, v: int, s_i: int) -> int:
    """Return ``v_i = v^(Δ·s_i) mod n²`` (SPEC §2.2 step 5)."""
    return int(gmpy2.powmod(v, delta(count) * s_i, n * n))


def check_share(n: int, count: int, v: int, vk_i: int, s_i: int) -> bool:
    """Return whether the share ``s_i`` matches ``v^(Δ·s_i) ≡ v_i`` (§2.2)."""
    return s_i >= 0 and verification_key(n, count, v, s_i) == vk_i


def key_hash(n: int, threshold: int, count: int, v: int, vks: Sequence[int]) -> str:
    """Return ``hex(H(["evote-paillier/1/key", hex(n), t, ℓ, hex(v), [hex(v_i)…]]))``.

    SPEC §2.2 step 7: it stands in for ``election_hash`` when trustees
    decrypt the ceremony's test ciphertext.
    """
    parts: list[Json] = [
        KEY_TAG,
        hex_int(n),
        threshold,
        count,
        hex_int(v),
        [hex_int(vk) for vk in vks],
    ]
    return H(parts).hex()


# ---------------------------------------------------------------- share boxes


def _private_key(key: bytes | X25519PrivateKey) -> X25519PrivateKey:
    """Return ``key`` as a ``cryptography`` X25519 private key."""
    if isinstance(key, X25519PrivateKey):
        return key
    if len(key) != _X25519_KEY_BYTES:
        raise ValueError("an X25519 private key has 32 bytes")
    return X25519PrivateKey.from_private_bytes(key)


def _share_key(
    private_key: X25519PrivateKey, peer_public: bytes, salt: bytes, peer_field: str
) -> bytes:
    """Return ``HKDF-SHA256(X25519(private, peer), salt, info)`` (§2.2 step 6)."""
    try:
        secret = private_key.exchange(X25519PublicKey.from_public_bytes(peer_public))
    except ValueError as exc:
        # A small-order public key makes the shared secret all zeros.
        raise CryptoCheckError(peer_field, "unusable X25519 key") from exc
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=salt,
        info=SHARE_ENCRYPTION_TAG.encode("ascii"),
    ).derive(secret)


def _share_aad(n: int, index: int) -> bytes:
    """Return ``cjson(["evote-paillier/1/share-encryption", hex(n), i])``."""
    return cjson([SHARE_ENCRYPTION_TAG, hex_int(n), index])


@dataclass(frozen=True, slots=True)
class ShareBox:
    """A share ``s_i`` encrypted to trustee ``i`` (SPEC §2.2 step 6)."""

    index: int
    """``i``: the trustee's index, 1…ℓ (bound into the AAD)."""
    ephemeral_public_key: bytes
    """The dealer's fresh X25519 public key for this box (32 bytes)."""
    nonce: bytes
    """The 96-bit AES-GCM nonce."""
    ciphertext: bytes
    """AES-256-GCM output over ASCII ``hex(s_i)``, the 16-byte tag at its end."""

    def to_json(self) -> dict[str, Json]:
        """Return ``{"index", "ephemeral_public_key", "nonce", "ciphertext"}``."""
        return {
            "index": self.index,
            "ephemeral_public_key": hex_bytes(self.ephemeral_public_key),
            "nonce": hex_bytes(self.nonce),
            "ciphertext": hex_bytes(self.ciphertext),
        }

    @classmethod
    def from_json(cls, value: Json, field: str = "share_box") -> "ShareBox":
        """Parse a share box strictly (exact keys, byte lengths, hex spelling)."""
        obj = expect_object(
            value, field, ("index", "ephemeral_public_key", "nonce", "ciphertext")
        )
        ciphertext = parse_hex_bytes(obj["ciphertext"], f"{field}.ciphertext")
        if len(ciphertext) <= _TAG_BYTES:
            raise StructureError(f"{field}.ciphertext", "shorter than the GCM tag")
        return cls(
            index=expect_int(obj["index"], f"{field}.index", 1),
            ephemeral_public_key=parse_hex_bytes(
                obj["ephemeral_public_key"],
                f"{field}.ephemeral_public_key",
                _X25519_KEY_BYTES,
            ),
            nonce=parse_hex_bytes(obj["nonce"], f"{field}.nonce", _NONCE_BYTES),
            ciphertext=ciphertext,
        )


def encrypt_share(
    n: int,
    index: int,
    s_i: int,
    trustee_public_key: bytes,
    *,
    ephemeral_private_key: bytes | None = None,
    nonce: bytes | None = None,
) -> ShareBox:
    """Encrypt the share ``s_i`` to trustee ``index`` (SPEC §2.2 step 6).

    A fresh ephemeral X25519 key and a random nonce are drawn unless
    injected (known-answer tests only: reusing either leaks the share).
    """
    if len(trustee_public_key) != _X25519_KEY_BYTES:
        raise ValueError("an X25519 public key has 32 bytes")
    if index < 1 or s_i < 0:
        raise ValueError("index must be ≥ 1 and s_i non-negative")
    ephemeral = (
        X25519PrivateKey.generate()
        if ephemeral_private_key is None
        else _private_key(ephemeral_private_key)
    )
    if nonce is None:
        nonce = secrets.token_bytes(_NONCE_BYTES)
    elif len(nonce) != _NONCE_BYTES:
        raise ValueError("the nonce has 12 bytes")
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    key = _share_key(
        ephemeral,
        trustee_public_key,
        ephemeral_public + trustee_public_key,
        "trustee_public_key",
    )
    ciphertext = AESGCM(key).encrypt(
        nonce, hex_int(s_i).encode("ascii"), _share_aad(n, index)
    )
    return ShareBox(
        index=index,
        ephemeral_public_key=ephemeral_public,
        nonce=nonce,
        ciphertext=ciphertext,
    )


def decrypt_share(
    n: int, box: ShareBox, trustee_private_key: bytes | X25519PrivateKey
) -> int:
    """Decrypt a share box with the trustee's X25519 private key (§2.2 step 6).

    Raise :class:`CryptoCheckError` when the key is not the box's trustee
    key or the box (or ``n``, or its index) was altered.  The caller then
    checks the share with :func:`check_share` and that ``box.index`` is its
    own index.
    """
    private_key = _private_key(trustee_private_key)
    trustee_public = private_key.public_key().public_bytes_raw()
    key = _share_key(
        private_key,
        box.ephemeral_public_key,
        box.ephemeral_public_key + trustee_public,
        "share_box.ephemeral_public_key",
    )
    try:
        plaintext = AESGCM(key).decrypt(
            box.nonce, box.ciphertext, _share_aad(n, box.index)
        )
    except InvalidTag as exc:
        raise CryptoCheckError(
            "share_box",
            "cannot decrypt: wrong trustee key, or the box, n or index was altered",
        ) from exc
    try:
        text = plaintext.decode("ascii")
    except UnicodeDecodeError as exc:
        raise EncodingError("share_box", "the share is not ASCII hex") from exc
    return parse_hex_int(text, "share_box.share")


# ---------------------------------------------------------------- public ceremony data


@dataclass(frozen=True, slots=True)
class CeremonyTest:
    """The ceremony's test ciphertext with its opening (SPEC §2.2 step 7)."""

    plaintext: int
    """``M``, a JSON integer in ``[0, min(n, 2^53))``."""
    randomness: int
    """``r ∈ Z*_n``."""
    ciphertext: int
    """``Enc(M; r)``."""

    def to_json(self) -> dict[str, Json]:
        """Return ``{"plaintext": M, "randomness": hex(r), "ciphertext": hex(c)}``."""
        return {
            "plaintext": self.plaintext,
            "randomness": hex_int(self.randomness),
            "ciphertext": hex_int(self.ciphertext),
        }

    @classmethod
    def from_json(cls, value: Json, field: str = "ceremony_test") -> "CeremonyTest":
        """Parse strictly; :meth:`check` then checks the opening."""
        obj = expect_object(value, field, ("plaintext", "randomness", "ciphertext"))
        return cls(
            plaintext=expect_int(obj["plaintext"], f"{field}.plaintext"),
            randomness=parse_hex_int(obj["randomness"], f"{field}.randomness"),
            ciphertext=parse_hex_int(obj["ciphertext"], f"{field}.ciphertext"),
        )

    def check(self, n: int, field: str = "ceremony_test") -> None:
        """Require ``ciphertext = Enc(plaintext; randomness)`` under ``n``.

        This is the trustee tool's check before it decrypts the one
        ciphertext it has not recomputed itself (SPEC §2.2 step 7).
        """
        key = PublicKey(n)
        if not 0 <= self.plaintext < min(n, MAX_JSON_PLAINTEXT):
            raise CryptoCheckError(f"{field}.plaintext", "outside [0, n)")
        if not key.is_unit(self.randomness):
            raise CryptoCheckError(f"{field}.randomness", "not in Z*_n")
        if key.encrypt(self.plaintext, self.randomness) != self.ciphertext:
            raise CryptoCheckError(
                f"{field}.ciphertext", "is not Enc(plaintext; randomness)"
            )


def _vk(trustees: TrusteeKeys, index: int) -> int:
    """Return ``v_i`` of trustee ``index`` (1…ℓ)."""
    if not 1 <= index <= len(trustees.verification_keys):
        raise CryptoCheckError("index", f"must be in 1…{trustees.count}")
    return trustees.verification_keys[index - 1].vk


@dataclass(frozen=True, slots=True)
class CeremonyPublic:
    """Everything the dealer publishes (SPEC §2.2 step 7), as ``public.json``.

    ``public_key`` and ``trustees`` are the manifest's objects of SPEC §4;
    ``key_hash`` and ``ceremony_test`` serve the ceremony's self-test.
    """

    public_key: ElectionPublicKey
    """``n`` and its key proof (SPEC §2.1)."""
    trustees: TrusteeKeys
    """``t``, ``ℓ``, ``v`` and the verification keys ``v_i``."""
    test: CeremonyTest
    """The test ciphertext with its plaintext and randomness."""

    @property
    def n(self) -> int:
        """Return ``n``."""
        return self.public_key.n

    @property
    def key_hash(self) -> str:
        """Return ``key_hash`` (SPEC §2.2 step 7)."""
        trustees = self.trustees
        return key_hash(
            self.n,
            trustees.threshold,
            trustees.count,
            trustees.v,
            [entry.vk for entry in trustees.verification_keys],
        )

    def to_json(self) -> dict[str, Json]:
        """Return ``{"public_key", "trustees", "key_hash", "ceremony_test"}``."""
        return {
            "public_key": self.public_key.to_json(),
            "trustees": self.trustees.to_json(),
            "key_hash": self.key_hash,
            "ceremony_test": self.test.to_json(),
        }

    @classmethod
    def from_json(cls, value: Json, field: str = "public") -> "CeremonyPublic":
        """Parse ``public.json`` strictly, requiring its ``key_hash`` to match."""
        obj = expect_object(
            value, field, ("public_key", "trustees", "key_hash", "ceremony_test")
        )
        result = cls(
            public_key=ElectionPublicKey.from_json(
                obj["public_key"], f"{field}.public_key"
            ),
            trustees=TrusteeKeys.from_json(obj["trustees"], f"{field}.trustees"),
            test=CeremonyTest.from_json(obj["ceremony_test"], f"{field}.ceremony_test"),
        )
        stated = parse_hex_bytes(obj["key_hash"], f"{field}.key_hash", 32).hex()
        if stated != result.key_hash:
            raise CryptoCheckError(
                f"{field}.key_hash", "does not match the published key material"
            )
        return result

    def check(self, *, allow_test_keys: bool = False) -> None:
        """Check the key a trustee is about to use (SPEC §2.1, §2.2 step 7).

        ``bits(n) ≥ 2048`` unless ``allow_test_keys``; the key proof;
        ``1 ≤ t ≤ ℓ``; ``v`` and every ``v_i`` valid ciphertexts; the test
        ciphertext's opening.  The manifest's full V1 check is
        :func:`votecrypto.manifest.check_manifest_crypto`.
        """
        n = self.n
        if n.bit_length() < _MIN_PRODUCTION_BITS and not allow_test_keys:
            raise CryptoCheckError(
                "public_key.n",
                f"bits(n) = {n.bit_length()} < {_MIN_PRODUCTION_BITS}: a test key",
            )
        check_key_proof(n, self.public_key.key_proof, "public_key.key_proof")
        trustees = self.trustees
        if not 1 <= trustees.threshold <= trustees.count:
            raise CryptoCheckError("trustees.threshold", "need 1 ≤ t ≤ ℓ")
        key = PublicKey(n)
        key.check_ciphertext(trustees.v, "trustees.v")
        for position, entry in enumerate(trustees.verification_keys):
            key.check_ciphertext(entry.vk, f"trustees.verification_keys[{position}].vk")
        self.test.check(n)


@dataclass(frozen=True, slots=True)
class DealerOutput:
    """The result of :func:`deal`: the public part and the encrypted shares.

    ``secret_shares`` holds the plain ``s_i`` for the dealer's self-test and
    for tests only; it is never written out.
    """

    public: CeremonyPublic
    """What the dealer publishes (``public.json``)."""
    boxes: tuple[ShareBox, ...]
    """``s_i`` encrypted to trustee ``i``, in index order."""
    secret_shares: Mapping[int, int] = field(repr=False, compare=False)
    """The plain shares ``{i: s_i}``: discard after the self-test."""

    @property
    def n(self) -> int:
        """Return ``n``."""
        return self.public.n

    @property
    def key_hash(self) -> str:
        """Return ``key_hash``."""
        return self.public.key_hash


def _random_unit_mod(modulus: int, n: int) -> int:
    """Draw ``x`` uniform in ``[1, modulus)`` with ``gcd(x, n) = 1``."""
    while True:
        x = secrets.randbelow(modulus)
        if x and gmpy2.gcd(x, n) == 1:
            return x


def deal(
    p: int,
    q: int,
    threshold: int,
    trustee_x25519_public_keys: Sequence[bytes],
    *,
    names: Sequence[str] | None = None,
    coefficients: Sequence[int] | None = None,
    x: int | None = None,
    w: int | None = None,
    test_plaintext: int | None = None,
    test_randomness: int | None = None,
) -> DealerOutput:
    """Run the trusted dealer's ceremony of SPEC §2.2 for safe primes ``p, q``.

    Trustee ``i`` (1…ℓ) is ``trustee_x25519_public_keys[i−1]``, named
    ``names[i−1]`` (default ``"Trustee i"``).  The coefficients
    ``a_1…a_{t−1}``, ``x``, the key proof's ``w`` and the test ciphertext's
    plaintext and randomness are drawn at random unless injected for a
    known-answer test.
    """
    count = len(trustee_x25519_public_keys)
    if count < 1 or not 1 <= threshold <= count:
        raise ValueError("need at least one trustee and 1 ≤ t ≤ ℓ")
    if len(set(trustee_x25519_public_keys)) != count:
        raise ValueError("every trustee needs a distinct X25519 key")
    if any(len(key) != _X25519_KEY_BYTES for key in trustee_x25519_public_keys):
        raise ValueError("an X25519 public key has 32 bytes")
    if names is None:
        names = [f"Trustee {i}" for i in range(1, count + 1)]
    elif len(names) != count:
        raise ValueError("one name per trustee")
    if p == q or p.bit_length() != q.bit_length():
        raise ValueError("p and q must be distinct primes of equal length")
    if not (is_safe_prime(p) and is_safe_prime(q)):
        raise ValueError("p and q must be safe primes")
    n = p * q
    nsquare = n * n
    m = ((p - 1) // 2) * ((q - 1) // 2)
    if gmpy2.gcd(n, 2 * delta(count)) != 1:
        raise ValueError("gcd(n, 2·Δ) must be 1: the primes are too small")

    # Steps 2–4: d and the shares.
    d = compute_d(p, q)
    if coefficients is None:
        coefficients = [secrets.randbelow(n * m) for _ in range(threshold - 1)]
    elif len(coefficients) != threshold - 1 or any(
        not 0 <= a < n * m for a in coefficients
    ):
        raise ValueError("need t − 1 coefficients in [0, n·m)")
    shares = make_shares([d, *coefficients], count, n * m)

    # Step 5: v and the verification keys.
    if x is None:
        x = _random_unit_mod(nsquare, n)
    elif not (0 < x < nsquare and gmpy2.gcd(x, n) == 1):
        raise ValueError("x must be in Z*_{n²}")
    v = int(gmpy2.powmod(x, 2, nsquare))
    verification_keys = tuple(
        VerificationKey(index=i, name=names[i - 1], vk=verification_key(n, count, v, s))
        for i, s in shares.items()
    )

    # Step 6: the share boxes.
    boxes = tuple(
        encrypt_share(n, i, s, trustee_x25519_public_keys[i - 1])
        for i, s in shares.items()
    )

    # Step 7: the published part with its test ciphertext.
    key = PublicKey(n)
    plaintext = secrets.randbelow(2**32) if test_plaintext is None else test_plaintext
    randomness = key.random_unit() if test_randomness is None else test_randomness
    if not 0 <= plaintext < min(n, MAX_JSON_PLAINTEXT):
        raise ValueError("the test plaintext must be a JSON integer below n")
    test = CeremonyTest(
        plaintext=plaintext,
        randomness=randomness,
        ciphertext=key.encrypt(plaintext, randomness),
    )
    public = CeremonyPublic(
        public_key=ElectionPublicKey(n=n, key_proof=prove_key(p, q, w=w)),
        trustees=TrusteeKeys(
            threshold=threshold,
            count=count,
            v=v,
            verification_keys=verification_keys,
        ),
        test=test,
    )
    return DealerOutput(public=public, boxes=boxes, secret_shares=shares)


# ---------------------------------------------------------------- decryption shares


@dataclass(frozen=True, slots=True)
class DecryptionProof:
    """Proof ``{"a", "b", "z"}`` that ``log_{A⁴}(c_i²) = log_v(v_i)`` (§2.3)."""

    a: int
    """``a = (A⁴)^r mod n²``."""
    b: int
    """``b = v^r mod n²``."""
    z: int
    """``z = r + e·Δ·s_i``, an unreduced integer below ``2^(B+1)``."""

    def to_json(self) -> dict[str, Json]:
        """Return ``{"a", "b", "z"}`` as hex strings."""
        return {"a": hex_int(self.a), "b": hex_int(self.b), "z": hex_int(self.z)}

    @classmethod
    def from_json(cls, value: Json, field: str = "proof") -> "DecryptionProof":
        """Parse strictly: exactly ``a``, ``b``, ``z`` as canonical hex."""
        obj = expect_object(value, field, ("a", "b", "z"))
        return cls(
            a=parse_hex_int(obj["a"], f"{field}.a"),
            b=parse_hex_int(obj["b"], f"{field}.b"),
            z=parse_hex_int(obj["z"], f"{field}.z"),
        )


@dataclass(frozen=True, slots=True)
class DecryptionShare:
    """Trustee ``i``'s share of the decryption of ``A`` with its proof (§2.3, §7)."""

    index: int
    """``i``: the trustee's index."""
    share: int
    """``c_i = A^(2·Δ·s_i) mod n²``."""
    proof: DecryptionProof
    """The proof of equal discrete logarithms."""

    def to_json(self) -> dict[str, Json]:
        """Return ``{"index", "share", "proof"}`` as ``tally.json`` holds it."""
        return {
            "index": self.index,
            "share": hex_int(self.share),
            "proof": self.proof.to_json(),
        }

    @classmethod
    def from_json(cls, value: Json, field: str = "share") -> "DecryptionShare":
        """Parse strictly: exact keys, index ≥ 1, canonical hex."""
        obj = expect_object(value, field, ("index", "share", "proof"))
        return cls(
            index=expect_int(obj["index"], f"{field}.index", 1),
            share=parse_hex_int(obj["share"], f"{field}.share"),
            proof=DecryptionProof.from_json(obj["proof"], f"{field}.proof"),
        )


def _decryption_challenge(
    election_hash_hex: str, index: int, A: int, c_i: int, a: int, b: int
) -> int:
    """Return ``e = Hint(["evote-paillier/1/decryption-share", …])`` (§2.3)."""
    return Hint(
        [
            DECRYPTION_SHARE_TAG,
            election_hash_hex,
            index,
            hex_int(A),
            hex_int(c_i),
            hex_int(a),
            hex_int(b),
        ]
    )


def make_decryption_share(
    n: int,
    count: int,
    v: int,
    index: int,
    s_i: int,
    A: int,
    election_hash_hex: str,
    *,
    r: int | None = None,
) -> DecryptionShare:
    """Return trustee ``index``'s share of ``A`` with its proof (SPEC §2.3).

    ``c_i = A^(2·Δ·s_i) mod n²``; ``r`` is uniform in ``[0, 2^B)`` unless
    injected for a known-answer test (a reused ``r`` reveals ``s_i``).  The
    caller must have recomputed ``A`` itself from the board (SPEC §2.3);
    ``election_hash_hex`` is the election's hash (or ``key_hash`` for the
    ceremony's test).
    """
    _check_election_hash(election_hash_hex)
    if not 1 <= index <= count:
        raise ValueError("index must be in 1…ℓ")
    if not PublicKey(n).is_valid_ciphertext(A):
        raise ValueError("A must be a valid ciphertext")
    nsquare = gmpy2.mpz(n) * n
    bits = proof_bits(n, count)
    if r is None:
        r = secrets.randbits(bits)
    elif not 0 <= r < 1 << bits:
        raise ValueError("r must be in [0, 2^B)")
    exponent = delta(count) * s_i
    c_i = int(gmpy2.powmod(A, 2 * exponent, nsquare))
    a = int(gmpy2.powmod(A, 4 * r, nsquare))
    b = int(gmpy2.powmod(v, r, nsquare))
    e = _decryption_challenge(election_hash_hex, index, A, c_i, a, b)
    return DecryptionShare(
        index=index, share=c_i, proof=DecryptionProof(a=a, b=b, z=r + e * exponent)
    )


def require_valid_decryption_share(
    n: int,
    count: int,
    v: int,
    vk_i: int,
    election_hash_hex: str,
    index: int,
    A: int,
    share: DecryptionShare,
    field: str = "share",
) -> None:
    """Check a decryption share as SPEC §2.3 and V7 say, raising on failure.

    Raise :class:`CryptoCheckError` (or, for a badly spelled
    ``election_hash``, another :class:`VoteCryptoError`) naming the failed
    check: ``share.index`` is ``index`` in 1…ℓ; ``A``, ``a``, ``b``,
    ``c_i``, ``v`` and ``v_i`` are valid ciphertexts; ``z < 2^(B+1)``;
    ``(A⁴)^z ≡ a·(c_i²)^e`` and ``v^z ≡ b·v_i^e (mod n²)``.
    """
    _check_election_hash(election_hash_hex)
    if share.index != index or not 1 <= index <= count:
        raise CryptoCheckError(f"{field}.index", f"expected index {index} in 1…{count}")
    key = PublicKey(n)
    proof = share.proof
    for element, name in (
        (A, "aggregate"),
        (v, "v"),
        (vk_i, "vk"),
        (share.share, f"{field}.share"),
        (proof.a, f"{field}.proof.a"),
        (proof.b, f"{field}.proof.b"),
    ):
        key.check_ciphertext(element, name)
    if not 0 <= proof.z < 1 << (proof_bits(n, count) + 1):
        raise CryptoCheckError(f"{field}.proof.z", "z must be below 2^(B+1)")
    nsquare = gmpy2.mpz(key.nsquare)
    e = _decryption_challenge(
        election_hash_hex, index, A, share.share, proof.a, proof.b
    )
    left = gmpy2.powmod(A, 4 * proof.z, nsquare)
    right = proof.a * gmpy2.powmod(share.share, 2 * e, nsquare) % nsquare
    if left != right:
        raise CryptoCheckError(f"{field}.proof", "(A⁴)^z ≢ a·(c_i²)^e (mod n²)")
    left = gmpy2.powmod(v, proof.z, nsquare)
    right = proof.b * gmpy2.powmod(vk_i, e, nsquare) % nsquare
    if left != right:
        raise CryptoCheckError(f"{field}.proof", "v^z ≢ b·v_i^e (mod n²)")


def check_decryption_share(
    n: int,
    count: int,
    v: int,
    vk_i: int,
    election_hash_hex: str,
    index: int,
    A: int,
    share: DecryptionShare,
) -> bool:
    """Return whether a decryption share is valid (SPEC §2.3, V7).

    The same checks as :func:`require_valid_decryption_share`, which says
    which one failed.
    """
    try:
        require_valid_decryption_share(
            n, count, v, vk_i, election_hash_hex, index, A, share
        )
    except VoteCryptoError:
        return False
    return True


# ---------------------------------------------------------------- combining


def lagrange_coefficients(count: int, indices: Sequence[int]) -> dict[int, int]:
    """Return ``λ_i = Δ · Π_{j∈S, j≠i} j / (j − i)`` for the set ``S`` (§2.3).

    Each ``λ_i`` is an exact (possibly negative) integer.
    """
    chosen = sorted(set(indices))
    if len(chosen) != len(indices) or not chosen:
        raise ValueError("indices must be distinct and not empty")
    if chosen[0] < 1 or chosen[-1] > count:
        raise ValueError("indices must be in 1…ℓ")
    big_delta = delta(count)
    result = {}
    for i in chosen:
        numerator = big_delta
        denominator = 1
        for j in chosen:
            if j != i:
                numerator *= j
                denominator *= j - i
        if numerator % denominator:  # pragma: no cover - Δ = ℓ! makes it exact
            raise AssertionError("λ_i must be an integer")
        result[i] = numerator // denominator
    return result


def _select(
    count: int, shares: Mapping[int, int], threshold: int | None
) -> dict[int, int]:
    """Return the shares to combine: all, or the ``threshold`` lowest indices."""
    indices = sorted(shares)
    if threshold is not None:
        if len(indices) < threshold:
            raise CryptoCheckError(
                "shares", f"need {threshold} shares, got {len(indices)}"
            )
        indices = indices[:threshold]
    if not indices:
        raise CryptoCheckError("shares", "no shares to combine")
    if indices[0] < 1 or indices[-1] > count:
        raise CryptoCheckError("shares", f"indices must be in 1…{count}")
    return {i: shares[i] for i in indices}


def combine_power(
    n: int, count: int, shares: Mapping[int, int], *, threshold: int | None = None
) -> int:
    """Return ``c' = Π_{i∈S} c_i^(2·λ_i) mod n²`` (SPEC §2.3).

    ``S`` is every index of ``shares`` (or the ``threshold`` lowest);
    negative exponents go through the inverse.
    """
    chosen = _select(count, shares, threshold)
    key = PublicKey(n)
    for i, c_i in chosen.items():
        key.check_ciphertext(c_i, f"shares[{i}]")
    nsquare = gmpy2.mpz(key.nsquare)
    product = gmpy2.mpz(1)
    for i, lam in lagrange_coefficients(count, list(chosen)).items():
        product = product * gmpy2.powmod(chosen[i], 2 * lam, nsquare) % nsquare
    return int(product)


def combine(
    n: int, count: int, shares: Mapping[int, int], *, threshold: int | None = None
) -> int:
    """Return ``M = L(c') · (4Δ²)⁻¹ mod n`` from the shares ``{i: c_i}`` (§2.3).

    Combine the shares given, or with ``threshold`` the ``t`` with the lowest
    indices (as V8 does).  The caller has checked every share beforehand;
    shares that do not combine to a plaintext raise
    :class:`CryptoCheckError`.
    """
    c_prime = combine_power(n, count, shares, threshold=threshold)
    if c_prime % n != 1:
        raise CryptoCheckError("shares", "the shares do not combine to a plaintext")
    big_delta = delta(count)
    return L(c_prime, n) * int(gmpy2.invert(4 * big_delta * big_delta, n)) % n


# ---------------------------------------------------------------- ceremony self-test


def make_ceremony_test_share(
    public: CeremonyPublic, index: int, s_i: int, *, r: int | None = None
) -> DecryptionShare:
    """Return trustee ``index``'s share of the ceremony's test ciphertext.

    SPEC §2.2 step 7: first check ``ciphertext = Enc(M; r)`` (the one
    ciphertext a trustee decrypts without recomputing it) and the share
    against ``v_i``, then decrypt through §2.3 with ``key_hash`` in place of
    ``election_hash``.
    """
    public.test.check(public.n)
    trustees = public.trustees
    if not 1 <= index <= trustees.count:
        raise CryptoCheckError("index", f"must be in 1…{trustees.count}")
    if not check_share(public.n, trustees.count, trustees.v, _vk(trustees, index), s_i):
        raise CryptoCheckError("share", f"does not match v_{index}")
    return make_decryption_share(
        public.n,
        trustees.count,
        trustees.v,
        index,
        s_i,
        public.test.ciphertext,
        public.key_hash,
        r=r,
    )


def check_ceremony_test(
    public: CeremonyPublic, shares: Sequence[DecryptionShare]
) -> None:
    """Check that the trustees' shares decrypt the test ciphertext (§2.2 step 7).

    Every share must be valid for its index under ``key_hash``, indices
    distinct, at least ``t`` of them, and the ``t`` with the lowest indices
    must combine to the published plaintext.  Raise
    :class:`CryptoCheckError` otherwise.
    """
    trustees = public.trustees
    by_index: dict[int, int] = {}
    for position, share in enumerate(shares):
        name = f"shares[{position}]"
        if share.index in by_index:
            raise CryptoCheckError(f"{name}.index", "duplicate index")
        if not 1 <= share.index <= trustees.count:
            raise CryptoCheckError(f"{name}.index", f"must be in 1…{trustees.count}")
        require_valid_decryption_share(
            public.n,
            trustees.count,
            trustees.v,
            _vk(trustees, share.index),
            public.key_hash,
            share.index,
            public.test.ciphertext,
            share,
            name,
        )
        by_index[share.index] = share.share
    plaintext = combine(
        public.n, trustees.count, by_index, threshold=trustees.threshold
    )
    if plaintext != public.test.plaintext:
        raise CryptoCheckError(
            "shares", f"decrypt to {plaintext}, not the test plaintext"
        )
