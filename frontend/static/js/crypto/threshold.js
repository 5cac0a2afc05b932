// SPEC §2.2–§2.3 on the trustee's side: open the share box, check the
// share against its verification key, decrypt the ceremony's test
// ciphertext (after checking its opening), and make decryption shares with
// their proofs. The same mathematics as votecrypto/threshold.py.
//
// Secrets (the X25519 private key, the share s_i, the proofs' r) stay in
// the browser. BigInt arithmetic is not constant-time; see proofs.js.

import { bitLength, gcd, hexInt, modPow, parseHexBytes, parseHexInt, randomBits } from "./bigint.js";
import { cjsonBytes } from "./cjson.js";
import { CryptoError, EncodingError, StructureError, expectInt, expectList, expectObject } from "./errors.js";
import { Hhex, Hint } from "./hash.js";
import { parseKeyProof } from "./keyproof.js";
import { encrypt, isUnit, isValidCiphertext } from "./paillier.js";
import { sharedSecret } from "./x25519.js";

/** HKDF `info` and AAD tag of a share box (§2.2 step 6). */
export const SHARE_ENCRYPTION_TAG = "evote-paillier/1/share-encryption";
/** Domain tag of `key_hash` (§2.2 step 7). */
export const KEY_TAG = "evote-paillier/1/key";
/** Domain tag of the decryption-share challenge (§2.3). */
export const DECRYPTION_SHARE_TAG = "evote-paillier/1/decryption-share";
/** Test plaintexts are JSON integers, below 2^53 (SPEC §1). */
export const MAX_JSON_PLAINTEXT = 1n << 53n;

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ENCODER = new TextEncoder();
const DECODER = new TextDecoder("ascii", { fatal: true });
const HASH_RE = /^[0-9a-f]{64}$/;

// ------------------------------------------------------------ helpers

/**
 * `Δ = ℓ!` (SPEC §2.1).
 * @param {number} count `ℓ`, at least 1.
 * @returns {bigint}
 */
export function delta(count) {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new RangeError("there is at least one trustee");
  }
  let result = 1n;
  for (let i = 2n; i <= BigInt(count); i++) {
    result *= i;
  }
  return result;
}

/**
 * `B = 2·bits(n) + bits(Δ) + 512` (SPEC §2.3).
 * @param {bigint} n
 * @param {number} count
 * @returns {number}
 */
export function proofBits(n, count) {
  return 2 * bitLength(n) + bitLength(delta(count)) + 512;
}

function checkHash(hash, field) {
  if (typeof hash !== "string" || !HASH_RE.test(hash)) {
    throw new TypeError(`${field} must be 64 lowercase hex digits`);
  }
}

// ------------------------------------------------------------ share boxes

/**
 * Parse a share box `{"index", "ephemeral_public_key", "nonce", "ciphertext"}`
 * strictly (§2.2 step 6).
 * @param {unknown} value
 * @param {string} [field]
 * @returns {{index: number, ephemeralPublicKey: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array}}
 * @throws {StructureError | EncodingError}
 */
export function parseShareBox(value, field = "share_box") {
  const box = expectObject(value, field, ["ciphertext", "ephemeral_public_key", "index", "nonce"]);
  const ciphertext = parseHexBytes(box.ciphertext, `${field}.ciphertext`);
  if (ciphertext.length <= TAG_BYTES) {
    throw new StructureError(`${field}.ciphertext`, "shorter than the GCM tag");
  }
  return {
    index: expectInt(box.index, `${field}.index`, 1),
    ephemeralPublicKey: parseHexBytes(box.ephemeral_public_key, `${field}.ephemeral_public_key`, KEY_BYTES),
    nonce: parseHexBytes(box.nonce, `${field}.nonce`, NONCE_BYTES),
    ciphertext,
  };
}

/**
 * `cjson(["evote-paillier/1/share-encryption", hex(n), i])`.
 * @param {bigint} n
 * @param {number} index
 * @returns {Uint8Array}
 */
export function shareAad(n, index) {
  return cjsonBytes([SHARE_ENCRYPTION_TAG, hexInt(n), index]);
}

