// In-browser check of a petition's signature log (SPEC §10), reusing the
// platform's JavaScript crypto (canonical JSON, SHA-256 via WebCrypto, the
// RFC 9162 tree and Ed25519): recompute the count from the downloaded log,
// check the signed heads (signature, root, coverage), and check a signer's
// receipt (inclusion proof and the commitment's final status).  The pure
// functions are exported for tests; the page wiring runs only in a browser.

import { hexBytes, parseHexBytes } from "./crypto/bigint.js";
import { cjsonBytes } from "./crypto/cjson.js";
import { verify as verifySignature } from "./crypto/ed25519.js";
import { Hhex } from "./crypto/hash.js";
import { leafHash, rootHash, verifyInclusion } from "./crypto/merkle.js";

export const PROTOCOL = "dauys-petition/1";
export const STH_PREFIX = "dauys-petition/1/sth:";

/**
 * Parse a JSONL file into objects (one per non-empty line).
 * @param {string} text
 * @returns {object[]}
 */
export function parseJsonl(text) {
  return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
}

/**
 * A signer's commitment: hex(H(["dauys-petition/1/signer", petition_id, hex(secret)])).
 * @param {string} petitionId
 * @param {string} secretHex 64 hex digits.
 * @returns {Promise<string>}
 */
export function commitment(petitionId, secretHex) {
  parseHexBytes(secretHex, "signer_secret", 32);
  return Hhex([`${PROTOCOL}/signer`, petitionId, secretHex]);
}

/**
 * Count a log by the rules of SPEC §10.
 * @param {object[]} entries
 * @returns {{count: number, statuses: Map<string, string>, problems: string[]}}
 */
export function countLog(entries) {
  const statuses = new Map();
  const problems = [];
  entries.forEach((entry, position) => {
    if (entry.seq !== position) {
      problems.push(`entries[${position}]: seq is ${entry.seq}, expected ${position}`);
    }
    if ((position === 0) !== (entry.type === "open")) {
      problems.push(`entries[${position}]: open must be the first entry, and only it`);
    }
    const c = entry.payload ? entry.payload.commitment : undefined;
    if (c === undefined) {
      return;
    }
    const status = statuses.get(c) ?? "not-signed";
    if (entry.type === "sign") {
      if (status !== "counted" && status !== "invalidated") {
        statuses.set(c, "counted");
      }
    } else if (status === "counted") {
      statuses.set(c, entry.type === "withdraw" ? "withdrawn" : "invalidated");
    } else if (!statuses.has(c)) {
      statuses.set(c, "not-signed");
    }
  });
  let count = 0;
  for (const status of statuses.values()) {
    if (status === "counted") {
      count += 1;
    }
  }
  return { count, statuses, problems };
}

/**
 * The bytes a head's signature covers.
 * @param {object} head
 * @returns {Uint8Array}
 */
export function headMessage(head) {
  const { signature, ...unsigned } = head;
  const body = cjsonBytes(unsigned);
  const prefix = new TextEncoder().encode(STH_PREFIX);
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix);
  message.set(body, prefix.length);
  return message;
}

/**
 * Check heads against the log: signature, root of the prefix, coverage.
 * @param {object[]} heads
 * @param {Uint8Array[]} leaves The log's leaf hashes.
 * @param {string} logKeyHex
 * @returns {Promise<string[]>} Problems (empty when every head checks).
 */
export async function headProblems(heads, leaves, logKeyHex) {
  const key = parseHexBytes(logKeyHex, "log key", 32);
  const problems = [];
  for (const [index, head] of heads.entries()) {
    const signature = parseHexBytes(head.signature, `heads[${index}].signature`, 64);
    if (!(await verifySignature(key, headMessage(head), signature))) {
      problems.push(`heads[${index}]: the signature is not valid for the log key`);
    }
    if (head.tree_size > leaves.length) {
      problems.push(`heads[${index}]: covers more entries than the log`);
    } else if (hexBytes(await rootHash(leaves.slice(0, head.tree_size))) !== head.root_hash) {
      problems.push(`heads[${index}]: root_hash is not the root of the log prefix`);
    }
  }
  if (heads.length === 0 || heads[heads.length - 1].tree_size !== leaves.length) {
    problems.push("the last head does not cover the whole log");
  }
  return problems;
}

