"""Safe-prime generation for the dealer (SPEC §2.1, §2.2 step 1)."""

import gmpy2
import pytest

from votecrypto import primes
from votecrypto.primes import (
    MIN_PAILLIER_BITS,
    SMALL_PRIMES,
    generate_paillier_primes,
    generate_safe_prime,
    is_safe_prime,
    jacobi,
)


def test_small_primes_are_the_odd_primes_below_2_16() -> None:
    """The sieve table holds exactly the 6541 odd primes below 65536."""
    assert len(SMALL_PRIMES) == 6541
    assert SMALL_PRIMES[:6] == (3, 5, 7, 11, 13, 17)
    assert SMALL_PRIMES[-1] == 65521
    assert all(gmpy2.is_prime(r) for r in SMALL_PRIMES)


def test_candidate_window_strikes_exactly_the_small_factors() -> None:
    """A window entry survives iff neither p' nor 2p'+1 has a sieving factor."""
    start = 10**30 + 1
    sieve_primes = SMALL_PRIMES[:200]
    window = primes._candidate_window(start, sieve_primes)
    for k in range(3000):
        q = start + 2 * k
        has_factor = any(q % r == 0 or (2 * q + 1) % r == 0 for r in sieve_primes)
        assert window[k] == (0 if has_factor else 1), k


@pytest.mark.parametrize("bits", [8, 9, 16, 64, 128, 256])
def test_generate_safe_prime_has_exact_length(bits: int) -> None:
    """A generated safe prime has exactly the requested bit length."""
    p = generate_safe_prime(bits)
    assert p.bit_length() == bits
    assert is_safe_prime(p)
    assert p % 4 == 3


def test_generate_safe_prime_with_two_high_bits() -> None:
    """``high_bits=2`` sets the two most significant bits."""
    p = generate_safe_prime(128, high_bits=2)
    assert p >> 126 == 0b11
    assert is_safe_prime(p)


def test_generate_safe_prime_rejects_bad_arguments() -> None:
    """Too few bits or an unsupported ``high_bits`` raise ValueError."""
    with pytest.raises(ValueError, match="at least 8 bits"):
        generate_safe_prime(7)
    with pytest.raises(ValueError, match="high_bits must be 1 or 2"):
        generate_safe_prime(64, high_bits=3)


def test_is_safe_prime_known_values() -> None:
    """5, 7, 23 and 2039 are safe primes; 13, 9, 2 and 4 are not."""
    assert [is_safe_prime(x) for x in (5, 7, 23, 2039)] == [True] * 4
    assert [is_safe_prime(x) for x in (13, 9, 2, 4, 1, 0)] == [False] * 6


@pytest.mark.parametrize("bits_n", [64, 256, 512])
def test_generate_paillier_primes(bits_n: int) -> None:
    """Two distinct safe primes of equal length whose product has bits_n bits."""
    p, q = generate_paillier_primes(bits_n)
    assert p != q
    assert p.bit_length() == q.bit_length() == bits_n // 2
    assert (p * q).bit_length() == bits_n
    assert is_safe_prime(p)
    assert is_safe_prime(q)


def test_generate_paillier_primes_rejects_bad_lengths() -> None:
    """An odd or too small bits(n) raises ValueError."""
    with pytest.raises(ValueError, match="must be even"):
        generate_paillier_primes(513)
    with pytest.raises(ValueError, match=f"at least {MIN_PAILLIER_BITS}"):
        generate_paillier_primes(MIN_PAILLIER_BITS - 2)


def test_jacobi_matches_euler_criterion_for_primes() -> None:
    """For a prime modulus the Jacobi symbol is Euler's criterion."""
    for prime in (23, 2039):
        for a in range(prime):
            euler = pow(a, (prime - 1) // 2, prime)
            assert jacobi(a, prime) == (-1 if euler == prime - 1 else euler)


def test_jacobi_is_multiplicative_in_the_modulus() -> None:
    """(a | 23·47) = (a | 23)·(a | 47), and a negative a is reduced first."""
    for a in range(-50, 200):
        assert jacobi(a, 23 * 47) == jacobi(a, 23) * jacobi(a, 47)


def test_jacobi_rejects_even_modulus() -> None:
    """The Jacobi symbol needs an odd positive modulus."""
    with pytest.raises(ValueError, match="odd positive modulus"):
        jacobi(3, 10)


@pytest.mark.slow
def test_generate_2048_bit_paillier_primes() -> None:
    """A production-size (2048-bit) key is generated with safe primes."""
    p, q = generate_paillier_primes(2048)
    assert (p * q).bit_length() == 2048
    assert is_safe_prime(p)
    assert is_safe_prime(q)
