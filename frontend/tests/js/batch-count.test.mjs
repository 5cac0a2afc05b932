// Batched checks of the board (SPEC §3: counting.js `checkBatch`, the
// proofs of many ballots in one batch) give exactly the verdicts of the
// exact checks (`checkEntry`): the sample record, and a board of the vector
// ballot with honest copies and tampered ones, among them ballots whose only
// fault is one proof response (only an equation fails), alone and two in a
// batch, found and reported with checkBallot's reason and detail.
import assert from "node:assert/strict";
import { test } from "node:test";

import { hexBytes, hexInt, parseHexInt } from "../../static/js/crypto/bigint.js";
import { ballotTracker, castMessage } from "../../static/js/crypto/ballot.js";
import { checkInWorkers } from "../../static/js/crypto/check-pool.js";
import { handleCheckMessage } from "../../static/js/crypto/check-worker.js";
import {
  BATCH_SIZE,
  checkBatch,
  checkEntries,
  checkEntriesBatched,
  computeTally,
  parseBoardJsonl,
} from "../../static/js/crypto/counting.js";
import { credentialSeed } from "../../static/js/crypto/credentials.js";
import { sign } from "../../static/js/crypto/ed25519.js";
import { spawnNodeCheckWorker } from "./check-worker-node.mjs";
import { readZip, vectors } from "./helpers.mjs";

const b = vectors.ballot;
const manifest = b.manifest;
const hash = b.election_hash;
const seed = await credentialSeed(b.credential.code, b.credential.election_id);

/** Re-sign a tampered ballot with the vector credential. */
async function resign(ballot) {
  const { signature: _s, ...body } = ballot;
  const tracker = await ballotTracker(body);
  return { ...body, signature: hexBytes(await sign(seed, castMessage(tracker))) };
}

/** The ballot with one response of a proof changed (still in Z*_n). */
function withResponse(proof, j) {
  const x = structuredClone(b.ballot);
  const target = proof(x);
  target.responses[j] = hexInt(parseHexInt(target.responses[j]) + 1n);
  return x;
}

const selectionProof = (x) => x.contests[1].selections[2].proof;
const sumProof = (x) => x.contests[0].sum_proof;

/** Payloads by name, each with the reason checkEntry gives it. */
async function payloads() {
  const cases = { honest: [b.ballot, null] };
  cases.selectionResponse = [await resign(withResponse(selectionProof, 1)), "bad-proof"];
  cases.sumResponse = [await resign(withResponse(sumProof, 0)), "bad-proof"];
  // An equation fails, and a later proof fails a cheap check: the equation comes first.
  let x = withResponse(sumProof, 0);
  x.contests[2].selections[0].proof.responses[0] = "0";
  cases.equationThenRange = [await resign(x), "bad-proof"];
  x = structuredClone(b.ballot);
  x.contests[2].selections[0].proof.challenges[0] = hexInt(parseHexInt(x.contests[2].selections[0].proof.challenges[0]) ^ 1n);
  cases.challengeSum = [await resign(x), "bad-proof"];
  x = structuredClone(b.ballot);
  x.contests[1].selections[2].ciphertext = x.contests[1].selections[1].ciphertext;
  cases.swappedCiphertext = [await resign(x), "bad-proof"];
  x = structuredClone(b.ballot);
  x.contests[0].selections[0].ciphertext = "0";
  cases.invalidCiphertext = [await resign(x), "invalid-ciphertext"];
  x = structuredClone(b.ballot);
  x.signature = x.signature.slice(0, -2) + (x.signature.endsWith("00") ? "01" : "00");
  cases.badSignature = [x, "bad-signature"];
  x = structuredClone(b.ballot);
  x.protocol = "evote-paillier/2";
  cases.wrongElection = [await resign(x), "wrong-election"];
  x = structuredClone(b.ballot);
  x.credential = x.credential.toUpperCase();
  cases.encoding = [x, "encoding"];
  x = structuredClone(b.ballot);
  x.contests[0].sum_proof.challenges[0] = 7;
  cases.structure = [x, "structure"];
  return cases;
}

let board;
/**
 * Entries for the names of {@link payloads}, in the voting window; "early"
 * and "late" are a tampered ballot out of it, "audit" the vector audit.
 */
