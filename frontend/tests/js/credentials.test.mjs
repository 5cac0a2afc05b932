// SPEC §4.1 voting codes and credentials, against the vectors.
import assert from "node:assert/strict";
import { test } from "node:test";

import { hexBytes } from "../../static/js/crypto/bigint.js";
import {
  credentialFromCode,
  credentialSeed,
  formatVotingCode,
  normaliseVotingCode,
  publicKeyFromSeed,
} from "../../static/js/crypto/credentials.js";
import { VotingCodeError } from "../../static/js/crypto/errors.js";
import { vectors } from "./helpers.mjs";

const { election_id: electionId, cases } = vectors.voting_codes;

test("Accepted voting codes normalise and derive the vector seed and key.", async () => {
  const accepted = cases.filter((item) => item.normalised !== undefined);
  assert.ok(accepted.length >= 5);
  for (const item of accepted) {
    assert.equal(normaliseVotingCode(item.input), item.normalised, JSON.stringify(item.input));
    const seed = await credentialSeed(item.input, electionId);
    assert.equal(hexBytes(seed), item.seed);
    assert.equal(hexBytes(await publicKeyFromSeed(seed)), item.public_key);
    const both = await credentialFromCode(item.input, electionId);
    assert.equal(hexBytes(both.publicKey), item.public_key);
  }
});

test("Rejected voting codes raise a VotingCodeError that says why.", async () => {
  const rejected = cases.filter((item) => item.rejected !== undefined);
  assert.ok(rejected.length >= 10);
  for (const item of rejected) {
    assert.throws(() => normaliseVotingCode(item.input), VotingCodeError, JSON.stringify(item.input));
    await assert.rejects(() => credentialSeed(item.input, electionId), VotingCodeError);
    let message;
    try {
      normaliseVotingCode(item.input);
    } catch (error) {
      message = error.message;
    }
    if (item.rejected.includes("characters, not 20")) {
      // Length messages are word for word the reference implementation's.
      assert.equal(message, item.rejected);
    } else {
      // Character messages name each offending character by code point
      // (the reference prints a Python list repr instead).
      assert.match(message, /^voting code has characters outside A–Z2–7: /);
      const bad = [...item.input].find((ch) => !/[A-Za-z2-7\- \t\r\n]/.test(ch));
      const point = "U+" + bad.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
      assert.ok(message.includes(point), `${message} should name ${point}`);
    }
  }
});

test("Only ASCII letters are upper-cased; each bad character is listed once.", () => {
  assert.throws(() => normaliseVotingCode("ABCDE-FGHıJ-KLMNO-PQRS2"), /"ı" \(U\+0131\)/);
  assert.throws(() => normaliseVotingCode("ABCDE\u00a0FGHIJ\u00a0KLMNO-PQRS2"), /: U\+00A0$/);
  assert.throws(() => normaliseVotingCode("11111-ABCDE"), /: "1" \(U\+0031\)$/);
  assert.throws(() => normaliseVotingCode(42), VotingCodeError);
});

test("The ballot vector's credential comes from its code, as typed in any case.", async () => {
  const credential = vectors.ballot.credential;
  for (const typed of [credential.code, credential.code_as_typed_lowercase]) {
    assert.equal(normaliseVotingCode(typed), credential.ikm);
    const { seed, publicKey } = await credentialFromCode(typed, credential.election_id);
    assert.equal(hexBytes(seed), credential.seed);
    assert.equal(hexBytes(publicKey), credential.public_key);
  }
  assert.equal(formatVotingCode(credential.ikm), credential.code);
});

test("The election_id must be an identifier.", async () => {
  await assert.rejects(() => credentialSeed("ABCDE-FGHIJ-KLMNO-PQRS2", "Bad Id"), TypeError);
});
