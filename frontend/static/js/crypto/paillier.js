// SPEC §2.1 Paillier encryption, as the booth needs it (no decryption here).

import { gcd, modPow } from "./bigint.js";

/**
 * SPEC §2.1 `Enc(M; r) = (1 + n·M) · r^n mod n²`.
 * @param {bigint} n The public modulus.
 * @param {bigint} m The plaintext, in `[0, n)`.
 * @param {bigint} r The randomness, in `Z*_n`.
 * @returns {bigint}
 * @throws {RangeError} if `m` or `r` is out of range.
 */
export function encrypt(n, m, r) {
  if (!isUnit(n, r)) {
    throw new RangeError("encrypt: randomness r must be in Z*_n");
  }
  return encryptWithFactor(n, m, modPow(r, n, n * n));
}

/**
 * `Enc(M; r)` from a precomputed `r^n mod n²` (one multiplication).
 * @param {bigint} n The public modulus.
 * @param {bigint} m The plaintext, in `[0, n)`.
 * @param {bigint} rN `r^n mod n²`.
 * @returns {bigint}
 */
export function encryptWithFactor(n, m, rN) {
  if (m < 0n || m >= n) {
    throw new RangeError("encrypt: plaintext must be in [0, n)");
  }
  const n2 = n * n;
  // (1 + n·M)·rN = rN + n·M·rN (mod n²)
  return (rN + ((n * m) % n2) * rN) % n2;
}

/**
 * SPEC §2.1 valid ciphertext: an integer `c` with `0 < c < n²` and `gcd(c, n) = 1`.
 * @param {bigint} n
 * @param {bigint} c
 * @returns {boolean}
 */
export function isValidCiphertext(n, c) {
  return typeof c === "bigint" && c > 0n && c < n * n && gcd(c, n) === 1n;
}

/**
 * Whether `r` is in `Z*_n`: `1 ≤ r < n` and `gcd(r, n) = 1`.
 * @param {bigint} n
 * @param {bigint} r
 * @returns {boolean}
 */
export function isUnit(n, r) {
  return typeof r === "bigint" && r >= 1n && r < n && gcd(r, n) === 1n;
}
