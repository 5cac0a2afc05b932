// SPEC §6 receipts and the V10 voter check: the vector receipt and the
// sample election record (a ZIP read here without dependencies).
import assert from "node:assert/strict";
import { test } from "node:test";

import { hexBytes } from "../../static/js/crypto/bigint.js";
import { checkAudit, checkBallot } from "../../static/js/crypto/ballot.js";
import { cjson, parseCanonical } from "../../static/js/crypto/cjson.js";
import { sign } from "../../static/js/crypto/ed25519.js";
import { leafHash } from "../../static/js/crypto/merkle.js";
import { castEntry, checkReceipt, checkReceiptV10, headMessage, headProblem } from "../../static/js/crypto/receipt.js";
import { bytes, readVectorFile, readZip, vectors } from "./helpers.mjs";

const b = vectors.ballot;
const boardKey = b.manifest.board_public_key;

test("The vector board entry, leaf hash and signed heads are reproduced.", async () => {
  const entry = castEntry(0, b.board_entry.received_at, b.ballot);
  assert.deepEqual(entry, b.board_entry);
  assert.equal(hexBytes(await leafHash(entry)), b.leaf_hash);
  assert.equal(new TextDecoder().decode(headMessage(b.signed_tree_head)), b.sth_signed_message);
  for (const head of [b.signed_tree_head_size_0, b.signed_tree_head]) {
    assert.equal(await headProblem(head, boardKey), null);
    assert.equal(hexBytes(await sign(bytes(b.board_private_seed), headMessage(head))), head.signature);
  }
});

test("The vector receipt checks against its board entry.", async () => {
  const result = await checkReceipt(b.receipt, { boardPublicKey: boardKey, entry: b.board_entry, electionHash: b.election_hash });
  assert.deepEqual(result, { ok: true, problems: [] });
});

