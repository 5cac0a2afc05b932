// SPEC §1 encodings of big integers and byte strings, and the modular
// arithmetic the booth needs (BigInt only, no dependencies).
//
// Randomness comes only from crypto.getRandomValues (WebCrypto), in the
// browser (page or worker) and in Node 20 alike.

import { EncodingError, StructureError } from "./errors.js";

const HEX_INT_RE = /^(0|[1-9a-f][0-9a-f]*)$/;
const HEX_BYTES_RE = /^(?:[0-9a-f]{2})*$/;

/**
 * Read a big integer written as SPEC §1 requires: lowercase hex, no "0x",
 * no sign, no leading zeros, "0" for zero.
 * @param {unknown} text The JSON value.
 * @param {string} [field] Names the value in the error.
 * @returns {bigint}
 * @throws {StructureError} if `text` is not a string.
 * @throws {EncodingError} if it is not the one canonical spelling.
 */
export function parseHexInt(text, field = "") {
  if (typeof text !== "string") {
    throw new StructureError(field, "expected a hex string");
  }
  if (!HEX_INT_RE.test(text)) {
    throw new EncodingError(field, `not canonical lowercase hex: ${JSON.stringify(text.slice(0, 40))}`);
  }
  return BigInt("0x" + text);
}

/**
 * Write a non-negative big integer as SPEC §1's `hex(x)`.
 * @param {bigint} x
 * @returns {string}
 */
export function hexInt(x) {
  if (typeof x !== "bigint" || x < 0n) {
    throw new TypeError("hexInt: expected a non-negative BigInt");
  }
  return x.toString(16);
}

/**
 * Read a byte string: lowercase hex with exactly two digits per byte.
 * @param {unknown} text The JSON value.
 * @param {string} [field] Names the value in the error.
 * @param {number} [length] The required number of bytes, if any.
 * @returns {Uint8Array}
 * @throws {StructureError} if not a string, or of the wrong length.
 * @throws {EncodingError} if not lowercase hex with two digits per byte.
 */
