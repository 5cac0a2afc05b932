// SPEC §6 receipts and the voter's SPEC V10 check, in the browser.
//
// A receipt is {"election_hash", "seq", "tracker", "head", "inclusion_proof"}.
// It does not carry the entry's `received_at`, which the leaf hash covers,
// so checking inclusion needs the board entry itself (from the server's
// board or the record): `castEntry(seq, receivedAt, ballot)` rebuilds it.

import { hexBytes, parseHexBytes } from "./bigint.js";
import { ballotTracker, castMessage, electionHash as manifestElectionHash } from "./ballot.js";
import { cjson, parseCanonical } from "./cjson.js";
import { verifyProblem } from "./ed25519.js";
import { CryptoError } from "./errors.js";
import { leafHash, rootHash, verifyInclusion } from "./merkle.js";

/** Prefix of the signed tree head message. */
export const STH_PREFIX = "evote-paillier/1/sth:";

const HEAD_KEYS = ["election_hash", "root_hash", "signature", "timestamp", "tree_size"];
const RECEIPT_KEYS = ["election_hash", "head", "inclusion_proof", "seq", "tracker"];
const TIME_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/;
const ENCODER = new TextEncoder();

function hasExactKeys(value, keys) {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    Object.keys(value).sort().join(",") === [...keys].sort().join(",")
  );
}

/**
 * The bytes a tree head's signature covers: ASCII
 * `"evote-paillier/1/sth:" + cjson(head without signature)`.
 * @param {object} head
 * @returns {Uint8Array}
 */
export function headMessage(head) {
  const { signature: _signature, ...unsigned } = head;
  return ENCODER.encode(STH_PREFIX + cjson(unsigned));
}

/**
 * Why a signed tree head is not acceptable (wrong keys or encodings, or a
 * signature that does not verify under the board key), or `null`.
 * @param {unknown} head
 * @param {Uint8Array | string} boardPublicKey The manifest's `board_public_key`.
 * @returns {Promise<string | null>}
 */
export async function headProblem(head, boardPublicKey) {
  if (!hasExactKeys(head, HEAD_KEYS)) {
    return "head: expected exactly the keys election_hash, tree_size, root_hash, timestamp, signature";
  }
  if (!Number.isSafeInteger(head.tree_size) || head.tree_size < 0) {
    return "head.tree_size: expected a non-negative integer";
  }
  if (typeof head.timestamp !== "string" || !TIME_RE.test(head.timestamp)) {
    return "head.timestamp: not a protocol time";
  }
  let key;
  let signature;
  try {
    parseHexBytes(head.election_hash, "head.election_hash", 32);
    parseHexBytes(head.root_hash, "head.root_hash", 32);
    signature = parseHexBytes(head.signature, "head.signature", 64);
    key = typeof boardPublicKey === "string" ? parseHexBytes(boardPublicKey, "board_public_key", 32) : boardPublicKey;
  } catch (error) {
    if (error instanceof CryptoError) {
      return error.message;
    }
    throw error;
  }
  const problem = await verifyProblem(key, headMessage(head), signature);
  return problem === null ? null : `head.signature: ${problem}`;
}

/**
 * The board entry of a cast ballot, as the leaf hash covers it.
 * @param {number} seq
 * @param {string} receivedAt The server's `received_at`.
 * @param {object} ballot The signed ballot.
 * @returns {{seq: number, type: string, received_at: string, payload: object}}
 */
export function castEntry(seq, receivedAt, ballot) {
  return { seq, type: "cast", received_at: receivedAt, payload: ballot };
}

/**
 * Check a SPEC §6 receipt on its own: its shape, the head's signature by
 * the board key, the election, `seq < tree_size`, that `entry` is the cast
 * of `tracker` at `seq`, and the inclusion proof of `leaf(entry)` against
 * `head.root_hash`.
 * @param {unknown} receipt
 * @param {object} options
 * @param {Uint8Array | string} options.boardPublicKey
 * @param {object} options.entry The board entry at `receipt.seq` (see {@link castEntry}).
 * @param {string} [options.electionHash] The election the voter voted in.
 * @returns {Promise<{ok: boolean, problems: string[]}>}
 */
