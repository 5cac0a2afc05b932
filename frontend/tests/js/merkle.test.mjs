// SPEC §6 Merkle tree (RFC 9162), against the vectors.
import assert from "node:assert/strict";
import { test } from "node:test";

import { hexBytes } from "../../static/js/crypto/bigint.js";
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  leafHashOfBytes,
  nodeHash,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from "../../static/js/crypto/merkle.js";
import { bytes, vectors } from "./helpers.mjs";

const m = vectors.merkle;
const hex = (list) => list.map(hexBytes);

function flip(hash) {
  const changed = bytes(hash);
  changed[5] ^= 0x10;
  return hexBytes(changed);
}

test("Leaf hashes of the vector entries are reproduced.", async () => {
  assert.deepEqual(hex(await Promise.all(m.entries.map(leafHash))), m.leaf_hashes);
});

test("The root of every prefix size (0 to 8) is reproduced.", async () => {
  for (const [size, root] of Object.entries(m.roots)) {
    assert.equal(hexBytes(await rootHash(m.leaf_hashes.slice(0, Number(size)))), root, `size ${size}`);
  }
});

test("RFC 6962's reference leaves give RFC 6962's reference roots.", async () => {
  const leaves = await Promise.all(m.rfc6962_reference_leaves_hex.map((item) => leafHashOfBytes(bytes(item))));
  for (const [size, root] of Object.entries(m.rfc6962_reference_roots)) {
    assert.equal(hexBytes(await rootHash(leaves.slice(0, Number(size)))), root, `size ${size}`);
  }
});

test("Every inclusion case verifies, and the path is reproduced.", async () => {
  assert.equal(m.inclusion.length, 36);
  for (const item of m.inclusion) {
    const root = m.roots[item.tree_size];
    const leaf = m.leaf_hashes[item.index];
    const label = `leaf ${item.index} of ${item.tree_size}`;
    assert.ok(await verifyInclusion(leaf, item.index, item.tree_size, item.path, root), label);
    assert.deepEqual(hex(await inclusionProof(m.leaf_hashes.slice(0, item.tree_size), item.index)), item.path, label);
  }
});

test("A changed inclusion proof, leaf, index or root fails.", async () => {
  for (const item of m.inclusion) {
    const root = m.roots[item.tree_size];
    const leaf = m.leaf_hashes[item.index];
    const label = `leaf ${item.index} of ${item.tree_size}`;
    for (let k = 0; k < item.path.length; k++) {
      const path = [...item.path];
      path[k] = flip(path[k]);
      assert.equal(await verifyInclusion(leaf, item.index, item.tree_size, path, root), false, label);
    }
    assert.equal(await verifyInclusion(flip(leaf), item.index, item.tree_size, item.path, root), false, label);
    assert.equal(await verifyInclusion(leaf, item.index, item.tree_size, item.path, flip(root)), false, label);
    assert.equal(await verifyInclusion(leaf, item.index, item.tree_size, [...item.path, leaf], root), false, label);
    if (item.path.length > 0) {
      assert.equal(await verifyInclusion(leaf, item.index, item.tree_size, item.path.slice(1), root), false, label);
      assert.equal(await verifyInclusion(leaf, item.index ^ 1, item.tree_size, item.path, root), false, label);
    }
  }
  assert.equal(await verifyInclusion(m.leaf_hashes[0], 1, 1, [], m.roots[1]), false);
});

test("Every consistency case verifies, and the proof is reproduced.", async () => {
  assert.equal(m.consistency.length, 36);
  for (const item of m.consistency) {
    const label = `${item.first} → ${item.second}`;
    const [first, second] = [m.roots[item.first], m.roots[item.second]];
    assert.ok(await verifyConsistency(item.first, item.second, first, second, item.proof), label);
    assert.deepEqual(hex(await consistencyProof(m.leaf_hashes, item.first, item.second)), item.proof, label);
  }
});

test("A changed consistency proof or root fails.", async () => {
  for (const item of m.consistency) {
    const label = `${item.first} → ${item.second}`;
    const [first, second] = [m.roots[item.first], m.roots[item.second]];
    for (let k = 0; k < item.proof.length; k++) {
      const proof = [...item.proof];
      proof[k] = flip(proof[k]);
      assert.equal(await verifyConsistency(item.first, item.second, first, second, proof), false, label);
    }
    assert.equal(await verifyConsistency(item.first, item.second, flip(first), second, item.proof), false, label);
    assert.equal(await verifyConsistency(item.first, item.second, first, flip(second), item.proof), false, label);
    if (item.proof.length > 0) {
      assert.equal(await verifyConsistency(item.first, item.second, first, second, item.proof.slice(1)), false, label);
      assert.equal(await verifyConsistency(item.first, item.second, first, second, []), false, label);
    } else {
      assert.equal(await verifyConsistency(item.first, item.second, first, second, [first]), false, label);
    }
  }
  assert.equal(await verifyConsistency(3, 2, m.roots[3], m.roots[2], []), false);
  assert.ok(await verifyConsistency(0, 5, m.roots[0], m.roots[5], []));
  assert.equal(await verifyConsistency(0, 5, m.roots[1], m.roots[5], []), false);
});

test("Proofs from larger generated trees verify (sizes up to 70).", async () => {
  const leaves = await Promise.all(Array.from({ length: 70 }, (_, i) => leafHash({ i })));
  for (const size of [1, 2, 3, 16, 17, 31, 64, 70]) {
    const root = await rootHash(leaves.slice(0, size));
    for (const index of new Set([0, Math.floor(size / 2), size - 1])) {
      const path = await inclusionProof(leaves.slice(0, size), index);
      assert.ok(await verifyInclusion(leaves[index], index, size, path, root), `${index} of ${size}`);
    }
    for (const first of new Set([1, Math.ceil(size / 3), size])) {
      const proof = await consistencyProof(leaves, first, size);
      assert.ok(await verifyConsistency(first, size, await rootHash(leaves.slice(0, first)), root, proof), `${first} → ${size}`);
    }
  }
});

test("Node hashes are SHA-256(0x01 ‖ left ‖ right).", async () => {
  assert.equal(hexBytes(await nodeHash(m.leaf_hashes[0], m.leaf_hashes[1])), m.roots[2]);
});
