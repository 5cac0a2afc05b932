"""SPEC §8: the election record — four canonical JSON files, alone or zipped.

The record is ``manifest.json``, ``board.jsonl`` (entries in ``seq`` order),
``heads.jsonl`` (signed heads in publication order) and ``tally.json``.
Each file is canonical JSON plus one LF (``.jsonl``: one canonical value plus
LF per line, SPEC §1).  A ZIP holds them at its root; other members are
ignored, and a ZIP with two members of the same name is unreadable.  The same
files are also served one by one, so a folder holding them reads the same.

This module only moves bytes: it neither parses the protocol objects nor
checks them.  :mod:`votecrypto.verifier` does that, so that a file that is
present but broken fails the step that needs it instead of the whole read.
"""

import io
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from votecrypto.canonical import Json, cjson, cjson_line, parse_json
from votecrypto.errors import EncodingError, StructureError, VoteCryptoError

MANIFEST = "manifest.json"
BOARD = "board.jsonl"
HEADS = "heads.jsonl"
TALLY = "tally.json"
RECORD_FILES = (MANIFEST, BOARD, HEADS, TALLY)
"""The member names of a record (SPEC §8), in the order they are written."""

MAX_MEMBER_BYTES = 1 << 31
"""Largest uncompressed record file accepted (guards against ZIP bombs)."""

_ZIP_TIME = (2027, 1, 1, 0, 0, 0)


class RecordError(VoteCryptoError):
    """The record as a whole cannot be read (SPEC §8: "unreadable")."""