/**
 * Open a share box with the trustee's X25519 private key (§2.2 step 6):
 * `k = HKDF-SHA256(X25519(trustee, eph), salt = eph_pub ‖ trustee_pub,
 * info = tag)`, AES-256-GCM with AAD `cjson([tag, hex(n), i])`. The caller
 * then checks the share with {@link checkShare} and that the box's index is
 * its own.
 * @param {bigint} n The election's (or ceremony's) modulus.
 * @param {ReturnType<typeof parseShareBox>} box
 * @param {Uint8Array} privateKey 32 bytes.
 * @param {Uint8Array} publicKey The trustee's public key (32 bytes).
 * @returns {Promise<bigint>} `s_i`.
 * @throws {CryptoError} if it cannot be opened (wrong key, or the box, n or
 *   its index altered), or the share is not canonical hex.
 */
export async function openShareBox(n, box, privateKey, publicKey) {
  const secret = await sharedSecret(privateKey, box.ephemeralPublicKey, "share_box.ephemeral_public_key");
  const subtle = globalThis.crypto.subtle;
  const salt = new Uint8Array(2 * KEY_BYTES);
  salt.set(box.ephemeralPublicKey);
  salt.set(publicKey, KEY_BYTES);
  const base = await subtle.importKey("raw", secret, "HKDF", false, ["deriveBits"]);
  const bits = await subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt, info: ENCODER.encode(SHARE_ENCRYPTION_TAG) },
    base,
    256,
  );
  const key = await subtle.importKey("raw", bits, "AES-GCM", false, ["decrypt"]);
  let plaintext;
  try {
    plaintext = await subtle.decrypt(
      { name: "AES-GCM", iv: box.nonce, additionalData: shareAad(n, box.index), tagLength: 128 },
      key,
      box.ciphertext,
    );
  } catch {
    throw new CryptoError("share_box", "cannot decrypt: wrong trustee key, or the box, n or index was altered");
  }
  let text;
  try {
    text = DECODER.decode(plaintext);
  } catch {
    throw new EncodingError("share_box", "the share is not ASCII hex");
  }
  return parseHexInt(text, "share_box.share");
}

/**
 * `v_i = v^(Δ·s_i) mod n²` (§2.2 step 5).
 * @param {bigint} n
 * @param {number} count
 * @param {bigint} v
 * @param {bigint} s
 * @returns {bigint}
 */
export function verificationKey(n, count, v, s) {
  return modPow(v, delta(count) * s, n * n);
}

/**
 * Whether the share matches its verification key: `v^(Δ·s_i) ≡ v_i (mod n²)`.
 * @param {bigint} n
 * @param {number} count
 * @param {bigint} v
 * @param {bigint} vk `v_i`.
 * @param {bigint} s `s_i`.
 * @returns {boolean}
 */
export function checkShare(n, count, v, vk, s) {
  return s >= 0n && verificationKey(n, count, v, s) === vk;
}

/**
 * `key_hash = hex(H(["evote-paillier/1/key", hex(n), t, ℓ, hex(v), [hex(v_i)…]]))`.
 * @param {bigint} n
 * @param {number} threshold
 * @param {number} count
 * @param {bigint} v
 * @param {bigint[]} vks
 * @returns {Promise<string>}
 */
export function keyHash(n, threshold, count, v, vks) {
  return Hhex([KEY_TAG, hexInt(n), threshold, count, hexInt(v), vks.map(hexInt)]);
}

// ------------------------------------------------------------ public key material

/**
 * Parse the manifest's (or public.json's) `trustees` object strictly:
 * `{"threshold", "count", "v", "verification_keys": [{"index", "name", "vk"}]}`
 * with indices 1…count in order.
 * @param {unknown} value
 * @param {string} [field]
 * @returns {{threshold: number, count: number, v: bigint, verificationKeys: {index: number, name: string, vk: bigint}[]}}
 */
