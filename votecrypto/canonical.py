"""SPEC §1: canonical JSON, hashing and the strict encodings of the protocol.

This module is the one serialisation of record.  ``cjson`` writes canonical
JSON, ``parse_json`` reads JSON as strictly as SPEC §1 demands, ``H``/``Hint``
are the protocol hash, and the ``parse_*``/``expect_*`` helpers check one
field each, raising an error that names the field.
"""

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeAlias

from votecrypto.errors import EncodingError, JsonSyntaxError, StructureError

Json: TypeAlias = Any
"""A JSON value as ``json`` loads it (dict, list, str, int, bool or None)."""

MAX_JSON_INT = 2**53
_HEX_INT_RE = re.compile(r"^(0|[1-9a-f][0-9a-f]*)$")
_HEX_BYTES_RE = re.compile(r"^([0-9a-f]{2})*$")
_TIME_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")
_IDENTIFIER_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


# ---------------------------------------------------------------- JSON


def cjson(obj: Json) -> bytes:
    """Return the canonical JSON bytes of ``obj`` (SPEC §1)."""
    return json.dumps(
        obj,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def cjson_line(obj: Json) -> bytes:
    """Return ``cjson(obj)`` followed by one LF, as record files store it."""
    return cjson(obj) + b"\n"


def _reject_constant(name: str) -> Json:
    raise JsonSyntaxError("", f"{name} is not allowed")


def _reject_float(text: str) -> Json:
    raise JsonSyntaxError("", f"number {text!r} is not an integer")


def _check_int(text: str) -> int:
    if text.startswith("-"):
        raise JsonSyntaxError("", f"negative integer {text!r} is not allowed")
    value = int(text)
    if value >= MAX_JSON_INT:
        raise JsonSyntaxError("", f"integer {text!r} is outside [0, 2^53)")
    return value


def _no_duplicates(pairs: list[tuple[str, Json]]) -> dict[str, Json]:
    result: dict[str, Json] = {}
    for key, value in pairs:
        if key in result:
            raise JsonSyntaxError(key, "duplicate key")
        result[key] = value
    return result


def _check_strings(value: Json, path: str = "") -> None:
    """Reject lone surrogates anywhere in ``value`` (keys and strings)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise JsonSyntaxError(path, "string holds a lone surrogate") from exc
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key, path)
            _check_strings(item, f"{path}.{key}" if path else key)


def parse_json(data: bytes | str) -> Json:
    """Parse JSON strictly (SPEC §1).

    Rejects a byte-order mark, duplicate keys, floats, exponents,
    NaN/Infinity, integers outside ``[0, 2^53)``, lone surrogates and
    invalid UTF-8, raising :class:`JsonSyntaxError`.
    """
    if isinstance(data, bytes):
        if data.startswith(b"\xef\xbb\xbf"):
            raise JsonSyntaxError("", "byte-order mark is not allowed")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonSyntaxError("", "not valid UTF-8") from exc
    else:
        text = data
    if text.startswith("\ufeff"):
        raise JsonSyntaxError("", "byte-order mark is not allowed")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_reject_float,
            parse_int=_check_int,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as exc:
        raise JsonSyntaxError("", f"not valid JSON ({exc.msg} at {exc.pos})") from exc
    _check_strings(value)
    return value


def parse_canonical(data: bytes, field: str = "") -> Json:
    """Parse ``data`` and require that it is exactly its canonical spelling."""
    value = parse_json(data)
    if cjson(value) != data:
        raise EncodingError(field, "JSON is not in canonical form")
    return value


# ---------------------------------------------------------------- hashing


def H(parts: Sequence[Json]) -> bytes:
    """Return ``SHA-256(cjson(parts))``; ``parts[0]`` is the domain tag."""
    if not parts or not isinstance(parts[0], str):
        raise ValueError("hash input must be an array starting with a domain tag")
    return hashlib.sha256(cjson(list(parts))).digest()


def Hint(parts: Sequence[Json]) -> int:
    """Return ``H(parts)`` read as a big-endian unsigned integer."""
    return int.from_bytes(H(parts), "big")


def sha256(data: bytes) -> bytes:
    """Return the SHA-256 digest of raw bytes."""
    return hashlib.sha256(data).digest()


# ---------------------------------------------------------------- scalars


def hex_int(value: int) -> str:
    """Write a non-negative big integer as canonical lowercase hex (SPEC §1)."""
    if value < 0:
        raise ValueError("big integers are non-negative")
    return format(value, "x")


def hex_bytes(value: bytes) -> str:
    """Write a byte string as lowercase hex, two digits per byte."""
    return value.hex()


def parse_hex_int(value: Json, field: str) -> int:
    """Read a canonical big-integer hex string, naming ``field`` on failure.

    A non-string is a :class:`StructureError`; a string that is not the one
    canonical spelling (uppercase, leading zeros, ``0x``, sign, whitespace)
    is an :class:`EncodingError`.
    """
    if not isinstance(value, str):
        raise StructureError(field, "expected a hex string")
    if not _HEX_INT_RE.match(value):
        raise EncodingError(field, f"not canonical lowercase hex: {value[:40]!r}")
    return int(value, 16)


def parse_hex_bytes(value: Json, field: str, length: int | None = None) -> bytes:
    """Read a hex byte string (two lowercase digits per byte).

    With ``length`` the decoded string must have exactly that many bytes.
    """
    if not isinstance(value, str):
        raise StructureError(field, "expected a hex string")
    if not _HEX_BYTES_RE.match(value):
        raise EncodingError(field, f"not canonical lowercase hex bytes: {value[:40]!r}")
    raw = bytes.fromhex(value)
    if length is not None and len(raw) != length:
        raise StructureError(field, f"expected {length} bytes, got {len(raw)}")
    return raw


def format_time(value: datetime) -> str:
    """Write an aware datetime as the protocol's UTC time string."""
    if value.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    utc = value.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
    )


