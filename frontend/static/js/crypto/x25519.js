// X25519 through WebCrypto (Chromium, Firefox, Safari and Node 20 have it):
// the trustee's key pair (SPEC §2.2 step 6) and the Diffie–Hellman step of
// opening a share box. Keys travel as raw 32-byte strings, as the key file
// and the share box hold them.

import { base64UrlDecode } from "./bigint.js";
import { CryptoError } from "./errors.js";

/** Bytes of an X25519 key (private or public) and of a shared secret. */
export const KEY_LENGTH = 32;

const ALGORITHM = { name: "X25519" };

/** PKCS#8 DER prefix of an X25519 private key (RFC 8410); the 32 raw bytes follow. */
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);

function checkKey(bytes, what) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== KEY_LENGTH) {
    throw new TypeError(`an X25519 ${what} has ${KEY_LENGTH} bytes`);
  }
}

/**
 * Whether this environment's WebCrypto does X25519.
 * @returns {Promise<boolean>}
 */
export async function isSupported() {
  try {
    await globalThis.crypto.subtle.generateKey(ALGORITHM, false, ["deriveBits"]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Import 32 raw private-key bytes as a WebCrypto key (PKCS#8).
 * @param {Uint8Array} privateKey
 * @param {boolean} [extractable] True to read the public key back.
 * @returns {Promise<CryptoKey>}
 */
async function importPrivate(privateKey, extractable = false) {
  checkKey(privateKey, "private key");
  const der = new Uint8Array(PKCS8_PREFIX.length + KEY_LENGTH);
  der.set(PKCS8_PREFIX);
  der.set(privateKey, PKCS8_PREFIX.length);
  return globalThis.crypto.subtle.importKey("pkcs8", der, ALGORITHM, extractable, ["deriveBits"]);
}

/**
 * A fresh X25519 key pair (randomness from WebCrypto).
 * @returns {Promise<{privateKey: Uint8Array, publicKey: Uint8Array}>}
 *   The private key is secret: seal it at once, never send it.
 */
export async function generateKeyPair() {
  const pair = await globalThis.crypto.subtle.generateKey(ALGORITHM, true, ["deriveBits"]);
  const jwk = await globalThis.crypto.subtle.exportKey("jwk", pair.privateKey);
  const privateKey = base64UrlDecode(jwk.d);
  const publicKey = new Uint8Array(await globalThis.crypto.subtle.exportKey("raw", pair.publicKey));
  checkKey(privateKey, "private key");
  checkKey(publicKey, "public key");
  return { privateKey, publicKey };
}

/**
 * The public key of a 32-byte private key (RFC 7748 X25519(k, 9)).
 * @param {Uint8Array} privateKey
 * @returns {Promise<Uint8Array>} 32 bytes.
 */
export async function publicKeyOf(privateKey) {
  const key = await importPrivate(privateKey, true);
  const jwk = await globalThis.crypto.subtle.exportKey("jwk", key);
  const publicKey = base64UrlDecode(jwk.x);
  checkKey(publicKey, "public key");
  return publicKey;
}

/**
 * `X25519(private, peer)`, refusing the all-zero result of a small-order
 * peer key (as `cryptography` does).
 * @param {Uint8Array} privateKey 32 bytes.
 * @param {Uint8Array} peerPublicKey 32 bytes.
 * @param {string} [field] Names the peer key in the error.
 * @returns {Promise<Uint8Array>} 32 bytes.
 * @throws {CryptoError} if the peer key is unusable.
 */
export async function sharedSecret(privateKey, peerPublicKey, field = "public_key") {
  checkKey(peerPublicKey, "public key");
  const key = await importPrivate(privateKey);
  let secret;
  try {
    const peer = await globalThis.crypto.subtle.importKey("raw", peerPublicKey, ALGORITHM, false, []);
    secret = new Uint8Array(await globalThis.crypto.subtle.deriveBits({ name: "X25519", public: peer }, key, 256));
  } catch {
    throw new CryptoError(field, "unusable X25519 key");
  }
  if (secret.every((byte) => byte === 0)) {
    throw new CryptoError(field, "unusable X25519 key");
  }
  return secret;
}
