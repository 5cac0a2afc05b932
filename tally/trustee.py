"""A trustee's offline tool: decrypt the tally's aggregates (SPEC §2.2–§2.3).

Decrypt an election's aggregates::

    python -m tally.trustee decrypt --share-file share.json --key key.json \\
        --passphrase-file F --record-dir DIR-or-ZIP --out shares.json [--jobs N]

``share.json`` is the dealer's share box for this trustee (``share-<i>.json``
of ``python -m tally.ceremony``, SPEC §2.2 step 6), opened with the X25519
private key in ``key.json``, which the passphrase in ``F`` unseals (a key
file of either variant: scrypt, as ``python -m tally.ceremony keygen``
writes it, or PBKDF2, as the browser's trustee console does).  A
passphrase-sealed share file (:mod:`votecrypto.sharefile`) is accepted as
well, without ``--key``.  The share is checked against the trustee's
verification key in the manifest.  The tool then **recomputes every
aggregate itself** from ``manifest.json`` and the closed ``board.jsonl``
(SPEC §2.3: it never decrypts a ciphertext it is handed; a board without
its ``close`` entry is refused) and writes its decryption share, with its
proof, of every contest and option.

Decrypt the key ceremony's test ciphertext (SPEC §2.2 step 7)::

    python -m tally.trustee selftest --share-file share.json --key key.json \\
        --passphrase-file F --public public.json --out test-share.json

The test ciphertext's opening ``Enc(M; r)`` is checked before decrypting.
``python -m tally.trustee selftest-check --public public.json SHARE…``
then checks that ``t`` such shares decrypt to the test plaintext.

Errors are one line on standard error with exit status 2.  This module
imports no Django.
"""

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from votecrypto.canonical import Json, cjson_line, parse_json
from votecrypto.errors import VoteCryptoError
from votecrypto.manifest import Manifest, check_manifest_crypto
from votecrypto.record import (
    BOARD,
    MANIFEST,
    RecordError,
    parse_json_file,
    parse_jsonl_file,
    read_record,
)
from votecrypto.sharefile import SHARE_FILE_FORMAT, read_key_file, read_share_file
from votecrypto.tally import (
    BoardEntry,
    board_problems,
    board_reference,
    compute_tally,
    make_trustee_shares,
    parse_board,
)
from votecrypto.threshold import (
    CeremonyPublic,
    DecryptionShare,
    ShareBox,
    check_ceremony_test,
    check_share,
    decrypt_share,
    key_hash,
    make_ceremony_test_share,
)

EXIT_OK = 0
EXIT_ERROR = 2


class TrusteeError(Exception):
    """A problem reported in one line with exit status 2."""


@dataclass(frozen=True, slots=True)
class OpenedShare:
    """A trustee's share ``s_i``, opened and checked against ``v_i``."""

    index: int
    """The trustee's index ``i``."""
    s_i: int
    """The share."""


# ---------------------------------------------------------------- input