export function parseHexBytes(text, field = "", length = undefined) {
  if (typeof text !== "string") {
    throw new StructureError(field, "expected a hex string");
  }
  if (!HEX_BYTES_RE.test(text)) {
    throw new EncodingError(field, `not canonical lowercase hex bytes: ${JSON.stringify(text.slice(0, 40))}`);
  }
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  }
  if (length !== undefined && bytes.length !== length) {
    throw new StructureError(field, `expected ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/**
 * Write bytes as lowercase hex, two digits per byte (SPEC §1).
 * @param {Uint8Array | ArrayBuffer} bytes
 * @returns {string}
 */
export function hexBytes(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = "";
  for (const byte of view) {
    out += byte.toString(16).padStart(2, "0");
  }
  return out;
}

/**
 * Read bytes as a big-endian unsigned integer.
 * @param {Uint8Array} bytes
 * @returns {bigint}
 */
export function bytesToBigInt(bytes) {
  return bytes.length === 0 ? 0n : BigInt("0x" + hexBytes(bytes));
}

/**
 * Write a non-negative integer as exactly `length` big-endian bytes.
 * @param {bigint} x
 * @param {number} length
 * @returns {Uint8Array}
 */
export function bigIntToBytes(x, length) {
  if (x < 0n || bitLength(x) > 8 * length) {
    throw new RangeError(`bigIntToBytes: value does not fit in ${length} bytes`);
  }
  const hex = x.toString(16).padStart(2 * length, "0");
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

/**
 * Number of bits of a non-negative integer (0 for 0), like Python's `int.bit_length`.
 * @param {bigint} x
 * @returns {number}
 */
export function bitLength(x) {
  if (x < 0n) {
    x = -x;
  }
  return x === 0n ? 0 : x.toString(2).length;
}

/**
 * `x mod m` in `[0, m)`, also for negative `x`.
 * @param {bigint} x
 * @param {bigint} m A positive modulus.
 * @returns {bigint}
 */
export function mod(x, m) {
  const r = x % m;
  return r < 0n ? r + m : r;
}

/**
 * Greatest common divisor of two integers (non-negative result).
 * @param {bigint} a
 * @param {bigint} b
 * @returns {bigint}
 */
export function gcd(a, b) {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) {
    [a, b] = [b, a % b];
  }
  return a;
}

/**
 * The inverse of `a` modulo `m` (extended Euclid).
 * @param {bigint} a
 * @param {bigint} m A modulus greater than 1.
 * @returns {bigint} The unique `x` in `[1, m)` with `a·x ≡ 1 (mod m)`.
 * @throws {RangeError} if `gcd(a, m) ≠ 1`.
 */
export function modInverse(a, m) {
  if (m <= 1n) {
    throw new RangeError("modInverse: modulus must be greater than 1");
  }
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) {
    throw new RangeError("modInverse: not invertible");
  }
  return mod(s0, m);
}

/** Window size for a sliding-window exponentiation with an exponent of `bits` bits. */
function windowBits(bits) {
  if (bits > 1536) return 6;
  if (bits > 512) return 5;
  if (bits > 160) return 4;
  if (bits > 48) return 3;
  if (bits > 12) return 2;
  return 1;
}

/**
 * `base^exponent mod modulus` by left-to-right sliding-window exponentiation.
 *
 * This is the booth's hot path: with a 2048-bit `n`, `r^n mod n²` is a
 * 2048-bit exponent over a 4096-bit modulus. V8's `(a·b) % m` is as fast as
 * a BigInt Montgomery or Barrett reduction at these sizes (measured), so the
 * plain form is kept. A negative exponent goes through the inverse.
 * Not constant-time (BigInt cannot be); see the note in proofs.js.
 * @param {bigint} base
 * @param {bigint} exponent
 * @param {bigint} modulus A positive modulus.
 * @returns {bigint} In `[0, modulus)`.
 */
export function modPow(base, exponent, modulus) {
  if (modulus <= 0n) {
    throw new RangeError("modPow: modulus must be positive");
  }
  if (modulus === 1n) {
    return 0n;
  }
  if (exponent < 0n) {
    return modPow(modInverse(base, modulus), -exponent, modulus);
  }
  const b = mod(base, modulus);
  if (exponent === 0n) {
    return 1n;
  }
  const bits = exponent.toString(2);
  const length = bits.length;
  const w = windowBits(length);
  // table[i] = b^(2i+1): the odd powers a window can end in.
  const table = [b];
  if (w > 1) {
    const b2 = (b * b) % modulus;
    for (let i = 1; i < 1 << (w - 1); i++) {
      table.push((table[i - 1] * b2) % modulus);
    }
  }
  let result = 1n;
  let started = false;
  let i = 0;
  while (i < length) {
    if (bits[i] === "0") {
      if (started) {
        result = (result * result) % modulus;
      }
      i += 1;
      continue;
    }
    let j = Math.min(i + w, length);
    while (bits[j - 1] === "0") {
      j -= 1;
    }
    const value = parseInt(bits.slice(i, j), 2);
    if (started) {
      for (let s = i; s < j; s++) {
        result = (result * result) % modulus;
      }
      result = (result * table[value >> 1]) % modulus;
    } else {
      result = table[value >> 1];
      started = true;
    }
    i = j;
  }
  return result;
}

/**
 * Fill `count` bytes from crypto.getRandomValues (in chunks of at most 64 KiB).
 * @param {number} count
 * @returns {Uint8Array}
 */
export function randomBytes(count) {
  const out = new Uint8Array(count);
  for (let offset = 0; offset < count; offset += 65536) {
    globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(count, offset + 65536)));
  }
  return out;
}

/**
 * A uniform integer in `[0, 2^bits)`.
 * @param {number} bits
 * @returns {bigint}
 */
export function randomBits(bits) {
  if (bits <= 0) {
    return 0n;
  }
  const bytes = randomBytes(Math.ceil(bits / 8));
  const spare = bytes.length * 8 - bits;
  bytes[0] &= 0xff >> spare;
  return bytesToBigInt(bytes);
}

/**
 * A uniform integer in `[0, bound)`, by rejection sampling (unbiased).
 * @param {bigint} bound A positive bound.
 * @returns {bigint}
 */
export function randomBelow(bound) {
  if (bound <= 0n) {
    throw new RangeError("randomBelow: bound must be positive");
  }
  const bits = bitLength(bound - 1n);
  for (;;) {
    const x = randomBits(bits);
    if (x < bound) {
      return x;
    }
  }
}

/**
 * A uniform element of `Z*_n`: uniform in `[1, n)` with `gcd(x, n) = 1`
 * (SPEC §2.1), by rejection sampling.
 * @param {bigint} n A modulus greater than 1.
 * @returns {bigint}
 */
export function randomUnit(n) {
  if (n <= 1n) {
    throw new RangeError("randomUnit: modulus must be greater than 1");
  }
  for (;;) {
    const x = randomBelow(n);
    if (x !== 0n && gcd(x, n) === 1n) {
      return x;
    }
  }
}

/** Decode unpadded (or padded) base64url text, as in a JWK, to bytes. */
export function base64UrlDecode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const out = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of text.replace(/=+$/, "")) {
    const value = alphabet.indexOf(ch);
    if (value < 0) {
      throw new TypeError("bad base64url");
    }
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}
