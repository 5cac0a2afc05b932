// SPEC §1 hashing: H(x) = SHA-256(cjson(x)), Hint(x) = H(x) read big-endian.
// `x` is always an array whose first element is a domain tag
// "evote-paillier/1/<purpose>"; big integers inside it are hex strings.

import { bytesToBigInt, hexBytes } from "./bigint.js";
import { cjsonBytes } from "./cjson.js";

/**
 * SHA-256 of bytes (WebCrypto).
 * @param {Uint8Array} bytes
 * @returns {Promise<Uint8Array>} 32 bytes.
 */
export async function sha256(bytes) {
  return new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes));
}

/**
 * SPEC §1 `H(parts)`: SHA-256 of the canonical JSON of `parts`.
 * @param {unknown[]} parts A domain tag followed by the hashed values.
 * @returns {Promise<Uint8Array>} 32 bytes.
 */
export async function H(parts) {
  if (!Array.isArray(parts) || typeof parts[0] !== "string") {
    throw new TypeError("H: expected an array that starts with a domain tag");
  }
  return sha256(cjsonBytes(parts));
}

/**
 * `hex(H(parts))`: the digest as 64 lowercase hex digits.
 * @param {unknown[]} parts
 * @returns {Promise<string>}
 */
export async function Hhex(parts) {
  return hexBytes(await H(parts));
}

/**
 * SPEC §1 `Hint(parts)`: `H(parts)` as a big-endian integer in `[0, 2^256)`.
 * @param {unknown[]} parts
 * @returns {Promise<bigint>}
 */
export async function Hint(parts) {
  return bytesToBigInt(await H(parts));
}
