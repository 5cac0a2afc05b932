// SPEC §6–§7 in the browser: read the closed board, classify every entry,
// apply the counting rule, multiply the aggregates, and make a trustee's
// decryption share of every aggregate (SPEC §2.3). The same rules as
// votecrypto/tally.py, so a trustee's console decrypts only aggregates it
// has recomputed itself from the board: it never decrypts a ciphertext
// handed to it (one ballot disguised as an aggregate would reveal it).
//
// Board entries are the parsed objects of board.jsonl:
//   {"seq", "type": "cast"|"audit"|"close", "received_at", "payload"}.

import { hexBytes, hexInt, parseHexBytes, parseHexInt } from "./bigint.js";
import { castEquations, checkAudit, checkBallot, electionHash as manifestHash, parseBallot, REASONS } from "./ballot.js";
import { cjson, parseCanonical } from "./cjson.js";
import { EncodingError, StructureError } from "./errors.js";
import { leafHash, rootHash } from "./merkle.js";
import { failingGroups } from "./proofs.js";
import { makeDecryptionShare } from "./threshold.js";

export const CAST = "cast";
export const AUDIT = "audit";
export const CLOSE = "close";
/** Reasons decided here, after ballot.js's checks (SPEC §7). */
export const EARLY = "early";
export const LATE = "late";
export const REPLAY = "replay";
export const AUDITED = "audited";

const ENTRY_KEYS = ["payload", "received_at", "seq", "type"];
const TIME_RE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z$/;
// Reasons that come after `early`/`late` in §7's order: a ballot out of the
// voting window that fails only these is `early` or `late` instead.
const AFTER_WINDOW = new Set([null, REASONS.BAD_SIGNATURE, REASONS.INVALID_CIPHERTEXT, REASONS.BAD_PROOF]);

