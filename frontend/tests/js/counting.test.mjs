// SPEC §6–§7 in the browser: the sample election record (made by an
// independent implementation) is counted exactly as its tally.json says,
// every invalid entry with its reason; boards breaking §6 are refused.
import assert from "node:assert/strict";
import { test } from "node:test";

import { hexInt } from "../../static/js/crypto/bigint.js";
import {
  boardProblems,
  boardReference,
  computeTally,
  parseBoardJsonl,
  parseTime,
} from "../../static/js/crypto/counting.js";
import { readVectorFile, readZip } from "./helpers.mjs";

const record = readZip("sample-record.zip");
const manifest = JSON.parse(record.get("manifest.json").toString("utf8"));
const boardText = record.get("board.jsonl").toString("utf8");
const tally = JSON.parse(record.get("tally.json").toString("utf8"));
const expected = JSON.parse(readVectorFile("sample-record.json")).expected;

test("The sample board is counted as its tally says, every reason as expected.", async () => {
  const entries = parseBoardJsonl(boardText);
  assert.deepEqual(boardProblems(manifest, entries), []);
  const steps = [];
  const counting = await computeTally(manifest, entries, { onProgress: (done, total) => steps.push([done, total]) });
  assert.equal(counting.electionHash, tally.election_hash);
  assert.deepEqual(counting.counted, expected.counted);
  assert.deepEqual(counting.counted, tally.counted);
  const reasons = (type) =>
    Object.fromEntries(counting.verdicts.filter((v) => v.type === type && v.reason !== null).map((v) => [String(v.seq), v.reason]));
  assert.deepEqual(reasons("cast"), expected.invalid_ballots);
  assert.deepEqual(reasons("audit"), expected.invalid_audits);
  assert.deepEqual(Object.fromEntries(counting.superseded), { 5: 14, 9: 26, 12: 17 });
  assert.deepEqual(
    counting.aggregates.map((c) => ({ contest_id: c.contest_id, options: c.options.map((o) => [o.option_id, hexInt(o.aggregate)]) })),
    tally.contests.map((c) => ({ contest_id: c.contest_id, options: c.options.map((o) => [o.option_id, o.aggregate]) })),
  );
  assert.equal(steps.length, entries.length - 1);
  assert.deepEqual(steps.at(-1), [entries.length - 1, entries.length - 1]);
  assert.deepEqual(await boardReference(entries), tally.board);
});

test("A board without its close entry, or out of order, is refused.", () => {
  const entries = parseBoardJsonl(boardText);
  assert.deepEqual(boardProblems(manifest, entries.slice(0, -1)), ["the board has no close entry"]);
  const last = entries.at(-1);
  assert.deepEqual(boardProblems(manifest, [...entries, { ...last, seq: entries.length }]), [
    `the board has 2 close entries (at [${entries.length - 1}, ${entries.length}])`,
  ]);
  const closeFirst = [...entries.slice(0, 2), { ...last, seq: 2, received_at: entries[1].received_at }];
  assert.deepEqual(boardProblems(manifest, closeFirst.concat([{ ...entries[2], seq: 3 }])), [
    "the close entry (board[2]) is not the last entry",
    `the close entry's received_at ${entries[1].received_at} is before voting_ends`,
  ]);
  const early = [...entries.slice(0, -1), { ...last, received_at: manifest.voting_starts }];
  assert.match(boardProblems(manifest, early).join("; "), /earlier than the previous entry's|before voting_ends/);
  const gap = entries.map((entry, position) => (position === 3 ? { ...entry, seq: 7 } : entry));
  assert.deepEqual(boardProblems(manifest, gap), ["board[3]: seq is 7, expected 3"]);
});

test("board.jsonl is read strictly.", () => {
  assert.deepEqual(parseBoardJsonl(""), []);
  assert.throws(() => parseBoardJsonl(boardText.slice(0, -1)), /does not end with LF/);
  const lines = boardText.split("\n");
  assert.throws(() => parseBoardJsonl(`${lines[0]} \n`), /not canonical JSON/);
  const entry = JSON.parse(lines[0]);
  const line = (value) => `${JSON.stringify(value, Object.keys(value).sort())}\n`;
  assert.throws(() => parseBoardJsonl(line({ ...entry, type: "vote" })), /expected cast, audit or close/);
  assert.throws(() => parseBoardJsonl(line({ ...entry, received_at: "2027-02-30T00:00:00Z" })), /not a valid UTC instant/);
});

test("Times are read as SPEC §1 says.", () => {
  assert.equal(parseTime("2028-02-29T23:59:59Z", "t"), "2028-02-29T23:59:59Z");
  for (const bad of ["2027-02-29T00:00:00Z", "0000-01-01T00:00:00Z", "2027-01-01T24:00:00Z", "2027-01-01 00:00:00Z", "2027-01-01T00:00:00+00:00"]) {
    assert.throws(() => parseTime(bad, "t"), /received|time|instant/);
  }
});