export async function checkReceipt(receipt, { boardPublicKey, entry, electionHash = undefined }) {
  const problems = [];
  if (!hasExactKeys(receipt, RECEIPT_KEYS)) {
    return { ok: false, problems: ["receipt: expected exactly the keys election_hash, seq, tracker, head, inclusion_proof"] };
  }
  const headWhy = await headProblem(receipt.head, boardPublicKey);
  if (headWhy !== null) {
    return { ok: false, problems: [headWhy] };
  }
  const { head } = receipt;
  if (head.election_hash !== receipt.election_hash) {
    problems.push("receipt: the head is for another election_hash");
  }
  if (electionHash !== undefined && receipt.election_hash !== electionHash) {
    problems.push("receipt: election_hash is not this election's");
  }
  if (!Number.isSafeInteger(receipt.seq) || receipt.seq < 0 || receipt.seq >= head.tree_size) {
    problems.push("receipt.seq: not inside the signed head");
  } else if (!entry || entry.seq !== receipt.seq || entry.type !== "cast") {
    problems.push(`board entry ${receipt.seq}: not a cast entry with this seq`);
  } else {
    if ((await ballotTracker(entry.payload)) !== receipt.tracker) {
      problems.push(`board entry ${receipt.seq}: does not hold the receipt's tracker`);
    }
    const path = Array.isArray(receipt.inclusion_proof) ? receipt.inclusion_proof : null;
    let included = false;
    try {
      included = path !== null && (await verifyInclusion(await leafHash(entry), receipt.seq, head.tree_size, path, head.root_hash));
    } catch {
      included = false;
    }
    if (!included) {
      problems.push("receipt.inclusion_proof: does not prove the entry is in the signed head");
    }
  }
  return { ok: problems.length === 0, problems };
}

function readLines(value, what) {
  if (Array.isArray(value)) {
    return value.map((item, index) => (typeof item === "string" ? parseCanonical(item, `${what} line ${index + 1}`) : item));
  }
  if (typeof value !== "string" || (value.length > 0 && !value.endsWith("\n"))) {
    throw new TypeError(`${what}: expected canonical JSON lines, each ending in LF`);
  }
  const lines = value.split("\n");
  lines.pop();
  return lines.map((line, index) => parseCanonical(line, `${what} line ${index + 1}`));
}

/**
 * The voter's SPEC V10 check against the published board.
 *
 * Checks: the receipt (see {@link checkReceipt}); the head appears in
 * heads.jsonl and obeys the §6 time rules there (its timestamp is at least
 * the `received_at` of its last entry, and no later entry has an earlier
 * `received_at`); the head is consistent with the last head, by
 * recomputing both roots from the board (the last head must be validly
 * signed and cover the whole board); and the outcome: the ballot is
 * `counted` (its seq is in the tally's `counted`), or `superseded` by a
 * later counted cast of the same credential (whose signature is checked
 * here; the page must show this loudly: an override the voter did not make
 * means the credential was used by someone else), or `not-counted`.
 *
 * The tally's `counted` list is taken as given: the full verifier (V5)
 * checks that it follows the counting rule.
 * @param {object} params
 * @param {unknown} params.receipt
 * @param {object} params.manifest The manifest (board key, election).
 * @param {string} [params.electionHash] The published election hash;
 *   computed from the manifest when absent.
 * @param {string | (string | object)[]} params.heads heads.jsonl (text, or its lines/objects).
 * @param {string | (string | object)[]} params.board board.jsonl (text, or its lines/entries).
 * @param {number[]} params.counted The tally's `counted` list.
 * @returns {Promise<{ok: boolean, outcome: "counted" | "superseded" | "not-counted" | null, supersededBy: number | null, problems: string[]}>}
 */
