// SPEC §5 ballots: the vector ballot, audits, every §7 reason a ballot check
// decides, choices, and a round trip with precomputation.
//
// Writing a JS ballot for the Python side: with the environment variable
// DAUYS_JS_BALLOT_OUT set to a file path, the round-trip test writes there
// (canonical JSON + LF) an object
//   {"election_hash", "choices", "ballot", "openings", "tracker"}
// for the manifest of vectors.json["ballot"]["manifest"], signed by the
// vector credential (which that manifest lists), e.g.
//   DAUYS_JS_BALLOT_OUT=/tmp/js-ballot.json node --test frontend/tests/js/
// so a Python test can check that JavaScript ballots verify there too.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { test } from "node:test";

import { hexBytes, hexInt, parseHexInt } from "../../static/js/crypto/bigint.js";
import {
  auditPayload,
  ballotTracker,
  castMessage,
  checkAudit,
  checkBallot,
  electionHash,
  encryptBallot,
  precomputationSteps,
  precomputeBallot,
  trackerDisplay,
  validateChoices,
} from "../../static/js/crypto/ballot.js";
import { cjson, cjsonBytes } from "../../static/js/crypto/cjson.js";
import { credentialSeed } from "../../static/js/crypto/credentials.js";
import { sign, verify } from "../../static/js/crypto/ed25519.js";
import { ChoiceError } from "../../static/js/crypto/errors.js";
import { sha256 } from "../../static/js/crypto/hash.js";
import { encrypt } from "../../static/js/crypto/paillier.js";
import { big, bytes, vectors } from "./helpers.mjs";

const b = vectors.ballot;
const manifest = b.manifest;
const n = big(manifest.public_key.n);
const seed = await credentialSeed(b.credential.code, b.credential.election_id);

/** Re-sign a tampered ballot with the vector credential. */
async function resign(ballot) {
  const { signature: _s, ...body } = ballot;
  const tracker = await ballotTracker(body);
  return { ...body, signature: hexBytes(await sign(seed, castMessage(tracker))) };
}

test("The election hash of the vector manifest is reproduced.", async () => {
  assert.equal(hexBytes(await sha256(cjsonBytes(manifest))), b.manifest_cjson_sha256);
  assert.equal(await electionHash(manifest), b.election_hash);
});

test("The vector ciphertexts are Enc(plaintext; randomness) of the openings.", () => {
  const ciphertexts = b.ballot.contests.flatMap((contest) => contest.selections.map((s) => s.ciphertext));
  assert.equal(b.openings.length, ciphertexts.length);
  b.openings.forEach((opening, i) => {
    assert.equal(hexInt(encrypt(n, BigInt(opening.plaintext), big(opening.randomness))), ciphertexts[i]);
  });
  const flat = manifest.contests.flatMap((contest) => b.choices[contest.contest_id]);
  assert.deepEqual(b.openings.map((opening) => opening.plaintext), flat);
});

test("The vector ballot checks: proofs, tracker, display, signature.", async () => {
  const result = await checkBallot(manifest, b.ballot);
  assert.deepEqual(result, { reason: null, tracker: b.tracker, detail: "" });
  assert.equal(await ballotTracker(b.ballot), b.tracker);
  assert.equal(trackerDisplay(b.tracker), b.tracker_display);
  assert.equal(new TextDecoder().decode(castMessage(b.tracker)), b.signed_message);
  assert.ok(await verify(bytes(b.ballot.credential), castMessage(b.tracker), bytes(b.signature)));
  assert.equal(b.ballot.signature, b.signature);
});

test("Re-signing the vector tracker with the derived seed reproduces the signature.", async () => {
  assert.equal(hexBytes(seed), b.credential.seed);
  assert.equal(hexBytes(await sign(seed, castMessage(b.tracker))), b.signature);
  assert.deepEqual(await resign(b.ballot), b.ballot);
});

test("The audit payload is the ballot without signature plus the openings.", async () => {
  assert.deepEqual(auditPayload(b.ballot, b.openings), b.audit_payload);
  const result = await checkAudit(manifest, b.audit_payload);
  assert.equal(result.reason, null, result.detail);
  assert.equal(result.tracker, b.tracker);
  assert.deepEqual(result.choices, b.choices);
  assert.throws(() => auditPayload(b.ballot, b.openings.slice(1)), /one opening per selection/);
});

