// SPEC §5 ballots: encryption with precomputation, tracker, signature,
// the §5.1 audit payload and its check, and a full ballot check (§7).
//
// Choices are given per contest as one 0/1 per option, in manifest order:
//   {"mayor": [0, 1], "measures": [1, 0, 1]}
// Every contest of the manifest must be present (an empty vote is all 0s,
// if the contest's min_selections allows it).
//
// Typical booth flow (see worker.js for the same in a Web Worker):
//   const pre = await precomputeBallot(manifest, {onProgress});  // while the voter reads
//   const {ballot, openings, tracker} = await encryptBallot(manifest, hash, seed, choices, pre);
//   show trackerDisplay(tracker); then cast `ballot`, or post auditPayload(ballot, openings).

import { hexBytes, hexInt, modPow, parseHexBytes, parseHexInt, randomUnit } from "./bigint.js";
import { ChoiceError, CryptoError, EncodingError, StructureError, expectList, expectObject } from "./errors.js";
import { publicKeyFromSeed, sign, verifyProblem } from "./ed25519.js";
import { Hhex } from "./hash.js";
import { encryptWithFactor, isUnit, isValidCiphertext } from "./paillier.js";
import { checkProofShape, membershipEquations, membershipProblem, precompute, prove } from "./proofs.js";

/** The protocol name in manifests and ballots. */
export const PROTOCOL = "evote-paillier/1";
/** Prefix of the signed cast message. */
export const CAST_PREFIX = "evote-paillier/1/cast:";
/** Values of a selection (SPEC §5). */
export const SELECTION_VALUES = Object.freeze([0, 1]);

/** SPEC §7 reason codes. */
export const REASONS = Object.freeze({
  STRUCTURE: "structure",
  ENCODING: "encoding",
  WRONG_ELECTION: "wrong-election",
  UNKNOWN_CREDENTIAL: "unknown-credential",
  BAD_SIGNATURE: "bad-signature",
  INVALID_CIPHERTEXT: "invalid-ciphertext",
  BAD_PROOF: "bad-proof",
  BAD_OPENING: "bad-opening",
});

const IDENTIFIER_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;
const BALLOT_KEYS = ["contests", "credential", "election_hash", "protocol"];
const SIGNED_KEYS = [...BALLOT_KEYS, "signature"];
const CONTEST_KEYS = ["contest_id", "selections", "sum_proof"];
const SELECTION_KEYS = ["ciphertext", "option_id", "proof"];
const OPENING_KEYS = ["contest_id", "option_id", "plaintext", "randomness"];
const AUDIT_KEYS = ["ballot", "openings"];
const ENCODER = new TextEncoder();

// ------------------------------------------------------------ small helpers

/**
 * SPEC §4 `election_hash = hex(H(["evote-paillier/1/manifest", manifest]))`.
 * @param {object} manifest The manifest as published (parsed JSON).
 * @returns {Promise<string>} 64 hex digits.
 */
export function electionHash(manifest) {
  return Hhex(["evote-paillier/1/manifest", manifest]);
}

/**
 * SPEC §5 context of a selection proof.
 * @param {string} credential The credential, 64 hex digits.
 * @param {string} contestId
 * @param {string} optionId
 * @returns {string[]}
 */
export function selectionContext(credential, contestId, optionId) {
  return ["selection", credential, contestId, optionId];
}

/**
 * SPEC §5 context of a sum proof.
 * @param {string} credential
 * @param {string} contestId
 * @returns {string[]}
 */
export function sumContext(credential, contestId) {
  return ["sum", credential, contestId];
}

/**
 * The ballot without its `signature` key (what the tracker hashes and what
 * an audit posts).
 * @param {object} ballot
 * @returns {object}
 */
export function withoutSignature(ballot) {
  const { signature: _signature, ...body } = ballot;
  return body;
}

/**
 * SPEC §5 `tracker = hex(H(["evote-paillier/1/ballot", B]))`, `B` the ballot
 * without its `signature` (removed here if present).
 * @param {object} ballot
 * @returns {Promise<string>} 64 hex digits.
 */