export function parseTrusteeKeys(value, field = "trustees") {
  const obj = expectObject(value, field, ["count", "threshold", "v", "verification_keys"]);
  const threshold = expectInt(obj.threshold, `${field}.threshold`);
  const count = expectInt(obj.count, `${field}.count`);
  const v = parseHexInt(obj.v, `${field}.v`);
  const verificationKeys = expectList(obj.verification_keys, `${field}.verification_keys`).map((item, position) => {
    const where = `${field}.verification_keys[${position}]`;
    const entry = expectObject(item, where, ["index", "name", "vk"]);
    if (typeof entry.name !== "string") {
      throw new StructureError(`${where}.name`, "expected a string");
    }
    return { index: expectInt(entry.index, `${where}.index`), name: entry.name, vk: parseHexInt(entry.vk, `${where}.vk`) };
  });
  if (verificationKeys.some((entry, position) => entry.index !== position + 1) || verificationKeys.length !== count) {
    throw new StructureError(`${field}.verification_keys`, `indices must be 1…${count} in order (count = ${count})`);
  }
  if (count < 1 || threshold < 1 || threshold > count) {
    throw new StructureError(`${field}.threshold`, "need 1 ≤ t ≤ ℓ");
  }
  return { threshold, count, v, verificationKeys };
}

/**
 * Parse the manifest's `public_key` `{"n", "key_proof"}` strictly (the key
 * proof's shape and encodings; `checkKeyProof` of keyproof.js checks it).
 * @param {unknown} value
 * @param {string} [field]
 * @returns {bigint} `n`.
 */
export function parsePublicKey(value, field = "public_key") {
  const obj = expectObject(value, field, ["key_proof", "n"]);
  const n = parseHexInt(obj.n, `${field}.n`);
  parseKeyProof(obj.key_proof, `${field}.key_proof`);
  if (n < 3n || n % 2n === 0n) {
    throw new StructureError(`${field}.n`, "not an odd modulus");
  }
  return n;
}

/**
 * Check that `v` and every `v_i` are valid ciphertexts under `n` (SPEC §2.1).
 * @param {bigint} n
 * @param {ReturnType<typeof parseTrusteeKeys>} trustees
 * @param {string} [field]
 * @throws {CryptoError}
 */
export function checkTrusteeKeys(n, trustees, field = "trustees") {
  if (!isValidCiphertext(n, trustees.v)) {
    throw new CryptoError(`${field}.v`, "not a valid ciphertext");
  }
  trustees.verificationKeys.forEach((entry, position) => {
    if (!isValidCiphertext(n, entry.vk)) {
      throw new CryptoError(`${field}.verification_keys[${position}].vk`, "not a valid ciphertext");
    }
  });
}

/**
 * Parse the ceremony's `public.json` `{"public_key", "trustees", "key_hash",
 * "ceremony_test": {"plaintext", "randomness", "ciphertext"}}` strictly,
 * requiring `key_hash` to match the key material.
 * @param {unknown} value
 * @returns {Promise<{n: bigint, trustees: ReturnType<typeof parseTrusteeKeys>, keyHash: string, test: {plaintext: number, randomness: bigint, ciphertext: bigint}}>}
 */
export async function parseCeremonyPublic(value) {
  const obj = expectObject(value, "public", ["ceremony_test", "key_hash", "public_key", "trustees"]);
  const n = parsePublicKey(obj.public_key, "public.public_key");
  const trustees = parseTrusteeKeys(obj.trustees, "public.trustees");
  const test = expectObject(obj.ceremony_test, "public.ceremony_test", ["ciphertext", "plaintext", "randomness"]);
  parseHexBytes(obj.key_hash, "public.key_hash", 32);
  const hash = await keyHash(
    n,
    trustees.threshold,
    trustees.count,
    trustees.v,
    trustees.verificationKeys.map((entry) => entry.vk),
  );
  if (obj.key_hash !== hash) {
    throw new CryptoError("public.key_hash", "does not match the published key material");
  }
  return {
    n,
    trustees,
    keyHash: hash,
    test: {
      plaintext: expectInt(test.plaintext, "public.ceremony_test.plaintext"),
      randomness: parseHexInt(test.randomness, "public.ceremony_test.randomness"),
      ciphertext: parseHexInt(test.ciphertext, "public.ceremony_test.ciphertext"),
    },
  };
}

/**
 * Require the test ciphertext's opening: `ciphertext = Enc(plaintext; randomness)`
 * with `0 ≤ plaintext < min(n, 2^53)` and `randomness ∈ Z*_n` (§2.2 step 7).
 * This is the one ciphertext a trustee decrypts without recomputing it.
 * @param {bigint} n
 * @param {{plaintext: number, randomness: bigint, ciphertext: bigint}} test
 * @throws {CryptoError}
 */
