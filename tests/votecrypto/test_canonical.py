"""SPEC §1: canonical JSON, strict parsing, hashing and scalar encodings."""

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from votecrypto.canonical import (
    H,
    Hint,
    cjson,
    expect_int,
    expect_list,
    expect_object,
    format_time,
    hex_bytes,
    hex_int,
    parse_canonical,
    parse_hex_bytes,
    parse_hex_int,
    parse_identifier,
    parse_json,
    parse_time,
)
from votecrypto.errors import EncodingError, JsonSyntaxError, StructureError


def test_cjson_matches_independent_bytes(vectors: dict[str, Any]) -> None:
    """cjson reproduces every canonical-JSON vector byte for byte."""
    for case in vectors["canonical_json"]["values"]:
        assert cjson(case["value"]).hex() == case["cjson_utf8_hex"]
        assert cjson(case["value"]).decode() == case["cjson"]


def test_hash_matches_vector(vectors: dict[str, Any]) -> None:
    """H and Hint of the tagged example array match the vector."""
    case = vectors["canonical_json"]["values"][1]
    assert H(case["value"]).hex() == case["H"]
    assert Hint(case["value"]) == int(case["Hint_hex"], 16)


def test_hash_requires_domain_tag() -> None:
    """A hash input must start with a domain-tag string."""
    with pytest.raises(ValueError, match="domain tag"):
        H([1, 2])


def test_parser_rejects_every_listed_input(vectors: dict[str, Any]) -> None:
    """Duplicates, floats, exponents, NaN, BOM, big/negative ints, surrogates."""
    for case in vectors["canonical_json"]["parser_must_reject"]:
        with pytest.raises(JsonSyntaxError):
            parse_json(case["json"].encode("utf-8"))


def test_parser_rejects_invalid_utf8_and_garbage() -> None:
    """Bytes that are not UTF-8 JSON are refused with a JsonSyntaxError."""
    with pytest.raises(JsonSyntaxError, match="UTF-8"):
        parse_json(b'["\xff"]')
    with pytest.raises(JsonSyntaxError, match="not valid JSON"):
        parse_json(b"{")


def test_parser_accepts_limits() -> None:
    """0 and 2^53 − 1 are the smallest and largest accepted integers."""
    assert parse_json(b"[0,9007199254740991]") == [0, 9007199254740991]


def test_parse_canonical_rejects_other_spellings() -> None:
    """Whitespace or unsorted keys make a document non-canonical."""
    assert parse_canonical(b'{"a":1,"b":2}') == {"a": 1, "b": 2}
    with pytest.raises(EncodingError, match="canonical"):
        parse_canonical(b'{"b":2,"a":1}')
    with pytest.raises(EncodingError, match="canonical"):
        parse_canonical(b'{"a": 1}')


@settings(max_examples=50)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers(0, 2**53 - 1) | st.text(),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.text(max_size=5), inner, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_cjson_round_trips(value: Any) -> None:
    """Any value the protocol allows parses back from its canonical bytes."""
    assert parse_canonical(cjson(value)) == value


def test_hex_int_is_canonical() -> None:
    """Big integers are lowercase hex without leading zeros, "0" for zero."""
    assert hex_int(0) == "0"
    assert hex_int(255) == "ff"
    assert parse_hex_int("ff", "x") == 255
    assert parse_hex_int("0", "x") == 0
    with pytest.raises(ValueError, match="non-negative"):
        hex_int(-1)


@pytest.mark.parametrize(
    "spelling", ["FF", "0ff", "00", "0x1f", "-1", " 1", "1 ", "", "g"]
)
def test_hex_int_rejects_other_spellings(spelling: str) -> None:
    """Every non-canonical spelling of a big integer is an encoding error."""
    with pytest.raises(EncodingError) as info:
        parse_hex_int(spelling, "contests[0].ciphertext")
    assert info.value.field == "contests[0].ciphertext"


def test_hex_int_rejects_non_strings() -> None:
    """A number where a hex string belongs is a structure error."""
    with pytest.raises(StructureError, match="expected a hex string"):
        parse_hex_int(255, "n")


def test_hex_bytes_keeps_leading_zeros() -> None:
    """Byte strings keep two digits per byte and may check their length."""
    assert hex_bytes(b"\x00\x0a") == "000a"
    assert parse_hex_bytes("000a", "k") == b"\x00\x0a"
    with pytest.raises(EncodingError):
        parse_hex_bytes("00A", "k")
    with pytest.raises(EncodingError):
        parse_hex_bytes("0A", "k")
    with pytest.raises(StructureError, match="expected 32 bytes, got 2"):
        parse_hex_bytes("000a", "k", length=32)


def test_times_parse_and_format() -> None:
    """Protocol times are exact UTC instants; impossible dates are refused."""
    value = parse_time("2027-03-01T06:00:00Z", "voting_starts")
    assert value == datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
    assert format_time(value) == "2027-03-01T06:00:00Z"
    early = parse_time("0005-01-02T03:04:05Z", "t")
    assert format_time(early) == "0005-01-02T03:04:05Z"
    for bad in [
        "2027-02-30T00:00:00Z",
        "2027-03-01T24:00:00Z",
        "2027-03-01T06:00:60Z",
        "2027-13-01T00:00:00Z",
        "0000-01-01T00:00:00Z",
    ]:
        with pytest.raises(EncodingError, match="not a valid UTC instant"):
            parse_time(bad, "t")
    for bad in [
        "2027-03-01 06:00:00Z",
        "2027-03-01T06:00:00+00:00",
        "2027-03-01T06:00:00.5Z",
        "2027-03-01T06:00:00Z\n",
    ]:
        with pytest.raises(EncodingError, match="YYYY-MM-DD"):
            parse_time(bad, "t")
    with pytest.raises(ValueError, match="timezone-aware"):
        format_time(datetime(2027, 1, 1))  # noqa: DTZ001 - the naive value is the point


def test_identifiers() -> None:
    """Identifiers are 1–64 lowercase letters, digits and dashes."""
    assert parse_identifier("city-budget-2027", "election_id") == "city-budget-2027"
    for bad in ["-x", "X", "a_b", "", "a" * 65]:
        with pytest.raises(EncodingError):
            parse_identifier(bad, "election_id")


def test_structure_helpers_name_the_field() -> None:
    """Exact keys, arrays and integers are enforced with the field named."""
    assert expect_object({"a": 1}, "head", ["a"]) == {"a": 1}
    with pytest.raises(StructureError, match="head: missing key"):
        expect_object({}, "head", ["a"])
    with pytest.raises(StructureError, match="head: unknown key"):
        expect_object({"a": 1, "b": 2}, "head", ["a"])
    with pytest.raises(StructureError, match="expected 2 items, got 1"):
        expect_list([1], "path", length=2)
    with pytest.raises(StructureError, match="expected an integer"):
        expect_int(True, "seq")
    with pytest.raises(StructureError, match="outside"):
        expect_int(5, "a", 0, 1)