export function ballotTracker(ballot) {
  return Hhex(["evote-paillier/1/ballot", withoutSignature(ballot)]);
}

/**
 * What voters are shown: the first 32 hex digits of the tracker in groups
 * of four, e.g. "4b84 8a0a e9be 073a bef2 66a1 4079 bff3".
 * @param {string} tracker 64 hex digits.
 * @returns {string}
 */
export function trackerDisplay(tracker) {
  return tracker.slice(0, 32).match(/.{4}/g).join(" ");
}

/**
 * The bytes the credential signs: ASCII `"evote-paillier/1/cast:" + tracker`.
 * @param {string} tracker
 * @returns {Uint8Array}
 */
export function castMessage(tracker) {
  return ENCODER.encode(CAST_PREFIX + tracker);
}

function contestValues(contest) {
  const values = [];
  for (let m = contest.min_selections; m <= contest.max_selections; m++) {
    values.push(m);
  }
  return values;
}

function manifestModulus(manifest) {
  return parseHexInt(manifest?.public_key?.n, "manifest.public_key.n");
}

function manifestContests(manifest) {
  const contests = manifest?.contests;
  if (!Array.isArray(contests) || contests.length === 0) {
    throw new StructureError("manifest.contests", "expected a non-empty array");
  }
  for (const [position, contest] of contests.entries()) {
    const k = contest?.options?.length;
    const { min_selections: min, max_selections: max } = contest ?? {};
    if (!Number.isSafeInteger(k) || k < 1 || !Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || min > max || max > k) {
      throw new StructureError(`manifest.contests[${position}]`, "needs options and 0 ≤ min_selections ≤ max_selections ≤ k");
    }
  }
  return contests;
}

// ------------------------------------------------------------ choices

/**
 * Check the voter's choices against the manifest (SPEC §5): one 0/1 per
 * option of every contest, and `min_selections ≤ Σ ≤ max_selections`.
 * @param {object} manifest
 * @param {Object<string, number[]>} choices Per `contest_id`, one 0 or 1 per
 *   option in manifest order.
 * @returns {number[][]} The choices per contest, in manifest order.
 * @throws {ChoiceError} naming the contest and what is wrong.
 */
export function validateChoices(manifest, choices) {
  const contests = manifestContests(manifest);
  if (choices === null || typeof choices !== "object" || Array.isArray(choices)) {
    throw new ChoiceError("choices", "expected an object with one entry per contest");
  }
  const known = new Set(contests.map((contest) => contest.contest_id));
  for (const key of Object.keys(choices)) {
    if (!known.has(key)) {
      throw new ChoiceError("choices", `there is no contest "${key}" in this election`);
    }
  }
  return contests.map((contest) => {
    const id = contest.contest_id;
    const field = `contest "${id}"`;
    const given = choices[id];
    const k = contest.options.length;
    if (!Array.isArray(given)) {
      throw new ChoiceError(field, `no choices given (expected one 0 or 1 per option, ${k} in all)`);
    }
    if (given.length !== k) {
      throw new ChoiceError(field, `expected ${k} choices (one per option), got ${given.length}`);
    }
    given.forEach((value, index) => {
      if (value !== 0 && value !== 1) {
        throw new ChoiceError(`${field}, option "${contest.options[index].option_id}"`, "a choice is 0 or 1");
      }
    });
    const selected = given.reduce((x, y) => x + y, 0);
    const { min_selections: min, max_selections: max } = contest;
    if (selected < min) {
      throw new ChoiceError(field, `select at least ${min} option${min === 1 ? "" : "s"} (${selected} selected)`);
    }
    if (selected > max) {
      throw new ChoiceError(field, `select at most ${max} option${max === 1 ? "" : "s"} (${selected} selected)`);
    }
    return [...given];
  });
}

// ------------------------------------------------------------ precomputation

/**
 * The number of exponentiations by `n` that {@link precomputeBallot} makes
 * (the `total` of its progress): per option `r^n`, `ρ^n` and one simulated
 * branch; per contest `max − min + 1` for the sum proof.
 * @param {object} manifest
 * @returns {number}
 */
