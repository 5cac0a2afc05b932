"""SPEC §8: reading and writing the election record, zipped or one by one."""

import io
import warnings
import zipfile
from pathlib import Path

import pytest

from votecrypto.errors import EncodingError, JsonSyntaxError, StructureError
from votecrypto.record import (
    RECORD_FILES,
    RecordError,
    RecordFiles,
    build_record,
    json_file,
    jsonl_file,
    parse_json_file,
    parse_jsonl_file,
    read_record,
    read_record_dir,
    read_record_zip,
    require,
    write_record_dir,
    write_record_zip,
)

FILES = build_record(
    {"protocol": "evote-paillier/1", "title": "Ünïcödé ✓"},
    [{"seq": 0}, {"seq": 1}],
    [{"tree_size": 0}],
    {"counted": []},
)


def zip_of(members: list[tuple[str, bytes]]) -> bytes:
    """Return ZIP bytes holding ``members`` in order (duplicates allowed)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in members:
                archive.writestr(name, data)
    return buffer.getvalue()


def test_build_record_writes_canonical_json_with_one_lf() -> None:
    """Each file is canonical JSON plus LF; .jsonl has one value per line."""
    assert FILES.manifest == (
        '{"protocol":"evote-paillier/1","title":"Ünïcödé ✓"}\n'.encode()
    )
    assert FILES.board == b'{"seq":0}\n{"seq":1}\n'
    assert FILES.heads == b'{"tree_size":0}\n'
    assert FILES.tally == b'{"counted":[]}\n'
    assert json_file([1, "a"]) == b'[1,"a"]\n'
    assert jsonl_file([]) == b""


def test_zip_round_trip_is_exact_and_deterministic() -> None:
    """A written ZIP reads back the same bytes, and writing twice gives one ZIP."""
    data = FILES.to_zip()
    assert data == FILES.to_zip()
    assert read_record_zip(data) == FILES
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == list(RECORD_FILES)


def test_other_members_are_ignored() -> None:
    """Members other than the four files at the root are ignored (SPEC §8)."""
    data = zip_of(
        [
            ("README.txt", b"hello"),
            ("x/manifest.json", b"not this one"),
            ("manifest.json", FILES.manifest or b""),
            ("board.jsonl", FILES.board or b""),
        ]
    )
    files = read_record_zip(data)
    assert files.manifest == FILES.manifest
    assert files.board == FILES.board
    assert files.missing() == ("heads.jsonl", "tally.json")


def test_duplicate_member_names_make_the_zip_unreadable() -> None:
    """Two members of one name: the record is unreadable (SPEC §8)."""
    data = zip_of([("tally.json", b"{}\n"), ("tally.json", b"[]\n")])
    with pytest.raises(RecordError) as caught:
        read_record_zip(data)
    assert str(caught.value) == "tally.json: the ZIP holds two members of this name"


def test_duplicate_ignored_member_names_also_make_it_unreadable() -> None:
    """Any repeated name, even of an ignored file, makes the ZIP unreadable."""
    data = zip_of([("notes.txt", b"a"), ("notes.txt", b"b")])
    with pytest.raises(RecordError):
        read_record_zip(data)


def test_not_a_zip_is_unreadable(tmp_path: Path) -> None:
    """Bytes that are no ZIP, or no file at all, raise RecordError."""
    with pytest.raises(RecordError) as caught:
        read_record_zip(b"plain text")
    assert str(caught.value) == "cannot read the record ZIP: File is not a zip file"
    with pytest.raises(RecordError) as caught:
        read_record(tmp_path / "absent.zip")
    assert str(caught.value) == f"{tmp_path / 'absent.zip'}: no such file"


def test_files_served_one_by_one_read_the_same(tmp_path: Path) -> None:
    """A folder holding the four files reads like the ZIP."""
    write_record_dir(tmp_path / "record", FILES)
    assert read_record_dir(tmp_path / "record") == FILES
    assert read_record(tmp_path / "record") == FILES
    write_record_zip(tmp_path / "record.zip", FILES)
    assert read_record(tmp_path / "record.zip") == FILES


def test_missing_files_read_as_none(tmp_path: Path) -> None:
    """A folder without some files gives None for them."""
    (tmp_path / "manifest.json").write_bytes(b"{}\n")
    files = read_record_dir(tmp_path)
    assert files == RecordFiles(b"{}\n", None, None, None)
    assert require(files, "manifest.json") == b"{}\n"
    with pytest.raises(StructureError) as caught:
        require(files, "board.jsonl")
    assert str(caught.value) == "board.jsonl: file is missing from the record"


def test_parse_json_file_demands_canonical_json_and_one_lf() -> None:
    """A .json record file is exactly cjson(value) + LF."""
    assert parse_json_file(b'{"a":1,"b":[2]}\n', "x.json") == {"a": 1, "b": [2]}
    with pytest.raises(EncodingError) as caught:
        parse_json_file(b'{"a":1}', "x.json")
    assert str(caught.value) == "x.json: file does not end with one LF"
    with pytest.raises(EncodingError) as caught:
        parse_json_file(b'{"b":1,"a":2}\n', "x.json")
    assert str(caught.value) == "x.json: not canonical JSON followed by one LF"
    with pytest.raises(EncodingError):
        parse_json_file(b'{"a":1}\n\n', "x.json")
    with pytest.raises(JsonSyntaxError) as syntax:
        parse_json_file(b'{"a":1.5}\n', "x.json")
    assert str(syntax.value) == "x.json: number '1.5' is not an integer"


def test_parse_jsonl_file_names_the_bad_line() -> None:
    """Each line is canonical JSON; errors name the file and line."""
    assert parse_jsonl_file(b"", "b.jsonl") == []
    assert parse_jsonl_file(b'{"a":1}\n[2]\n', "b.jsonl") == [{"a": 1}, [2]]
    with pytest.raises(EncodingError) as caught:
        parse_jsonl_file(b'{"a":1}\n{"a": 2}\n', "b.jsonl")
    assert str(caught.value) == "b.jsonl:2: line is not canonical JSON"
    with pytest.raises(EncodingError) as caught:
        parse_jsonl_file(b'{"a":1}', "b.jsonl")
    assert str(caught.value) == "b.jsonl: file does not end with LF"
    with pytest.raises(JsonSyntaxError) as syntax:
        parse_jsonl_file(b'{"a":1}\n\n', "b.jsonl")
    assert str(syntax.value).startswith("b.jsonl:2: not valid JSON")


def test_sample_record_reads(vectors_dir: Path) -> None:
    """The shared sample record holds the four files, canonical."""
    files = read_record(vectors_dir / "sample-record.zip")
    assert files.missing() == ()
    assert parse_json_file(require(files, "manifest.json"), "manifest.json")[
        "election_id"
    ] == ("sample-2027")
    assert len(parse_jsonl_file(require(files, "board.jsonl"), "board.jsonl")) == 29
    assert len(parse_jsonl_file(require(files, "heads.jsonl"), "heads.jsonl")) == 44
