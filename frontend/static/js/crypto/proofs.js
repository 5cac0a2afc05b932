// SPEC §3: proof that a ciphertext holds one of a few values (a disjunctive
// Fiat–Shamir proof of n-th residuosity), with precomputation.
//
// Statement: the valid ciphertext c encrypts some M ∈ V = [m_0, …, m_{k−1}];
// u_j = c·(1 − n·m_j) mod n²; the prover knows i with M = m_i and r with
// u_i = r^n.
//
// Precomputation. Every exponentiation by n (the expensive part: a 2048-bit
// exponent over a 4096-bit modulus) is done by `precompute`, before the
// voter's choice is known. It needs r (for a selection, the encryption
// randomness drawn in advance; for a sum proof, Π r_j mod n) and draws:
//   ρ ∈ Z*_n with ρ^n mod n² (the real branch's commitment), and
//   k − 1 simulated branches (e, z), e uniform in [0, 2^256), z ∈ Z*_n,
//   each with w = (z·r^(−e) mod n)^n mod n².
// Once the choice (index i) is known, the simulated branches are assigned,
// in order, to the indices j ≠ i, and
//   a_j = z^n · u_j^(−e) = w · (1 − n·e·(m_i − m_j)) mod n²,
// because u_j = r^n·(1 + n·(m_i − m_j)) and (1 + n·x)^y ≡ 1 + n·x·y (mod n²),
// and x ≡ y (mod n) implies x^n ≡ y^n (mod n²). This is exactly SPEC §3
// step 1 with the same distribution (e_j, z_j uniform), so `prove` then
// costs one hash, a few multiplications and z_i = ρ·r^(e_i) mod n, a
// 256-bit exponent over n.
//
// BigInt arithmetic is not constant-time; the randomness stays inside the
// voter's browser (ideally a Web Worker), and a timing attacker would have
// to run code on the voter's device.

import { bitLength, gcd, hexInt, mod, modInverse, modPow, parseHexInt, randomBits, randomUnit } from "./bigint.js";
import { CryptoError, StructureError } from "./errors.js";
import { Hint } from "./hash.js";
import { isUnit, isValidCiphertext } from "./paillier.js";

/** Domain tag of the §3 challenge. */
export const MEMBERSHIP_TAG = "evote-paillier/1/membership";

/** Keys of a proof object, in canonical order. */
export const PROOF_KEYS = Object.freeze(["challenges", "commitments", "responses"]);

const CHALLENGE_BITS = 256;
const CHALLENGE_MODULUS = 1n << 256n;

/**
 * @typedef {object} SimulatedBranch
 * @property {bigint} e The simulated challenge `e_j`, in `[0, 2^256)`.
 * @property {bigint} z The simulated response `z_j`, in `Z*_n`.
 * @property {bigint} w `(z·r^(−e) mod n)^n mod n²`.
 */

/**
 * @typedef {object} MembershipPrecomputation
 * Everything a §3 proof needs before the choice is known. Use it for one
 * proof only: reusing ρ or a simulated branch leaks the witness.
 * @property {bigint} n
 * @property {number} k The number of values `|V|`.
 * @property {bigint} r The witness randomness (`u_i = r^n`).
 * @property {bigint} rho `ρ ∈ Z*_n`.
 * @property {bigint} rhoN `a_i = ρ^n mod n²`.
 * @property {SimulatedBranch[]} simulated `k − 1` branches, assigned in
 *   order to the indices other than the real one.
 * @property {boolean} used Set by {@link prove}, which refuses a used one.
 */

/**
 * Draw and precompute everything of a §3 proof that does not depend on the
 * choice: `k` exponentiations by `n` in all.
 * @param {bigint} n The public modulus.
 * @param {bigint} r The witness randomness, in `Z*_n`.
 * @param {number} k The number of values `|V|` (k ≥ 1).
 * @param {object} [options]
 * @param {bigint} [options.rho] Injected `ρ` (known-answer tests only).
 * @param {{e: bigint, z: bigint}[]} [options.simulated] Injected simulated
 *   branches, in the order of the indices they will take (tests only).
 * @param {() => void} [options.onStep] Called after each exponentiation by `n`.
 * @returns {MembershipPrecomputation}
 */
