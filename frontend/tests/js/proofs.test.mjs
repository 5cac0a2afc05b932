// SPEC §3 membership proofs: the vectors, reproduction from the given prover
// randomness, the squared check, tampering, and round trips.
import assert from "node:assert/strict";
import { test } from "node:test";

import { hexInt, modInverse, modPow, randomBits, randomUnit } from "../../static/js/crypto/bigint.js";
import { cjson } from "../../static/js/crypto/cjson.js";
import { encrypt } from "../../static/js/crypto/paillier.js";
import {
  checkEquation,
  checkEquationGroups,
  checkMembership,
  failingGroups,
  membershipChallenge,
  membershipEquations,
  membershipProblem,
  precompute,
  productOfPowers,
  prove,
} from "../../static/js/crypto/proofs.js";
import { big, vectors } from "./helpers.mjs";

const NAMES = ["membership_proof", "membership_proof_range", "membership_proof_k1", "membership_proof_minus_one"];
const n = big(vectors.key.n);
const n2 = n * n;

function statement(v, proof = v.proof) {
  return { n, electionHash: v.election_hash, context: v.context, values: v.values, c: big(v.c), proof };
}

/** The vector's simulated branches, in the order of the indices they take. */
function simulatedOf(v) {
  const given = v.prover_randomness.simulated;
  return Object.keys(given)
    .map(Number)
    .sort((a, b) => a - b)
    .map((j) => ({ e: big(given[j].e), z: big(given[j].z) }));
}

for (const name of NAMES) {
  const v = vectors[name];

  test(`${name}: the vector proof checks`, async () => {
    assert.equal(v.valid, true);
    assert.equal(await membershipProblem(statement(v)), null);
    assert.equal(encrypt(n, BigInt(v.plaintext), big(v.r)), big(v.c));
  });

  test(`${name}: the hash input and challenge are reproduced`, async () => {
    const parts = ["evote-paillier/1/membership", v.election_hash, v.context, vectors.key.n, v.c, v.values, v.proof.commitments];
    assert.equal(cjson(parts), v.hash_input_cjson);
    const e = await membershipChallenge(v.election_hash, v.context, n, big(v.c), v.values, v.proof.commitments);
    assert.equal(hexInt(e), v.challenge);
  });

  test(`${name}: the proof is reproduced exactly from the prover randomness`, async () => {
    const pre = precompute(n, big(v.r), v.values.length, {
      rho: big(v.prover_randomness.rho),
      simulated: simulatedOf(v),
    });
    if (v.real_commitment_factor !== undefined) {
      // This vector's prover multiplied a_i by −1 (see its note).
      pre.rhoN = (pre.rhoN * big(v.real_commitment_factor)) % n2;
    }
    const proof = await prove({ ...statement(v), index: v.index, r: big(v.r), pre });
    assert.deepEqual(proof, v.proof);
  });

  test(`${name}: changing any field of the proof makes it fail`, async () => {
    for (const key of ["commitments", "challenges", "responses"]) {
      for (let j = 0; j < v.values.length; j++) {
        for (const change of [(x) => x + 1n, (x) => (x === 0n ? 1n : x - 1n), (x) => x ^ (1n << 7n)]) {
          const proof = structuredClone(v.proof);
          proof[key][j] = hexInt(change(big(proof[key][j])));
          assert.notEqual(await membershipProblem(statement(v, proof)), null, `${key}[${j}]`);
        }
        // A non-canonical spelling of the same number is refused too.
        const proof = structuredClone(v.proof);
        proof[key][j] = "0" + proof[key][j];
        assert.match(await membershipProblem(statement(v, proof)), /not canonical lowercase hex/);
      }
    }
  });

  test(`${name}: a changed statement makes it fail`, async () => {
    const base = statement(v);
    const other = "0".repeat(64);
    assert.notEqual(await membershipProblem({ ...base, electionHash: other }), null);
    assert.notEqual(await membershipProblem({ ...base, context: [...v.context, "x"] }), null);
    assert.notEqual(await membershipProblem({ ...base, c: (base.c * 2n) % n2 }), null);
    const shifted = v.values.map((m) => m + 1);
    assert.notEqual(await membershipProblem({ ...base, values: shifted }), null);
  });

  test(`${name}: a proof of the wrong shape is a structure problem`, async () => {
    const base = statement(v);
    const short = structuredClone(v.proof);
    short.responses.pop();
    assert.match(await membershipProblem({ ...base, proof: short }), /proof\.responses: expected \d+ items/);
    assert.match(await membershipProblem({ ...base, proof: { ...v.proof, extra: [] } }), /unknown key\(s\): extra/);
    const { responses: _r, ...missing } = v.proof;
    assert.match(await membershipProblem({ ...base, proof: missing }), /missing key\(s\): responses/);
    assert.match(await membershipProblem({ ...base, proof: [] }), /expected an object/);
    const numeric = structuredClone(v.proof);
    numeric.challenges[0] = 5;
    assert.match(await membershipProblem({ ...base, proof: numeric }), /challenges\[0\]: expected a hex string/);
  });
}

