// SPEC §2.1 key proof in the browser, against the shared vectors: the
// challenges y_i, the Jacobi symbol, the primality test, the proof that
// verifies and every tampered proof the vectors say must be rejected.
import assert from "node:assert/strict";
import { test } from "node:test";

import { CryptoError } from "../../static/js/crypto/errors.js";
import {
  challengeBlocks,
  checkKeyProof,
  deriveChallenge,
  isProbablePrime,
  jacobi,
} from "../../static/js/crypto/keyproof.js";
import { parsePublicKey } from "../../static/js/crypto/threshold.js";
import { big, vectors } from "./helpers.mjs";

const key = vectors.key;
const n = big(key.n);
const proof = key.key_proof.key_proof;

test("J and the first challenges are the vectors'", async () => {
  assert.equal(challengeBlocks(n), key.key_proof.J);
  for (const [bits, blocks] of Object.entries(key.key_proof.J_for_bits)) {
    assert.equal(challengeBlocks(1n << BigInt(Number(bits) - 1)), blocks);
  }
  const w = big(proof.w);
  for (const i of [0, 1, 127]) {
    assert.equal(await deriveChallenge(n, w, i), big(key.key_proof.y[i]));
  }
});

test("Jacobi symbols of w and small cases", () => {
  assert.equal(jacobi(big(proof.w), n), key.key_proof.jacobi_w_n);
  assert.equal(jacobi(big(proof.w), big(key.p)), key.key_proof.legendre_w_p);
  assert.equal(jacobi(big(proof.w), big(key.q)), key.key_proof.legendre_w_q);
  // (2|15) = 1, (7|15) = −1, (5|15) = 0, (−1|7) = −1.
  assert.deepEqual([jacobi(2n, 15n), jacobi(7n, 15n), jacobi(5n, 15n), jacobi(-1n, 7n)], [1, -1, 0, -1]);
  assert.throws(() => jacobi(3n, 10n), RangeError);
});

test("primes and composites are told apart", () => {
  assert.equal(isProbablePrime(big(key.p)), true);
  assert.equal(isProbablePrime(big(key.q)), true);
  assert.equal(isProbablePrime(n), false);
  // A Carmichael number and a strong pseudoprime to base 2.
  assert.equal(isProbablePrime(561n), false);
  assert.equal(isProbablePrime(2047n), false);
  assert.deepEqual([0n, 1n, 2n, 3n, 4n, 41n, 43n].map((x) => isProbablePrime(x)), [false, false, true, true, false, true, true]);
});

test("the vectors' key proof verifies, reporting each round", async () => {
  const seen = [];
  await checkKeyProof(n, proof, "key_proof", (done, total) => seen.push([done, total]));
  assert.equal(seen.length, 128);
  assert.deepEqual(seen.at(-1), [128, 128]);
  assert.equal(parsePublicKey({ n: key.n, key_proof: proof }), n);
});

/** Apply one of the vectors' tamperings to a copy of the proof. */
function tampered(change) {
  const copy = structuredClone(proof);
  if (change.value === "first 127 rounds") {
    copy.rounds = copy.rounds.slice(0, 127);
    return copy;
  }
  let target = copy;
  for (const step of change.path.slice(0, -1)) {
    target = target[step];
  }
  target[change.path.at(-1)] = change.value;
  return copy;
}

for (const change of key.key_proof.must_reject) {
  test(`a tampered proof is rejected: ${change.why}`, async () => {
    await assert.rejects(checkKeyProof(n, tampered(change)), CryptoError);
  });
}

test("a prime or even n, or a w out of range, is rejected with its reason", async () => {
  await assert.rejects(checkKeyProof(big(key.p), proof), /n must not be prime/);
  await assert.rejects(checkKeyProof(n + 1n, proof), /n must be odd/);
  await assert.rejects(checkKeyProof(n, { ...proof, w: key.n }), /w must be in \[1, n\)/);
  const x0 = proof.rounds[0].x;
  const swapped = structuredClone(proof);
  swapped.rounds[0].x = proof.rounds[1].x;
  swapped.rounds[1].x = x0;
  await assert.rejects(checkKeyProof(n, swapped), /rounds\[0\]\.x.*x\^4/);
});
