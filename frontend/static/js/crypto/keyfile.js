// The trustee's key file, sealed by a passphrase: the PBKDF2 variant of
// votecrypto/sharefile.py's "dauys-trustee-x25519/1", which Python's
// read_key_file (and so `python -m tally.trustee`) opens too.
//
//   {"format": "dauys-trustee-x25519/1", "public_key": hex(32 bytes),
//    "kdf": {"algorithm": "pbkdf2-sha256", "salt": hex(16 bytes), "iterations": c},
//    "nonce": hex(12 bytes), "ciphertext": hex(AES-256-GCM(private key) ‖ tag)}
//
// key = PBKDF2-HMAC-SHA256(UTF-8 passphrase, salt, c, 32 bytes); the
// additional data is cjson of the whole file without "ciphertext", so that
// changing any field makes the file unreadable. The file is canonical JSON
// plus LF. Files whose key comes from scrypt (the command-line tool's
// default) cannot be opened here: WebCrypto has no scrypt.

import { hexBytes, parseHexBytes, randomBytes } from "./bigint.js";
import { cjson, cjsonBytes, parseCanonical } from "./cjson.js";
import { CryptoError, StructureError, expectObject } from "./errors.js";
import { KEY_LENGTH, publicKeyOf } from "./x25519.js";

/** The `format` of a key file. */
export const KEY_FILE_FORMAT = "dauys-trustee-x25519/1";
/** `kdf.algorithm` of the variant written and read here. */
export const KDF_PBKDF2 = "pbkdf2-sha256";
/** `kdf.algorithm` of the command-line tool's variant (not readable here). */
export const KDF_SCRYPT = "scrypt";
/** Iterations written by default. */
export const PBKDF2_ITERATIONS = 600000;
/** Fewest iterations accepted when reading (as Python's MIN_PBKDF2_ITERATIONS). */
export const MIN_PBKDF2_ITERATIONS = 600000;
/** Most iterations accepted when reading. */
export const MAX_PBKDF2_ITERATIONS = 10000000;
/** The message of every failure to open a sealed file (as in Python). */
export const OPEN_FAILED = "wrong passphrase or corrupted file";

const FILE_KEYS = ["ciphertext", "format", "kdf", "nonce", "public_key"];
const PBKDF2_KEYS = ["algorithm", "iterations", "salt"];
const SALT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const NAME = "key_file";
const ENCODER = new TextEncoder();

/**
 * Why a key file cannot be used. `code` says what the page should tell
 * the trustee: "unreadable" (not a key file, or a field is malformed or
 * too weak), "scrypt" (a command-line key file: use the command-line tool)
 * or "passphrase" (wrong passphrase or a changed file).
 */
export class KeyFileError extends CryptoError {
  /**
   * @param {"unreadable" | "scrypt" | "passphrase"} code
   * @param {string} field
   * @param {string} problem
   */
  constructor(code, field, problem) {
    super(field, problem);
    /** @type {string} */
    this.code = code;
  }
}

function passphraseBytes(passphrase) {
  const bytes = typeof passphrase === "string" ? ENCODER.encode(passphrase) : passphrase;
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new TypeError("the passphrase must not be empty");
  }
  return bytes;
}

async function deriveKey(passphrase, salt, iterations, usage) {
  const subtle = globalThis.crypto.subtle;
  const base = await subtle.importKey("raw", passphraseBytes(passphrase), "PBKDF2", false, ["deriveBits"]);
  const bits = await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, 256);
  return subtle.importKey("raw", bits, "AES-GCM", false, [usage]);
}

function checkIterations(iterations, field) {
  if (!Number.isSafeInteger(iterations) || iterations < MIN_PBKDF2_ITERATIONS || iterations > MAX_PBKDF2_ITERATIONS) {
    throw new StructureError(field, `PBKDF2 needs ${MIN_PBKDF2_ITERATIONS}…${MAX_PBKDF2_ITERATIONS} iterations`);
  }
}

/**
 * Seal an X25519 private key into a key file (PBKDF2 variant).
 * @param {Uint8Array} privateKey 32 bytes.
 * @param {string} passphrase Not empty; used as UTF-8, not normalised.
 * @param {object} [options]
 * @param {number} [options.iterations] At least {@link MIN_PBKDF2_ITERATIONS}.
 * @param {Uint8Array} [options.salt] 16 bytes (known-answer tests only).
 * @param {Uint8Array} [options.nonce] 12 bytes (known-answer tests only).
 * @returns {Promise<string>} The file: canonical JSON plus LF.
 */