test("A bad audit gets the §7 reason: structure, encoding or bad-opening.", async () => {
  const cases = [
    ["bad-opening", (p) => { p.openings[0].plaintext = 1 - p.openings[0].plaintext; }, /openings\[0\]: Enc/],
    ["bad-opening", (p) => { p.openings[2].plaintext = 2; }, /openings\[2\]: plaintext not 0 or 1/],
    ["bad-opening", (p) => { p.openings[1].randomness = "0"; }, /openings\[1\]: randomness not in Z\*_n/],
    ["bad-opening", (p) => { p.openings[1].randomness = p.openings[0].randomness; }, /Enc/],
    ["bad-opening", (p) => { p.openings[1].randomness = manifest.public_key.n; }, /not in Z\*_n/],
    ["encoding", (p) => { p.openings[0].randomness = p.openings[0].randomness.toUpperCase(); }, /randomness: not canonical/],
    ["encoding", (p) => { p.ballot.contests[0].selections[0].ciphertext = "0" + p.ballot.contests[0].selections[0].ciphertext; }, /ciphertext/],
    ["structure", (p) => { p.openings.pop(); }, /openings: expected 7 items/],
    ["structure", (p) => { p.openings[0].extra = 1; }, /unknown key/],
    ["structure", (p) => { p.openings[0].plaintext = true; }, /plaintext/],
    ["structure", (p) => { [p.openings[0], p.openings[1]] = [p.openings[1], p.openings[0]]; }, /option_id: expected "o1"/],
    ["structure", (p) => { p.ballot.signature = b.signature; }, /unknown key\(s\): signature/],
    ["structure", (p) => { p.ballot.contests.pop(); }, /contests: expected 3 items/],
    ["structure", (p) => { delete p.openings; }, /missing key\(s\): openings/],
  ];
  for (const [reason, change, pattern] of cases) {
    const payload = structuredClone(b.audit_payload);
    change(payload);
    const result = await checkAudit(manifest, payload);
    assert.equal(result.reason, reason, `${pattern} → ${result.detail}`);
    assert.match(result.detail, pattern);
  }
});

test("A bad cast gets the first §7 reason, from structure to bad-proof.", async () => {
  const hash = b.election_hash;
  const clone = () => structuredClone(b.ballot);
  const cases = [];
  let x = clone();
  x.contests[1].selections.pop();
  cases.push(["structure", x, {}]);
  x = clone();
  x.extra = 1;
  cases.push(["structure", x, {}]);
  x = clone();
  x.contests[0].sum_proof.challenges[0] = 7;
  cases.push(["structure", x, {}]);
  x = clone();
  x.contests[0].selections[0].ciphertext = x.contests[0].selections[0].ciphertext.toUpperCase();
  cases.push(["encoding", x, {}]);
  x = clone();
  x.credential = x.credential.toUpperCase();
  cases.push(["encoding", x, {}]);
  cases.push(["wrong-election", clone(), { electionHash: "00".repeat(32) }]);
  x = clone();
  x.protocol = "evote-paillier/2";
  cases.push(["wrong-election", await resign(x), {}]);
  cases.push(["unknown-credential", clone(), { manifest: { ...manifest, credentials: [] }, electionHash: hash }]);
  x = clone();
  x.signature = x.signature.slice(0, -2) + (x.signature.endsWith("00") ? "01" : "00");
  cases.push(["bad-signature", x, {}]);
  x = clone();
  x.contests[0].selections[0].ciphertext = "0";
  cases.push(["invalid-ciphertext", await resign(x), {}]);
  x = clone();
  x.contests[1].selections[2].ciphertext = x.contests[1].selections[1].ciphertext;
  cases.push(["bad-proof", await resign(x), {}]);
  x = clone();
  const proof = x.contests[1].sum_proof;
  proof.responses[0] = hexInt(parseHexInt(proof.responses[0]) + 1n);
  cases.push(["bad-proof", await resign(x), {}]);
  for (const [reason, ballot, options] of cases) {
    const result = await checkBallot(options.manifest ?? manifest, ballot, { electionHash: options.electionHash });
    assert.equal(result.reason, reason, result.detail);
    assert.notEqual(result.detail, "");
  }
});

test("Changing a field of any proof list of the vector ballot (re-signed) is a bad proof.", async () => {
  // Every index of every list is tampered with in proofs.test.mjs; here the
  // last index of each list of each proof, through the whole ballot check.
  const locations = [];
  b.ballot.contests.forEach((contest, i) => {
    contest.selections.forEach((_, j) => locations.push([i, j]));
    locations.push([i, null]);
  });
  for (const [i, j] of locations) {
    const get = (ballot) => (j === null ? ballot.contests[i].sum_proof : ballot.contests[i].selections[j].proof);
    for (const key of ["commitments", "challenges", "responses"]) {
      for (let t = get(b.ballot)[key].length - 1; t < get(b.ballot)[key].length; t++) {
        const x = structuredClone(b.ballot);
        get(x)[key][t] = hexInt(parseHexInt(get(x)[key][t]) + 1n);
        const result = await checkBallot(manifest, await resign(x), { electionHash: b.election_hash });
        assert.equal(result.reason, "bad-proof", `${i}/${j}/${key}[${t}]`);
      }
    }
  }
});