export function precomputationSteps(manifest) {
  return manifestContests(manifest).reduce(
    (total, contest) => total + 3 * contest.options.length + (contest.max_selections - contest.min_selections + 1),
    0,
  );
}

/**
 * @typedef {object} BallotPrecomputation
 * All randomness of one ballot with every exponentiation by `n` done; it
 * does not depend on the choices. Use it for ONE ballot only
 * ({@link encryptBallot} marks it used). Holds secrets: never send it out.
 * @property {bigint} n
 * @property {{contestId: string, selections: {r: bigint, rN: bigint, proof: import("./proofs.js").MembershipPrecomputation}[], sum: import("./proofs.js").MembershipPrecomputation}[]} contests
 * @property {boolean} used
 */

/**
 * Draw the ballot's randomness and make every exponentiation by `n` before
 * the voter has chosen (SPEC §5; see proofs.js): `r_j ∈ Z*_n` with
 * `r_j^n mod n²` per option, each selection proof's precomputation, and the
 * sum proof's for `R = Π r_j mod n`.
 * @param {object} manifest
 * @param {object} [options]
 * @param {(done: number, total: number) => void} [options.onProgress] Called
 *   after each exponentiation by `n`.
 * @returns {Promise<BallotPrecomputation>}
 */
export async function precomputeBallot(manifest, options = {}) {
  const n = manifestModulus(manifest);
  const n2 = n * n;
  const contests = manifestContests(manifest);
  const total = precomputationSteps(manifest);
  let done = 0;
  const onStep = () => {
    done += 1;
    options.onProgress?.(done, total);
  };
  const result = [];
  for (const contest of contests) {
    const selections = [];
    let product = 1n;
    for (let j = 0; j < contest.options.length; j++) {
      const r = randomUnit(n);
      const rN = modPow(r, n, n2);
      onStep();
      selections.push({ r, rN, proof: precompute(n, r, SELECTION_VALUES.length, { onStep }) });
      product = (product * r) % n;
    }
    const k = contest.max_selections - contest.min_selections + 1;
    result.push({ contestId: contest.contest_id, selections, sum: precompute(n, product, k, { onStep }) });
  }
  return { n, contests: result, used: false };
}

// ------------------------------------------------------------ encryption

function checkPrecomputation(pre, n, contests) {
  if (pre.used) {
    throw new Error("this precomputation was already used for a ballot; precompute afresh");
  }
  const fits =
    pre.n === n &&
    pre.contests.length === contests.length &&
    contests.every(
      (contest, i) =>
        pre.contests[i].contestId === contest.contest_id &&
        pre.contests[i].selections.length === contest.options.length &&
        pre.contests[i].sum.k === contest.max_selections - contest.min_selections + 1,
    );
  if (!fits) {
    throw new Error("the precomputation was made for another manifest");
  }
}

/**
 * SPEC §5: encrypt, prove and sign a ballot.
 * @param {object} manifest The election manifest.
 * @param {string} electionHash `election_hash` as published (64 hex digits);
 *   the page should check it equals {@link electionHash}(manifest).
 * @param {Uint8Array} seed The credential's 32-byte Ed25519 seed (§4.1).
 * @param {Object<string, number[]>} choices See {@link validateChoices}.
 * @param {BallotPrecomputation} [precomputed] From {@link precomputeBallot};
 *   without it, the randomness is drawn and exponentiated now.
 * @returns {Promise<{ballot: object, openings: object[], tracker: string, trackerDisplay: string}>}
 *   The signed ballot, the §6 openings in ballot order (secret unless
 *   audited), the tracker and its display form.
 * @throws {ChoiceError} if the choices break the contest rules.
 */