function isLeapYear(year) {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Read a SPEC §1 time `YYYY-MM-DDTHH:MM:SSZ` (a valid UTC instant, years
 * 0001–9999). Such strings compare chronologically as strings.
 * @param {unknown} value
 * @param {string} field
 * @returns {string}
 * @throws {StructureError | EncodingError}
 */
export function parseTime(value, field) {
  if (typeof value !== "string") {
    throw new StructureError(field, "expected a time string");
  }
  const match = TIME_RE.exec(value);
  if (match === null) {
    throw new EncodingError(field, `not a time of the form YYYY-MM-DDTHH:MM:SSZ: ${JSON.stringify(value.slice(0, 40))}`);
  }
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const days = [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > days[month - 1] || hour > 23 || minute > 59 || second > 59) {
    throw new EncodingError(field, `not a valid UTC instant: ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Parse one board entry strictly (SPEC §6): exact keys, `seq` a JSON
 * integer, a known `type`, a valid time, an object payload (`{}` for
 * `close`). A payload that is not a valid ballot or audit is not a broken
 * entry but an invalid one (§7), reported by {@link classifyEntries}.
 * @param {unknown} value
 * @param {string} [field]
 * @returns {{seq: number, type: string, received_at: string, payload: object}}
 */
export function parseBoardEntry(value, field = "entry") {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new StructureError(field, "expected an object");
  }
  const present = Object.keys(value);
  const missing = ENTRY_KEYS.filter((key) => !present.includes(key));
  const extra = present.filter((key) => !ENTRY_KEYS.includes(key)).sort();
  if (missing.length || extra.length) {
    throw new StructureError(field, missing.length ? `missing key(s): ${missing.join(", ")}` : `unknown key(s): ${extra.join(", ")}`);
  }
  if (!Number.isSafeInteger(value.seq) || value.seq < 0) {
    throw new StructureError(`${field}.seq`, "expected an integer");
  }
  if (![CAST, AUDIT, CLOSE].includes(value.type)) {
    throw new StructureError(`${field}.type`, "expected cast, audit or close");
  }
  parseTime(value.received_at, `${field}.received_at`);
  const payload = value.payload;
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    throw new StructureError(`${field}.payload`, "expected an object");
  }
  if (value.type === CLOSE && Object.keys(payload).length > 0) {
    throw new StructureError(`${field}.payload`, "a close entry has payload {}");
  }
  return value;
}

/**
 * Parse `board.jsonl` (SPEC §8): one canonical JSON entry plus LF per line.
 * @param {string} text
 * @returns {{seq: number, type: string, received_at: string, payload: object}[]}
 * @throws {StructureError | EncodingError} naming the line.
 */
export function parseBoardJsonl(text) {
  if (text === "") {
    return [];
  }
  if (!text.endsWith("\n")) {
    throw new EncodingError("board.jsonl", "file does not end with LF");
  }
  return text
    .slice(0, -1)
    .split("\n")
    .map((line, position) => parseBoardEntry(parseCanonical(line, `board.jsonl:${position + 1}`), `board[${position}]`));
}

/**
 * What breaks the board's own rules (SPEC §6, V2), as sentences: `seq`
 * from 0 without gaps, `received_at` never decreasing, exactly one
 * `close`, last, not before `voting_ends`. Empty when every rule holds.
 * @param {object} manifest
 * @param {{seq: number, type: string, received_at: string}[]} entries
 * @returns {string[]}
 */
export function boardProblems(manifest, entries) {
  const problems = [];
  entries.forEach((entry, position) => {
    if (entry.seq !== position) {
      problems.push(`board[${position}]: seq is ${entry.seq}, expected ${position}`);
    }
    if (position > 0 && entry.received_at < entries[position - 1].received_at) {
      problems.push(
        `board[${position}]: received_at ${entry.received_at} is earlier than the previous entry's ${entries[position - 1].received_at}`,
      );
    }
  });
  const closes = entries.flatMap((entry, position) => (entry.type === CLOSE ? [position] : []));
  if (closes.length === 0) {
    problems.push("the board has no close entry");
  } else if (closes.length > 1) {
    problems.push(`the board has ${closes.length} close entries (at [${closes.join(", ")}])`);
  }
  if (closes.length > 0) {
    const last = closes[closes.length - 1];
    if (last !== entries.length - 1) {
      problems.push(`the close entry (board[${last}]) is not the last entry`);
    }
    if (entries[last].received_at < parseTime(manifest.voting_ends, "manifest.voting_ends")) {
      problems.push(`the close entry's received_at ${entries[last].received_at} is before voting_ends`);
    }
  }
  return problems;
}

/**
 * @typedef {object} Verdict
 * @property {number} seq
 * @property {string} type "cast" or "audit".
 * @property {string | null} reason The first failing §7 reason, or null.
 * @property {string | null} tracker Once structure and encodings passed.
 * @property {string | null} credential A cast's credential (hex), likewise.
 * @property {string} detail
 */

async function classifyCast(manifest, electionHash, entry) {
  return castVerdict(manifest, entry, await checkBallot(manifest, entry.payload, { electionHash }));
}

function castVerdict(manifest, entry, check) {
  const credential = check.reason === REASONS.STRUCTURE || check.reason === REASONS.ENCODING ? null : entry.payload.credential;
  let { reason, detail } = check;
  // SPEC §7's order puts the voting window after unknown-credential and
  // before the signature; ballot.js leaves the window to the board.
  if (AFTER_WINDOW.has(reason)) {
    if (entry.received_at < manifest.voting_starts) {
      [reason, detail] = [EARLY, "received_at is before voting_starts"];
    } else if (entry.received_at >= manifest.voting_ends) {
      [reason, detail] = [LATE, "received_at is not before voting_ends"];
    }
  }
  return { seq: entry.seq, type: CAST, reason, tracker: check.tracker, credential, detail };
}

/**
 * The checks of one `cast` or `audit` entry on its own (SPEC §7), before
 * the rules that need the other entries (`replay`, `audited`): what may
 * run in any order and in parallel (see check-pool.js).
 * @param {object} manifest
 * @param {string} electionHash The verifier's own election hash.
 * @param {{seq: number, type: string, received_at: string, payload: object}} entry
 * @returns {Promise<Verdict>}
 */
