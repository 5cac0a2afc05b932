// SPEC §2.2–§2.3 on the trustee's side, against the shared vectors: the
// share box, the share check, key_hash, the ceremony test and decryption
// shares with injected r (byte for byte), their checks, and combining.
import assert from "node:assert/strict";
import { test } from "node:test";

import { hexInt } from "../../static/js/crypto/bigint.js";
import { CryptoError } from "../../static/js/crypto/errors.js";
import {
  checkCeremonyTest,
  checkShare,
  combine,
  decryptionShareJson,
  decryptionShareProblem,
  delta,
  keyHash,
  makeCeremonyTestShare,
  makeDecryptionShare,
  openShareBox,
  parseShareBox,
  proofBits,
  shareAad,
} from "../../static/js/crypto/threshold.js";
import { generateKeyPair, publicKeyOf, sharedSecret } from "../../static/js/crypto/x25519.js";
import { big, bytes, vectors } from "./helpers.mjs";

const key = vectors.key;
const n = big(key.n);
const v = big(key.v);
const vks = ["1", "2", "3"].map((i) => big(key.verification_keys[i]));
const enc = vectors.share_encryption;

test("Δ and B are as SPEC §2.1 and §2.3 say.", () => {
  assert.equal(delta(3), 6n);
  assert.equal(delta(1), 1n);
  assert.equal(proofBits(n, 3), vectors.decryption_share.B);
  assert.throws(() => delta(0), RangeError);
});

test("X25519 reproduces the vector's public key and shared secret.", async () => {
  assert.equal(Buffer.from(await publicKeyOf(bytes(enc.trustee_private_key))).toString("hex"), enc.trustee_public_key);
  const secret = await sharedSecret(bytes(enc.trustee_private_key), bytes(enc.ephemeral_public_key));
  assert.equal(Buffer.from(secret).toString("hex"), enc.x25519_shared_secret);
  const pair = await generateKeyPair();
  assert.deepEqual(await publicKeyOf(pair.privateKey), pair.publicKey);
  await assert.rejects(sharedSecret(pair.privateKey, new Uint8Array(32)), CryptoError);
});

test("The vector share box opens to the vector share, which matches v_2.", async () => {
  assert.equal(new TextDecoder().decode(shareAad(n, 2)), enc.aad);
  const box = parseShareBox(enc.box);
  const s = await openShareBox(n, box, bytes(enc.trustee_private_key), bytes(enc.trustee_public_key));
  assert.equal(hexInt(s), enc.share);
  assert.ok(checkShare(n, 3, v, vks[1], s));
  assert.ok(!checkShare(n, 3, v, vks[0], s));
  assert.ok(!checkShare(n, 3, v, vks[1], s + 1n));
});

test("A share box for another n, index or key, or altered, does not open.", async () => {
  const box = parseShareBox(enc.box);
  const priv = bytes(enc.trustee_private_key);
  const pub = bytes(enc.trustee_public_key);
  const other = await generateKeyPair();
  const flipped = Uint8Array.from(box.ciphertext);
  flipped[0] ^= 1;
  for (const [modulus, changed, privateKey, publicKey] of [
    [n + 2n, box, priv, pub],
    [n, { ...box, index: 1 }, priv, pub],
    [n, { ...box, ciphertext: flipped }, priv, pub],
    [n, box, other.privateKey, other.publicKey],
  ]) {
    await assert.rejects(openShareBox(modulus, changed, privateKey, publicKey), /cannot decrypt/);
  }
});

test("Share boxes are parsed strictly.", () => {
  const cases = [
    [{ ...enc.box, extra: 1 }, /unknown key\(s\): extra/],
    [{ ...enc.box, index: 0 }, /index: integer 0 outside/],
    [{ ...enc.box, index: "2" }, /index: expected an integer/],
    [{ ...enc.box, nonce: "00" }, /nonce: expected 12 bytes/],
    [{ ...enc.box, ephemeral_public_key: enc.box.ephemeral_public_key.toUpperCase() }, /not canonical lowercase hex/],
    [{ ...enc.box, ciphertext: "00".repeat(16) }, /shorter than the GCM tag/],
  ];
  for (const [value, message] of cases) {
    assert.throws(() => parseShareBox(value), message);
  }
});