export function precompute(n, r, k, options = {}) {
  if (!Number.isInteger(k) || k < 1) {
    throw new RangeError("precompute: k must be a positive integer");
  }
  if (!isUnit(n, r)) {
    throw new RangeError("precompute: r must be in Z*_n");
  }
  const n2 = n * n;
  const step = options.onStep ?? (() => {});
  const rho = options.rho ?? randomUnit(n);
  if (!isUnit(n, rho)) {
    throw new RangeError("precompute: rho must be in Z*_n");
  }
  const rhoN = modPow(rho, n, n2);
  step();
  const given = options.simulated;
  if (given !== undefined && given.length !== k - 1) {
    throw new RangeError(`precompute: expected ${k - 1} simulated branches`);
  }
  const rInverse = k > 1 ? modInverse(r, n) : 1n;
  const simulated = [];
  for (let t = 0; t < k - 1; t++) {
    const e = given ? given[t].e : randomBits(CHALLENGE_BITS);
    const z = given ? given[t].z : randomUnit(n);
    if (e < 0n || e >= CHALLENGE_MODULUS || !isUnit(n, z)) {
      throw new RangeError("precompute: simulated e must be < 2^256 and z in Z*_n");
    }
    const base = (z * modPow(rInverse, e, n)) % n;
    simulated.push({ e, z, w: modPow(base, n, n2) });
    step();
  }
  return { n, k, r, rho, rhoN, simulated, used: false };
}

function checkValues(values) {
  if (!Array.isArray(values) || values.length === 0) {
    throw new RangeError("V must be a non-empty array");
  }
  for (let j = 0; j < values.length; j++) {
    if (!Number.isSafeInteger(values[j]) || values[j] < 0 || (j > 0 && values[j] <= values[j - 1])) {
      throw new RangeError("V must hold distinct non-negative integers in ascending order");
    }
  }
}

/**
 * The §3 challenge `e = Hint(["evote-paillier/1/membership", election_hash,
 * context, hex(n), hex(c), V, [hex(a_0), …]])`.
 * @param {string} electionHash 64 hex digits.
 * @param {unknown[]} context The proof's context array.
 * @param {bigint} n
 * @param {bigint} c
 * @param {number[]} values `V`, as JSON integers.
 * @param {string[]} commitments `hex(a_j)` for every j.
 * @returns {Promise<bigint>}
 */
export function membershipChallenge(electionHash, context, n, c, values, commitments) {
  return Hint([MEMBERSHIP_TAG, electionHash, context, hexInt(n), hexInt(c), values, commitments]);
}

/**
 * SPEC §3: prove that `c` encrypts `values[index]` with randomness `r`.
 *
 * With `pre` (from {@link precompute}, made for the same `n`, `r` and `k`)
 * this needs no exponentiation by `n`; without it, one is made on the spot.
 * @param {object} params
 * @param {bigint} params.n The public modulus.
 * @param {string} params.electionHash `election_hash` (64 hex digits).
 * @param {unknown[]} params.context The context array (SPEC §5).
 * @param {number[]} params.values `V`, ascending.
 * @param {bigint} params.c The ciphertext, `(1 + n·m_i)·r^n mod n²`.
 * @param {number} params.index `i`, the position of the plaintext in `V`.
 * @param {bigint} params.r The encryption randomness of `c`.
 * @param {MembershipPrecomputation} [params.pre]
 * @returns {Promise<{commitments: string[], challenges: string[], responses: string[]}>}
 */
