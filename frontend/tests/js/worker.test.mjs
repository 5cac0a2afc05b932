// The booth worker's message protocol (worker.js), driven without a worker.
import assert from "node:assert/strict";
import { test } from "node:test";

import { checkAudit, checkBallot } from "../../static/js/crypto/ballot.js";
import { handleMessage } from "../../static/js/crypto/worker.js";
import { vectors } from "./helpers.mjs";

const b = vectors.ballot;

test("precompute → progress… ready; encrypt → result that checks and audits.", async () => {
  const replies = [];
  const post = (reply) => replies.push(reply);
  await handleMessage({ type: "precompute", manifest: b.manifest }, post);
  const progress = replies.filter((reply) => reply.type === "progress");
  assert.equal(progress.length, 26);
  assert.deepEqual(progress.at(-1), { type: "progress", done: 26, total: 26 });
  assert.deepEqual(replies.at(-1), { type: "ready", electionHash: b.election_hash });

  replies.length = 0;
  await handleMessage({ type: "encrypt", seed: b.credential.seed, choices: { ...b.choices, mayor: [1, 1] } }, post);
  assert.deepEqual(replies, [{ type: "error", message: 'contest "mayor": select at most 1 option (2 selected)', field: 'contest "mayor"' }]);

  replies.length = 0;
  await handleMessage({ type: "encrypt", seed: b.credential.seed, choices: b.choices }, post);
  assert.equal(replies.length, 1);
  const result = replies[0];
  assert.equal(result.type, "result");
  assert.equal((await checkBallot(b.manifest, result.ballot)).reason, null);
  const audit = await checkAudit(b.manifest, result.audit);
  assert.equal(audit.reason, null);
  assert.equal(audit.tracker, result.tracker);
  assert.deepEqual(audit.choices, b.choices);
  assert.equal(result.trackerDisplay.length, 39);

  // The precomputation was consumed; the next ballot makes a fresh one.
  replies.length = 0;
  await handleMessage({ type: "encrypt", seed: b.credential.seed, choices: b.choices }, post);
  assert.equal(replies[0].type, "result");
  assert.notEqual(replies[0].tracker, result.tracker);
});

test("Unknown messages are reported as errors.", async () => {
  const replies = [];
  await handleMessage({ type: "bogus" }, (reply) => replies.push(reply));
  assert.equal(replies[0].type, "error");
  assert.match(replies[0].message, /unknown message type/);
});
