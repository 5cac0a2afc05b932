"""SPEC §2.1: the Paillier public key, encryption and valid ciphertexts.

Raw number theory: callers should prefer the recipes in ``votecrypto``.
Encryption goes through ``phe``'s ``raw_encrypt`` with randomness supplied
here, so a ciphertext is always a plain integer and never re-randomised.
"""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import gmpy2
from phe import PaillierPublicKey

from votecrypto.errors import CryptoCheckError


@dataclass(frozen=True)
class PublicKey:
    """A Paillier public key ``n`` (SPEC §2.1)."""

    n: int
    """The modulus ``n = p·q``."""

    @cached_property
    def nsquare(self) -> int:
        """Return ``n²``."""
        return self.n * self.n

    @property
    def bits(self) -> int:
        """Return ``bits(n)``."""
        return self.n.bit_length()

    @cached_property
    def _phe(self) -> PaillierPublicKey:
        return PaillierPublicKey(self.n)

    def is_valid_ciphertext(self, c: int) -> bool:
        """Return whether ``0 < c < n²`` and ``gcd(c, n) = 1`` (SPEC §2.1)."""
        return 0 < c < self.nsquare and gmpy2.gcd(c, self.n) == 1

    def check_ciphertext(self, c: int, field: str) -> None:
        """Raise :class:`CryptoCheckError` naming ``field`` unless ``c`` is valid."""
        if not self.is_valid_ciphertext(c):
            raise CryptoCheckError(
                field, "not a valid ciphertext (0 < c < n², gcd(c, n) = 1)"
            )

    def is_unit(self, r: int) -> bool:
        """Return whether ``r`` is in ``Z*_n``: ``1 ≤ r < n`` and ``gcd(r, n) = 1``."""
        return 0 < r < self.n and gmpy2.gcd(r, self.n) == 1

    def random_unit(self) -> int:
        """Draw ``r`` uniformly from ``Z*_n``."""
        while True:
            r = secrets.randbelow(self.n)
            if self.is_unit(r):
                return r

    def encrypt(self, m: int, r: int) -> int:
        """Return ``Enc(M; r) = (1 + n·M)·r^n mod n²`` through ``phe``."""
        if not 0 <= m < self.n:
            raise ValueError("plaintext must be in [0, n)")
        if not self.is_unit(r):
            raise ValueError("randomness must be in Z*_n")
        return int(self._phe.raw_encrypt(m, r_value=r))

    def add(self, c1: int, c2: int) -> int:
        """Return the homomorphic sum ``c1·c2 mod n²``."""
        return int(gmpy2.mul(c1, c2) % self.nsquare)

    def aggregate(self, ciphertexts: Iterable[int]) -> int:
        """Return ``Π c mod n²`` (``1`` for no ciphertexts), SPEC §7."""
        product = gmpy2.mpz(1)
        nsq = gmpy2.mpz(self.nsquare)
        for c in ciphertexts:
            product = product * c % nsq
        return int(product)

    def powmod(self, base: int, exponent: int) -> int:
        """Return ``base^exponent mod n²`` (negative exponents via the inverse)."""
        return int(gmpy2.powmod(base, exponent, self.nsquare))


def L(u: int, n: int) -> int:
    """Return ``L(u) = (u − 1) / n`` (SPEC §2.3)."""
    return (u - 1) // n