export function checkCeremonyTest(n, test) {
  const plaintext = BigInt(test.plaintext);
  if (plaintext < 0n || plaintext >= n || plaintext >= MAX_JSON_PLAINTEXT) {
    throw new CryptoError("ceremony_test.plaintext", "outside [0, n)");
  }
  if (!isUnit(n, test.randomness)) {
    throw new CryptoError("ceremony_test.randomness", "not in Z*_n");
  }
  if (encrypt(n, plaintext, test.randomness) !== test.ciphertext) {
    throw new CryptoError("ceremony_test.ciphertext", "is not Enc(plaintext; randomness)");
  }
}

// ------------------------------------------------------------ decryption shares

/**
 * `e = Hint(["evote-paillier/1/decryption-share", election_hash, i, hex(A), hex(c_i), hex(a), hex(b)])`.
 * @returns {Promise<bigint>}
 */
export function decryptionChallenge(electionHash, index, A, c, a, b) {
  return Hint([DECRYPTION_SHARE_TAG, electionHash, index, hexInt(A), hexInt(c), hexInt(a), hexInt(b)]);
}

/**
 * Trustee `index`'s share of `A` with its proof (SPEC §2.3):
 * `c_i = A^(2·Δ·s_i) mod n²`; `r` uniform in `[0, 2^B)`; `a = (A⁴)^r`,
 * `b = v^r`; `z = r + e·Δ·s_i`. The caller must have recomputed `A` itself
 * (or checked the ceremony test's opening).
 * @param {object} params
 * @param {bigint} params.n
 * @param {number} params.count `ℓ`.
 * @param {bigint} params.v
 * @param {number} params.index `i`.
 * @param {bigint} params.s `s_i` (secret).
 * @param {bigint} params.A A valid ciphertext.
 * @param {string} params.electionHash `election_hash` (or `key_hash`).
 * @param {bigint} [params.r] Injected `r` (known-answer tests only: a reused
 *   `r` reveals `s_i`).
 * @returns {Promise<{index: number, share: bigint, proof: {a: bigint, b: bigint, z: bigint}}>}
 */
export async function makeDecryptionShare({ n, count, v, index, s, A, electionHash, r = undefined }) {
  checkHash(electionHash, "electionHash");
  if (!Number.isSafeInteger(index) || index < 1 || index > count) {
    throw new RangeError("index must be in 1…ℓ");
  }
  if (!isValidCiphertext(n, A)) {
    throw new RangeError("A must be a valid ciphertext");
  }
  const n2 = n * n;
  const bits = proofBits(n, count);
  const nonce = r ?? randomBits(bits);
  if (nonce < 0n || nonce >= 1n << BigInt(bits)) {
    throw new RangeError("r must be in [0, 2^B)");
  }
  const exponent = delta(count) * s;
  const share = modPow(A, 2n * exponent, n2);
  const a = modPow(A, 4n * nonce, n2);
  const b = modPow(v, nonce, n2);
  const e = await decryptionChallenge(electionHash, index, A, share, a, b);
  return { index, share, proof: { a, b, z: nonce + e * exponent } };
}

/**
 * A decryption share as `tally.json` and the test-share endpoint hold it:
 * `{"index", "share", "proof": {"a", "b", "z"}}`.
 * @param {{index: number, share: bigint, proof: {a: bigint, b: bigint, z: bigint}}} share
 * @returns {object}
 */
export function decryptionShareJson(share) {
  return {
    index: share.index,
    share: hexInt(share.share),
    proof: { a: hexInt(share.proof.a), b: hexInt(share.proof.b), z: hexInt(share.proof.z) },
  };
}

/**
 * Why a decryption share does not check (SPEC §2.3, V7), or `null`:
 * `A`, `a`, `b`, `c_i`, `v`, `v_i` valid ciphertexts, `z < 2^(B+1)`,
 * `(A⁴)^z ≡ a·(c_i²)^e` and `v^z ≡ b·v_i^e (mod n²)`.
 * @param {object} params
 * @returns {Promise<string | null>}
 */
