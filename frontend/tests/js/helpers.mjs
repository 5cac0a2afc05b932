// Shared test helpers: the known-answer vectors and a tiny ZIP reader.
//
// The vectors live outside the repository, at <repo>/../shared/vectors/,
// written by an independent implementation of SPEC.md.

import { readFileSync } from "node:fs";
import { inflateRawSync } from "node:zlib";
import { fileURLToPath } from "node:url";

/** The repository root: three levels up from frontend/tests/js/. */
export const REPO = new URL("../../../", import.meta.url);
/** The shared vectors folder. */
export const VECTORS_DIR = new URL("../shared/vectors/", REPO);

/** Read a file of the vectors folder as text. */
export function readVectorFile(name) {
  return readFileSync(fileURLToPath(new URL(name, VECTORS_DIR)), "utf8");
}

/** vectors.json, parsed. */
export const vectors = JSON.parse(readVectorFile("vectors.json"));

/** Hex to BigInt (vectors are canonical). */
export const big = (hex) => BigInt("0x" + hex);

/** Hex to bytes. */
export const bytes = (hex) => Uint8Array.from(Buffer.from(hex, "hex"));

/**
 * Read the members of a ZIP file (stored or deflated) as a Map name → Buffer,
 * from its central directory. Enough for the sample record.
 */
export function readZip(name) {
  const data = readFileSync(fileURLToPath(new URL(name, VECTORS_DIR)));
  let end = data.length - 22;
  while (end >= 0 && data.readUInt32LE(end) !== 0x06054b50) {
    end -= 1;
  }
  if (end < 0) {
    throw new Error("not a ZIP file");
  }
  const count = data.readUInt16LE(end + 10);
  let offset = data.readUInt32LE(end + 16);
  const members = new Map();
  for (let i = 0; i < count; i++) {
    if (data.readUInt32LE(offset) !== 0x02014b50) {
      throw new Error("bad central directory");
    }
    const method = data.readUInt16LE(offset + 10);
    const compressedSize = data.readUInt32LE(offset + 20);
    const nameLength = data.readUInt16LE(offset + 28);
    const extraLength = data.readUInt16LE(offset + 30);
    const commentLength = data.readUInt16LE(offset + 32);
    const local = data.readUInt32LE(offset + 42);
    const memberName = data.toString("utf8", offset + 46, offset + 46 + nameLength);
    const start = local + 30 + data.readUInt16LE(local + 26) + data.readUInt16LE(local + 28);
    const raw = data.subarray(start, start + compressedSize);
    members.set(memberName, method === 0 ? raw : inflateRawSync(raw));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return members;
}