def parse_time(value: Json, field: str) -> datetime:
    """Read a protocol time ``YYYY-MM-DDTHH:MM:SSZ`` as an aware UTC datetime."""
    if not isinstance(value, str):
        raise StructureError(field, "expected a time string")
    # ``$`` would also match before a final newline: the length rules it out.
    if len(value) != len("YYYY-MM-DDTHH:MM:SSZ") or not _TIME_RE.match(value):
        raise EncodingError(
            field, f"not a time of the form YYYY-MM-DDTHH:MM:SSZ: {value!r}"
        )
    try:
        # The pattern fixed every digit's place; ``datetime`` checks ranges
        # (as ``strptime`` would, at a tenth of its cost: logs parse many).
        parsed = datetime(
            int(value[0:4]),
            int(value[5:7]),
            int(value[8:10]),
            int(value[11:13]),
            int(value[14:16]),
            int(value[17:19]),
            tzinfo=UTC,
        )
    except ValueError as exc:
        raise EncodingError(field, f"not a valid UTC instant: {value!r}") from exc
    if parsed.year < 1:
        raise EncodingError(field, "year outside 0001-9999")
    return parsed


def parse_identifier(value: Json, field: str) -> str:
    """Read an identifier matching ``^[a-z0-9][a-z0-9-]{0,63}$``."""
    if not isinstance(value, str):
        raise StructureError(field, "expected an identifier string")
    if not _IDENTIFIER_RE.match(value):
        raise EncodingError(field, f"not a valid identifier: {value[:70]!r}")
    return value


# ---------------------------------------------------------------- structure


def expect_object(value: Json, field: str, keys: Iterable[str]) -> Mapping[str, Json]:
    """Require a JSON object with exactly ``keys`` (no more, no fewer)."""
    if not isinstance(value, dict):
        raise StructureError(field, "expected an object")
    wanted = set(keys)
    present = set(value)
    missing = sorted(wanted - present)
    extra = sorted(present - wanted)
    if missing:
        raise StructureError(field, f"missing key(s): {', '.join(missing)}")
    if extra:
        raise StructureError(field, f"unknown key(s): {', '.join(extra)}")
    return value


def expect_list(value: Json, field: str, length: int | None = None) -> list[Json]:
    """Require a JSON array, of exactly ``length`` items when given."""
    if not isinstance(value, list):
        raise StructureError(field, "expected an array")
    if length is not None and len(value) != length:
        raise StructureError(field, f"expected {length} items, got {len(value)}")
    return value


def expect_int(value: Json, field: str, low: int = 0, high: int | None = None) -> int:
    """Require a JSON integer (not a boolean) in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise StructureError(field, "expected an integer")
    if value < low or (high is not None and value > high):
        bound = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise StructureError(field, f"integer {value} outside {bound}")
    return value


def expect_str(value: Json, field: str) -> str:
    """Require a JSON string."""
    if not isinstance(value, str):
        raise StructureError(field, "expected a string")
    return value