export async function prove({ n, electionHash, context, values, c, index, r, pre }) {
  checkValues(values);
  const k = values.length;
  if (!Number.isInteger(index) || index < 0 || index >= k) {
    throw new RangeError("prove: index outside V");
  }
  const p = pre ?? precompute(n, r, k);
  if (p.n !== n || p.r !== r || p.k !== k) {
    throw new RangeError("prove: the precomputation was made for another n, r or k");
  }
  if (p.used) {
    // A second proof with the same ρ (or simulated branch) reveals the witness.
    throw new Error("prove: this precomputation was already used for a proof");
  }
  p.used = true;
  const n2 = n * n;
  const plaintext = BigInt(values[index]);
  const commitments = new Array(k);
  const challenges = new Array(k);
  const responses = new Array(k);
  let sum = 0n;
  let t = 0;
  for (let j = 0; j < k; j++) {
    if (j === index) {
      commitments[j] = p.rhoN;
      continue;
    }
    const { e, z, w } = p.simulated[t++];
    // a_j = w · (1 − n·e·(m_i − m_j)) mod n²
    const x = mod(e * (plaintext - BigInt(values[j])), n);
    commitments[j] = (w * mod(1n - n * x, n2)) % n2;
    challenges[j] = e;
    responses[j] = z;
    sum += e;
  }
  const hexCommitments = commitments.map(hexInt);
  const e = await membershipChallenge(electionHash, context, n, c, values, hexCommitments);
  const eI = mod(e - sum, CHALLENGE_MODULUS);
  challenges[index] = eI;
  responses[index] = (p.rho * modPow(r, eI, n)) % n;
  return {
    commitments: hexCommitments,
    challenges: challenges.map(hexInt),
    responses: responses.map(hexInt),
  };
}

/**
 * Check the shape of a proof object (exact keys, arrays of strings of
 * length `k` when given); SPEC §7 `structure`.
 * @param {unknown} proof
 * @param {string} field Names the proof in the error.
 * @param {number} [k] The required length of each list.
 * @throws {StructureError}
 */
export function checkProofShape(proof, field, k = undefined) {
  if (proof === null || typeof proof !== "object" || Array.isArray(proof)) {
    throw new StructureError(field, "expected an object");
  }
  const keys = Object.keys(proof);
  const missing = PROOF_KEYS.filter((key) => !keys.includes(key));
  const extra = keys.filter((key) => !PROOF_KEYS.includes(key)).sort();
  if (missing.length) {
    throw new StructureError(field, `missing key(s): ${missing.join(", ")}`);
  }
  if (extra.length) {
    throw new StructureError(field, `unknown key(s): ${extra.join(", ")}`);
  }
  for (const key of PROOF_KEYS) {
    const items = proof[key];
    if (!Array.isArray(items)) {
      throw new StructureError(`${field}.${key}`, "expected an array");
    }
    if (k !== undefined && items.length !== k) {
      throw new StructureError(`${field}.${key}`, `expected ${k} items, got ${items.length}`);
    }
    items.forEach((item, index) => {
      if (typeof item !== "string") {
        throw new StructureError(`${field}.${key}[${index}]`, "expected a hex string");
      }
    });
  }
}

/**
 * SPEC §3 check, saying what fails: lists of length `k`; `c` and every
 * `a_j` valid ciphertexts; every `e_j < 2^256`; every `z_j ∈ Z*_n`;
 * `Σ e_j ≡ e (mod 2^256)`; and for every j the SQUARED equation
 * `z_j^(2n) ≡ (a_j · u_j^(e_j))² (mod n²)` (blind to elements of order two,
 * so a proof whose unsquared equation is off by −1 is valid).
 * @param {object} params
 * @param {bigint} params.n
 * @param {string} params.electionHash The verifier's own `election_hash`.
 * @param {unknown[]} params.context
 * @param {number[]} params.values `V`.
 * @param {bigint} params.c
 * @param {unknown} params.proof The proof object as received (hex strings).
 * @param {string} [params.field] Names the proof in the message.
 * @returns {Promise<string | null>} `null` if the proof checks, otherwise
 *   what fails, naming the field.
 */
export async function membershipProblem(params) {
  const { problem, equations } = await membershipEquations(params);
  if (problem !== null) {
    return problem;
  }
  const { n, field = "proof" } = params;
  for (let j = 0; j < equations.length; j++) {
    if (!checkEquation(n, equations[j])) {
      return `${field}: the equation of branch ${j} does not hold`;
    }
  }
  return null;
}

/**
 * @typedef {object} Equation
 * One branch's equation of SPEC §3, `z^(2n) ≡ (a · u^e)² (mod n²)` with
 * `u = c·(1 − n·m) mod n²`.
 * @property {bigint} z The response `z_j`.
 * @property {bigint} a The commitment `a_j`.
 * @property {bigint} c The ciphertext `c`.
 * @property {bigint} m The value `m_j`.
 * @property {bigint} e The challenge `e_j`.
 */

