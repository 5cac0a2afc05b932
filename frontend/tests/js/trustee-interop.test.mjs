// The trustee console and Python's tools agree (issue #5, item 4): key files
// sealed by either side open on the other; the browser opens share boxes
// dealt by Python; its ceremony test share and its decryption shares verify
// and combine in Python; its count of a board with invalid entries is
// Python's compute_tally's.
//
// Python's side is tests/frontend/trustee_interop.py, run with the
// repository's virtual environment (.venv); without it these tests skip.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { hexBytes, hexInt } from "../../static/js/crypto/bigint.js";
import { electionHash } from "../../static/js/crypto/ballot.js";
import { cjson } from "../../static/js/crypto/cjson.js";
import { computeTally, parseBoardJsonl } from "../../static/js/crypto/counting.js";
import {
  KeyFileError,
  MIN_PBKDF2_ITERATIONS,
  keyFilePublicKey,
  openKeyFile,
  sealKeyFile,
} from "../../static/js/crypto/keyfile.js";
import { handleMessage, setPoolOptions } from "../../static/js/crypto/trustee-worker.js";
import { generateKeyPair } from "../../static/js/crypto/x25519.js";
import { spawnNodeCheckWorker } from "./check-worker-node.mjs";
import { REPO } from "./helpers.mjs";

const ROOT = fileURLToPath(REPO);
const PYTHON = fileURLToPath(new URL(".venv/bin/python", REPO));
const skip = existsSync(PYTHON) ? false : "the repository's .venv is missing";