export async function checkReceiptV10({ receipt, manifest, electionHash = undefined, heads, board, counted }) {
  const problems = [];
  const boardKey = manifest.board_public_key;
  const ownHash = electionHash ?? (await manifestElectionHash(manifest));
  let headList;
  let entries;
  try {
    headList = readLines(heads, "heads.jsonl");
    entries = readLines(board, "board.jsonl");
  } catch (error) {
    return { ok: false, outcome: null, supersededBy: null, problems: [error.message] };
  }
  const seq = receipt?.seq;
  const entry = Number.isSafeInteger(seq) && seq >= 0 ? entries[seq] : undefined;
  const basic = await checkReceipt(receipt, { boardPublicKey: boardKey, entry, electionHash: ownHash });
  problems.push(...basic.problems);
  if (!hasExactKeys(receipt, RECEIPT_KEYS) || !hasExactKeys(receipt.head, HEAD_KEYS)) {
    return { ok: false, outcome: null, supersededBy: null, problems };
  }
  const { head } = receipt;
  const headText = cjson(head);
  if (!headList.some((item) => cjson(item) === headText)) {
    problems.push("heads.jsonl: the receipt's head was never published");
  }
  const size = head.tree_size;
  if (Number.isSafeInteger(size) && size <= entries.length) {
    if (size > 0 && !(head.timestamp >= entries[size - 1].received_at)) {
      problems.push("head.timestamp: earlier than the received_at of its last entry");
    }
    const late = entries.slice(size).find((item) => item.received_at < head.timestamp);
    if (late) {
      problems.push(`board entry ${late.seq}: outside the head but received before its timestamp`);
    }
  } else {
    problems.push("head.tree_size: larger than the board");
  }
  // Consistency with the last head, by recomputation from the board.
  const last = headList[headList.length - 1];
  const lastWhy = last === undefined ? "heads.jsonl: empty" : await headProblem(last, boardKey);
  if (lastWhy !== null) {
    problems.push(`last head: ${lastWhy}`);
  } else if (last.tree_size !== entries.length) {
    problems.push("last head: does not cover the whole board");
  } else {
    const leaves = await Promise.all(entries.map((item) => leafHash(item)));
    const [headRoot, lastRoot] = await Promise.all([rootHash(leaves.slice(0, size)), rootHash(leaves)]);
    if (size <= entries.length && hexBytes(headRoot) !== head.root_hash) {
      problems.push("head.root_hash: not the root of the board's first tree_size entries (inconsistent with the last head)");
    }
    if (hexBytes(lastRoot) !== last.root_hash) {
      problems.push("last head: root_hash is not the root of the board");
    }
  }
  // Outcome.
  let outcome = null;
  let supersededBy = null;
  if (entry && entry.type === "cast" && Array.isArray(counted)) {
    if (counted.includes(seq)) {
      outcome = "counted";
    } else {
      const credential = entry.payload?.credential;
      const later = counted
        .filter((s) => s > seq && entries[s]?.type === "cast" && entries[s].payload?.credential === credential)
        .sort((a, b) => a - b);
      if (later.length > 0) {
        outcome = "superseded";
        supersededBy = later[later.length - 1];
        const over = entries[supersededBy].payload;
        let why;
        try {
          why = await verifyProblem(
            parseHexBytes(over.credential, "credential", 32),
            castMessage(await ballotTracker(over)),
            parseHexBytes(over.signature, "signature", 64),
          );
        } catch (error) {
          why = error.message;
        }
        if (why !== null) {
          problems.push(`board entry ${supersededBy}: the superseding ballot's signature does not verify (${why})`);
        }
      } else {
        outcome = "not-counted";
        problems.push(`board entry ${seq}: neither counted nor superseded by a later counted cast of the same credential`);
      }
    }
  }
  return { ok: problems.length === 0, outcome, supersededBy, problems };
}
