// Benchmark (not a test): time to precompute and to finish a ballot with
// one contest of 5 options (min 0, max 1) at a 2048-bit key.
//
//   node frontend/tests/js/bench-ballot.mjs [rounds]
//
// No key can be generated here, and encryption needs only n: n is the
// product of two random odd 1024-bit numbers, FOR TIMING ONLY (it is not a
// Paillier key; nothing here can be decrypted).
import { performance } from "node:perf_hooks";

import { hexInt, modPow, randomBits, randomUnit } from "../../static/js/crypto/bigint.js";
import { checkBallot, electionHash, encryptBallot, precomputationSteps, precomputeBallot } from "../../static/js/crypto/ballot.js";
import { credentialFromCode } from "../../static/js/crypto/credentials.js";

const rounds = Number(process.argv[2] ?? 5);
const odd1024 = () => randomBits(1024) | 1n | (1n << 1023n);
const n = odd1024() * odd1024();
const { seed, publicKey } = await credentialFromCode("ABCDE-FGHIJ-KLMNO-PQRS2", "bench-election");
const credential = Buffer.from(publicKey).toString("hex");

const manifest = {
  protocol: "evote-paillier/1",
  election_id: "bench-election",
  title: "Benchmark",
  description: "timing only",
  voting_starts: "2027-03-01T06:00:00Z",
  voting_ends: "2027-03-08T18:00:00Z",
  contests: [
    {
      contest_id: "c1",
      title: "Five options",
      min_selections: 0,
      max_selections: 1,
      options: ["o1", "o2", "o3", "o4", "o5"].map((id) => ({ option_id: id, title: id })),
    },
  ],
  public_key: { n: hexInt(n), key_proof: { w: "2", rounds: [] } },
  trustees: { threshold: 1, count: 1, v: "4", verification_keys: [] },
  board_public_key: credential,
  credentials: [credential],
};
const hash = await electionHash(manifest);
const choices = { c1: [0, 0, 1, 0, 0] };

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const time = async (fn) => {
  const start = performance.now();
  const value = await fn();
  return [performance.now() - start, value];
};

// Warm up the JIT.
await encryptBallot(manifest, hash, seed, choices, await precomputeBallot(manifest));

const single = [];
const pre = [];
const finish = [];
const cold = [];
const check = [];
for (let i = 0; i < rounds; i++) {
  const base = randomUnit(n);
  single.push((await time(() => modPow(base, n, n * n)))[0]);
  const [tPre, p] = await time(() => precomputeBallot(manifest));
  pre.push(tPre);
  const [tFinish, result] = await time(() => encryptBallot(manifest, hash, seed, choices, p));
  finish.push(tFinish);
  cold.push((await time(() => encryptBallot(manifest, hash, seed, choices)))[0]);
  const [tCheck, verdict] = await time(() => checkBallot(manifest, result.ballot, { electionHash: hash }));
  if (verdict.reason !== null) {
    throw new Error(`benchmark ballot does not check: ${verdict.detail}`);
  }
  check.push(tCheck);
}

const ms = (x) => `${x.toFixed(1)} ms`;
console.log(`node ${process.version}, ${process.arch}; n: ${n.toString(2).length} bits (timing only); ${rounds} rounds, medians`);
console.log(`one r^n mod n² (2048-bit exponent, 4096-bit modulus): ${ms(median(single))}`);
console.log(`precompute (before the choice; ${precomputationSteps(manifest)} exponentiations by n): ${ms(median(pre))}`);
console.log(`finish after the voter confirms (encrypt + 6 proofs + sign): ${ms(median(finish))}`);
console.log(`encrypt without precomputation: ${ms(median(cold))}`);
console.log(`check the ballot (verifier side, 6 proofs + signature): ${ms(median(check))}`);
