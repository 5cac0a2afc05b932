// Trustee console worker: opens the trustee's share and does the long
// arithmetic off the page's thread. Start it as a module worker:
//   new Worker("/static/js/crypto/trustee-worker.js", {type: "module"})
//
// The share s_i stays in this worker; the page never sees it. Protocol
// (every message a plain object with a `type`; one at a time, in order):
//   page → {type: "open", keyFile, passphrase, box, index, n, count, v, vk}
//       keyFile: the key file's text; box: the share box (JSON value);
//       n, v, vk: hex strings (from public.json or the manifest).
//       Opens the key file and the box and checks v^(Δ·s_i) ≡ v_i (SPEC §2.2).
//   ← {type: "opened", index, publicKey}
//   page → {type: "selftest", public}
//       public: the ceremony's public.json (JSON value). Checks the test
//       ciphertext's opening, then decrypts it with key_hash (§2.2 step 7).
//       The key proof (SPEC §2.1) is checked first, in both steps below.
//   ← {type: "progress", stage: "key-proof", done, total}
//   ← {type: "test-share", share}          share: {"index", "share", "proof"}
//   page → {type: "count", manifestText, boardText, electionHash}
//       Refuses a manifest whose hash is not electionHash and a board that
//       breaks §6 (above all one without its close entry); classifies every
//       entry (§7) and recomputes the aggregates, kept here. The checks of
//       each entry on its own run in helper workers (check-worker.js, via
//       check-pool.js), which get only the manifest and the entries.
//   ← {type: "progress", stage: "key-proof"|"classify"|"decrypt", done, total}
//   ← {type: "counted", board, counted, invalidCasts, invalidAudits, superseded}
//   page → {type: "decrypt"}
//       This trustee's share of every aggregate counted above, never of
//       anything else (SPEC §2.3).
//   ← {type: "shares", shares, file}        file: the shares.json text
//   ← {type: "error", code, message, field} on any failure; `code` is one of
//       keyfile-unreadable, keyfile-scrypt, keyfile-passphrase, box-index,
//       box-open, share-mismatch, not-open, wrong-key, bad-public, key-proof,
//       test-opening, manifest, hash-mismatch, board, not-counted, internal.

import { hexBytes, parseHexInt } from "./bigint.js";
import { electionHash as manifestHash } from "./ballot.js";
import { checkInWorkers } from "./check-pool.js";
import { cjson, parseCanonical } from "./cjson.js";
import { boardProblems, boardReference, computeTally, makeTrusteeShares, parseBoardJsonl, trusteeSharesFile } from "./counting.js";
import { CryptoError } from "./errors.js";
import { KeyFileError, openKeyFile } from "./keyfile.js";
import { checkKeyProof } from "./keyproof.js";
import {
  checkCeremonyTest,
  checkShare,
  checkTrusteeKeys,
  decryptionShareJson,
  makeCeremonyTestShare,
  openShareBox,
  parseCeremonyPublic,
  parsePublicKey,
  parseShareBox,
  parseTrusteeKeys,
} from "./threshold.js";

const state = { share: null, manifest: null, counting: null, board: null, pool: {} };

/**
 * Options of check-pool.js `checkInWorkers` for the next counts (tests
 * only: Node has no Web Worker, and without one the checks run here).
 * @param {object} options
 */
export function setPoolOptions(options) {
  state.pool = options;
}

/** An error the page turns into a translated message by its `code`. */
class ConsoleError extends Error {
  constructor(code, message, field = "") {
    super(message);
    this.code = code;
    this.field = field;
  }
}

function fail(code, error) {
  return new ConsoleError(code, error?.message ?? String(error), error?.field ?? "");
}

async function open(message) {
  let keys;
  try {
    keys = await openKeyFile(message.keyFile, message.passphrase);
  } catch (error) {
    if (error instanceof KeyFileError) {
      throw fail(`keyfile-${error.code}`, error);
    }
    throw error;
  }
  const n = parseHexInt(message.n, "n");
  const v = parseHexInt(message.v, "v");
  const vk = parseHexInt(message.vk, "vk");
  let box;
  let s;
  try {
    box = parseShareBox(message.box);
  } catch (error) {
    throw fail("box-open", error);
  }
  if (box.index !== message.index) {
    throw new ConsoleError("box-index", `the share box is for trustee ${box.index}, not ${message.index}`, "share_box.index");
  }
  try {
    s = await openShareBox(n, box, keys.privateKey, keys.publicKey);
  } catch (error) {
    if (error instanceof CryptoError) {
      throw fail("box-open", error);
    }
    throw error;
  }
  if (!checkShare(n, message.count, v, vk, s)) {
    throw new ConsoleError("share-mismatch", `the share does not match trustee ${box.index}'s verification key`, "share");
  }
  state.share = { n, count: message.count, v, vk, index: box.index, s };
  return { type: "opened", index: box.index, publicKey: hexBytes(keys.publicKey) };
}

function requireShare(n) {
  if (state.share === null) {
    throw new ConsoleError("not-open", "open the share first");
  }
  if (state.share.n !== n) {
    throw new ConsoleError("wrong-key", "the share was dealt for another key");
  }
  return state.share;
}

