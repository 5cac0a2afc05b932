// SPEC §1 encodings and the modular arithmetic of bigint.js; §2.1 encryption.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  bigIntToBytes,
  bitLength,
  bytesToBigInt,
  gcd,
  hexBytes,
  hexInt,
  modInverse,
  modPow,
  parseHexBytes,
  parseHexInt,
  randomBelow,
  randomBits,
  randomUnit,
} from "../../static/js/crypto/bigint.js";
import { EncodingError, StructureError } from "../../static/js/crypto/errors.js";
import { encrypt, encryptWithFactor, isUnit, isValidCiphertext } from "../../static/js/crypto/paillier.js";
import { big, vectors } from "./helpers.mjs";

function naivePow(base, exponent, modulus) {
  let result = 1n % modulus;
  for (let i = 0n; i < exponent; i++) {
    result = (result * base) % modulus;
  }
  return result;
}

test("Canonical big-integer hex is accepted and read.", () => {
  assert.equal(parseHexInt("0"), 0n);
  assert.equal(parseHexInt("1"), 1n);
  assert.equal(parseHexInt("ff"), 255n);
  assert.equal(parseHexInt("10000000000000000000000000000000000000000"), 1n << 160n);
});

test("Every other spelling of a big integer is an encoding error.", () => {
  for (const text of ["", "00", "0ff", "FF", "Ff", "0x1", "-1", "+1", " 1", "1 ", "1\n", "g", "１"]) {
    assert.throws(() => parseHexInt(text, "x"), EncodingError, JSON.stringify(text));
  }
  assert.throws(() => parseHexInt(5, "x"), StructureError);
  assert.throws(() => parseHexInt(null, "x"), /x: expected a hex string/);
});

test("hexInt writes SPEC §1 hex and refuses negatives.", () => {
  assert.equal(hexInt(0n), "0");
  assert.equal(hexInt(4096n), "1000");
  assert.throws(() => hexInt(-1n), TypeError);
  assert.throws(() => hexInt(1), TypeError);
});

test("Byte strings keep two digits per byte; other spellings are rejected.", () => {
  assert.deepEqual(parseHexBytes("00ff10"), Uint8Array.from([0, 255, 16]));
  assert.equal(hexBytes(Uint8Array.from([0, 1, 171])), "0001ab");
  assert.equal(hexBytes(new Uint8Array(0)), "");
  assert.throws(() => parseHexBytes("0", "b"), EncodingError);
  assert.throws(() => parseHexBytes("AB", "b"), EncodingError);
  assert.throws(() => parseHexBytes("abcd", "b", 3), /b: expected 3 bytes, got 2/);
  assert.throws(() => parseHexBytes("abcd", "b", 3), StructureError);
});

test("Bytes and integers convert big-endian.", () => {
  assert.equal(bytesToBigInt(Uint8Array.from([1, 0])), 256n);
  assert.equal(bytesToBigInt(new Uint8Array(0)), 0n);
  assert.deepEqual(bigIntToBytes(256n, 3), Uint8Array.from([0, 1, 0]));
  assert.throws(() => bigIntToBytes(1n << 24n, 3), RangeError);
  assert.equal(bitLength(0n), 0);
  assert.equal(bitLength(255n), 8);
  assert.equal(bitLength(256n), 9);
});

test("modPow agrees with repeated multiplication on small values.", () => {
  for (const m of [1n, 2n, 7n, 97n, 1000003n]) {
    for (const b of [0n, 1n, 2n, 5n, 123456n]) {
      for (const e of [0n, 1n, 2n, 3n, 17n, 64n, 255n]) {
        assert.equal(modPow(b, e, m), naivePow(b % m, e, m), `${b}^${e} mod ${m}`);
      }
    }
  }
  assert.equal(modPow(-2n, 3n, 7n), 6n);
});

test("modPow satisfies exponent laws at 2048/4096 bits.", () => {
  const n = randomBits(2048) | 1n | (1n << 2047n);
  const n2 = n * n;
  const a = randomBelow(n2);
  const x = randomBits(2048);
  const y = randomBits(300);
  assert.equal(modPow(a, x + y, n2), (modPow(a, x, n2) * modPow(a, y, n2)) % n2);
  assert.equal(modPow(modPow(a, 3n, n2), y, n2), modPow(a, 3n * y, n2));
});

test("A negative exponent goes through the inverse.", () => {
  const m = 1000003n;
  assert.equal((modPow(5n, -7n, m) * modPow(5n, 7n, m)) % m, 1n);
});

test("modInverse inverts units and refuses non-units.", () => {
  const m = (1n << 127n) - 1n;
  const a = randomBelow(m - 1n) + 1n;
  assert.equal((a * modInverse(a, m)) % m, 1n);
  assert.equal(modInverse(-3n, 7n), 2n);
  assert.throws(() => modInverse(6n, 9n), RangeError);
  assert.equal(gcd(12n, 18n), 6n);
  assert.equal(gcd(0n, 5n), 5n);
  assert.equal(gcd(-4n, 6n), 2n);
});

test("Random integers stay in range and cover it evenly.", () => {
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 6000; i++) {
    const x = randomBelow(6n);
    assert.ok(x >= 0n && x < 6n);
    counts[Number(x)] += 1;
  }
  for (const count of counts) {
    assert.ok(count > 800 && count < 1200, `counts ${counts}`);
  }
  for (let i = 0; i < 200; i++) {
    assert.ok(randomBits(13) < 1n << 13n);
  }
  const n = 3n * 5n * 7n * 11n;
  for (let i = 0; i < 200; i++) {
    const r = randomUnit(n);
    assert.ok(r >= 1n && r < n && gcd(r, n) === 1n);
  }
  assert.equal(randomBelow(1n), 0n);
});

test("Encryptions reproduce the vectors (SPEC §2.1).", () => {
  const n = big(vectors.key.n);
  assert.ok(vectors.encryptions.length >= 1);
  for (const item of vectors.encryptions) {
    assert.equal(encrypt(n, big(item.m), big(item.r)), big(item.c));
    assert.equal(encryptWithFactor(n, big(item.m), modPow(big(item.r), n, n * n)), big(item.c));
    assert.ok(isValidCiphertext(n, big(item.c)));
  }
});

test("Valid ciphertexts and units are recognised.", () => {
  const n = big(vectors.key.n);
  const p = big(vectors.key.p);
  assert.ok(!isValidCiphertext(n, 0n));
  assert.ok(!isValidCiphertext(n, n * n));
  assert.ok(!isValidCiphertext(n, p));
  assert.ok(isValidCiphertext(n, 1n));
  assert.ok(!isUnit(n, 0n));
  assert.ok(!isUnit(n, n));
  assert.ok(!isUnit(n, p));
  assert.throws(() => encrypt(n, 0n, p), RangeError);
  assert.throws(() => encrypt(n, n, 1n), RangeError);
});