/**
 * Every check of SPEC §3 but the equations, in {@link membershipProblem}'s
 * order and with its messages: the equations are returned instead of
 * evaluated, for {@link checkEquationGroups}.
 * @param {Parameters<typeof membershipProblem>[0]} params
 * @returns {Promise<{problem: string | null, equations: Equation[] | null}>}
 *   `problem` (naming the field) and no equations when a check fails.
 */
export async function membershipEquations({ n, electionHash, context, values, c, proof, field = "proof" }) {
  checkValues(values);
  const k = values.length;
  const failed = (problem) => ({ problem, equations: null });
  let a;
  let e;
  let z;
  try {
    checkProofShape(proof, field, k);
    a = proof.commitments.map((item, j) => parseHexInt(item, `${field}.commitments[${j}]`));
    e = proof.challenges.map((item, j) => parseHexInt(item, `${field}.challenges[${j}]`));
    z = proof.responses.map((item, j) => parseHexInt(item, `${field}.responses[${j}]`));
  } catch (error) {
    if (error instanceof CryptoError) {
      return failed(error.message);
    }
    throw error;
  }
  if (!isValidCiphertext(n, c)) {
    return failed(`${field}: the ciphertext is not a valid ciphertext`);
  }
  for (let j = 0; j < k; j++) {
    if (!isValidCiphertext(n, a[j])) {
      return failed(`${field}.commitments[${j}]: not a valid ciphertext`);
    }
    if (e[j] >= CHALLENGE_MODULUS) {
      return failed(`${field}.challenges[${j}]: not below 2^256`);
    }
    if (z[j] < 1n || z[j] >= n || gcd(z[j], n) !== 1n) {
      return failed(`${field}.responses[${j}]: not in Z*_n`);
    }
  }
  const challenge = await membershipChallenge(electionHash, context, n, c, values, proof.commitments);
  const sum = e.reduce((x, y) => x + y, 0n);
  if (mod(sum, CHALLENGE_MODULUS) !== challenge) {
    return failed(`${field}.challenges: the sum is not the hash challenge`);
  }
  return { problem: null, equations: values.map((m, j) => ({ z: z[j], a: a[j], c, m: BigInt(m), e: e[j] })) };
}

/**
 * Whether `z^(2n) ≡ (a · u^e)² (mod n²)` holds (exact, no batching).
 * @param {bigint} n
 * @param {Equation} equation
 * @returns {boolean}
 */
export function checkEquation(n, { z, a, c, m, e }) {
  const n2 = n * n;
  const u = (c * mod(1n - n * m, n2)) % n2;
  const zn = modPow(z, n, n2);
  const right = (a * modPow(u, e, n2)) % n2;
  return (zn * zn) % n2 === (right * right) % n2;
}

// ------------------------------------------------------------ batches
//
// As votecrypto/proofs.py `check_equation_groups` (SPEC §3 allows it; it
// relies on n being a product of safe primes). Every equation gets a random
// 128-bit weight w, drawn after the equations are fixed, and a batch holds
// when
//   (Π z^w)^(2n) ≡ (Π a^w · Π_c c^(Σ e·w) · (1 − n·Σ m·e·w))² (mod n²),
// using u^(e·w) = c^(e·w)·(1 − n·m·e·w) mod n². So a batch costs ONE
// exponentiation by n (instead of one per equation) and 128-bit powers of
// z and a, multiplied by simultaneous exponentiation.

/** Bits of the random weights of a batch (SPEC §3: at least 128). */
export const BATCH_WEIGHT_BITS = 128;

const WINDOW_BITS = 4;

/**
 * `Π b^x mod modulus` over the `[b, x]` pairs (every `x ≥ 0`), by Straus's
 * simultaneous exponentiation: a table `b^0 … b^15` per base and one chain
 * of squarings for all, reading the exponents 4 bits at a time.
 * @param {[bigint, bigint][]} pairs
 * @param {bigint} modulus
 * @returns {bigint}
 */