export async function sealKeyFile(privateKey, passphrase, options = {}) {
  const iterations = options.iterations ?? PBKDF2_ITERATIONS;
  checkIterations(iterations, "iterations");
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  const nonce = options.nonce ?? randomBytes(NONCE_BYTES);
  if (salt.length !== SALT_BYTES || nonce.length !== NONCE_BYTES) {
    throw new RangeError("salt has 16 bytes and nonce 12");
  }
  const publicKey = await publicKeyOf(privateKey);
  const header = {
    format: KEY_FILE_FORMAT,
    public_key: hexBytes(publicKey),
    kdf: { algorithm: KDF_PBKDF2, salt: hexBytes(salt), iterations },
    nonce: hexBytes(nonce),
  };
  const key = await deriveKey(passphrase, salt, iterations, "encrypt");
  const sealed = await globalThis.crypto.subtle.encrypt(
    { name: "AES-GCM", iv: nonce, additionalData: cjsonBytes(header), tagLength: 128 },
    key,
    privateKey,
  );
  return `${cjson({ ...header, ciphertext: hexBytes(sealed) })}\n`;
}

/**
 * Parse a key file strictly (SPEC §1 canonical JSON, exact keys).
 * @param {string} text
 * @returns {{file: object, publicKey: Uint8Array}}
 * @throws {KeyFileError}
 */
function parseKeyFile(text) {
  try {
    if (typeof text !== "string") {
      throw new StructureError(NAME, "expected the file's text");
    }
    const body = text.endsWith("\n") ? text.slice(0, -1) : text;
    const file = expectObject(parseCanonical(body, NAME), NAME, FILE_KEYS);
    if (file.format !== KEY_FILE_FORMAT) {
      throw new StructureError(`${NAME}.format`, `expected ${JSON.stringify(KEY_FILE_FORMAT)}`);
    }
    const publicKey = parseHexBytes(file.public_key, `${NAME}.public_key`, KEY_LENGTH);
    return { file, publicKey };
  } catch (error) {
    if (error instanceof CryptoError) {
      throw new KeyFileError("unreadable", error.field, error.problem);
    }
    throw error;
  }
}

/**
 * The public key shown in clear in a key file (no passphrase needed).
 * @param {string} text
 * @returns {Uint8Array} 32 bytes.
 * @throws {KeyFileError}
 */
export function keyFilePublicKey(text) {
  return parseKeyFile(text).publicKey;
}

/**
 * Open a key file with its passphrase.
 * @param {string} text The file's content.
 * @param {string} passphrase
 * @returns {Promise<{privateKey: Uint8Array, publicKey: Uint8Array}>}
 * @throws {KeyFileError} "unreadable", "scrypt" or "passphrase" (see the class).
 */
export async function openKeyFile(text, passphrase) {
  const { file, publicKey } = parseKeyFile(text);
  let salt;
  let nonce;
  let ciphertext;
  try {
    const kdf = file.kdf;
    if (kdf !== null && typeof kdf === "object" && kdf.algorithm === KDF_SCRYPT) {
      throw new KeyFileError("scrypt", `${NAME}.kdf.algorithm`, "a scrypt key file: open it with the command-line tool");
    }
    if (kdf === null || typeof kdf !== "object" || kdf.algorithm !== KDF_PBKDF2) {
      throw new StructureError(`${NAME}.kdf.algorithm`, `expected "${KDF_PBKDF2}" (or "${KDF_SCRYPT}" for the command-line tool)`);
    }
    expectObject(kdf, `${NAME}.kdf`, PBKDF2_KEYS);
    salt = parseHexBytes(kdf.salt, `${NAME}.kdf.salt`, SALT_BYTES);
    checkIterations(kdf.iterations, `${NAME}.kdf.iterations`);
    nonce = parseHexBytes(file.nonce, `${NAME}.nonce`, NONCE_BYTES);
    ciphertext = parseHexBytes(file.ciphertext, `${NAME}.ciphertext`);
    if (ciphertext.length <= TAG_BYTES) {
      throw new StructureError(`${NAME}.ciphertext`, "shorter than the GCM tag");
    }
  } catch (error) {
    if (error instanceof KeyFileError || !(error instanceof CryptoError)) {
      throw error;
    }
    throw new KeyFileError("unreadable", error.field, error.problem);
  }
  const { ciphertext: _ciphertext, ...header } = file;
  const key = await deriveKey(passphrase, salt, file.kdf.iterations, "decrypt");
  let privateKey;
  try {
    privateKey = new Uint8Array(
      await globalThis.crypto.subtle.decrypt(
        { name: "AES-GCM", iv: nonce, additionalData: cjsonBytes(header), tagLength: 128 },
        key,
        ciphertext,
      ),
    );
  } catch {
    throw new KeyFileError("passphrase", NAME, OPEN_FAILED);
  }
  const derived = privateKey.length === KEY_LENGTH ? await publicKeyOf(privateKey) : null;
  if (derived === null || hexBytes(derived) !== hexBytes(publicKey)) {
    throw new KeyFileError("unreadable", `${NAME}.public_key`, "does not match the private key");
  }
  return { privateKey, publicKey };
}