export async function checkEntry(manifest, electionHash, entry) {
  if (entry.type === AUDIT) {
    const audit = await checkAudit(manifest, entry.payload);
    return { seq: entry.seq, type: AUDIT, reason: audit.reason, tracker: audit.tracker, credential: null, detail: audit.detail };
  }
  if (entry.type === CAST) {
    return classifyCast(manifest, electionHash, entry);
  }
  throw new TypeError(`checkEntry: not a cast or audit entry: ${JSON.stringify(entry.type)}`);
}

/**
 * {@link checkEntry} for each entry in turn, in this thread.
 * @param {object} manifest
 * @param {string} electionHash
 * @param {object[]} items `cast` and `audit` entries.
 * @param {(done: number, total: number) => void} [onProgress]
 * @returns {Promise<Verdict[]>}
 */
export async function checkEntries(manifest, electionHash, items, onProgress = undefined) {
  const found = [];
  for (const entry of items) {
    found.push(await checkEntry(manifest, electionHash, entry));
    onProgress?.(found.length, items.length);
  }
  return found;
}

/** Entries whose proofs {@link checkEntriesBatched} checks in one batch, at most. */
export const BATCH_SIZE = 16;

/**
 * The verdicts of {@link checkEntry} for a few entries, the equations of
 * the casts' proofs checked in one batch (SPEC §3; proofs.js
 * `failingGroups`, one group per ballot): every other check of each cast
 * first, in checkBallot's order; a ballot whose equations fail on their
 * own is checked again exactly (ballot.js `checkBallot`) for its reason
 * and detail. The verdicts are {@link checkEntry}'s, except with
 * probability below 2^−128 for a key of safe primes.
 * @param {object} manifest
 * @param {string} electionHash
 * @param {object[]} items `cast` and `audit` entries.
 * @returns {Promise<Verdict[]>} In the order of `items`.
 */
export async function checkBatch(manifest, electionHash, items) {
  const verdicts = new Array(items.length);
  const pending = [];
  for (const [position, entry] of items.entries()) {
    if (entry.type !== CAST) {
      verdicts[position] = await checkEntry(manifest, electionHash, entry);
      continue;
    }
    const { result, equations } = await castEquations(manifest, entry.payload, { electionHash });
    if (equations === null) {
      verdicts[position] = castVerdict(manifest, entry, result);
    } else {
      pending.push({ position, result, equations });
    }
  }
  if (pending.length > 0) {
    const n = parseHexInt(manifest.public_key.n, "manifest.public_key.n");
    const failing = new Set(failingGroups(n, pending.map((item) => item.equations)));
    for (const [index, { position, result }] of pending.entries()) {
      const entry = items[position];
      verdicts[position] = failing.has(index) ? await classifyCast(manifest, electionHash, entry) : castVerdict(manifest, entry, result);
    }
  }
  return verdicts;
}

/**
 * {@link checkEntries} with the proofs checked in batches of
 * {@link BATCH_SIZE} entries ({@link checkBatch}): the same verdicts,
 * except with probability below 2^−128 for a key of safe primes.
 * @param {object} manifest
 * @param {string} electionHash
 * @param {object[]} items `cast` and `audit` entries.
 * @param {(done: number, total: number) => void} [onProgress]
 * @returns {Promise<Verdict[]>}
 */
export async function checkEntriesBatched(manifest, electionHash, items, onProgress = undefined) {
  const found = [];
  for (let start = 0; start < items.length; start += BATCH_SIZE) {
    for (const verdict of await checkBatch(manifest, electionHash, items.slice(start, start + BATCH_SIZE))) {
      found.push(verdict);
      onProgress?.(found.length, items.length);
    }
  }
  return found;
}

/**
 * Classify every `cast` and `audit` entry with its SPEC §7 reason, in
 * `seq` order: each on its own first, then a valid cast whose tracker an
 * earlier valid cast holds is `replay`, and one whose tracker an earlier
 * valid audit holds is `audited`.
 * @param {object} manifest
 * @param {object[]} entries Parsed board entries.
 * @param {object} [options]
 * @param {string} [options.electionHash] Computed from the manifest when absent.
 * @param {(done: number, total: number) => void} [options.onProgress]
 * @param {(manifest: object, electionHash: string, items: object[], onProgress?: (done: number, total: number) => void) => Promise<Verdict[]>} [options.check]
 *   Makes the checks of {@link checkEntry} for every item (in any order,
 *   e.g. in several workers: check-pool.js); {@link checkEntries} when absent.
 * @returns {Promise<Verdict[]>}
 */