export async function encryptBallot(manifest, electionHash, seed, choices, precomputed = undefined) {
  const perContest = validateChoices(manifest, choices);
  const n = manifestModulus(manifest);
  const n2 = n * n;
  const contests = manifestContests(manifest);
  if (typeof electionHash !== "string" || !/^[0-9a-f]{64}$/.test(electionHash)) {
    throw new TypeError("electionHash must be 64 lowercase hex digits");
  }
  const credential = hexBytes(await publicKeyFromSeed(seed));
  const pre = precomputed ?? (await precomputeBallot(manifest));
  checkPrecomputation(pre, n, contests);
  pre.used = true;
  const outContests = [];
  const openings = [];
  for (const [i, contest] of contests.entries()) {
    const slot = pre.contests[i];
    const values = perContest[i];
    const selections = [];
    let sumCiphertext = 1n;
    for (const [j, option] of contest.options.entries()) {
      const { r, rN, proof: proofPre } = slot.selections[j];
      const v = values[j];
      const c = encryptWithFactor(n, BigInt(v), rN);
      const proof = await prove({
        n,
        electionHash,
        context: selectionContext(credential, contest.contest_id, option.option_id),
        values: [...SELECTION_VALUES],
        c,
        index: v,
        r,
        pre: proofPre,
      });
      selections.push({ option_id: option.option_id, ciphertext: hexInt(c), proof });
      openings.push({ contest_id: contest.contest_id, option_id: option.option_id, plaintext: v, randomness: hexInt(r) });
      sumCiphertext = (sumCiphertext * c) % n2;
    }
    const selected = values.reduce((x, y) => x + y, 0);
    const sumProof = await prove({
      n,
      electionHash,
      context: sumContext(credential, contest.contest_id),
      values: contestValues(contest),
      c: sumCiphertext,
      index: selected - contest.min_selections,
      r: slot.sum.r,
      pre: slot.sum,
    });
    outContests.push({ contest_id: contest.contest_id, selections, sum_proof: sumProof });
  }
  const body = { protocol: PROTOCOL, election_hash: electionHash, credential, contests: outContests };
  const tracker = await ballotTracker(body);
  const signature = hexBytes(await sign(seed, castMessage(tracker)));
  return { ballot: { ...body, signature }, openings, tracker, trackerDisplay: trackerDisplay(tracker) };
}

/**
 * The SPEC §6 `audit` payload (§5.1): the ballot without its signature and
 * every opening, in ballot order. After posting it, never cast this ballot.
 * @param {object} ballot The ballot (signed or not).
 * @param {object[]} openings From {@link encryptBallot}.
 * @returns {{ballot: object, openings: object[]}}
 */
export function auditPayload(ballot, openings) {
  const expected = ballot.contests.flatMap((contest) =>
    contest.selections.map((selection) => `${contest.contest_id}/${selection.option_id}`),
  );
  const given = openings.map((opening) => `${opening.contest_id}/${opening.option_id}`);
  if (expected.join(",") !== given.join(",")) {
    throw new Error("need one opening per selection, in ballot order");
  }
  return {
    ballot: withoutSignature(ballot),
    openings: openings.map(({ contest_id, option_id, plaintext, randomness }) => ({
      contest_id,
      option_id,
      plaintext,
      randomness,
    })),
  };
}

// ------------------------------------------------------------ structure

function expectString(value, field) {
  if (typeof value !== "string") {
    throw new StructureError(field, "expected a string");
  }
  return value;
}

function expectHexChars(value, field, bytes) {
  if (expectString(value, field).length !== 2 * bytes) {
    throw new StructureError(field, `expected ${bytes} bytes as ${2 * bytes} hex digits`);
  }
}

function parseIdentifier(value, field) {
  if (!IDENTIFIER_RE.test(expectString(value, field))) {
    throw new EncodingError(field, `not a valid identifier: ${JSON.stringify(value.slice(0, 70))}`);
  }
  return value;
}

/**
 * Check a ballot's structure (SPEC §5, reason `structure`): exact keys and
 * JSON types at every level, byte strings of the right length, and every
 * contest and selection of the manifest, in manifest order. The spelling of
 * hex strings and identifiers is left to {@link parseBallot} (`encoding`).
 * @param {unknown} value
 * @param {object} manifest
 * @param {object} [options]
 * @param {boolean} [options.signed] False for an audited ballot (no `signature`).
 * @param {string} [options.field]
 * @throws {StructureError}
 */