test("The minus-one vector passes only because the check is squared.", () => {
  const v = vectors.membership_proof_minus_one;
  const j = v.index;
  const a = big(v.proof.commitments[j]);
  const e = big(v.proof.challenges[j]);
  const z = big(v.proof.responses[j]);
  const u = (big(v.c) * ((1n - n * BigInt(v.values[j]) + n2) % n2)) % n2;
  const left = modPow(z, n, n2);
  const right = (a * modPow(u, e, n2)) % n2;
  assert.equal(left, n2 - right, "the unsquared equation is off by −1");
  assert.equal((left * left) % n2, (right * right) % n2);
});

test("Range checks: e_j ≥ 2^256, z_j outside Z*_n and invalid a_j are refused.", async () => {
  const v = vectors.membership_proof;
  const p = big(vectors.key.p);
  const cases = [
    ["challenges", hexInt(1n << 256n), /not below 2\^256/],
    ["responses", "0", /not in Z\*_n/],
    ["responses", hexInt(n), /not in Z\*_n/],
    ["responses", hexInt(p), /not in Z\*_n/],
    ["commitments", "0", /not a valid ciphertext/],
    ["commitments", hexInt(n2), /not a valid ciphertext/],
    ["commitments", hexInt(p * 5n), /not a valid ciphertext/],
  ];
  for (const [key, value, pattern] of cases) {
    const proof = structuredClone(v.proof);
    proof[key][0] = value;
    assert.match(await membershipProblem(statement(v, proof)), pattern, `${key} = ${value.slice(0, 10)}`);
  }
  assert.match(await membershipProblem({ ...statement(v), c: 0n }), /not a valid ciphertext/);
});

test("Round trip: proofs with and without precomputation check, for every index.", async () => {
  const electionHash = "ab".repeat(32);
  for (const values of [[0, 1], [0, 1, 2, 3], [2], [1, 2]]) {
    for (let index = 0; index < values.length; index++) {
      const r = randomUnit(n);
      const c = encrypt(n, BigInt(values[index]), r);
      const context = ["sum", "cd".repeat(32), "c1"];
      const pre = precompute(n, r, values.length);
      for (const proof of [
        await prove({ n, electionHash, context, values, c, index, r, pre }),
        await prove({ n, electionHash, context, values, c, index, r }),
      ]) {
        assert.equal(await membershipProblem({ n, electionHash, context, values, c, proof }), null);
        assert.equal(proof.commitments.length, values.length);
      }
    }
  }
});

test("The precomputed commitments equal SPEC §3 step 1 computed directly.", async () => {
  const values = [0, 1, 2];
  const index = 1;
  const r = randomUnit(n);
  const c = encrypt(n, 1n, r);
  const pre = precompute(n, r, values.length);
  const proof = await prove({ n, electionHash: "00".repeat(32), context: [], values, c, index, r, pre });
  let t = 0;
  for (let j = 0; j < values.length; j++) {
    if (j === index) {
      assert.equal(big(proof.commitments[j]), modPow(pre.rho, n, n2));
      continue;
    }
    const { e, z } = pre.simulated[t++];
    const u = (c * ((1n - n * BigInt(values[j]) + n2) % n2)) % n2;
    const direct = (modPow(z, n, n2) * modPow(modInverse(u, n2), e, n2)) % n2;
    assert.equal(big(proof.commitments[j]), direct);
    assert.equal(big(proof.challenges[j]), e);
    assert.equal(big(proof.responses[j]), z);
  }
});

test("A proof for the wrong plaintext does not check.", async () => {
  const r = randomUnit(n);
  const c = encrypt(n, 1n, r);
  const args = { n, electionHash: "00".repeat(32), context: ["x"], values: [0, 1], c, r };
  const lie = await prove({ ...args, index: 0 });
  assert.equal(await checkMembership({ ...args, proof: lie }), false);
  const outside = encrypt(n, 2n, r);
  const lie2 = await prove({ ...args, c: outside, index: 1 });
  assert.equal(await checkMembership({ ...args, c: outside, proof: lie2 }), false);
});

test("A precomputation is refused for another r or k, and when used twice.", async () => {
  const r = randomUnit(n);
  const pre = precompute(n, r, 2);
  const c = encrypt(n, 0n, r);
  const args = { n, electionHash: "00".repeat(32), context: [], c, index: 0 };
  await assert.rejects(() => prove({ ...args, values: [0, 1], r: r + 1n, pre }), /another n, r or k/);
  await assert.rejects(() => prove({ ...args, values: [0, 1, 2], r, pre }), /another n, r or k/);
  await assert.rejects(() => prove({ ...args, values: [1, 0], r, pre }), /ascending/);
  await prove({ ...args, values: [0, 1], r, pre });
  await assert.rejects(() => prove({ ...args, values: [0, 1], r, pre }), /already used/);
});

