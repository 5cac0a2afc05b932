// SPEC §2.1: checking the key proof that `n` is a Paillier–Blum modulus
// (after Canetti et al. 2021, Π^mod), as the verifier's V1 does: the
// trustee console checks it before it trusts a key with a share.
//
// Only the checks the spec lists, with the number theory they need: the
// Jacobi symbol and a Miller–Rabin test (for "n is not prime").

import { bitLength, gcd, hexInt, modPow, parseHexInt, randomBelow } from "./bigint.js";
import { CryptoError, expectInt, expectList, expectObject } from "./errors.js";
import { Hint } from "./hash.js";

/** Domain tag of the challenges `y_i` (SPEC §2.1). */
export const KEY_PROOF_TAG = "evote-paillier/1/key-proof";

/** Rounds `i = 0…127` (SPEC §2.1). */
export const KEY_PROOF_ROUNDS = 128;

/**
 * `J = ⌈(bits(n) + 128) / 256⌉`: the hash blocks of one challenge.
 * @param {bigint} n
 * @returns {number}
 */
export function challengeBlocks(n) {
  return Math.ceil((bitLength(n) + 128) / 256);
}

/**
 * `y_i = (Σ_{j<J} Hint([tag, hex(n), hex(w), i, j]) · 2^(256·j)) mod n`.
 * @param {bigint} n
 * @param {bigint} w
 * @param {number} i
 * @returns {Promise<bigint>}
 */
export async function deriveChallenge(n, w, i) {
  let total = 0n;
  for (let j = 0; j < challengeBlocks(n); j++) {
    total |= (await Hint([KEY_PROOF_TAG, hexInt(n), hexInt(w), i, j])) << BigInt(256 * j);
  }
  return total % n;
}

/**
 * The Jacobi symbol `(a|n)` for an odd positive `n`.
 * @param {bigint} a
 * @param {bigint} n
 * @returns {-1 | 0 | 1}
 */
export function jacobi(a, n) {
  if (n <= 0n || n % 2n === 0n) {
    throw new RangeError("jacobi: n must be odd and positive");
  }
  a %= n;
  if (a < 0n) {
    a += n;
  }
  let result = 1;
  while (a !== 0n) {
    while (a % 2n === 0n) {
      a /= 2n;
      const r = n % 8n;
      if (r === 3n || r === 5n) {
        result = -result;
      }
    }
    [a, n] = [n, a];
    if (a % 4n === 3n && n % 4n === 3n) {
      result = -result;
    }
    a %= n;
  }
  return n === 1n ? /** @type {1 | -1} */ (result) : 0;
}

const SMALL_PRIMES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n];

/**
 * Miller–Rabin: whether `n` is probably prime (bases 2…41, then `rounds`
 * random ones; a composite passes with probability below 4^−rounds).
 * @param {bigint} n
 * @param {number} [rounds]
 * @returns {boolean}
 */
export function isProbablePrime(n, rounds = 24) {
  if (n < 2n) {
    return false;
  }
  for (const p of SMALL_PRIMES) {
    if (n === p) {
      return true;
    }
    if (n % p === 0n) {
      return false;
    }
  }
  let d = n - 1n;
  let s = 0;
  while (d % 2n === 0n) {
    d /= 2n;
    s += 1;
  }
  const witnesses = [...SMALL_PRIMES];
  for (let k = 0; k < rounds; k++) {
    witnesses.push(2n + randomBelow(n - 3n));
  }
  return witnesses.every((a) => {
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) {
      return true;
    }
    for (let r = 1; r < s; r++) {
      x = (x * x) % n;
      if (x === n - 1n) {
        return true;
      }
    }
    return false;
  });
}

/**
 * Parse a key proof `{"w", "rounds": [{"x", "a", "b", "z"}, … 128]}` strictly.
 * @param {unknown} value
 * @param {string} [field]
 * @returns {{w: bigint, rounds: {x: bigint, a: number, b: number, z: bigint}[]}}
 */
export function parseKeyProof(value, field = "key_proof") {
  const obj = expectObject(value, field, ["rounds", "w"]);
  const w = parseHexInt(obj.w, `${field}.w`);
  const rounds = expectList(obj.rounds, `${field}.rounds`, KEY_PROOF_ROUNDS).map((item, i) => {
    const where = `${field}.rounds[${i}]`;
    const round = expectObject(item, where, ["a", "b", "x", "z"]);
    return {
      x: parseHexInt(round.x, `${where}.x`),
      a: expectInt(round.a, `${where}.a`, 0, 1),
      b: expectInt(round.b, `${where}.b`, 0, 1),
      z: parseHexInt(round.z, `${where}.z`),
    };
  });
  return { w, rounds };
}

/**
 * Check the key proof for `n` (SPEC §2.1, V1), throwing a CryptoError that
 * names the failed check and round: `n` odd and not prime; `w ∈ [1, n)`
 * with `(w|n) = −1`; for every `i`: `gcd(y_i, n) = 1`, `x_i, z_i ∈ [1, n)`,
 * `z_i^n ≡ y_i` and `x_i^4 ≡ (−1)^(a_i) · w^(b_i) · y_i (mod n)`.
 * @param {bigint} n
 * @param {unknown} value The proof's JSON object.
 * @param {string} [field]
 * @param {(done: number, total: number) => void} [onRound] Progress.
 * @returns {Promise<void>}
 */
export async function checkKeyProof(n, value, field = "key_proof", onRound = undefined) {
  const proof = parseKeyProof(value, field);
  if (n < 3n || n % 2n === 0n) {
    throw new CryptoError("n", "n must be odd (and at least 3)");
  }
  if (isProbablePrime(n)) {
    throw new CryptoError("n", "n must not be prime");
  }
  const { w } = proof;
  if (w < 1n || w >= n) {
    throw new CryptoError(`${field}.w`, "w must be in [1, n)");
  }
  if (jacobi(w, n) !== -1) {
    throw new CryptoError(`${field}.w`, "Jacobi symbol (w|n) must be −1");
  }
  for (const [i, round] of proof.rounds.entries()) {
    const where = `${field}.rounds[${i}]`;
    const y = await deriveChallenge(n, w, i);
    if (gcd(y, n) !== 1n) {
      throw new CryptoError(where, `gcd(y_${i}, n) ≠ 1`);
    }
    if (round.x < 1n || round.x >= n) {
      throw new CryptoError(`${where}.x`, "x must be in [1, n)");
    }
    if (round.z < 1n || round.z >= n) {
      throw new CryptoError(`${where}.z`, "z must be in [1, n)");
    }
    if (modPow(round.z, n, n) !== y) {
      throw new CryptoError(`${where}.z`, `z^n ≢ y_${i} (mod n)`);
    }
    let expected = (y * (round.b ? w : 1n)) % n;
    if (round.a) {
      expected = (n - expected) % n;
    }
    if (modPow(round.x, 4n, n) !== expected) {
      throw new CryptoError(`${where}.x`, "x^4 ≢ (−1)^a · w^b · y (mod n)");
    }
    onRound?.(i + 1, KEY_PROOF_ROUNDS);
  }
}
