// "Find my ballot", verified in the browser (SPEC §6, V10).
//
// After the server's lookup by tracker, this module fetches the manifest,
// the board entry, its inclusion proof and the latest signed head, and checks
// them here: the head's signature by the manifest's board key, the election
// hash, the entry's tracker and the inclusion of the rebuilt leaf.  Once the
// election is published, a voter's receipt (pasted or chosen as a file) is
// checked with checkReceiptV10 against the record's heads.jsonl, board.jsonl
// and tally.json.

import { ballotTracker, electionHash as manifestHash } from "./crypto/ballot.js";
import { cjson } from "./crypto/cjson.js";
import { leafHash, verifyInclusion } from "./crypto/merkle.js";
import { checkReceiptV10, headProblem } from "./crypto/receipt.js";

const root = document.getElementById("find");
const config = root ? root.dataset : {};
const stringsEl = document.getElementById("find-strings");
const strings = stringsEl ? JSON.parse(stringsEl.textContent) : {};

function t(key, values = {}) {
  return (strings[key] ?? key).replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
}

async function getJson(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) {
    throw new Error(`${url}: HTTP ${response.status}`);
  }
  return response.json();
}

async function getText(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) {
    throw new Error(`${url}: HTTP ${response.status}`);
  }
  return response.text();
}

let manifestPromise;

async function loadManifest() {
  manifestPromise ??= (async () => {
    const manifest = await getJson(config.manifestUrl);
    const hash = await manifestHash(manifest);
    if (hash !== config.electionHash) {
      throw new Error("the manifest does not match the published election hash");
    }
    return { manifest, hash };
  })();
  return manifestPromise;
}

async function boardEntry(seq) {
  const page = Math.floor(seq / 100) + 1;
  const { entries } = await getJson(`${config.boardUrl}?page=${page}`);
  return entries.find((entry) => entry.seq === seq);
}

function show(element, message, ok) {
  element.textContent = message;
  element.dataset.verified = ok ? "true" : "false";
  element.classList.toggle("find-failure", !ok);
  if (!ok) {
    element.setAttribute("role", "alert");
  }
}

/** Why the found entry is not proven to be on the board, or [] if it is. */
async function entryProblems() {
  const seq = Number(config.seq);
  const { manifest, hash } = await loadManifest();
  const [entry, proof, latest] = await Promise.all([
    boardEntry(seq),
    getJson(config.proofUrl),
    getJson(config.headUrl),
  ]);
  const problems = [];
  const headWhy = await headProblem(proof.head, manifest.board_public_key);
  if (headWhy !== null) {
    return [headWhy];
  }
  const latestWhy = await headProblem(latest, manifest.board_public_key);
  if (latestWhy !== null) {
    problems.push(`latest head: ${latestWhy}`);
  }
  if (proof.head.election_hash !== hash || latest.election_hash !== hash) {
    problems.push("the signed head is for another election");
  }
  if (proof.head.tree_size > latest.tree_size) {
    problems.push("the proof's head is newer than the latest head");
  }
  if (!entry || entry.seq !== seq || proof.seq !== seq) {
    return [...problems, `board entry ${seq} is missing`];
  }
  const ballot = entry.type === "audit" ? entry.payload?.ballot : entry.payload;
  let tracker = null;
  try {
    tracker = await ballotTracker(ballot);
  } catch {
    tracker = null;
  }
  if (tracker !== config.tracker || proof.tracker !== config.tracker) {
    problems.push(`board entry ${seq} does not hold this tracker`);
  }
  let included = false;
  try {
    included = await verifyInclusion(await leafHash(entry), seq, proof.head.tree_size, proof.inclusion_proof, proof.head.root_hash);
  } catch {
    included = false;
  }
  if (!included) {
    problems.push("the inclusion proof does not prove the entry is in the signed head");
  }
  return problems;
}

async function verifyEntry() {
  const verdict = document.getElementById("find-verdict");
  if (!verdict || !config.proofUrl) {
    return;
  }
  let problems;
  try {
    problems = await entryProblems();
  } catch (error) {
    problems = [String(error?.message ?? error)];
  }
  if (problems.length === 0) {
    show(verdict, strings.verified, true);
  } else {
    show(verdict, t("failed", { detail: problems.join("; ") }), false);
  }
}

async function receiptText() {
  const file = document.getElementById("receipt-file").files?.[0];
  if (file) {
    return file.text();
  }
  return document.getElementById("receipt-text").value;
}

async function checkReceipt(event) {
  event.preventDefault();
  const result = document.getElementById("receipt-result");
  result.removeAttribute("role");
  result.classList.remove("find-failure");
  delete result.dataset.verified;
  delete result.dataset.outcome;
  result.textContent = strings.receiptChecking;
  let receipt;
  try {
    receipt = JSON.parse(await receiptText());
  } catch (error) {
    show(result, t("receiptUnreadable", { detail: String(error?.message ?? error) }), false);
    return;
  }
  let checked;
  try {
    const { manifest, hash } = await loadManifest();
    const [heads, board, tally] = await Promise.all([
      getText(config.headsFile),
      getText(config.boardFile),
      getJson(config.tallyFile),
    ]);
    checked = await checkReceiptV10({ receipt, manifest, electionHash: hash, heads, board, counted: tally.counted });
  } catch (error) {
    checked = { ok: false, outcome: null, supersededBy: null, problems: [String(error?.message ?? error)] };
  }
  result.dataset.outcome = checked.outcome ?? "none";
  if (checked.ok && checked.outcome === "counted") {
    show(result, t("counted", { seq: receipt.seq }), true);
  } else if (checked.ok && checked.outcome === "superseded") {
    // Valid, but loud: an override the voter did not make must be reported.
    show(result, t("superseded", { by: checked.supersededBy }), false);
    result.dataset.verified = "true";
  } else {
    show(result, t("receiptFailed", { detail: checked.problems.join("; ") || cjson(checked.outcome) }), false);
  }
}

if (root) {
  verifyEntry();
  document.getElementById("receipt-form")?.addEventListener("submit", (event) => {
    checkReceipt(event).catch((error) => {
      show(document.getElementById("receipt-result"), t("receiptFailed", { detail: String(error?.message ?? error) }), false);
    });
  });
}
