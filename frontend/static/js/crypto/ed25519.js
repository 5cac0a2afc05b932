// SPEC §4 Ed25519: keys from a 32-byte seed, signing, and strict verification.
//
// WebCrypto (OpenSSL in Node, BoringSSL in Chromium) checks S < L and the
// cofactorless equation [S]B = R + [k]A, but accepts non-canonical key
// encodings and keys or R values of small order (with the identity as key,
// (R = identity, S = 0) verifies for every message). SPEC §4 rejects those,
// so `verify` decodes A and R itself (RFC 8032 §5.1.3), rejects y ≥ p, the
// eight points of small order and S ≥ L, and only then asks WebCrypto.

import { base64UrlDecode, bytesToBigInt, hexBytes, mod, modPow } from "./bigint.js";

/** Bytes of a public key. */
export const PUBLIC_KEY_LENGTH = 32;
/** Bytes of a signature. */
export const SIGNATURE_LENGTH = 64;
/** Bytes of a private key seed. */
export const SEED_LENGTH = 32;

const P = (1n << 255n) - 19n;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const D = mod(-121665n * modPow(121666n, P - 2n, P), P);
const SQRT_M1 = modPow(2n, (P - 1n) / 4n, P);
const ALGORITHM = { name: "Ed25519" };

/** PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows. */
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

/**
 * The canonical encodings of the eight points of small order (the torsion
 * subgroup). With non-canonical encodings rejected first, a byte comparison
 * with this list finds every point of small order.
 */
export const SMALL_ORDER_ENCODINGS = Object.freeze([
  "0000000000000000000000000000000000000000000000000000000000000000", // order 4
  "0000000000000000000000000000000000000000000000000000000000000080", // order 4
  "0100000000000000000000000000000000000000000000000000000000000000", // identity
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
]);

function littleEndian(bytes) {
  return bytesToBigInt(Uint8Array.from(bytes).reverse());
}

/**
 * Why a 32-byte string is not an acceptable SPEC §4 point (public key or R):
 * not a canonical encoding (y ≥ 2^255 − 19), not on the curve, x = 0 with
 * the sign bit set, or one of the eight points of small order.
 * @param {Uint8Array} bytes
 * @returns {string | null} The problem, or `null` if acceptable.
 */
export function pointProblem(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    return "not 32 bytes";
  }
  const sign = bytes[31] >> 7;
  const copy = Uint8Array.from(bytes);
  copy[31] &= 0x7f;
  const y = littleEndian(copy);
  if (y >= P) {
    return "not a canonical encoding (y ≥ 2^255 − 19)";
  }
  // RFC 8032 §5.1.3: x² = (y² − 1) / (d·y² + 1)
  const y2 = (y * y) % P;
  const u = mod(y2 - 1n, P);
  const v = (D * y2 + 1n) % P;
  const v3 = (v * v % P) * v % P;
  const v7 = (v3 * v3 % P) * v % P;
  let x = (u * v3 % P) * modPow(u * v7 % P, (P - 5n) / 8n, P) % P;
  const vx2 = (v * x % P) * x % P;
  if (vx2 === u) {
    // x is a square root
  } else if (vx2 === mod(-u, P)) {
    x = (x * SQRT_M1) % P;
  } else {
    return "not a point on the curve";
  }
  if (x === 0n && sign === 1) {
    return "not a canonical encoding (x = 0 with the sign bit set)";
  }
  if (SMALL_ORDER_ENCODINGS.includes(hexBytes(bytes))) {
    return "one of the eight points of small order";
  }
  return null;
}

/**
 * Whether `bytes` is a valid SPEC §4 public key (credential, board key).
 * @param {Uint8Array} bytes
 * @returns {boolean}
 */
export function isValidPublicKey(bytes) {
  return pointProblem(bytes) === null;
}

/**
 * Why a signature does not verify under SPEC §4, or `null` if it does.
 * @param {Uint8Array} publicKey 32 bytes.
 * @param {Uint8Array} message
 * @param {Uint8Array} signature 64 bytes: R ‖ S.
 * @returns {Promise<string | null>}
 */
export async function verifyProblem(publicKey, message, signature) {
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LENGTH) {
    return "signature: not 64 bytes";
  }
  const keyProblem = pointProblem(publicKey);
  if (keyProblem !== null) {
    return `public key: ${keyProblem}`;
  }
  const rProblem = pointProblem(signature.subarray(0, 32));
  if (rProblem !== null) {
    return `R: ${rProblem}`;
  }
  if (littleEndian(signature.subarray(32)) >= L) {
    return "S >= L";
  }
  let ok = false;
  try {
    const key = await globalThis.crypto.subtle.importKey("raw", publicKey, ALGORITHM, false, ["verify"]);
    ok = await globalThis.crypto.subtle.verify(ALGORITHM, key, signature, message);
  } catch {
    ok = false;
  }
  return ok ? null : "the equation [S]B = R + [k]A does not hold";
}

/**
 * SPEC §4 strict Ed25519 verification (cofactorless; rejects non-canonical
 * and small-order keys and R, and S ≥ L).
 * @param {Uint8Array} publicKey 32 bytes.
 * @param {Uint8Array} message
 * @param {Uint8Array} signature 64 bytes.
 * @returns {Promise<boolean>}
 */
export async function verify(publicKey, message, signature) {
  return (await verifyProblem(publicKey, message, signature)) === null;
}

/**
 * Import a 32-byte seed as a WebCrypto Ed25519 private key (PKCS#8).
 * @param {Uint8Array} seed
 * @param {boolean} [extractable] True to read the public key back.
 * @returns {Promise<CryptoKey>}
 */
export async function importSeed(seed, extractable = false) {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_LENGTH) {
    throw new TypeError("an Ed25519 seed is 32 bytes");
  }
  const der = new Uint8Array(PKCS8_PREFIX.length + SEED_LENGTH);
  der.set(PKCS8_PREFIX);
  der.set(seed, PKCS8_PREFIX.length);
  return globalThis.crypto.subtle.importKey("pkcs8", der, ALGORITHM, extractable, ["sign"]);
}

/**
 * The Ed25519 public key of a 32-byte seed (RFC 8032 §5.1.5).
 * @param {Uint8Array} seed
 * @returns {Promise<Uint8Array>} 32 bytes.
 */
export async function publicKeyFromSeed(seed) {
  const key = await importSeed(seed, true);
  const jwk = await globalThis.crypto.subtle.exportKey("jwk", key);
  const publicKey = base64UrlDecode(jwk.x);
  if (publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new Error("unexpected Ed25519 public key length");
  }
  return publicKey;
}

/**
 * Sign `message` with the key of a 32-byte seed (deterministic, RFC 8032).
 * @param {Uint8Array} seed
 * @param {Uint8Array} message
 * @returns {Promise<Uint8Array>} 64 bytes.
 */
export async function sign(seed, message) {
  const key = await importSeed(seed);
  return new Uint8Array(await globalThis.crypto.subtle.sign(ALGORITHM, key, message));
}