def _read(path: str | Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise TrusteeError(f"cannot read {what} {path}: {exc.strerror}") from exc


def read_passphrase(path: str | Path) -> bytes:
    """Return the passphrase in a file, without one trailing line break."""
    passphrase = _read(path, "passphrase file")
    for ending in (b"\r\n", b"\n"):
        if passphrase.endswith(ending):
            passphrase = passphrase[: -len(ending)]
            break
    if not passphrase:
        raise TrusteeError(f"{path}: the passphrase is empty")
    return passphrase


def _parse(data: bytes, what: str) -> Json:
    try:
        return parse_json(data)
    except VoteCryptoError as exc:
        raise TrusteeError(f"{what} is corrupted: {exc}") from exc


def open_share(
    share_data: bytes,
    key_data: bytes | None,
    passphrase: bytes,
    *,
    n: int,
    count: int,
    v: int,
    vks: Sequence[int],
    election_id: str | None = None,
    expected_key_hash: str | None = None,
) -> OpenedShare:
    """Open a trustee's share and check it against its verification key.

    ``share_data`` is a share box (SPEC §2.2 step 6), opened with the X25519
    key sealed in ``key_data``, or a passphrase-sealed share file.  The
    share must decrypt under ``n`` and satisfy ``v^(Δ·s_i) ≡ v_i``.
    """
    value = _parse(share_data, "the share file")
    if isinstance(value, dict) and value.get("format") == SHARE_FILE_FORMAT:
        try:
            sealed = read_share_file(share_data, passphrase)
        except VoteCryptoError as exc:
            raise TrusteeError(f"the share file: {exc.problem}") from exc
        if election_id is not None and sealed.election_id != election_id:
            raise TrusteeError(
                f"wrong election: the share file is for {sealed.election_id!r}, "
                f"the record for {election_id!r}"
            )
        if sealed.n != n or (
            expected_key_hash is not None and sealed.key_hash != expected_key_hash
        ):
            raise TrusteeError("wrong election: the share file is for another key")
        index, s_i = sealed.index, sealed.share
    else:
        try:
            box = ShareBox.from_json(value, "share_box")
        except VoteCryptoError as exc:
            raise TrusteeError(f"the share file is corrupted: {exc}") from exc
        if key_data is None:
            raise TrusteeError("--key is needed to open a share box")
        try:
            private_key = read_key_file(key_data, passphrase)
        except VoteCryptoError as exc:
            raise TrusteeError(f"the key file: {exc.problem}") from exc
        try:
            s_i = decrypt_share(n, box, private_key)
        except VoteCryptoError as exc:
            raise TrusteeError(
                "cannot open the share: it was not dealt for this election's key, "
                "the key file is not this trustee's, or the share file is corrupted"
            ) from exc
        index = box.index
    if not 1 <= index <= count:
        raise TrusteeError(f"wrong election: trustee index {index} is not in 1…{count}")
    if not check_share(n, count, v, vks[index - 1], s_i):
        raise TrusteeError(
            f"the share does not match trustee {index}'s verification key "
            "(wrong election, or a corrupted share)"
        )
    return OpenedShare(index=index, s_i=s_i)


def load_closed_board(source: str | Path) -> tuple[Manifest, bytes, list[BoardEntry]]:
    """Read ``manifest.json`` and the closed ``board.jsonl`` from a folder or ZIP.

    Returns the manifest, its raw bytes and the entries.  Refuses a board
    that breaks §6 (above all, one without its final ``close``).
    """
    try:
        files = read_record(source)
    except RecordError as exc:
        raise TrusteeError(f"cannot read the record {source}: {exc}") from exc
    if files.manifest is None or files.board is None:
        raise TrusteeError(f"{source} must hold {MANIFEST} and {BOARD}")
    try:
        manifest = Manifest.from_json(parse_json_file(files.manifest, MANIFEST))
    except VoteCryptoError as exc:
        raise TrusteeError(f"{MANIFEST} is corrupted: {exc}") from exc
    try:
        entries = parse_board(parse_jsonl_file(files.board, BOARD))
    except VoteCryptoError as exc:
        raise TrusteeError(f"{BOARD} is corrupted: {exc}") from exc
    problems = board_problems(manifest, entries)
    if problems:
        raise TrusteeError(f"refusing to decrypt: {problems[0]}")
    return manifest, files.manifest, entries


# ---------------------------------------------------------------- commands


def run_decrypt(args: argparse.Namespace) -> int:
    """Decrypt every aggregate the trustee recomputed from the closed board."""
    passphrase = read_passphrase(args.passphrase_file)
    manifest, _, entries = load_closed_board(args.record_dir)
    report = check_manifest_crypto(manifest, allow_test_keys=True)
    if report.problems:
        raise TrusteeError(f"refusing to decrypt: {MANIFEST}: {report.problems[0]}")
    trustees = manifest.trustees
    opened = open_share(
        _read(args.share_file, "share file"),
        None if args.key is None else _read(args.key, "key file"),
        passphrase,
        n=manifest.n,
        count=trustees.count,
        v=trustees.v,
        vks=[key.vk for key in trustees.verification_keys],
        election_id=manifest.election_id,
        expected_key_hash=key_hash(
            manifest.n,
            trustees.threshold,
            trustees.count,
            trustees.v,
            [key.vk for key in trustees.verification_keys],
        ),
    )
    election_hash = manifest.election_hash
    # SPEC §2.3: the aggregates are recomputed here, from the board itself.
    counting = compute_tally(
        manifest, entries, election_hash=election_hash, jobs=args.jobs
    )
    board = board_reference(entries)
    shares = make_trustee_shares(manifest, counting, board, opened.index, opened.s_i)
    try:
        Path(args.out).write_bytes(cjson_line(shares.to_json()))
    except OSError as exc:
        raise TrusteeError(f"cannot write {args.out}: {exc.strerror}") from exc
    options = sum(len(contest.options) for contest in counting.aggregates)
    invalid = len(counting.invalid_casts())
    print(f"election: {manifest.election_id}  election_hash {election_hash}")
    print(f"board: {board.tree_size} entries, root {board.root_hash.hex()}")
    print(f"counted ballots: {len(counting.counted)} ({invalid} invalid casts ignored)")
    for warning in report.warnings:
        print(f"warning: {warning}")
    print(f"trustee {opened.index}: wrote {options} decryption shares to {args.out}")
    return EXIT_OK


def _read_public(path: str | Path) -> CeremonyPublic:
    try:
        return CeremonyPublic.from_json(_parse(_read(path, "public file"), str(path)))
    except VoteCryptoError as exc:
        raise TrusteeError(f"{path} is corrupted: {exc}") from exc


def run_selftest(args: argparse.Namespace) -> int:
    """Decrypt the ceremony's test ciphertext after checking its opening."""
    passphrase = read_passphrase(args.passphrase_file)
    public = _read_public(args.public)
    trustees = public.trustees
    vks = [key.vk for key in trustees.verification_keys]
    opened = open_share(
        _read(args.share_file, "share file"),
        None if args.key is None else _read(args.key, "key file"),
        passphrase,
        n=public.n,
        count=trustees.count,
        v=trustees.v,
        vks=vks,
        expected_key_hash=public.key_hash,
    )
    try:
        share = make_ceremony_test_share(public, opened.index, opened.s_i)
    except VoteCryptoError as exc:
        raise TrusteeError(f"refusing to decrypt the test ciphertext: {exc}") from exc
    try:
        Path(args.out).write_bytes(cjson_line(share.to_json()))
    except OSError as exc:
        raise TrusteeError(f"cannot write {args.out}: {exc.strerror}") from exc
    print(f"key_hash: {public.key_hash}")
    print(f"trustee {opened.index}: wrote the test decryption share to {args.out}")
    return EXIT_OK


def run_selftest_check(args: argparse.Namespace) -> int:
    """Check that the trustees' test shares decrypt the test ciphertext."""
    public = _read_public(args.public)
    shares = []
    for path in args.shares:
        try:
            shares.append(
                DecryptionShare.from_json(_parse(_read(path, "share"), str(path)))
            )
        except VoteCryptoError as exc:
            raise TrusteeError(f"{path} is corrupted: {exc}") from exc
    try:
        check_ceremony_test(public, shares)
    except VoteCryptoError as exc:
        raise TrusteeError(f"the ceremony test FAILED: {exc}") from exc
    print(
        f"the ceremony test passed: {len(shares)} shares decrypt the test "
        f"ciphertext to {public.test.plaintext}"
    )
    return EXIT_OK


# ---------------------------------------------------------------- main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tally.trustee",
        description="A trustee's offline decryption tool (SPEC §2.2–§2.3).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def share_arguments(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--share-file", required=True, help="your share box")
        sub.add_argument("--key", help="your X25519 key file (sealed)")
        sub.add_argument(
            "--passphrase-file", required=True, help="file holding the passphrase"
        )
        sub.add_argument("--out", required=True, help="where to write the shares")

    decrypt = commands.add_parser(
        "decrypt", help="decrypt the aggregates recomputed from a closed board"
    )
    share_arguments(decrypt)
    decrypt.add_argument(
        "--record-dir",
        required=True,
        help="folder or ZIP holding manifest.json and board.jsonl",
    )
    decrypt.add_argument(
        "--jobs", type=int, default=None, help="worker processes (default: all cores)"
    )
    selftest = commands.add_parser(
        "selftest", help="decrypt the key ceremony's test ciphertext"
    )
    share_arguments(selftest)
    selftest.add_argument("--public", required=True, help="the dealer's public.json")
    check = commands.add_parser(
        "selftest-check", help="check the trustees' test decryption shares"
    )
    check.add_argument("--public", required=True, help="the dealer's public.json")
    check.add_argument("shares", nargs="+", help="test decryption share files")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the tool; return the exit status (2 on any error)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "decrypt":
            if args.jobs is not None and args.jobs < 1:
                raise TrusteeError("--jobs must be at least 1")
            return run_decrypt(args)
        if args.command == "selftest":
            return run_selftest(args)
        return run_selftest_check(args)
    except TrusteeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
