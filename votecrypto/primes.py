"""SPEC §2.1, §2.2 step 1: safe primes for the dealer's Paillier key.

Raw number theory for the key ceremony.  A safe prime is ``p = 2p' + 1``
with ``p'`` prime.  Candidates for ``p'`` are taken from a window after a
random odd start, the window is sieved by the small primes (removing every
``p'`` where ``p'`` or ``2p' + 1`` has a small factor), and only the
survivors meet a base-2 Fermat test and then ``gmpy2.is_prime`` (a BPSW test
followed by Miller–Rabin rounds) on both ``p'`` and ``p``.

The incremental search is the usual one (OpenSSL's too): it favours primes
that follow long gaps a little, which does not matter for factoring.
"""

import secrets

import gmpy2

__all__ = [
    "MIN_PAILLIER_BITS",
    "MIN_SAFE_PRIME_BITS",
    "SMALL_PRIMES",
    "generate_paillier_primes",
    "generate_safe_prime",
    "is_safe_prime",
    "jacobi",
]

_SIEVE_LIMIT = 1 << 16
_WINDOW = 1 << 14
_MR_ROUNDS = 40

MIN_SAFE_PRIME_BITS = 8
"""The smallest bit length :func:`generate_safe_prime` accepts."""

MIN_PAILLIER_BITS = 64
"""The smallest ``bits(n)`` :func:`generate_paillier_primes` accepts.

Such keys are for tests only: SPEC §2.1 wants ``bits(n) ≥ 3072`` in
production and V1 rejects keys below 2048 bits outside test mode.
"""


def _small_primes(limit: int) -> tuple[int, ...]:
    """Return the odd primes below ``limit`` (sieve of Eratosthenes)."""
    sieve = bytearray([1]) * limit
    sieve[0:2] = b"\x00\x00"
    for i in range(2, int(limit**0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytes(len(range(i * i, limit, i)))
    return tuple(i for i in range(3, limit) if sieve[i])


SMALL_PRIMES: tuple[int, ...] = _small_primes(_SIEVE_LIMIT)
"""The odd primes below 2^16 used to sieve candidates."""


def jacobi(a: int, n: int) -> int:
    """Return the Jacobi symbol ``(a | n)`` for odd ``n > 0`` (SPEC §2.1)."""
    if n <= 0 or n % 2 == 0:
        raise ValueError("the Jacobi symbol needs an odd positive modulus")
    return int(gmpy2.jacobi(a % n, n))


def _is_probable_prime(value: int) -> bool:
    """Return whether ``value`` passes BPSW and ``_MR_ROUNDS`` Miller–Rabin rounds."""
    return bool(gmpy2.is_prime(value, _MR_ROUNDS))


def is_safe_prime(p: int) -> bool:
    """Return whether ``p`` and ``(p − 1) / 2`` are both (probable) primes."""
    if p < 5 or p % 2 == 0:
        return False
    return _is_probable_prime((p - 1) // 2) and _is_probable_prime(p)


def _candidate_window(start: int, sieve_primes: tuple[int, ...]) -> bytearray:
    """Sieve ``p' = start + 2k`` for ``k < _WINDOW``.

    Entry ``k`` stays 1 unless a sieving prime ``r`` divides ``p'`` or
    ``2p' + 1``, that is unless ``p' ≡ 0`` or ``p' ≡ (r − 1)/2 (mod r)``.
    """
    window = bytearray([1]) * _WINDOW
    for r in sieve_primes:
        half = (r + 1) // 2  # the inverse of 2 modulo r
        for residue in (0, (r - 1) // 2):
            first = (residue - start) * half % r
            if first < _WINDOW:
                window[first::r] = bytes(len(range(first, _WINDOW, r)))
    return window


def generate_safe_prime(bits: int, *, high_bits: int = 1) -> int:
    """Return a random safe prime ``p = 2p' + 1`` of exactly ``bits`` bits.

    The ``high_bits`` most significant bits of ``p`` are all set (1 or 2);
    :func:`generate_paillier_primes` sets two, so that the product of two
    such primes has exactly twice their length.
    """
    if bits < MIN_SAFE_PRIME_BITS:
        raise ValueError(f"safe primes need at least {MIN_SAFE_PRIME_BITS} bits")
    if high_bits not in (1, 2):
        raise ValueError("high_bits must be 1 or 2")
    q_bits = bits - 1
    # p' >= 2^(q_bits-1) > every sieving prime below, so the sieve never
    # strikes out p' or p themselves for being a small prime.
    sieve_primes = tuple(r for r in SMALL_PRIMES if r < 1 << (q_bits - 2))
    low = sum(1 << (q_bits - 1 - i) for i in range(high_bits))
    high = 1 << q_bits
    while True:
        start = (low + secrets.randbelow(high - low)) | 1
        window = _candidate_window(start, sieve_primes)
        for k in range(_WINDOW):
            if not window[k]:
                continue
            q = start + 2 * k
            if q >= high:
                break
            p = 2 * q + 1
            # Cheap Fermat tests first: most survivors of the sieve fail them.
            if gmpy2.powmod(2, q - 1, q) != 1 or gmpy2.powmod(2, p - 1, p) != 1:
                continue
            if _is_probable_prime(q) and _is_probable_prime(p):
                return p


def generate_paillier_primes(bits_n: int) -> tuple[int, int]:
    """Return distinct safe primes ``(p, q)`` of equal length for SPEC §2.1.

    ``bits(p) = bits(q) = bits_n / 2`` and ``bits(p·q) = bits_n``, which
    must therefore be even.
    """
    if bits_n < MIN_PAILLIER_BITS:
        raise ValueError(f"bits(n) must be at least {MIN_PAILLIER_BITS}")
    if bits_n % 2:
        raise ValueError("bits(n) must be even (two primes of equal length)")
    half = bits_n // 2
    p = generate_safe_prime(half, high_bits=2)
    while True:
        q = generate_safe_prime(half, high_bits=2)
        if q != p:
            break
    if (p * q).bit_length() != bits_n:  # pragma: no cover - excluded by high_bits
        raise AssertionError("two top bits set must give a full-length product")
    return p, q
