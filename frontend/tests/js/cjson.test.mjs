// SPEC §1 canonical JSON and hashing, against the vectors.
import assert from "node:assert/strict";
import { test } from "node:test";

import { hexBytes } from "../../static/js/crypto/bigint.js";
import { cjson, cjsonBytes, compareCodePoints, parseCanonical } from "../../static/js/crypto/cjson.js";
import { EncodingError } from "../../static/js/crypto/errors.js";
import { H, Hhex, Hint, sha256 } from "../../static/js/crypto/hash.js";
import { vectors } from "./helpers.mjs";

test("Canonical JSON reproduces every vector byte for byte.", () => {
  for (const item of vectors.canonical_json.values) {
    assert.equal(cjson(item.value), item.cjson);
    assert.equal(hexBytes(cjsonBytes(item.value)), item.cjson_utf8_hex);
  }
});

test("Keys sort by code point, as Python does, not by UTF-16 unit.", () => {
  assert.equal(cjson({ "😀": 1, "｡": 2, a: 3 }), '{"a":3,"｡":2,"😀":1}');
  assert.ok(compareCodePoints("｡", "😀") < 0);
  assert.ok(compareCodePoints("a", "ab") < 0);
  assert.equal(compareCodePoints("é", "é"), 0);
});

test("Strings are escaped as Python escapes them with ensure_ascii=False.", () => {
  assert.equal(cjson("\u0000\u001f\u007f\u2028\u2029\b\f\n\r\t\"\\/"), '"\\u0000\\u001f\u007f\u2028\u2029\\b\\f\\n\\r\\t\\"\\\\/"');
  assert.equal(cjson("\u000b"), '"\\u000b"');
});

test("Values canonical JSON cannot hold are refused.", () => {
  for (const value of [1.5, -1, 2 ** 53, NaN, Infinity, 10n, undefined, () => 1, new Date(0), new Uint8Array(1)]) {
    assert.throws(() => cjson([value]), EncodingError, String(value));
  }
  assert.throws(() => cjson(["\ud800"]), /lone surrogate/);
  assert.throws(() => cjson({ "\udc00": 1 }), /lone surrogate/);
  assert.equal(cjson([9007199254740991, 0, true, false, null]), "[9007199254740991,0,true,false,null]");
  assert.equal(cjson({}), "{}");
  assert.equal(cjson([]), "[]");
});

test("The strict parser rejects every vector the spec's parser must reject.", () => {
  for (const item of vectors.canonical_json.parser_must_reject) {
    assert.throws(() => parseCanonical(item.json), EncodingError, item.why);
  }
  for (const text of ['{"b":1,"a":2}', '{"a": 1}', "[1,2] ", '"\\u0041"', '["\\u001F"]']) {
    assert.throws(() => parseCanonical(text), EncodingError, text);
  }
  for (const item of vectors.canonical_json.values) {
    assert.deepEqual(parseCanonical(item.cjson), item.value);
  }
});

test("H and Hint reproduce the vector digest.", async () => {
  const item = vectors.canonical_json.values[1];
  assert.equal(hexBytes(await H(item.value)), item.H);
  assert.equal(await Hhex(item.value), item.H);
  assert.equal(await Hint(item.value), BigInt("0x" + item.Hint_hex));
  assert.equal(hexBytes(await sha256(new Uint8Array(0))), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  await assert.rejects(() => H({ a: 1 }), TypeError);
});

test("Hint keeps leading zero bits: it is the digest read big-endian.", async () => {
  // Search a tag whose digest starts with a zero byte; Hint must be < 2^248.
  for (let i = 0; ; i++) {
    const digest = await H(["evote-paillier/1/test", i]);
    if (digest[0] === 0) {
      assert.ok((await Hint(["evote-paillier/1/test", i])) < 1n << 248n);
      break;
    }
  }
});

test("The key hash of the vector key is reproduced from its parts (SPEC §2.2).", async () => {
  const key = vectors.key;
  const parts = [
    "evote-paillier/1/key",
    key.n,
    key.threshold,
    key.count,
    key.v,
    ["1", "2", "3"].map((index) => key.verification_keys[index]),
  ];
  assert.equal(cjson(parts), key.key_hash_input_cjson);
  assert.equal(await Hhex(parts), key.key_hash);
});