export function checkBallotShape(value, manifest, { signed = true, field = "ballot" } = {}) {
  const ballot = expectObject(value, field, signed ? SIGNED_KEYS : BALLOT_KEYS);
  expectString(ballot.protocol, `${field}.protocol`);
  expectHexChars(ballot.election_hash, `${field}.election_hash`, 32);
  expectHexChars(ballot.credential, `${field}.credential`, 32);
  if (signed) {
    expectHexChars(ballot.signature, `${field}.signature`, 64);
  }
  const contests = manifestContests(manifest);
  expectList(ballot.contests, `${field}.contests`, contests.length);
  ballot.contests.forEach((item, i) => {
    const where = `${field}.contests[${i}]`;
    const contest = expectObject(item, where, CONTEST_KEYS);
    const expected = contests[i];
    if (expectString(contest.contest_id, `${where}.contest_id`) !== expected.contest_id) {
      throw new StructureError(`${where}.contest_id`, `expected "${expected.contest_id}" (all contests, in manifest order)`);
    }
    expectList(contest.selections, `${where}.selections`, expected.options.length);
    contest.selections.forEach((entry, j) => {
      const at = `${where}.selections[${j}]`;
      const selection = expectObject(entry, at, SELECTION_KEYS);
      const optionId = expected.options[j].option_id;
      if (expectString(selection.option_id, `${at}.option_id`) !== optionId) {
        throw new StructureError(`${at}.option_id`, `expected "${optionId}" (all options, in manifest order)`);
      }
      expectString(selection.ciphertext, `${at}.ciphertext`);
      checkProofShape(selection.proof, `${at}.proof`);
    });
    checkProofShape(contest.sum_proof, `${where}.sum_proof`);
  });
}

/**
 * Parse the encodings of a ballot whose shape {@link checkBallotShape}
 * accepted (reason `encoding`): identifiers, byte strings and canonical hex.
 * @param {object} ballot
 * @param {string} [field]
 * @returns {{credential: Uint8Array, signature: Uint8Array | null, ciphertexts: bigint[][]}}
 * @throws {EncodingError}
 */
export function parseBallot(ballot, field = "ballot") {
  parseHexBytes(ballot.election_hash, `${field}.election_hash`, 32);
  const credential = parseHexBytes(ballot.credential, `${field}.credential`, 32);
  const signature = "signature" in ballot ? parseHexBytes(ballot.signature, `${field}.signature`, 64) : null;
  const ciphertexts = ballot.contests.map((contest, i) => {
    const where = `${field}.contests[${i}]`;
    parseIdentifier(contest.contest_id, `${where}.contest_id`);
    const values = contest.selections.map((selection, j) => {
      const at = `${where}.selections[${j}]`;
      parseIdentifier(selection.option_id, `${at}.option_id`);
      const c = parseHexInt(selection.ciphertext, `${at}.ciphertext`);
      parseProofEncoding(selection.proof, `${at}.proof`);
      return c;
    });
    parseProofEncoding(contest.sum_proof, `${where}.sum_proof`);
    return values;
  });
  return { credential, signature, ciphertexts };
}

function parseProofEncoding(proof, field) {
  for (const key of ["commitments", "challenges", "responses"]) {
    proof[key].forEach((item, index) => parseHexInt(item, `${field}.${key}[${index}]`));
  }
}

function failure(reason, error, tracker = null) {
  return { reason, tracker, detail: error instanceof CryptoError ? error.message : String(error) };
}

function classify(error) {
  if (error instanceof StructureError) {
    return REASONS.STRUCTURE;
  }
  if (error instanceof EncodingError) {
    return REASONS.ENCODING;
  }
  throw error;
}

// ------------------------------------------------------------ checks

/**
 * Check a `cast` payload as SPEC §7 does, up to the proofs: `structure`,
 * `encoding`, `wrong-election`, `unknown-credential`, `bad-signature`,
 * `invalid-ciphertext`, `bad-proof` (the first failure is the reason). The
 * time window (`early`, `late`) and the board rules (`replay`, `audited`)
 * need the board and are not decided here.
 * @param {object} manifest
 * @param {unknown} ballot
 * @param {object} [options]
 * @param {string} [options.electionHash] The verifier's own election hash
 *   (computed from the manifest when absent).
 * @returns {Promise<{reason: string | null, tracker: string | null, detail: string}>}
 *   `reason` null when valid.
 */