async function boardOf(names) {
  board ??= await payloads();
  return names.map((name, seq) => {
    let [payload, reason] = board[name] ?? [board.selectionResponse[0], name];
    let received_at = `2027-03-01T06:${String(seq % 60).padStart(2, "0")}:00Z`;
    if (name === "early") {
      received_at = "2027-03-01T05:59:59Z";
    } else if (name === "late") {
      received_at = manifest.voting_ends;
    } else if (name === "audit") {
      [payload, reason] = [b.audit_payload, null];
    }
    return { entry: { seq, type: name === "audit" ? "audit" : "cast", received_at, payload }, reason };
  });
}

async function assertSameVerdicts(items) {
  const exact = await checkEntries(manifest, hash, items);
  assert.deepEqual(await checkBatch(manifest, hash, items), exact);
  assert.deepEqual(await checkEntriesBatched(manifest, hash, items), exact);
  return exact;
}

test("The sample board checked in batches is the exact count.", async () => {
  const record = readZip("sample-record.zip");
  const sample = JSON.parse(record.get("manifest.json").toString("utf8"));
  const entries = parseBoardJsonl(record.get("board.jsonl").toString("utf8"));
  const exact = await computeTally(sample, entries);
  const steps = [];
  const batched = await computeTally(sample, entries, { check: checkEntriesBatched, onProgress: (done, total) => steps.push([done, total]) });
  assert.deepEqual(batched, exact);
  assert.deepEqual(steps.at(-1), [entries.length - 1, entries.length - 1]);
  assert.equal(steps.length, entries.length - 1);
  assert.ok(exact.verdicts.some((verdict) => verdict.reason === "bad-proof"));
  // All of it in one batch, bad proof included.
  const items = entries.filter((entry) => entry.type !== "close");
  const electionHash = exact.electionHash;
  assert.deepEqual(await checkBatch(sample, electionHash, items), await checkEntries(sample, electionHash, items));
});

test("A ballot whose only fault is one response is a bad proof among honest ones.", async () => {
  for (const bad of ["selectionResponse", "sumResponse"]) {
    const cases = await boardOf(["honest", "honest", bad, "honest", "honest"]);
    const verdicts = await assertSameVerdicts(cases.map((item) => item.entry));
    assert.deepEqual(
      verdicts.map((verdict) => verdict.reason),
      [null, null, "bad-proof", null, null],
    );
    assert.match(verdicts[2].detail, /: the equation of branch \d does not hold$/);
  }
});

test("Two tampered ballots in one batch, and every other reason, as the exact checks say.", async () => {
  const names = [
    "honest",
    "selectionResponse",
    "honest",
    "audit",
    "sumResponse",
    "equationThenRange",
    "early",
    "honest",
    "challengeSum",
    "swappedCiphertext",
    "late",
    "invalidCiphertext",
    "badSignature",
    "wrongElection",
    "encoding",
    "structure",
    "honest",
    "selectionResponse",
  ];
  const cases = await boardOf(names);
  const items = cases.map((item) => item.entry);
  const verdicts = await assertSameVerdicts(items);
  assert.deepEqual(
    verdicts.map((verdict) => verdict.reason),
    cases.map((item) => item.reason),
  );
  // The failing equation of an earlier proof comes before a later range check.
  assert.equal(verdicts[5].detail, "ballot.contests[0].sum_proof: the equation of branch 0 does not hold");
  assert.ok(items.length > BATCH_SIZE, "checkEntriesBatched makes two batches");
  // Only the two response ballots in a batch of honest ones.
  const two = items.filter((_, position) => ["honest", "selectionResponse", "sumResponse"].includes(names[position]));
  const found = await assertSameVerdicts(two);
  assert.deepEqual(
    found.map((verdict) => verdict.reason),
    two.map((entry) => (entry.payload === b.ballot ? null : "bad-proof")),
  );
  // The same in helper workers, and in a helper's own batch.
  const pool = await checkInWorkers({ size: 2, spawn: () => spawnNodeCheckWorker() })(manifest, hash, items);
  assert.deepEqual(pool, verdicts);
  const replies = [];
  await handleCheckMessage({ type: "init", manifest, electionHash: hash }, (reply) => replies.push(reply));
  await handleCheckMessage({ type: "check", entries: two }, (reply) => replies.push(reply));
  assert.deepEqual(replies, [...found.map((verdict) => ({ type: "verdict", verdict })), { type: "checked" }]);
});