/**
 * Check a signer's receipt against the log.
 * @param {object} receipt
 * @param {object[]} entries
 * @param {Map<string, string>} statuses From countLog.
 * @returns {Promise<{problems: string[], status: string | null}>}
 */
export async function receiptCheck(receipt, entries, statuses) {
  const problems = [];
  const mine = await commitment(receipt.petition_id, receipt.signer_secret);
  const entry = entries[receipt.seq];
  if (entry === undefined || entry.type !== "sign" || entry.payload.commitment !== mine) {
    problems.push(`entry ${receipt.seq} is not a signature of the receipt's commitment`);
  } else {
    const included = await verifyInclusion(
      await leafHash(entry),
      receipt.seq,
      receipt.head.tree_size,
      receipt.inclusion_proof,
      receipt.head.root_hash,
    );
    if (!included) {
      problems.push("the inclusion proof does not show the entry under the receipt's head");
    }
  }
  return { problems, status: statuses.get(mine) ?? "not-signed" };
}

/**
 * Run every check; the result is plain data for display or tests.
 * @param {{logText: string, headsText: string, logKey: string, receipt?: object, publishedCount?: number}} input
 */
export async function verifyPetition({ logText, headsText, logKey, receipt, publishedCount }) {
  const entries = parseJsonl(logText);
  const heads = parseJsonl(headsText);
  const { count, statuses, problems } = countLog(entries);
  const leaves = [];
  for (const entry of entries) {
    leaves.push(await leafHash(entry));
  }
  problems.push(...(await headProblems(heads, leaves, logKey)));
  if (publishedCount !== undefined && publishedCount !== count) {
    problems.push(`the published count is ${publishedCount}, the log counts ${count}`);
  }
  let receiptStatus = null;
  if (receipt !== undefined) {
    const checked = await receiptCheck(receipt, entries, statuses);
    problems.push(...checked.problems);
    receiptStatus = checked.status;
  }
  return { ok: problems.length === 0, count, entries: entries.length, problems, receiptStatus };
}

async function runOnPage(root) {
  const result = document.getElementById("verify-result");
  const fileInput = document.getElementById("receipt-file");
  result.textContent = "…";
  try {
    const [logText, headsText] = await Promise.all([
      fetch(root.dataset.logUrl).then((r) => r.text()),
      fetch(root.dataset.headsUrl).then((r) => r.text()),
    ]);
    const file = fileInput.files && fileInput.files[0];
    const receipt = file ? JSON.parse(await file.text()) : undefined;
    const outcome = await verifyPetition({
      logText,
      headsText,
      logKey: root.dataset.logKey,
      receipt,
      publishedCount: Number(root.dataset.publishedCount),
    });
    const lines = [
      `${outcome.ok ? root.dataset.okText : root.dataset.failText}`,
      `${root.dataset.countText} ${outcome.count}`,
    ];
    if (outcome.receiptStatus !== null) {
      lines.push(`${root.dataset.receiptText} ${outcome.receiptStatus}`);
    }
    lines.push(...outcome.problems);
    result.replaceChildren(...lines.map((line) => {
      const p = document.createElement("p");
      p.textContent = line;
      return p;
    }));
  } catch (error) {
    result.textContent = `${root.dataset.failText} ${error.message}`;
  }
}

if (typeof document !== "undefined") {
  const root = document.getElementById("petition-verify");
  const button = document.getElementById("verify-button");
  if (root && button) {
    button.addEventListener("click", () => runOnPage(root));
  }
}