test("Choices are validated with messages that name the contest.", () => {
  const ok = { mayor: [1, 0], measures: [0, 0, 0], fixed: [0, 1] };
  assert.deepEqual(validateChoices(manifest, ok), [[1, 0], [0, 0, 0], [0, 1]]);
  const cases = [
    [{ ...ok, mayor: [0, 0] }, 'contest "mayor": select at least 1 option (0 selected)'],
    [{ ...ok, mayor: [1, 1] }, 'contest "mayor": select at most 1 option (2 selected)'],
    [{ ...ok, measures: [1, 1, 1] }, 'contest "measures": select at most 2 options (3 selected)'],
    [{ ...ok, measures: [1, 1] }, 'contest "measures": expected 3 choices (one per option), got 2'],
    [{ ...ok, measures: [1, 2, 0] }, 'contest "measures", option "o2": a choice is 0 or 1'],
    [{ ...ok, measures: [true, 0, 0] }, 'contest "measures", option "o1": a choice is 0 or 1'],
    [{ mayor: [1, 0], fixed: [0, 1] }, 'contest "measures": no choices given (expected one 0 or 1 per option, 3 in all)'],
    [{ ...ok, senate: [1] }, 'choices: there is no contest "senate" in this election'],
    [[1, 0], "choices: expected an object with one entry per contest"],
  ];
  for (const [choices, message] of cases) {
    assert.throws(() => validateChoices(manifest, choices), (error) => error instanceof ChoiceError && error.message === message);
  }
});

test("Round trip: a precomputed JS ballot checks, audits, and is written if asked.", async () => {
  const steps = [];
  const pre = await precomputeBallot(manifest, { onProgress: (done, total) => steps.push([done, total]) });
  const total = precomputationSteps(manifest);
  assert.equal(total, 3 * 7 + 1 + 3 + 1);
  assert.deepEqual(steps, Array.from({ length: total }, (_, i) => [i + 1, total]));
  const choices = { mayor: [1, 0], measures: [0, 1, 1], fixed: [0, 1] };
  const result = await encryptBallot(manifest, b.election_hash, seed, choices, pre);
  assert.deepEqual(Object.keys(result.ballot), ["protocol", "election_hash", "credential", "contests", "signature"]);
  assert.equal(result.ballot.credential, b.credential.public_key);
  assert.equal(result.tracker, await ballotTracker(result.ballot));
  assert.equal(result.trackerDisplay, trackerDisplay(result.tracker));
  const check = await checkBallot(manifest, result.ballot);
  assert.deepEqual(check, { reason: null, tracker: result.tracker, detail: "" });
  const audit = await checkAudit(manifest, auditPayload(result.ballot, result.openings));
  assert.equal(audit.reason, null, audit.detail);
  assert.deepEqual(audit.choices, choices);
  assert.equal(await ballotTracker(auditPayload(result.ballot, result.openings).ballot), result.tracker);
  // One precomputation, one ballot.
  await assert.rejects(() => encryptBallot(manifest, b.election_hash, seed, choices, pre), /already used/);
  const out = process.env.DAUYS_JS_BALLOT_OUT;
  if (out) {
    const record = { election_hash: b.election_hash, choices, ballot: result.ballot, openings: result.openings, tracker: result.tracker };
    writeFileSync(out, cjson(record) + "\n");
  }
});

test("Every allowed sum checks, also without precomputation; k = 1 contests too.", async () => {
  const small = structuredClone(manifest);
  small.contests = [
    { ...manifest.contests[1], min_selections: 0, max_selections: 3 },
    { ...manifest.contests[2], min_selections: 2, max_selections: 2 },
  ];
  small.credentials = [b.credential.public_key];
  const hash = await electionHash(small);
  for (const measures of [[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1]]) {
    const choices = { measures, fixed: [1, 1] };
    const result = await encryptBallot(small, hash, seed, choices);
    assert.equal(result.ballot.contests[1].sum_proof.challenges.length, 1);
    assert.equal(result.ballot.contests[0].sum_proof.challenges.length, 4);
    const check = await checkBallot(small, result.ballot);
    assert.equal(check.reason, null, check.detail);
  }
  await assert.rejects(() => encryptBallot(small, hash, seed, { measures: [0, 0, 0], fixed: [1, 0] }), ChoiceError);
  await assert.rejects(() => encryptBallot(small, "XX", seed, { measures: [0, 0, 0], fixed: [1, 1] }), /64 lowercase hex/);
  const pre = await precomputeBallot(manifest);
  await assert.rejects(() => encryptBallot(small, hash, seed, { measures: [0, 0, 0], fixed: [1, 1] }, pre), /another manifest/);
});