test("A changed receipt, entry or key fails with a reason.", async () => {
  const cases = [
    [(r) => { r.tracker = "00".repeat(32); }, {}, /does not hold the receipt's tracker/],
    [(r) => { r.seq = 1; }, {}, /receipt.seq: not inside the signed head/],
    [(r) => { r.head.root_hash = "00".repeat(32); }, {}, /head.signature/],
    [(r) => { r.head.timestamp = "2027-03-01T06:00:38Z"; }, {}, /head.signature/],
    [(r) => { r.inclusion_proof = ["00".repeat(32)]; }, {}, /inclusion_proof/],
    [(r) => { r.extra = 1; }, {}, /expected exactly the keys/],
    [() => {}, { electionHash: "00".repeat(32) }, /not this election's/],
    [() => {}, { boardPublicKey: b.ballot.credential }, /head.signature: the equation/],
    [() => {}, { entry: { ...b.board_entry, received_at: "2027-03-01T06:00:38Z" } }, /inclusion_proof/],
    [() => {}, { entry: { ...b.board_entry, type: "audit" } }, /not a cast entry/],
  ];
  for (const [change, options, pattern] of cases) {
    const receipt = structuredClone(b.receipt);
    change(receipt);
    const result = await checkReceipt(receipt, { boardPublicKey: boardKey, entry: b.board_entry, ...options });
    assert.equal(result.ok, false, String(pattern));
    assert.match(result.problems.join("; "), pattern);
  }
});

// ---------------------------------------------------------------- the sample record

const record = readZip("sample-record.zip");
const text = (name) => record.get(name).toString("utf8");
const manifest = parseCanonical(text("manifest.json").replace(/\n$/, ""));
const tally = parseCanonical(text("tally.json").replace(/\n$/, ""));
const description = JSON.parse(readVectorFile("sample-record.json"));
const sampleReceipt = JSON.parse(readVectorFile("sample-receipt.json"));
const heads = text("heads.jsonl");
const board = text("board.jsonl");
const entries = board.trimEnd().split("\n").map((line) => JSON.parse(line));

test("V10 passes for the sample receipt: the ballot is counted.", async () => {
  assert.deepEqual(tally.counted, description.expected.counted);
  const result = await checkReceiptV10({ receipt: sampleReceipt, manifest, heads, board, counted: tally.counted, electionHash: description.election_hash });
  assert.deepEqual(result, { ok: true, outcome: "counted", supersededBy: null, problems: [] });
  const alone = await checkReceipt(sampleReceipt, { boardPublicKey: manifest.board_public_key, entry: entries[sampleReceipt.seq] });
  assert.deepEqual(alone, { ok: true, problems: [] });
});

test("V10 passes for the superseded receipt and names the superseding seq.", async () => {
  const { receipt, superseded_by: by } = description.superseded_receipt;
  const result = await checkReceiptV10({ receipt, manifest, heads, board, counted: tally.counted });
  assert.deepEqual(result, { ok: true, outcome: "superseded", supersededBy: by, problems: [] });
});

test("V10 fails when the head was hidden, the board rewritten, or the ballot dropped.", async () => {
  const headLines = heads.trimEnd().split("\n");
  const receiptHead = cjson(sampleReceipt.head);
  const hidden = headLines.filter((line) => line !== receiptHead);
  assert.equal(hidden.length, headLines.length - 1);
  let result = await checkReceiptV10({ receipt: sampleReceipt, manifest, heads: hidden, board, counted: tally.counted });
  assert.equal(result.ok, false);
  assert.match(result.problems.join("; "), /never published/);

  const dropped = tally.counted.filter((seq) => seq !== sampleReceipt.seq);
  result = await checkReceiptV10({ receipt: sampleReceipt, manifest, heads, board, counted: dropped });
  assert.equal(result.outcome, "not-counted");
  assert.equal(result.ok, false);

  const rewritten = [...entries];
  rewritten[3] = { ...rewritten[3], received_at: rewritten[3].received_at.replace(/:(\d\d)Z$/, (_, s) => `:${String((Number(s) + 1) % 60).padStart(2, "0")}Z`) };
  result = await checkReceiptV10({ receipt: sampleReceipt, manifest, heads, board: rewritten.map(cjson), counted: tally.counted });
  assert.equal(result.ok, false);
  assert.match(result.problems.join("; "), /root/);

  const late = [...entries];
  assert.ok(late.length > sampleReceipt.head.tree_size);
  late[sampleReceipt.head.tree_size] = { ...late[sampleReceipt.head.tree_size], received_at: "2027-03-01T06:00:00Z" };
  result = await checkReceiptV10({ receipt: sampleReceipt, manifest, heads, board: late.map(cjson), counted: tally.counted });
  assert.match(result.problems.join("; "), /outside the head but received before its timestamp/);

  result = await checkReceiptV10({ receipt: sampleReceipt, manifest, heads, board, counted: tally.counted, electionHash: "00".repeat(32) });
  assert.match(result.problems.join("; "), /election_hash is not this election's/);

  result = await checkReceiptV10({ receipt: sampleReceipt, manifest, heads: heads + "{}\n", board, counted: tally.counted });
  assert.match(result.problems.join("; "), /last head/);

  result = await checkReceiptV10({ receipt: sampleReceipt, manifest, heads: heads.replace(/\n$/, " \n"), board, counted: tally.counted });
  assert.match(result.problems.join("; "), /not canonical JSON/);
});

test("JS checks classify the sample board's ballots and audits as the record says.", async () => {
  const boardOnly = new Set(["early", "late", "replay", "audited"]);
  const expectedBallots = description.expected.invalid_ballots;
  const expectedAudits = description.expected.invalid_audits;
  for (const entry of entries) {
    const expected = entry.type === "cast" ? expectedBallots[entry.seq] ?? null : expectedAudits[entry.seq] ?? null;
    if (entry.type === "cast") {
      const result = await checkBallot(manifest, entry.payload, { electionHash: description.election_hash });
      const want = expected !== null && boardOnly.has(expected) ? null : expected;
      assert.equal(result.reason, want, `seq ${entry.seq}: ${result.detail}`);
    } else if (entry.type === "audit") {
      const result = await checkAudit(manifest, entry.payload);
      assert.equal(result.reason, expected, `seq ${entry.seq}: ${result.detail}`);
    }
  }
});