/** Run a command of tests/frontend/trustee_interop.py on a JSON request. */
function python(command, request = {}) {
  const run = spawnSync(PYTHON, ["-m", "tests.frontend.trustee_interop", command], {
    cwd: ROOT,
    input: JSON.stringify(request),
    encoding: "utf8",
    timeout: 300_000,
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

/** Drive the worker's protocol; return every reply to one message. */
async function send(message) {
  const replies = [];
  await handleMessage(message, (reply) => replies.push(reply));
  return replies;
}

let election;
before(() => {
  if (!skip) {
    election = python("election");
  }
});

test("A key file sealed in the browser opens in Python, and the reverse.", { skip }, async () => {
  const pair = await generateKeyPair();
  const passphrase = "Қазақ тілі ✓ browser";
  const file = await sealKeyFile(pair.privateKey, passphrase);
  const parsed = JSON.parse(file);
  assert.ok(file.endsWith("}\n"));
  assert.deepEqual(Object.keys(parsed).sort(), ["ciphertext", "format", "kdf", "nonce", "public_key"]);
  assert.deepEqual(Object.keys(parsed.kdf).sort(), ["algorithm", "iterations", "salt"]);
  assert.equal(parsed.kdf.algorithm, "pbkdf2-sha256");
  assert.equal(parsed.kdf.iterations, 600000);
  assert.equal(parsed.public_key, hexBytes(pair.publicKey));
  assert.ok(!file.includes(hexBytes(pair.privateKey)));
  assert.deepEqual(python("open-key", { file, passphrase }), { private_key: hexBytes(pair.privateKey) });
  assert.deepEqual(python("open-key", { file, passphrase: "wrong" }), { error: "key_file: wrong passphrase or corrupted file" });

  const back = python("seal-key", { private_key: hexBytes(pair.privateKey), passphrase }).file;
  assert.deepEqual(keyFilePublicKey(back), pair.publicKey);
  const opened = await openKeyFile(back, passphrase);
  assert.deepEqual(opened.privateKey, pair.privateKey);
});

test("Key files are opened strictly: passphrase, tampering, weak or scrypt KDF.", async () => {
  const pair = await generateKeyPair();
  const file = await sealKeyFile(pair.privateKey, "pass phrase");
  const reject = async (text, passphrase, code, message) => {
    await assert.rejects(openKeyFile(text, passphrase), (error) => {
      assert.ok(error instanceof KeyFileError);
      assert.equal(error.code, code);
      assert.match(error.message, message);
      return true;
    });
  };
  await reject(file, "pass phrasE", "passphrase", /^key_file: wrong passphrase or corrupted file$/);
  const edit = (change) => {
    const value = JSON.parse(file);
    change(value);
    const sorted = (item) =>
      item !== null && typeof item === "object" ? Object.fromEntries(Object.keys(item).sort().map((k) => [k, sorted(item[k])])) : item;
    return `${JSON.stringify(sorted(value))}\n`;
  };
  const other = hexBytes((await generateKeyPair()).publicKey);
  await reject(edit((v) => { v.public_key = other; }), "pass phrase", "passphrase", /wrong passphrase/);
  await reject(edit((v) => { v.kdf.salt = "00".repeat(16); }), "pass phrase", "passphrase", /wrong passphrase/);
  await reject(edit((v) => { v.nonce = "00".repeat(12); }), "pass phrase", "passphrase", /wrong passphrase/);
  await reject(edit((v) => { v.kdf.iterations += 1; }), "pass phrase", "passphrase", /wrong passphrase/);
  await reject(
    edit((v) => { v.kdf.iterations = MIN_PBKDF2_ITERATIONS - 1; }),
    "pass phrase",
    "unreadable",
    /^key_file\.kdf\.iterations: PBKDF2 needs 600000…10000000 iterations$/,
  );
  await reject(edit((v) => { v.extra = 1; }), "pass phrase", "unreadable", /unknown key\(s\): extra/);
  await reject(edit((v) => { v.kdf.extra = 1; }), "pass phrase", "unreadable", /key_file\.kdf: unknown key\(s\): extra/);
  await reject(edit((v) => { v.format = "dauys-trustee-share/1"; }), "pass phrase", "unreadable", /format/);
  await reject(edit((v) => { v.kdf.algorithm = "argon2"; }), "pass phrase", "unreadable", /expected "pbkdf2-sha256"/);
  await reject(
    edit((v) => { v.kdf = { algorithm: "scrypt", salt: "00".repeat(16), n: 32768, r: 8, p: 1 }; }),
    "pass phrase",
    "scrypt",
    /command-line tool/,
  );
  await reject(file.replace(",", ", "), "pass phrase", "unreadable", /not canonical JSON/);
  await reject("", "pass phrase", "unreadable", /not JSON/);
  await assert.rejects(sealKeyFile(pair.privateKey, ""), /must not be empty/);
  await assert.rejects(sealKeyFile(pair.privateKey, "x", { iterations: 1000 }), /PBKDF2 needs/);
});

test("The browser counts a board with invalid entries as Python does.", { skip }, async () => {
  const manifest = JSON.parse(election.manifest_text);
  const counting = await computeTally(manifest, parseBoardJsonl(election.board_text));
  assert.equal(counting.electionHash, election.election_hash);
  assert.deepEqual(
    counting.verdicts.map((v) => [v.seq, v.type, v.reason]),
    election.python.verdicts,
  );
  const reasons = counting.verdicts.map((v) => v.reason);
  for (const reason of ["replay", "bad-signature", "audited"]) {
    assert.ok(reasons.includes(reason), reason);
  }
  assert.deepEqual(counting.counted, election.python.counted);
  assert.deepEqual(Object.fromEntries([...counting.superseded].map(([k, v]) => [String(k), v])), election.python.superseded);
  assert.deepEqual(
    counting.aggregates.flatMap((c) => c.options.map((o) => [c.contest_id, o.option_id, hexInt(o.aggregate)])),
    election.python.aggregates,
  );
});

test("The worker opens Python's key file and share box, and its test share checks in Python.", { skip }, async () => {
  const { trustee, public: pub } = election;
  const vk = pub.trustees.verification_keys[trustee.index - 1].vk;
  const open = {
    type: "open",
    keyFile: trustee.key_file,
    passphrase: trustee.passphrase,
    box: trustee.box,
    index: trustee.index,
    n: pub.public_key.n,
    count: pub.trustees.count,
    v: pub.trustees.v,
    vk,
  };
  assert.deepEqual((await send({ ...open, passphrase: "nope" })).map((r) => [r.type, r.code]), [["error", "keyfile-passphrase"]]);
  assert.deepEqual((await send({ ...open, index: 2 })).map((r) => [r.type, r.code]), [["error", "box-index"]]);
  const otherVk = pub.trustees.verification_keys[1].vk;
  assert.deepEqual((await send({ ...open, vk: otherVk })).map((r) => [r.type, r.code]), [["error", "share-mismatch"]]);
  const [opened] = await send(open);
  assert.equal(opened.type, "opened", opened.message);
  assert.equal(opened.index, 1);

  const answers = async (message) => (await send(message)).filter((r) => r.type !== "progress");
  const changed = structuredClone(pub);
  changed.ceremony_test.plaintext += 1;
  assert.deepEqual((await answers({ type: "selftest", public: changed })).map((r) => r.code), ["test-opening"]);
  // A key whose proof does not check is refused before the share is used.
  const badProof = structuredClone(pub);
  badProof.public_key.key_proof.rounds[5].a ^= 1;
  const refused = await answers({ type: "selftest", public: badProof });
  assert.deepEqual(refused.map((r) => [r.code, r.field]), [["key-proof", "public.public_key.key_proof.rounds[5].x"]]);
  const forged = structuredClone(pub);
  forged.trustees.v = pub.trustees.verification_keys[0].vk;
  assert.deepEqual((await send({ type: "selftest", public: forged })).map((r) => r.code), ["bad-public"]);
  const selftest = await send({ type: "selftest", public: pub });
  const made = selftest.at(-1);
  assert.equal(made.type, "test-share", made.message);
  // Every round of the key proof is checked first, and reported.
  assert.deepEqual(
    selftest.slice(0, -1).map((r) => [r.stage, r.done]),
    Array.from({ length: 128 }, (_, i) => ["key-proof", i + 1]),
  );
  assert.deepEqual(Object.keys(made.share).sort(), ["index", "proof", "share"]);
  const checked = python("check-test-share", { public: pub, share: made.share, s_2: election.s_2 });
  assert.equal(checked.ok, true, checked.error);
});

test("The worker's decryption shares are the trustee tool's file and combine in Python.", { skip }, async () => {
  const wrongHash = await send({ type: "count", manifestText: election.manifest_text, boardText: election.board_text, electionHash: "00".repeat(32) });
  assert.deepEqual(wrongHash.map((r) => r.code), ["hash-mismatch"]);
  // A manifest whose key proof does not check is refused, whatever its hash.
  const forged = JSON.parse(election.manifest_text);
  forged.public_key.key_proof.rounds[0].b ^= 1;
  const forgedReplies = await send({
    type: "count",
    manifestText: cjson(forged),
    boardText: election.board_text,
    electionHash: await electionHash(forged),
  });
  assert.deepEqual(
    forgedReplies.filter((r) => r.type !== "progress").map((r) => [r.code, r.field]),
    [["key-proof", "manifest.public_key.key_proof.rounds[0].x"]],
  );
  const lines = election.board_text.split("\n");
  const open = await send({
    type: "count",
    manifestText: election.manifest_text,
    boardText: `${lines.slice(0, -2).join("\n")}\n`,
    electionHash: election.election_hash,
  });
  assert.deepEqual(
    open.filter((r) => r.type !== "progress").map((r) => [r.code, r.message]),
    [["board", "the board has no close entry"]],
  );
  assert.deepEqual((await send({ type: "decrypt" })).map((r) => r.code), ["not-counted"]);

  // The entries checked in two helper threads (check-pool.js), as in a browser.
  setPoolOptions({ size: 2, spawn: () => spawnNodeCheckWorker() });
  let replies;
  try {
    replies = await send({ type: "count", manifestText: election.manifest_text, boardText: election.board_text, electionHash: election.election_hash });
  } finally {
    setPoolOptions({});
  }
  const counted = replies.at(-1);
  assert.equal(counted.type, "counted", counted.message);
  assert.deepEqual(counted.counted, election.python.counted);
  assert.deepEqual(counted.board, election.python.board);
  assert.deepEqual(counted.invalidCasts, { 2: "replay", 3: "bad-signature", 5: "audited" });
  assert.deepEqual(counted.superseded, election.python.superseded);
  const stages = replies.slice(0, -1).map((r) => r.type === "progress" && r.stage);
  assert.deepEqual(stages.slice(0, 128), Array(128).fill("key-proof"));
  assert.ok(stages.slice(128).length > 0 && stages.slice(128).every((stage) => stage === "classify"));
  assert.deepEqual(replies.at(-2).done, replies.at(-2).total);

  const decrypted = await send({ type: "decrypt" });
  const result = decrypted.at(-1);
  assert.equal(result.type, "shares", result.message);
  assert.deepEqual(
    decrypted.slice(0, -1).map((r) => [r.stage, r.done, r.total]),
    [1, 2, 3, 4, 5].map((done) => ["decrypt", done, 5]),
  );
  const checked = python("check-shares", {
    manifest_text: election.manifest_text,
    board_text: election.board_text,
    s_2: election.s_2,
    text: result.file,
  });
  assert.equal(checked.ok, true, checked.error);
  assert.equal(checked.canonical, true);
  assert.deepEqual(checked.indices, [1, 2]);
  assert.deepEqual(checked.results, checked.expected);
});