export function productOfPowers(pairs, modulus) {
  const mask = (1n << BigInt(WINDOW_BITS)) - 1n;
  const tables = [];
  let top = 0;
  for (const [base, exponent] of pairs) {
    if (exponent < 0n) {
      throw new RangeError("productOfPowers: exponents must be non-negative");
    }
    const power = mod(base, modulus);
    const table = [1n, power];
    for (let d = 2; d <= Number(mask); d++) {
      table.push((table[d - 1] * power) % modulus);
    }
    tables.push({ table, exponent });
    top = Math.max(top, bitLength(exponent));
  }
  let result = 1n % modulus;
  for (let shift = Math.floor((top - 1) / WINDOW_BITS) * WINDOW_BITS; shift >= 0; shift -= WINDOW_BITS) {
    for (let s = 0; s < WINDOW_BITS; s++) {
      result = (result * result) % modulus;
    }
    const at = BigInt(shift);
    for (const { table, exponent } of tables) {
      const digit = Number((exponent >> at) & mask);
      if (digit !== 0) {
        result = (result * table[digit]) % modulus;
      }
    }
  }
  return result;
}

/**
 * `[Π z^w, Π a^w · Π_c c^(Σ e·w) · (1 − n·Σ m·e·w)] mod n²` with a fresh
 * random weight `w` per equation.
 * @param {bigint} n
 * @param {Equation[]} equations
 * @returns {[bigint, bigint]}
 */
function weightedProducts(n, equations) {
  const n2 = n * n;
  const left = [];
  const right = [];
  const cExponents = new Map();
  let shift = 0n;
  for (const { z, a, c, m, e } of equations) {
    const w = randomBits(BATCH_WEIGHT_BITS);
    left.push([z, w]);
    right.push([a, w]);
    const ew = e * w;
    cExponents.set(c, (cExponents.get(c) ?? 0n) + ew);
    shift += m * ew;
  }
  right.push(...cExponents);
  const zProduct = productOfPowers(left, n2);
  const product = productOfPowers(right, n2);
  return [zProduct, (product * mod(1n - n * mod(shift, n), n2)) % n2];
}

/**
 * The groups that fail a batch check on their own. A group (the equations
 * of a proof, or of all the proofs of a ballot) passes or fails as a whole;
 * all groups are checked together, and a failing batch is split in halves
 * (reusing the weighted products: one exponentiation by n per test) until
 * single groups remain. A group whose equations all hold is never listed;
 * one with a false equation is listed except with probability below
 * 2^−128 for a key of safe primes (SPEC §3). Decide the listed groups with
 * the exact check.
 * @param {bigint} n
 * @param {Equation[][]} groups
 * @returns {number[]} Indices into `groups`, ascending.
 */
export function failingGroups(n, groups) {
  const n2 = n * n;
  const partials = groups.map((group) => weightedProducts(n, group));
  const failing = [];
  const holds = (indices) => {
    let left = 1n;
    let right = 1n;
    for (const index of indices) {
      left = (left * partials[index][0]) % n2;
      right = (right * partials[index][1]) % n2;
    }
    left = modPow(left, n, n2);
    return (left * left) % n2 === (right * right) % n2;
  };
  const resolve = (indices) => {
    if (indices.length === 0 || holds(indices)) {
      return;
    }
    if (indices.length === 1) {
      failing.push(indices[0]);
      return;
    }
    const middle = Math.floor(indices.length / 2);
    resolve(indices.slice(0, middle));
    resolve(indices.slice(middle));
  };
  resolve(groups.map((_, index) => index));
  return failing;
}

/**
 * For each group, whether all its equations hold, checking in batches
 * ({@link failingGroups}); a group failing on its own is decided by the
 * exact check of each equation. A verifier that uses this must say so.
 * @param {bigint} n
 * @param {Equation[][]} groups
 * @returns {boolean[]}
 */
export function checkEquationGroups(n, groups) {
  const result = groups.map(() => true);
  for (const index of failingGroups(n, groups)) {
    result[index] = groups[index].every((equation) => checkEquation(n, equation));
  }
  return result;
}

/**
 * SPEC §3 check as a boolean; see {@link membershipProblem}.
 * @param {Parameters<typeof membershipProblem>[0]} params
 * @returns {Promise<boolean>}
 */
export async function checkMembership(params) {
  return (await membershipProblem(params)) === null;
}