// ------------------------------------------------------------ batches

/** The equations of every membership vector, one group per vector. */
async function vectorGroups() {
  const groups = [];
  for (const name of NAMES) {
    const { problem, equations } = await membershipEquations(statement(vectors[name]));
    assert.equal(problem, null, name);
    assert.equal(equations.length, vectors[name].values.length);
    groups.push(equations);
  }
  return groups;
}

test("A product of powers is the product of the single powers.", () => {
  assert.equal(productOfPowers([], n2), 1n);
  assert.equal(productOfPowers([[5n, 0n]], n2), 1n);
  const pairs = [
    [randomUnit(n), randomBits(128)],
    [randomUnit(n), randomBits(384)],
    [n2 + 3n, 17n],
    [randomUnit(n), 0n],
    [randomUnit(n), 1n],
  ];
  const expected = pairs.reduce((product, [base, exponent]) => (product * modPow(base, exponent, n2)) % n2, 1n);
  assert.equal(productOfPowers(pairs, n2), expected);
  assert.throws(() => productOfPowers([[2n, -1n]], n2), /non-negative/);
});

test("The cheap checks return the equations, or membershipProblem's problem.", async () => {
  const v = vectors.membership_proof;
  for (const [key, value] of [
    ["challenges", hexInt(1n << 256n)],
    ["responses", "0"],
    ["commitments", "0"],
    ["challenges", hexInt(big(v.proof.challenges[0]) + 1n)],
    ["responses", "0" + v.proof.responses[0]],
  ]) {
    const proof = structuredClone(v.proof);
    proof[key][0] = value;
    const found = await membershipEquations(statement(v, proof));
    assert.equal(found.equations, null);
    assert.equal(found.problem, await membershipProblem(statement(v, proof)));
    assert.notEqual(found.problem, null);
  }
  // A changed response passes every cheap check: only its equation fails.
  const proof = structuredClone(v.proof);
  proof.responses[1] = hexInt(big(proof.responses[1]) + 1n);
  const { problem, equations } = await membershipEquations(statement(v, proof));
  assert.equal(problem, null);
  assert.deepEqual(equations.map((equation) => checkEquation(n, equation)), [true, false]);
  assert.equal(await membershipProblem(statement(v, proof)), "proof: the equation of branch 1 does not hold");
});

test("A batch accepts honest equations (the minus-one vector too) and finds a wrong one.", async () => {
  const groups = await vectorGroups();
  assert.ok(groups.flat().every((equation) => checkEquation(n, equation)));
  assert.deepEqual(failingGroups(n, groups), []);
  assert.deepEqual(checkEquationGroups(n, groups), [true, true, true, true]);
  assert.deepEqual(failingGroups(n, []), []);
  for (const target of [0, 2, 3]) {
    const wrong = groups.map((group) => [...group]);
    const j = wrong[target].length - 1;
    wrong[target][j] = { ...wrong[target][j], z: (wrong[target][j].z + 1n) % n };
    assert.deepEqual(failingGroups(n, wrong), [target]);
    assert.deepEqual(
      checkEquationGroups(n, wrong),
      groups.map((_, index) => index !== target),
    );
  }
  // Two wrong groups among honest ones, and a wrong commitment or challenge.
  const wrong = [...groups, ...groups].map((group) => [...group]);
  wrong[1][0] = { ...wrong[1][0], a: (wrong[1][0].a * 2n) % n2 };
  wrong[6][0] = { ...wrong[6][0], e: wrong[6][0].e + 1n };
  assert.deepEqual(failingGroups(n, wrong), [1, 6]);
  // The unsquared minus-one equation: a −1 factor alone passes (squares).
  const minus = groups.map((group) => group.map((equation) => ({ ...equation, a: (n2 - equation.a) % n2 })));
  assert.deepEqual(failingGroups(n, minus), []);
});

test("A proof for the wrong plaintext fails in a batch.", async () => {
  const r = randomUnit(n);
  const c = encrypt(n, 1n, r);
  const args = { n, electionHash: "00".repeat(32), context: ["x"], values: [0, 1], c, r };
  const lie = await prove({ ...args, index: 0 });
  const honest = await prove({ ...args, index: 1 });
  const groups = [];
  for (const proof of [honest, lie, honest]) {
    const { problem, equations } = await membershipEquations({ ...args, proof });
    assert.equal(problem, null);
    groups.push(equations);
  }
  assert.deepEqual(failingGroups(n, groups), [1]);
  assert.deepEqual(checkEquationGroups(n, groups), [true, false, true]);
});
