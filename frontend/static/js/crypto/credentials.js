// SPEC §4.1 voting credentials: a typed voting code → Ed25519 seed → key.
//
// The code is 20 characters of the RFC 4648 base32 alphabet A–Z2–7, shown as
// four dash-separated groups of five. Normalisation removes "-" (U+002D) and
// ASCII space, tab, CR and LF only, maps ASCII a–z to A–Z only (no Unicode
// case mapping: "ı" and "ſ" are rejected, not turned into I and S), then
// requires exactly 20 characters of A–Z2–7.

import { publicKeyFromSeed, sign } from "./ed25519.js";
import { VotingCodeError } from "./errors.js";

/** The base32 alphabet of voting codes. */
export const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/** Characters in a voting code. */
export const CODE_LENGTH = 20;
/** HKDF `info` of the credential seed. */
export const CREDENTIAL_INFO = "evote-paillier/1/credential";

const REMOVED = new Set(["-", " ", "\t", "\r", "\n"]);
const IDENTIFIER_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;
const ENCODER = new TextEncoder();

function describe(ch) {
  const code = ch.codePointAt(0);
  const name = "U+" + code.toString(16).toUpperCase().padStart(4, "0");
  // Show printable characters; name invisible ones (spaces, controls) only.
  const invisible = /[\p{Cc}\p{Cf}\p{Z}]/u.test(ch);
  return invisible ? name : `"${ch}" (${name})`;
}

/**
 * Return the 20 characters of a typed voting code (SPEC §4.1).
 * @param {string} text What the voter typed or pasted.
 * @returns {string} 20 characters of A–Z2–7.
 * @throws {VotingCodeError} "voting code has characters outside A–Z2–7: …"
 *   (each offending character once, in order, with its code point), or
 *   "voting code has N characters, not 20".
 */
export function normaliseVotingCode(text) {
  if (typeof text !== "string") {
    throw new VotingCodeError("voting code must be text");
  }
  const kept = [];
  for (const ch of text) {
    if (REMOVED.has(ch)) {
      continue;
    }
    kept.push(ch >= "a" && ch <= "z" ? ch.toUpperCase() : ch);
  }
  const bad = [...new Set(kept.filter((ch) => !ALPHABET.includes(ch) || ch.length !== 1))];
  if (bad.length) {
    throw new VotingCodeError(`voting code has characters outside A–Z2–7: ${bad.map(describe).join(", ")}`);
  }
  if (kept.length !== CODE_LENGTH) {
    throw new VotingCodeError(`voting code has ${kept.length} characters, not ${CODE_LENGTH}`);
  }
  return kept.join("");
}

/**
 * Show a normalised code as four dash-separated groups of five.
 * @param {string} code 20 characters.
 * @returns {string}
 */
export function formatVotingCode(code) {
  return normaliseVotingCode(code).match(/.{5}/g).join("-");
}

/**
 * SPEC §4.1 seed: `HKDF-SHA256(ikm = the 20 characters as ASCII, salt =
 * election_id as ASCII, info = "evote-paillier/1/credential", length = 32)`.
 * @param {string} code The voting code as typed (it is normalised first).
 * @param {string} electionId The manifest's `election_id`.
 * @returns {Promise<Uint8Array>} The 32-byte Ed25519 seed.
 * @throws {VotingCodeError} if the code cannot be normalised.
 */
export async function credentialSeed(code, electionId) {
  if (typeof electionId !== "string" || !IDENTIFIER_RE.test(electionId)) {
    throw new TypeError("election_id is not a valid identifier");
  }
  const ikm = ENCODER.encode(normaliseVotingCode(code));
  const subtle = globalThis.crypto.subtle;
  const key = await subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  const bits = await subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: ENCODER.encode(electionId), info: ENCODER.encode(CREDENTIAL_INFO) },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/**
 * The credential (Ed25519 public key) and seed of a voting code.
 * @param {string} code The voting code as typed.
 * @param {string} electionId
 * @returns {Promise<{seed: Uint8Array, publicKey: Uint8Array}>}
 */
export async function credentialFromCode(code, electionId) {
  const seed = await credentialSeed(code, electionId);
  return { seed, publicKey: await publicKeyFromSeed(seed) };
}

/** Re-exported from ed25519.js: the public key of a seed, and signing. */
export { publicKeyFromSeed, sign };