test("key_hash is the vectors' one.", async () => {
  assert.equal(await keyHash(n, key.threshold, key.count, v, vks), key.key_hash);
});

const ceremony = vectors.ceremony_test_decryption;
const pub = {
  n,
  trustees: { threshold: 2, count: 3, v, verificationKeys: vks.map((vk, i) => ({ index: i + 1, name: `T${i + 1}`, vk })) },
  keyHash: ceremony.key_hash,
  test: { plaintext: ceremony.plaintext, randomness: big(ceremony.randomness), ciphertext: big(ceremony.ciphertext) },
};

test("The ceremony test shares are reproduced with the vectors' r and combine to M.", async () => {
  const found = new Map();
  for (const expected of ceremony.shares) {
    const share = await makeCeremonyTestShare(pub, expected.index, big(key.shares[String(expected.index)]), { r: big(expected.r) });
    assert.deepEqual(decryptionShareJson(share), { index: expected.index, share: expected.share, proof: expected.proof });
    found.set(share.index, share.share);
  }
  assert.equal(combine(n, 3, found, 2), BigInt(ceremony.plaintext));
});

test("The ceremony test refuses a bad opening or a share not matching v_i.", async () => {
  const s = big(key.shares["1"]);
  await assert.rejects(makeCeremonyTestShare({ ...pub, test: { ...pub.test, plaintext: ceremony.plaintext + 1 } }, 1, s), /is not Enc/);
  await assert.rejects(makeCeremonyTestShare({ ...pub, test: { ...pub.test, randomness: 0n } }, 1, s), /not in Z\*_n/);
  await assert.rejects(makeCeremonyTestShare(pub, 2, s), /does not match v_2/);
  assert.throws(() => checkCeremonyTest(n, { ...pub.test, plaintext: 2 ** 53 }), /outside/);
});

test("The vector decryption share is reproduced and checks; tampering is caught.", async () => {
  const d = vectors.decryption_share;
  const params = { n, count: 3, v, index: d.index, s: big(d.s_i), A: big(d.A), electionHash: d.election_hash };
  const share = await makeDecryptionShare({ ...params, r: big(d.r) });
  assert.deepEqual(decryptionShareJson(share), { index: d.index, share: d.share, proof: d.proof });
  const check = { n, count: 3, v, vk: vks[d.index - 1], electionHash: d.election_hash, index: d.index, A: big(d.A) };
  assert.equal(await decryptionShareProblem({ ...check, share }), null);
  const fresh = await makeDecryptionShare(params);
  assert.equal(fresh.share, share.share);
  assert.notEqual(fresh.proof.z, share.proof.z);
  assert.equal(await decryptionShareProblem({ ...check, share: fresh }), null);
  for (const [changed, message] of [
    [{ ...share, proof: { ...share.proof, z: share.proof.z + 1n } }, /\(A⁴\)\^z/],
    [{ ...share, proof: { ...share.proof, a: (share.proof.a * 2n) % (n * n) } }, /\(A⁴\)\^z/],
    [{ ...share, proof: { ...share.proof, b: (share.proof.b * 2n) % (n * n) } }, /≢/],
    [{ ...share, share: (share.share * 2n) % (n * n) }, /\(A⁴\)\^z/],
    [{ ...share, proof: { ...share.proof, z: 1n << BigInt(d.B + 1) } }, /below 2\^\(B\+1\)/],
    [{ ...share, index: 1 }, /expected index 2/],
  ]) {
    assert.match(await decryptionShareProblem({ ...check, share: changed }), message);
  }
  assert.match(await decryptionShareProblem({ ...check, electionHash: "00".repeat(32), share }), /\(A⁴\)\^z/);
  assert.match(await decryptionShareProblem({ ...check, vk: vks[0], share }), /v\^z ≢ b·v_i\^e/);
});

test("Combining the vectors' shares gives their plaintext.", () => {
  const c = vectors.combine;
  const shares = new Map(Object.entries(c.shares).map(([index, share]) => [Number(index), big(share)]));
  assert.equal(combine(n, 3, shares, 2), BigInt(c.plaintext));
});
