// The audited-ballot checker's verdict (audit-view.js) for an honest and a
// tampered audit of the vector ballot.
import assert from "node:assert/strict";
import { test } from "node:test";

import { verdictOf } from "../../static/js/audit-view.js";
import { checkAudit } from "../../static/js/crypto/ballot.js";
import { vectors } from "./helpers.mjs";

const b = vectors.ballot;
const strings = {
  matches: "The encryption matches the openings: this device encrypted honestly.",
  failed: "WARNING ({reason}: {detail})",
};
const contests = b.manifest.contests.map((contest) => ({
  contest_id: contest.contest_id,
  title: `T-${contest.contest_id}`,
  options: contest.options.map((option) => ({ option_id: option.option_id ?? option, title: `O-${option.option_id ?? option}` })),
}));

test("An honest audit matches and reveals the choices.", async () => {
  const shown = verdictOf(await checkAudit(b.manifest, b.audit_payload), contests, strings);
  assert.equal(shown.ok, true);
  assert.equal(shown.message, strings.matches);
  assert.equal(shown.choices.length, contests.length);
  const first = b.choices[contests[0].contest_id];
  assert.deepEqual(shown.choices[0].options.map((o) => (o.selected ? 1 : 0)), first);
});

test("A tampered opening is a loud failure naming bad-opening.", async () => {
  const payload = structuredClone(b.audit_payload);
  payload.openings[0].plaintext = 1 - payload.openings[0].plaintext;
  const shown = verdictOf(await checkAudit(b.manifest, payload), contests, strings);
  assert.equal(shown.ok, false);
  assert.match(shown.message, /^WARNING \(bad-opening: openings\[0\]: Enc/);
  assert.deepEqual(shown.choices, []);
});
