// SPEC §6 bulletin board tree: RFC 9162 Merkle Tree Hash, inclusion and
// consistency proofs, over leaves SHA-256(0x00 ‖ cjson(entry)) and inner
// nodes SHA-256(0x01 ‖ left ‖ right); the empty tree hashes to SHA-256("").
//
// Hashes are Uint8Array(32); every function also accepts them as 64 lowercase
// hex digits (as receipts and heads carry them). Tree sizes and indices are
// JavaScript numbers (safe integers).

import { parseHexBytes } from "./bigint.js";
import { cjsonBytes } from "./cjson.js";
import { sha256 } from "./hash.js";

function asHash(value, field = "hash") {
  if (value instanceof Uint8Array) {
    if (value.length !== 32) {
      throw new TypeError(`${field}: expected 32 bytes`);
    }
    return value;
  }
  return parseHexBytes(value, field, 32);
}

function equal(a, b) {
  if (a.length !== b.length) {
    return false;
  }
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    diff |= a[i] ^ b[i];
  }
  return diff === 0;
}

const isOdd = (x) => x % 2 === 1;
const half = (x) => Math.floor(x / 2);

function isPowerOfTwo(x) {
  while (x > 1 && !isOdd(x)) {
    x = half(x);
  }
  return x === 1;
}