/**
 * Check the key proof (SPEC §2.1) before the share is used with the key:
 * a key that is not a Paillier–Blum modulus is refused here, as the
 * verifier's V1 refuses it.
 */
async function checkKey(n, proof, field, post) {
  try {
    await checkKeyProof(n, proof, field, (done, total) => post({ type: "progress", stage: "key-proof", done, total }));
  } catch (error) {
    if (error instanceof CryptoError) {
      throw fail("key-proof", error);
    }
    throw error;
  }
}

async function selftest(message, post) {
  let pub;
  try {
    pub = await parseCeremonyPublic(message.public);
    checkTrusteeKeys(pub.n, pub.trustees, "public.trustees");
  } catch (error) {
    throw fail("bad-public", error);
  }
  const share = requireShare(pub.n);
  if (pub.trustees.verificationKeys[share.index - 1]?.vk !== share.vk) {
    throw new ConsoleError("wrong-key", "the share was dealt for another key");
  }
  await checkKey(pub.n, message.public.public_key.key_proof, "public.public_key.key_proof", post);
  try {
    checkCeremonyTest(pub.n, pub.test);
  } catch (error) {
    throw fail("test-opening", error);
  }
  const made = await makeCeremonyTestShare(pub, share.index, share.s);
  return { type: "test-share", share: decryptionShareJson(made) };
}

async function count(message, post) {
  state.counting = null;
  let manifest;
  try {
    const text = message.manifestText.endsWith("\n") ? message.manifestText.slice(0, -1) : message.manifestText;
    manifest = parseCanonical(text, "manifest.json");
    parsePublicKey(manifest.public_key, "manifest.public_key");
    checkTrusteeKeys(parseHexInt(manifest.public_key.n), parseTrusteeKeys(manifest.trustees, "manifest.trustees"));
  } catch (error) {
    throw fail("manifest", error);
  }
  const hash = await manifestHash(manifest);
  if (hash !== message.electionHash) {
    throw new ConsoleError("hash-mismatch", "the manifest does not match the published election hash", "manifest");
  }
  await checkKey(parseHexInt(manifest.public_key.n), manifest.public_key.key_proof, "manifest.public_key.key_proof", post);
  let entries;
  try {
    entries = parseBoardJsonl(message.boardText);
  } catch (error) {
    throw fail("board", error);
  }
  const problems = boardProblems(manifest, entries);
  if (problems.length > 0) {
    throw new ConsoleError("board", problems[0], "board.jsonl");
  }
  const counting = await computeTally(manifest, entries, {
    electionHash: hash,
    // The checks of each entry on its own, in helper workers (public data only).
    check: checkInWorkers(state.pool),
    onProgress: (done, total) => post({ type: "progress", stage: "classify", done, total }),
  });
  const board = await boardReference(entries);
  state.manifest = manifest;
  state.counting = counting;
  state.board = board;
  const invalid = (type) =>
    Object.fromEntries(counting.verdicts.filter((v) => v.type === type && v.reason !== null).map((v) => [v.seq, v.reason]));
  return {
    type: "counted",
    board,
    counted: counting.counted,
    invalidCasts: invalid("cast"),
    invalidAudits: invalid("audit"),
    superseded: Object.fromEntries(counting.superseded),
  };
}

async function decrypt(post) {
  if (state.counting === null) {
    throw new ConsoleError("not-counted", "count the board first");
  }
  const manifest = state.manifest;
  const share = requireShare(parseHexInt(manifest.public_key.n));
  const keys = parseTrusteeKeys(manifest.trustees, "manifest.trustees");
  const entry = keys.verificationKeys[share.index - 1];
  if (entry === undefined || entry.vk !== share.vk || keys.v !== share.v || keys.count !== share.count) {
    throw new ConsoleError("wrong-key", "the share was dealt for another key");
  }
  const shares = await makeTrusteeShares(manifest, state.counting, state.board, share.index, share.s, {
    onProgress: (done, total) => post({ type: "progress", stage: "decrypt", done, total }),
  });
  return { type: "shares", shares, file: trusteeSharesFile(shares) };
}

/**
 * Handle one message of the protocol above; `post` sends a reply.
 * (Exported so the protocol can be tested outside a worker.)
 * @param {object} message
 * @param {(reply: object) => void} post
 * @returns {Promise<void>}
 */
export async function handleMessage(message, post) {
  try {
    if (message?.type === "open") {
      post(await open(message));
    } else if (message?.type === "selftest") {
      post(await selftest(message, post));
    } else if (message?.type === "count") {
      post(await count(message, post));
    } else if (message?.type === "decrypt") {
      post(await decrypt(post));
    } else {
      throw new ConsoleError("internal", `unknown message type: ${cjson(String(message?.type))}`);
    }
  } catch (error) {
    const code = error instanceof ConsoleError ? error.code : "internal";
    post({ type: "error", code, message: error?.message ?? String(error), field: error?.field ?? "" });
  }
}

// Inside a worker only: in Node (tests) or on a page this module just exports.
if (typeof WorkerGlobalScope !== "undefined" && globalThis instanceof WorkerGlobalScope) {
  let queue = Promise.resolve();
  globalThis.addEventListener("message", (event) => {
    queue = queue.then(() => handleMessage(event.data, (reply) => globalThis.postMessage(reply)));
  });
}