export async function checkBallot(manifest, ballot, options = {}) {
  const pre = await castPrechecks(manifest, ballot, options);
  if (pre.failure !== null) {
    return pre.failure;
  }
  for (const statement of castStatements(manifest, ballot, pre)) {
    const why = await membershipProblem(statement);
    if (why !== null) {
      return { reason: REASONS.BAD_PROOF, tracker: pre.tracker, detail: why };
    }
  }
  return { reason: null, tracker: pre.tracker, detail: "" };
}

/**
 * {@link checkBallot}'s checks of a `cast` payload but the equations of its
 * proofs, which are returned instead (for a batch check, proofs.js
 * `checkEquationGroups`).
 * @param {object} manifest
 * @param {unknown} ballot
 * @param {object} [options] As for {@link checkBallot}.
 * @returns {Promise<{result: {reason: string | null, tracker: string | null, detail: string}, equations: import("./proofs.js").Equation[] | null}>}
 *   With `equations` null, `result` is {@link checkBallot}'s. Otherwise
 *   every other check passed: `result` is {@link checkBallot}'s (valid)
 *   when all the equations hold; when one does not, {@link checkBallot}
 *   says which.
 */
export async function castEquations(manifest, ballot, options = {}) {
  const pre = await castPrechecks(manifest, ballot, options);
  if (pre.failure !== null) {
    return { result: pre.failure, equations: null };
  }
  const equations = [];
  for (const statement of castStatements(manifest, ballot, pre)) {
    const found = await membershipEquations(statement);
    if (found.problem !== null) {
      // A bad proof: checkBallot says which fails first (an earlier proof's
      // equation may, before this proof's cheap check).
      return { result: await checkBallot(manifest, ballot, options), equations: null };
    }
    equations.push(...found.equations);
  }
  return { result: { reason: null, tracker: pre.tracker, detail: "" }, equations };
}

// checkBallot's checks before the proofs, in §7's order: `failure` as
// checkBallot returns it, or null and what the proofs need.
async function castPrechecks(manifest, ballot, options) {
  let parsed;
  try {
    checkBallotShape(ballot, manifest, { signed: true });
    parsed = parseBallot(ballot);
  } catch (error) {
    return { failure: failure(classify(error), error) };
  }
  const tracker = await ballotTracker(ballot);
  const ownHash = options.electionHash ?? (await electionHash(manifest));
  if (ballot.protocol !== PROTOCOL || ballot.election_hash !== ownHash) {
    return {
      failure: { reason: REASONS.WRONG_ELECTION, tracker, detail: "ballot: protocol or election_hash is not this election's" },
    };
  }
  if (!Array.isArray(manifest.credentials) || !manifest.credentials.includes(ballot.credential)) {
    return { failure: { reason: REASONS.UNKNOWN_CREDENTIAL, tracker, detail: "ballot.credential: not in the manifest" } };
  }
  const problem = await verifyProblem(parsed.credential, castMessage(tracker), parsed.signature);
  if (problem !== null) {
    return { failure: { reason: REASONS.BAD_SIGNATURE, tracker, detail: `ballot.signature: ${problem}` } };
  }
  const n = manifestModulus(manifest);
  for (const [i, row] of parsed.ciphertexts.entries()) {
    for (const [j, c] of row.entries()) {
      if (!isValidCiphertext(n, c)) {
        return {
          failure: {
            reason: REASONS.INVALID_CIPHERTEXT,
            tracker,
            detail: `ballot.contests[${i}].selections[${j}].ciphertext: not a valid ciphertext`,
          },
        };
      }
    }
  }
  return { failure: null, parsed, tracker, ownHash, n };
}