function checkSize(value, name) {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer`);
  }
}

/** Largest power of two strictly below `n` (n ≥ 2). */
function split(n) {
  let k = 1;
  while (k * 2 < n) {
    k *= 2;
  }
  return k;
}

/**
 * RFC 9162 leaf hash of raw data: `SHA-256(0x00 ‖ data)`.
 * @param {Uint8Array} data
 * @returns {Promise<Uint8Array>}
 */
export async function leafHashOfBytes(data) {
  const buffer = new Uint8Array(data.length + 1);
  buffer[0] = 0x00;
  buffer.set(data, 1);
  return sha256(buffer);
}

/**
 * SPEC §6 leaf hash of a board entry: `SHA-256(0x00 ‖ cjson(entry))`.
 * @param {object} entry A board entry `{seq, type, received_at, payload}`.
 * @returns {Promise<Uint8Array>}
 */
export function leafHash(entry) {
  return leafHashOfBytes(cjsonBytes(entry));
}

/**
 * RFC 9162 inner node hash: `SHA-256(0x01 ‖ left ‖ right)`.
 * @param {Uint8Array | string} left
 * @param {Uint8Array | string} right
 * @returns {Promise<Uint8Array>}
 */
export async function nodeHash(left, right) {
  const buffer = new Uint8Array(65);
  buffer[0] = 0x01;
  buffer.set(asHash(left, "left"), 1);
  buffer.set(asHash(right, "right"), 33);
  return sha256(buffer);
}

/**
 * RFC 9162 §2.1.1 Merkle Tree Hash of a list of leaf hashes.
 * @param {(Uint8Array | string)[]} leafHashes
 * @returns {Promise<Uint8Array>} `SHA-256("")` for no leaves.
 */
export async function rootHash(leafHashes) {
  if (leafHashes.length === 0) {
    return sha256(new Uint8Array(0));
  }
  // Pairing level by level, and carrying an odd last node up unchanged,
  // builds the same left-balanced tree as RFC 9162's recursive definition.
  let level = leafHashes.map((hash, index) => asHash(hash, `leaf ${index}`));
  while (level.length > 1) {
    const pairs = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      pairs.push(nodeHash(level[i], level[i + 1]));
    }
    const next = await Promise.all(pairs);
    if (isOdd(level.length)) {
      next.push(level[level.length - 1]);
    }
    level = next;
  }
  return level[0];
}

/**
 * RFC 9162 §2.1.3.1 inclusion proof `PATH(index, D[n])` from all leaf hashes.
 * @param {(Uint8Array | string)[]} leafHashes The `n` leaf hashes.
 * @param {number} index The leaf, `0 ≤ index < n`.
 * @returns {Promise<Uint8Array[]>}
 */
export async function inclusionProof(leafHashes, index) {
  checkSize(index, "index");
  if (index >= leafHashes.length) {
    throw new RangeError("index outside the tree");
  }
  const path = [];
  let leaves = leafHashes;
  let m = index;
  while (leaves.length > 1) {
    const k = split(leaves.length);
    if (m < k) {
      path.push(await rootHash(leaves.slice(k)));
      leaves = leaves.slice(0, k);
    } else {
      path.push(await rootHash(leaves.slice(0, k)));
      leaves = leaves.slice(k);
      m -= k;
    }
  }
  return path.reverse();
}

/**
 * RFC 9162 §2.1.4.1 consistency proof `PROOF(first, D[second])`.
 * @param {(Uint8Array | string)[]} leafHashes At least `second` leaf hashes.
 * @param {number} first The older tree size, `0 < first ≤ second`.
 * @param {number} second The newer tree size.
 * @returns {Promise<Uint8Array[]>}
 */
export async function consistencyProof(leafHashes, first, second) {
  checkSize(first, "first");
  checkSize(second, "second");
  if (first < 1 || first > second || second > leafHashes.length) {
    throw new RangeError("need 0 < first ≤ second ≤ number of leaves");
  }
  const subproof = async (m, leaves, complete) => {
    const n = leaves.length;
    if (m === n) {
      return complete ? [] : [await rootHash(leaves)];
    }
    const k = split(n);
    if (m <= k) {
      return [...(await subproof(m, leaves.slice(0, k), complete)), await rootHash(leaves.slice(k))];
    }
    return [...(await subproof(m - k, leaves.slice(k), false)), await rootHash(leaves.slice(0, k))];
  };
  return subproof(first, leafHashes.slice(0, second), true);
}

/**
 * RFC 9162 §2.1.3.2: verify that `leaf` is leaf `index` of the tree of
 * `treeSize` leaves with root `root`.
 * @param {Uint8Array | string} leaf The leaf hash.
 * @param {number} index
 * @param {number} treeSize
 * @param {(Uint8Array | string)[]} path The audit path.
 * @param {Uint8Array | string} root
 * @returns {Promise<boolean>}
 */
export async function verifyInclusion(leaf, index, treeSize, path, root) {
  checkSize(index, "index");
  checkSize(treeSize, "treeSize");
  if (index >= treeSize || !Array.isArray(path)) {
    return false;
  }
  let fn = index;
  let sn = treeSize - 1;
  let r = asHash(leaf, "leaf");
  for (const [position, item] of path.entries()) {
    const p = asHash(item, `path[${position}]`);
    if (sn === 0) {
      return false;
    }
    if (isOdd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equal(r, asHash(root, "root"));
}

/**
 * RFC 9162 §2.1.4.2: verify that the tree of `first` leaves with root
 * `firstRoot` is a prefix of the tree of `second` leaves with `secondRoot`.
 * (Any tree extends the empty one: with `first = 0` the proof must be empty
 * and `firstRoot` the empty tree's hash.)
 * @param {number} first
 * @param {number} second
 * @param {Uint8Array | string} firstRoot
 * @param {Uint8Array | string} secondRoot
 * @param {(Uint8Array | string)[]} proof
 * @returns {Promise<boolean>}
 */
export async function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  checkSize(first, "first");
  checkSize(second, "second");
  if (first > second || !Array.isArray(proof)) {
    return false;
  }
  const firstHash = asHash(firstRoot, "firstRoot");
  const secondHash = asHash(secondRoot, "secondRoot");
  const path = proof.map((item, position) => asHash(item, `proof[${position}]`));
  if (first === 0) {
    return path.length === 0 && equal(firstHash, await rootHash([]));
  }
  if (first === second) {
    return path.length === 0 && equal(firstHash, secondHash);
  }
  if (path.length === 0) {
    return false;
  }
  // A first tree whose size is a power of two is a complete subtree: its
  // root is the first node of the path.
  if (isPowerOfTwo(first)) {
    path.unshift(firstHash);
  }
  let fn = first - 1;
  let sn = second - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) {
      return false;
    }
    if (isOdd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return equal(fr, firstHash) && equal(sr, secondHash) && sn === 0;
}
