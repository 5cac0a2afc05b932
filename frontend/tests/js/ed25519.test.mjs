// SPEC §4 strict Ed25519 verification, against the vectors.
import assert from "node:assert/strict";
import { test } from "node:test";

import { hexBytes } from "../../static/js/crypto/bigint.js";
import {
  isValidPublicKey,
  pointProblem,
  publicKeyFromSeed,
  sign,
  SMALL_ORDER_ENCODINGS,
  verify,
  verifyProblem,
} from "../../static/js/crypto/ed25519.js";
import { bytes, vectors } from "./helpers.mjs";

const v = vectors.ed25519;
const message = new TextEncoder().encode(v.message_ascii);
const valid = v.signatures.find((item) => item.valid);

test("The vector seed signs the vector message deterministically.", async () => {
  const seed = bytes(v.seed);
  assert.equal(hexBytes(await publicKeyFromSeed(seed)), valid.public_key);
  assert.equal(hexBytes(await sign(seed, message)), valid.signature);
});

test("Every vector signature gets its verdict, with the vector's reason.", async () => {
  for (const item of v.signatures) {
    const problem = await verifyProblem(bytes(item.public_key), message, bytes(item.signature));
    assert.equal(problem === null, item.valid, item.what);
    assert.equal(await verify(bytes(item.public_key), message, bytes(item.signature)), item.valid);
    if (!item.valid) {
      assert.equal(problem, item.reason, item.what);
    }
  }
});

test("The eight small-order points are refused as keys and as R.", async () => {
  assert.deepEqual([...v.small_order_encodings].sort(), [...SMALL_ORDER_ENCODINGS].sort());
  const signature = bytes(valid.signature);
  for (const encoding of v.small_order_encodings) {
    assert.equal(pointProblem(bytes(encoding)), "one of the eight points of small order", encoding);
    assert.equal(isValidPublicKey(bytes(encoding)), false);
    const forged = Uint8Array.from(signature);
    forged.set(bytes(encoding), 0);
    assert.equal(await verifyProblem(bytes(valid.public_key), message, forged), "R: one of the eight points of small order");
    assert.match(await verifyProblem(bytes(encoding), message, signature), /^public key: one of the eight points of small order$/);
  }
});

test("Non-canonical encodings are refused as keys and as R.", async () => {
  const signature = bytes(valid.signature);
  for (const item of v.non_canonical_encodings) {
    assert.match(pointProblem(bytes(item.encoding)), /not a canonical encoding/, item.what);
    const forged = Uint8Array.from(signature);
    forged.set(bytes(item.encoding), 0);
    assert.match(await verifyProblem(bytes(valid.public_key), message, forged), /^R: not a canonical encoding/);
    assert.match(await verifyProblem(bytes(item.encoding), message, signature), /^public key: not a canonical encoding/);
  }
});

test("A changed message, key or signature does not verify.", async () => {
  const key = bytes(valid.public_key);
  const signature = bytes(valid.signature);
  assert.equal(await verify(key, new TextEncoder().encode(v.message_ascii + "x"), signature), false);
  for (const position of [0, 31, 32, 63]) {
    const changed = Uint8Array.from(signature);
    changed[position] ^= 1;
    assert.equal(await verify(key, message, changed), false, `byte ${position}`);
  }
  const otherKey = await publicKeyFromSeed(new Uint8Array(32).fill(9));
  assert.equal(await verify(otherKey, message, signature), false);
  assert.equal(await verify(key, message, signature.subarray(0, 63)), false);
  // A y with no x on the curve (y = 2) is not a point.
  const offCurve = new Uint8Array(32);
  offCurve[0] = 2;
  assert.equal(pointProblem(offCurve), "not a point on the curve");
  assert.equal(isValidPublicKey(key), true);
});