// The §3 statements of a cast's proofs (membershipProblem's parameters), in
// checkBallot's order: per contest, each selection's proof, then the sum's.
function* castStatements(manifest, ballot, { parsed, ownHash, n }) {
  const n2 = n * n;
  for (const [i, contest] of manifest.contests.entries()) {
    const item = ballot.contests[i];
    let sum = 1n;
    for (const [j, selection] of item.selections.entries()) {
      const c = parsed.ciphertexts[i][j];
      sum = (sum * c) % n2;
      yield {
        n,
        electionHash: ownHash,
        context: selectionContext(ballot.credential, contest.contest_id, selection.option_id),
        values: [...SELECTION_VALUES],
        c,
        proof: selection.proof,
        field: `ballot.contests[${i}].selections[${j}].proof`,
      };
    }
    yield {
      n,
      electionHash: ownHash,
      context: sumContext(ballot.credential, contest.contest_id),
      values: contestValues(contest),
      c: sum,
      proof: item.sum_proof,
      field: `ballot.contests[${i}].sum_proof`,
    };
  }
}

/**
 * Check an `audit` payload (SPEC §5.1, §7) for the audited-ballot page:
 * `structure` (the ballot without signature following the manifest, one
 * opening per selection in ballot order), `encoding`, then `bad-opening`:
 * every plaintext 0 or 1, every randomness in `Z*_n`, and
 * `Enc(v_j; r_j) = c_j` recomputed for every selection. The credential,
 * election and proofs are not checked (§5.1).
 * @param {object} manifest
 * @param {unknown} payload `{"ballot", "openings"}`.
 * @returns {Promise<{reason: string | null, tracker: string | null, detail: string, choices: Object<string, number[]> | null}>}
 *   `reason` null when valid; `choices` then holds the audited choices per contest.
 */
export async function checkAudit(manifest, payload) {
  let parsed;
  let randomness;
  try {
    const audit = expectObject(payload, "audit", AUDIT_KEYS);
    checkBallotShape(audit.ballot, manifest, { signed: false });
    const expected = audit.ballot.contests.flatMap((contest) =>
      contest.selections.map((selection) => [contest.contest_id, selection.option_id]),
    );
    expectList(audit.openings, "openings", expected.length);
    audit.openings.forEach((item, position) => {
      const where = `openings[${position}]`;
      const opening = expectObject(item, where, OPENING_KEYS);
      const [contestId, optionId] = expected[position];
      if (expectString(opening.contest_id, `${where}.contest_id`) !== contestId) {
        throw new StructureError(`${where}.contest_id`, `expected "${contestId}"`);
      }
      if (expectString(opening.option_id, `${where}.option_id`) !== optionId) {
        throw new StructureError(`${where}.option_id`, `expected "${optionId}"`);
      }
      if (!Number.isSafeInteger(opening.plaintext) || opening.plaintext < 0) {
        throw new StructureError(`${where}.plaintext`, "expected a non-negative integer");
      }
      expectString(opening.randomness, `${where}.randomness`);
    });
    parsed = parseBallot(audit.ballot);
    randomness = audit.openings.map((opening, position) => parseHexInt(opening.randomness, `openings[${position}].randomness`));
  } catch (error) {
    return { ...failure(classify(error), error), choices: null };
  }
  const tracker = await ballotTracker(payload.ballot);
  const n = manifestModulus(manifest);
  const n2 = n * n;
  const ciphertexts = parsed.ciphertexts.flat();
  const choices = {};
  for (const [position, opening] of payload.openings.entries()) {
    const where = `openings[${position}]`;
    const bad = (detail) => ({ reason: REASONS.BAD_OPENING, tracker, detail: `${where}: ${detail}`, choices: null });
    if (opening.plaintext !== 0 && opening.plaintext !== 1) {
      return bad("plaintext not 0 or 1");
    }
    const r = randomness[position];
    if (!isUnit(n, r)) {
      return bad("randomness not in Z*_n");
    }
    if (encryptWithFactor(n, BigInt(opening.plaintext), modPow(r, n, n2)) !== ciphertexts[position]) {
      return bad("Enc(plaintext; randomness) ≠ ciphertext");
    }
    (choices[opening.contest_id] ??= []).push(opening.plaintext);
  }
  return { reason: null, tracker, detail: "", choices };
}