export async function decryptionShareProblem({ n, count, v, vk, electionHash, index, A, share }) {
  checkHash(electionHash, "electionHash");
  if (share.index !== index || index < 1 || index > count) {
    return `share.index: expected index ${index} in 1…${count}`;
  }
  for (const [element, name] of [
    [A, "aggregate"],
    [v, "v"],
    [vk, "vk"],
    [share.share, "share.share"],
    [share.proof.a, "share.proof.a"],
    [share.proof.b, "share.proof.b"],
  ]) {
    if (!isValidCiphertext(n, element)) {
      return `${name}: not a valid ciphertext`;
    }
  }
  const { a, b, z } = share.proof;
  if (z < 0n || z >= 1n << BigInt(proofBits(n, count) + 1)) {
    return "share.proof.z: z must be below 2^(B+1)";
  }
  const n2 = n * n;
  const e = await decryptionChallenge(electionHash, index, A, share.share, a, b);
  if (modPow(A, 4n * z, n2) !== (a * modPow(share.share, 2n * e, n2)) % n2) {
    return "share.proof: (A⁴)^z ≢ a·(c_i²)^e (mod n²)";
  }
  if (modPow(v, z, n2) !== (b * modPow(vk, e, n2)) % n2) {
    return "share.proof: v^z ≢ b·v_i^e (mod n²)";
  }
  return null;
}

/**
 * Trustee `index`'s share of the ceremony's test ciphertext (§2.2 step 7):
 * first the opening `Enc(M; r)` and the share against `v_i` are checked,
 * then §2.3 with `key_hash` in place of `election_hash` (as
 * votecrypto.threshold.make_ceremony_test_share).
 * @param {Awaited<ReturnType<typeof parseCeremonyPublic>>} pub
 * @param {number} index
 * @param {bigint} s
 * @param {object} [options]
 * @param {bigint} [options.r] Known-answer tests only.
 * @returns {Promise<{index: number, share: bigint, proof: {a: bigint, b: bigint, z: bigint}}>}
 * @throws {CryptoError}
 */
export async function makeCeremonyTestShare(pub, index, s, options = {}) {
  checkCeremonyTest(pub.n, pub.test);
  const { trustees } = pub;
  if (!Number.isSafeInteger(index) || index < 1 || index > trustees.count) {
    throw new CryptoError("index", `must be in 1…${trustees.count}`);
  }
  if (!checkShare(pub.n, trustees.count, trustees.v, trustees.verificationKeys[index - 1].vk, s)) {
    throw new CryptoError("share", `does not match v_${index}`);
  }
  return makeDecryptionShare({
    n: pub.n,
    count: trustees.count,
    v: trustees.v,
    index,
    s,
    A: pub.test.ciphertext,
    electionHash: pub.keyHash,
    r: options.r,
  });
}

// ------------------------------------------------------------ combining

/**
 * `M = L(Π c_i^(2·λ_i) mod n²) · (4Δ²)⁻¹ mod n` over the given shares
 * `{i: c_i}` (SPEC §2.3), the `threshold` lowest indices when given.
 * @param {bigint} n
 * @param {number} count
 * @param {Map<number, bigint>} shares
 * @param {number} [threshold]
 * @returns {bigint}
 */
export function combine(n, count, shares, threshold = undefined) {
  let indices = [...shares.keys()].sort((x, y) => x - y);
  if (threshold !== undefined) {
    if (indices.length < threshold) {
      throw new CryptoError("shares", `need ${threshold} shares, got ${indices.length}`);
    }
    indices = indices.slice(0, threshold);
  }
  const n2 = n * n;
  const big = delta(count);
  let product = 1n;
  for (const i of indices) {
    let numerator = big;
    let denominator = 1n;
    for (const j of indices) {
      if (j !== i) {
        numerator *= BigInt(j);
        denominator *= BigInt(j - i);
      }
    }
    const lambda = numerator / denominator;
    product = (product * modPow(shares.get(i), 2n * lambda, n2)) % n2;
  }
  if (product % n !== 1n || gcd(4n * big * big, n) !== 1n) {
    throw new CryptoError("shares", "the shares do not combine to a plaintext");
  }
  const inverse = modPow(4n * big * big, -1n, n);
  return (((product - 1n) / n) * inverse) % n;
}
