// The checks of the board in several workers (check-pool.js) give exactly
// the sequential verdicts, counted set and aggregates, with progress over
// every entry; helpers that cannot start leave their work to the others.
import assert from "node:assert/strict";
import { test } from "node:test";

import { checkInWorkers, chunkEntries, mergeVerdicts, poolSize } from "../../static/js/crypto/check-pool.js";
import { handleCheckMessage } from "../../static/js/crypto/check-worker.js";
import { computeTally, parseBoardJsonl } from "../../static/js/crypto/counting.js";
import { spawnNodeCheckWorker } from "./check-worker-node.mjs";
import { readZip } from "./helpers.mjs";

const record = readZip("sample-record.zip");
const manifest = JSON.parse(record.get("manifest.json").toString("utf8"));
const entries = parseBoardJsonl(record.get("board.jsonl").toString("utf8"));
const items = entries.filter((entry) => entry.type !== "close");

let sequential;
async function expected() {
  sequential ??= await computeTally(manifest, entries);
  return sequential;
}

async function countWith(check) {
  const steps = [];
  const counting = await computeTally(manifest, entries, { check, onProgress: (done, total) => steps.push([done, total]) });
  return { counting, steps };
}

function assertSameCount(counting, reference) {
  assert.deepEqual(counting.verdicts, reference.verdicts);
  assert.deepEqual(counting.counted, reference.counted);
  assert.deepEqual([...counting.superseded], [...reference.superseded]);
  assert.deepEqual(counting.aggregates, reference.aggregates);
  assert.equal(counting.electionHash, reference.electionHash);
}

function assertProgress(steps) {
  assert.deepEqual(
    steps,
    items.map((_, position) => [position + 1, items.length]),
  );
}

test("Pool sizes and chunks.", () => {
  assert.equal(poolSize(undefined), 1);
  assert.equal(poolSize(0), 1);
  assert.equal(poolSize(3), 3);
  assert.equal(poolSize(64), 8);
  assert.equal(poolSize(2.5), 1);
  const numbers = Array.from({ length: 100 }, (_, i) => i);
  for (const workers of [1, 2, 8]) {
    const chunks = chunkEntries(numbers, workers);
    assert.deepEqual(chunks.flat(), numbers);
    assert.ok(chunks.every((chunk) => chunk.length >= 1 && chunk.length <= 16));
  }
  assert.deepEqual(chunkEntries([1, 2, 3], 8), [[1], [2], [3]]);
  assert.deepEqual(chunkEntries([], 2), []);
});

test("Verdicts are merged in seq order, exactly one per entry.", () => {
  const wanted = [{ seq: 1 }, { seq: 3 }, { seq: 4 }];
  assert.deepEqual(mergeVerdicts(wanted, [{ seq: 4 }, { seq: 1 }, { seq: 3 }]), wanted);
  assert.throws(() => mergeVerdicts(wanted, [{ seq: 4 }, { seq: 1 }]), /one verdict per entry/);
  assert.throws(() => mergeVerdicts(wanted, [{ seq: 4 }, { seq: 1 }, { seq: 1 }]), /two verdicts for seq 1/);
  assert.throws(() => mergeVerdicts(wanted, [{ seq: 4 }, { seq: 1 }, { seq: 2 }]), /one verdict per entry/);
});

test("The sample board counted in worker threads is the sequential count.", async () => {
  const reference = await expected();
  for (const size of [1, 3]) {
    const { counting, steps } = await countWith(checkInWorkers({ size, spawn: () => spawnNodeCheckWorker() }));
    assertSameCount(counting, reference);
    assertProgress(steps);
  }
  // Every kind of invalid entry is there, so the order-dependent rules ran on merged verdicts.
  const reasons = new Set(reference.verdicts.map((v) => v.reason));
  for (const reason of ["replay", "audited", "bad-signature", "early", "late", "bad-proof"]) {
    assert.ok(reasons.has(reason), reason);
  }
  assert.ok(reference.superseded.size > 0);
});

test("Helpers that cannot start or break leave their entries to the others, or to this thread.", async () => {
  const reference = await expected();
  const broken = () => {
    const listeners = [];
    setTimeout(() => listeners.forEach((listener) => listener({ preventDefault() {} })), 5);
    return { postMessage() {}, addEventListener: (type, listener) => type === "error" && listeners.push(listener), terminate() {} };
  };
  let started = 0;
  const mixed = () => (started++ % 2 === 0 ? broken() : spawnNodeCheckWorker());
  const cases = [
    () => {
      throw new Error("no Worker");
    },
    broken,
    mixed,
  ];
  for (const spawn of cases) {
    const { counting, steps } = await countWith(checkInWorkers({ size: 2, spawn }));
    assertSameCount(counting, reference);
    assertProgress(steps);
  }
  // A helper dying after some verdicts: those are kept, the rest checked again.
  let calls = 0;
  const dying = () => {
    const listeners = { message: [], error: [] };
    let state = null;
    return {
      postMessage(message) {
        calls += 1;
        if (message.type === "init") {
          state = message;
          return;
        }
        const first = message.entries[0];
        handleCheckMessage(state, () => {})
          .then(() => handleCheckMessage({ type: "check", entries: [first] }, (reply) => reply.type === "verdict" && listeners.message.forEach((l) => l({ data: reply }))))
          .then(() => listeners.error.forEach((l) => l({ preventDefault() {} })));
      },
      addEventListener: (type, listener) => listeners[type].push(listener),
      terminate() {},
    };
  };
  const { counting, steps } = await countWith(checkInWorkers({ size: 2, spawn: dying }));
  assertSameCount(counting, reference);
  assertProgress(steps);
  assert.ok(calls >= 4);
});

test("A check that throws in a helper fails the count.", async () => {
  const broken = { ...manifest, contests: null };
  const check = checkInWorkers({ size: 2, spawn: () => spawnNodeCheckWorker() });
  await assert.rejects(computeTally(broken, entries, { check, electionHash: "00".repeat(32) }), (error) => {
    assert.ok(error instanceof Error);
    return true;
  });
  const replies = [];
  await handleCheckMessage({ type: "bogus" }, (reply) => replies.push(reply));
  assert.deepEqual(replies, [{ type: "error", message: 'unknown message type: "bogus"' }]);
});