export async function classifyEntries(manifest, entries, options = {}) {
  const electionHash = options.electionHash ?? (await manifestHash(manifest));
  parseTime(manifest.voting_starts, "manifest.voting_starts");
  parseTime(manifest.voting_ends, "manifest.voting_ends");
  const items = entries.filter((entry) => entry.type === CAST || entry.type === AUDIT);
  const check = options.check ?? checkEntries;
  const found = await check(manifest, electionHash, items, options.onProgress);
  const wanted = items.map((entry) => entry.seq).sort((x, y) => x - y);
  const got = found.map((verdict) => verdict.seq).sort((x, y) => x - y);
  if (got.length !== wanted.length || got.some((seq, position) => seq !== wanted[position])) {
    throw new Error("classifyEntries: the checks did not return one verdict per entry");
  }
  return boardRules(found);
}

function boardRules(verdicts) {
  const casts = new Map();
  const audits = new Map();
  return [...verdicts]
    .sort((x, y) => x.seq - y.seq)
    .map((verdict) => {
      if (verdict.reason !== null || verdict.tracker === null) {
        return verdict;
      }
      if (verdict.type === AUDIT) {
        if (!audits.has(verdict.tracker)) {
          audits.set(verdict.tracker, verdict.seq);
        }
        return verdict;
      }
      if (casts.has(verdict.tracker)) {
        return { ...verdict, reason: REPLAY, detail: `the valid cast at seq ${casts.get(verdict.tracker)} holds the same tracker` };
      }
      if (audits.has(verdict.tracker)) {
        return { ...verdict, reason: AUDITED, detail: `the valid audit at seq ${audits.get(verdict.tracker)} holds the same tracker` };
      }
      casts.set(verdict.tracker, verdict.seq);
      return verdict;
    });
}

/**
 * SPEC §7's counting rule: per credential, its valid cast with the highest
 * `seq`; earlier valid casts of the same credential are superseded.
 * @param {Verdict[]} verdicts
 * @returns {{counted: number[], superseded: Map<number, number>}}
 */
export function countingRule(verdicts) {
  const latest = new Map();
  const earlier = new Map();
  for (const verdict of [...verdicts].sort((x, y) => x.seq - y.seq)) {
    if (verdict.type !== CAST || verdict.reason !== null) {
      continue;
    }
    if (latest.has(verdict.credential)) {
      earlier.set(verdict.credential, [...(earlier.get(verdict.credential) ?? []), latest.get(verdict.credential)]);
    }
    latest.set(verdict.credential, verdict.seq);
  }
  const superseded = new Map();
  for (const [credential, seqs] of earlier) {
    for (const seq of seqs) {
      superseded.set(seq, latest.get(credential));
    }
  }
  return { counted: [...latest.values()].sort((x, y) => x - y), superseded };
}

/**
 * `A = Π c` per contest and option over the given cast payloads, in
 * manifest order (`1` when there are none). Every payload must have
 * passed the structure and encoding checks.
 * @param {object} manifest
 * @param {object[]} payloads
 * @returns {{contest_id: string, options: {option_id: string, aggregate: bigint}[]}[]}
 */
export function aggregateBallots(manifest, payloads) {
  const n = BigInt(`0x${manifest.public_key.n}`);
  const n2 = n * n;
  const products = manifest.contests.map((contest) => contest.options.map(() => 1n));
  for (const payload of payloads) {
    parseBallot(payload).ciphertexts.forEach((row, i) => {
      row.forEach((c, j) => {
        products[i][j] = (products[i][j] * c) % n2;
      });
    });
  }
  return manifest.contests.map((contest, i) => ({
    contest_id: contest.contest_id,
    options: contest.options.map((option, j) => ({ option_id: option.option_id, aggregate: products[i][j] })),
  }));
}

