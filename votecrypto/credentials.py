"""SPEC §4.1: voting codes and the Ed25519 credentials derived from them.

A credential authority draws one voting code per voter (20 independent
uniform characters of the RFC 4648 base32 alphabet, shown as four
dash-separated groups of five).  The voter's device normalises what was
typed and derives the Ed25519 seed with HKDF-SHA256; the manifest lists only
the public keys.
"""

import secrets
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from votecrypto import ed25519
from votecrypto.canonical import parse_identifier
from votecrypto.errors import VoteCryptoError

ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
"""The RFC 4648 base32 alphabet ``A–Z2–7``."""

CODE_LENGTH: Final = 20
"""Characters in a voting code."""

GROUP_LENGTH: Final = 5
"""Characters per dash-separated group when a code is shown."""

CREDENTIAL_INFO: Final = b"evote-paillier/1/credential"
"""HKDF ``info`` of the credential seed."""

SEED_LENGTH: Final = 32
"""Bytes of the derived Ed25519 seed."""

_REMOVED: Final = frozenset("- \t\r\n")
_ALLOWED: Final = frozenset(ALPHABET)


class VotingCodeError(VoteCryptoError):
    """A typed voting code cannot be normalised (SPEC §4.1).

    The message says what is wrong in words a voter can act on, for
    example ``voting code has 19 characters, not 20``.
    """

    def __init__(self, problem: str) -> None:
        """Record ``problem``; the message is the problem itself."""
        super().__init__("", problem)


def generate_voting_code() -> str:
    """Draw a voting code and return it as shown: ``XXXXX-XXXXX-XXXXX-XXXXX``.

    The 20 characters are independent and uniform over ``A–Z2–7``
    (``secrets``), 100 bits in all.
    """
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(
        code[start : start + GROUP_LENGTH]
        for start in range(0, CODE_LENGTH, GROUP_LENGTH)
    )


def normalise_voting_code(text: str) -> str:
    """Return the 20 characters of a typed voting code (SPEC §4.1).

    Remove ``-`` (U+002D) and ASCII whitespace (space, tab, CR, LF) only;
    map ASCII ``a–z`` to ``A–Z`` only; then require exactly 20 characters of
    ``A–Z2–7``.  Anything else (no-break or ideographic spaces, VT, FF,
    Unicode dashes, dotless i, full-width digits, ``0``, ``1``, ``8``, …)
    raises :class:`VotingCodeError` listing the offending characters once
    each, in the order they appear.
    """
    kept = [
        chr(ord(ch) - 32) if "a" <= ch <= "z" else ch
        for ch in text
        if ch not in _REMOVED
    ]
    bad = list(dict.fromkeys(ch for ch in kept if ch not in _ALLOWED))
    if bad:
        raise VotingCodeError(f"voting code has characters outside A–Z2–7: {bad!r}")
    if len(kept) != CODE_LENGTH:
        raise VotingCodeError(
            f"voting code has {len(kept)} characters, not {CODE_LENGTH}"
        )
    return "".join(kept)


def credential_seed(code: str, election_id: str) -> bytes:
    """Return the 32-byte Ed25519 seed of a voting code for an election (§4.1).

    ``seed = HKDF-SHA256(ikm = the normalised code as ASCII, salt =
    election_id as ASCII, info = "evote-paillier/1/credential", length
    32)``.  ``code`` may be given as typed; it is normalised first.
    """
    parse_identifier(election_id, "election_id")
    normalised = normalise_voting_code(code)
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=SEED_LENGTH,
        salt=election_id.encode("ascii"),
        info=CREDENTIAL_INFO,
    )
    return hkdf.derive(normalised.encode("ascii"))


def credential_public_key(code: str, election_id: str) -> bytes:
    """Return the 32-byte Ed25519 public key (the credential) of a voting code."""
    return ed25519.public_key_from_seed(credential_seed(code, election_id))
