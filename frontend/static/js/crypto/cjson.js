// SPEC §1 canonical JSON, byte for byte what Python writes with
// json.dumps(x, sort_keys=True, separators=(",", ":"), ensure_ascii=False).
//
// Two details differ from a naive JSON.stringify with sorted keys:
// - Object keys are sorted by Unicode code point (Python's str order), not
//   by UTF-16 code unit (JavaScript's default sort): "｡" (U+FF61) sorts
//   before "😀" (U+1F600) although its code unit is larger than the
//   surrogate 0xD83D.
// - Only what the protocol allows is written: integers in [0, 2^53)
//   (a BigInt or a fraction is an error: big integers travel as hex
//   strings), strings without lone surrogates, arrays, plain objects,
//   true, false and null.
// String escaping is JSON.stringify's (ECMA-262 QuoteJSONString), which for
// well-formed strings equals Python's with ensure_ascii=False: `"` and `\`,
// \b \f \n \r \t, other controls below U+0020 as lowercase \u00xx, and
// nothing else (U+007F and U+2028 are written as they are).

import { EncodingError } from "./errors.js";

const LONE_SURROGATE_RE = /[\uD800-\uDFFF]/u;
const ENCODER = new TextEncoder();

/**
 * Compare two strings by Unicode code point, as Python orders `str`.
 * @param {string} a
 * @param {string} b
 * @returns {number} Negative, zero or positive.
 */
export function compareCodePoints(a, b) {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Equal prefixes keep both strings aligned on surrogate pairs, so a
      // surrogate here starts a code point ≥ U+10000, above any BMP unit.
      const xSurrogate = x >= 0xd800 && x <= 0xdfff;
      const ySurrogate = y >= 0xd800 && y <= 0xdfff;
      if (xSurrogate !== ySurrogate) {
        return xSurrogate ? 1 : -1;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

function writeString(text, path) {
  if (LONE_SURROGATE_RE.test(text)) {
    throw new EncodingError(path, "string holds a lone surrogate (not valid Unicode)");
  }
  return JSON.stringify(text);
}

function write(value, path) {
  if (value === null) {
    return "null";
  }
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return writeString(value, path);
    case "number":
      if (!Number.isInteger(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) {
        throw new EncodingError(path, `only integers in [0, 2^53) are allowed, got ${value}`);
      }
      return String(value === 0 ? 0 : value);
    case "bigint":
      throw new EncodingError(path, "a BigInt must be written as a hex string (SPEC §1)");
    case "object": {
      if (Array.isArray(value)) {
        return "[" + value.map((item, index) => write(item, `${path}[${index}]`)).join(",") + "]";
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new EncodingError(path, "only plain objects, arrays, strings, integers, booleans and null");
      }
      const keys = Object.keys(value).sort(compareCodePoints);
      const parts = keys.map((key) => {
        const item = value[key];
        return writeString(key, path) + ":" + write(item, path ? `${path}.${key}` : key);
      });
      return "{" + parts.join(",") + "}";
    }
    default:
      throw new EncodingError(path, `cannot write a ${typeof value} in canonical JSON`);
  }
}

/**
 * Canonical JSON text of `value` (SPEC §1).
 * @param {unknown} value Arrays, plain objects, strings, integers in
 *   `[0, 2^53)`, booleans and null.
 * @returns {string}
 * @throws {EncodingError} on a value canonical JSON cannot hold.
 */
export function cjson(value) {
  return write(value, "");
}

/**
 * Canonical JSON of `value` as UTF-8 bytes (what SPEC §1's `H` hashes).
 * @param {unknown} value
 * @returns {Uint8Array}
 */
export function cjsonBytes(value) {
  return ENCODER.encode(cjson(value));
}

/**
 * Parse JSON text that must be canonical (SPEC §1), e.g. one line of a
 * `.jsonl` file of the record (without its LF).
 *
 * The text is accepted only if it is exactly the canonical JSON of the value
 * it parses to. That rejects everything SPEC §1's strict parser rejects:
 * duplicate keys, floats, exponents, NaN/Infinity, a byte-order mark, integers
 * outside `[0, 2^53)`, negative zero, lone surrogates — and also any
 * non-canonical spelling (whitespace, key order, needless escapes).
 * @param {string} text
 * @param {string} [field] Names the value in the error.
 * @returns {unknown}
 * @throws {EncodingError}
 */
export function parseCanonical(text, field = "") {
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new EncodingError(field, `not JSON: ${error.message}`);
  }
  let again;
  try {
    again = cjson(value);
  } catch (error) {
    throw new EncodingError(field, `not canonical JSON: ${error.problem ?? error.message}`);
  }
  if (again !== text) {
    throw new EncodingError(field, "not canonical JSON (SPEC §1)");
  }
  return value;
}