/**
 * `{"tree_size", "root_hash"}` of the whole board (SPEC §6, §7).
 * @param {object[]} entries
 * @returns {Promise<{tree_size: number, root_hash: string}>}
 */
export async function boardReference(entries) {
  const leaves = [];
  for (const entry of entries) {
    leaves.push(await leafHash(entry));
  }
  return { tree_size: entries.length, root_hash: hexBytes(await rootHash(leaves)) };
}

/**
 * Classify the board, apply the counting rule and multiply the aggregates
 * (as votecrypto.tally.compute_tally). Board rules (`close` at the end, …)
 * are {@link boardProblems}'s: the caller refuses a board that breaks them.
 * @param {object} manifest
 * @param {object[]} entries
 * @param {object} [options] As for {@link classifyEntries}.
 * @returns {Promise<{electionHash: string, verdicts: Verdict[], counted: number[], superseded: Map<number, number>, aggregates: ReturnType<typeof aggregateBallots>}>}
 */
export async function computeTally(manifest, entries, options = {}) {
  const electionHash = options.electionHash ?? (await manifestHash(manifest));
  const verdicts = await classifyEntries(manifest, entries, { ...options, electionHash });
  const { counted, superseded } = countingRule(verdicts);
  const bySeq = new Map(entries.map((entry) => [entry.seq, entry]));
  const aggregates = aggregateBallots(
    manifest,
    counted.map((seq) => bySeq.get(seq).payload),
  );
  return { electionHash, verdicts, counted, superseded, aggregates };
}

/**
 * Trustee `index`'s decryption share of every aggregate it recomputed
 * (SPEC §2.3), as `python -m tally.trustee decrypt` writes it
 * (votecrypto.tally.TrusteeShares):
 * `{"election_hash", "board": {"tree_size", "root_hash"}, "index",
 *   "contests": [{"contest_id", "options": [{"option_id", "aggregate", "share", "proof"}]}]}`.
 * @param {object} manifest
 * @param {Awaited<ReturnType<typeof computeTally>>} counting This trustee's own count.
 * @param {{tree_size: number, root_hash: string}} board
 * @param {number} index
 * @param {bigint} s `s_i` (secret).
 * @param {object} [options]
 * @param {(done: number, total: number) => void} [options.onProgress]
 * @returns {Promise<object>}
 */
export async function makeTrusteeShares(manifest, counting, board, index, s, options = {}) {
  const trustees = manifest.trustees;
  if (!Number.isSafeInteger(index) || index < 1 || index > trustees.count) {
    throw new RangeError(`index must be in 1…${trustees.count}`);
  }
  parseHexBytes(board.root_hash, "board.root_hash", 32);
  const n = BigInt(`0x${manifest.public_key.n}`);
  const v = BigInt(`0x${trustees.v}`);
  const total = counting.aggregates.reduce((sum, contest) => sum + contest.options.length, 0);
  let done = 0;
  const contests = [];
  for (const contest of counting.aggregates) {
    const options_ = [];
    for (const option of contest.options) {
      const share = await makeDecryptionShare({
        n,
        count: trustees.count,
        v,
        index,
        s,
        A: option.aggregate,
        electionHash: counting.electionHash,
      });
      options_.push({
        option_id: option.option_id,
        aggregate: hexInt(option.aggregate),
        share: hexInt(share.share),
        proof: { a: hexInt(share.proof.a), b: hexInt(share.proof.b), z: hexInt(share.proof.z) },
      });
      done += 1;
      options.onProgress?.(done, total);
    }
    contests.push({ contest_id: contest.contest_id, options: options_ });
  }
  return {
    election_hash: counting.electionHash,
    board: { tree_size: board.tree_size, root_hash: board.root_hash },
    index,
    contests,
  };
}

/**
 * The trustee tool's output file: canonical JSON plus LF.
 * @param {object} shares From {@link makeTrusteeShares}.
 * @returns {string}
 */
export function trusteeSharesFile(shares) {
  return `${cjson(shares)}\n`;
}