@dataclass(frozen=True, slots=True)
class RecordFiles:
    """The raw bytes of the four record files (SPEC §8); ``None`` if absent."""

    manifest: bytes | None
    """``manifest.json``."""
    board: bytes | None
    """``board.jsonl``."""
    heads: bytes | None
    """``heads.jsonl``."""
    tally: bytes | None
    """``tally.json``."""

    @classmethod
    def from_mapping(cls, files: Mapping[str, bytes]) -> "RecordFiles":
        """Pick the four record files out of ``name -> bytes``."""
        return cls(
            manifest=files.get(MANIFEST),
            board=files.get(BOARD),
            heads=files.get(HEADS),
            tally=files.get(TALLY),
        )

    def as_mapping(self) -> dict[str, bytes]:
        """Return ``name -> bytes`` for the files that are present."""
        pairs = (
            (MANIFEST, self.manifest),
            (BOARD, self.board),
            (HEADS, self.heads),
            (TALLY, self.tally),
        )
        return {name: data for name, data in pairs if data is not None}

    def missing(self) -> tuple[str, ...]:
        """Return the names of the record files that are absent."""
        present = self.as_mapping()
        return tuple(name for name in RECORD_FILES if name not in present)

    def to_zip(self) -> bytes:
        """Return the record as ZIP bytes (deterministic: fixed dates, order)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in self.as_mapping().items():
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
        return buffer.getvalue()


# ---------------------------------------------------------------- encoding


def json_file(value: Json) -> bytes:
    """Return the bytes of a ``.json`` record file: ``cjson(value)`` + LF."""
    return cjson_line(value)


def jsonl_file(values: Iterable[Json]) -> bytes:
    """Return the bytes of a ``.jsonl`` file: one ``cjson`` value + LF per line."""
    return b"".join(cjson_line(value) for value in values)


def build_record(
    manifest: Json, entries: Iterable[Json], heads: Iterable[Json], tally: Json
) -> RecordFiles:
    """Encode the four record objects as their canonical files (SPEC §1, §8)."""
    return RecordFiles(
        manifest=json_file(manifest),
        board=jsonl_file(entries),
        heads=jsonl_file(heads),
        tally=json_file(tally),
    )


def parse_json_file(data: bytes, name: str) -> Json:
    """Parse a ``.json`` record file: exactly one canonical value plus LF.

    Raises :class:`~votecrypto.errors.JsonSyntaxError` for bytes that are not
    strict JSON and :class:`EncodingError` for a value not spelled
    canonically or not followed by exactly one LF.
    """
    if not data.endswith(b"\n"):
        raise EncodingError(name, "file does not end with one LF")
    body = data[:-1]
    try:
        value = parse_json(body)
    except VoteCryptoError as exc:
        raise type(exc)(name, exc.problem) from exc
    if cjson(value) != body:
        raise EncodingError(name, "not canonical JSON followed by one LF")
    return value


def parse_jsonl_file(data: bytes, name: str) -> list[Json]:
    """Parse a ``.jsonl`` record file: one canonical value plus LF per line.

    An empty file holds no values.  Errors name the file and the line
    (counted from 1).
    """
    if not data:
        return []
    if not data.endswith(b"\n"):
        raise EncodingError(name, "file does not end with LF")
    values: list[Json] = []
    for number, line in enumerate(data[:-1].split(b"\n"), start=1):
        field = f"{name}:{number}"
        try:
            value = parse_json(line)
        except VoteCryptoError as exc:
            raise type(exc)(field, exc.problem) from exc
        if cjson(value) != line:
            raise EncodingError(field, "line is not canonical JSON")
        values.append(value)
    return values


def split_jsonl(data: bytes, name: str) -> list[bytes]:
    """Split a ``.jsonl`` file into its lines (without LF), checking the ends."""
    if not data:
        return []
    if not data.endswith(b"\n"):
        raise EncodingError(name, "file does not end with LF")
    return data[:-1].split(b"\n")


# ---------------------------------------------------------------- reading


def read_record_zip(source: str | Path | bytes | BinaryIO) -> RecordFiles:
    """Read a record ZIP (SPEC §8) from a path, bytes or a binary file.

    Only root members named as in :data:`RECORD_FILES` are read; other
    members are ignored.  Raises :class:`RecordError` if the ZIP cannot be
    read, holds two members of the same name, or a record file is too large.
    """
    try:
        handle: str | Path | BinaryIO = (
            io.BytesIO(source) if isinstance(source, bytes) else source
        )
        with zipfile.ZipFile(handle) as archive:
            infos = archive.infolist()
            seen: set[str] = set()
            for info in infos:
                if info.filename in seen:
                    raise RecordError(
                        info.filename, "the ZIP holds two members of this name"
                    )
                seen.add(info.filename)
            files: dict[str, bytes] = {}
            for info in infos:
                if info.filename not in RECORD_FILES or info.is_dir():
                    continue
                if info.file_size > MAX_MEMBER_BYTES:
                    raise RecordError(info.filename, "file is too large")
                with archive.open(info) as member:
                    data = member.read(MAX_MEMBER_BYTES + 1)
                if len(data) > MAX_MEMBER_BYTES:
                    raise RecordError(info.filename, "file is too large")
                files[info.filename] = data
    except RecordError:
        raise
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise RecordError("", f"cannot read the record ZIP: {exc}") from exc
    except (RuntimeError, NotImplementedError, ValueError) as exc:
        # Encrypted members, unknown compression methods, corrupt streams.
        raise RecordError("", f"cannot read the record ZIP: {exc}") from exc
    return RecordFiles.from_mapping(files)


def read_record_dir(path: str | Path) -> RecordFiles:
    """Read the record files served one by one from a folder (SPEC §8)."""
    folder = Path(path)
    if not folder.is_dir():
        raise RecordError(str(path), "not a folder")
    files: dict[str, bytes] = {}
    for name in RECORD_FILES:
        member = folder / name
        if member.is_file():
            try:
                files[name] = member.read_bytes()
            except OSError as exc:
                raise RecordError(name, f"cannot read: {exc.strerror}") from exc
    return RecordFiles.from_mapping(files)


def read_record(path: str | Path) -> RecordFiles:
    """Read a record from a ZIP file or from a folder of its files."""
    target = Path(path)
    if target.is_dir():
        return read_record_dir(target)
    if not target.exists():
        raise RecordError(str(path), "no such file")
    return read_record_zip(target)


def write_record_zip(path: str | Path, files: RecordFiles) -> None:
    """Write ``files`` as a record ZIP at ``path``."""
    Path(path).write_bytes(files.to_zip())


def write_record_dir(path: str | Path, files: RecordFiles) -> None:
    """Write ``files`` one by one into the folder ``path`` (created if absent)."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.as_mapping().items():
        (folder / name).write_bytes(data)


def require(files: RecordFiles, name: str) -> bytes:
    """Return the bytes of record file ``name`` or raise a structure error."""
    data = files.as_mapping().get(name)
    if data is None:
        raise StructureError(name, "file is missing from the record")
    return data
