"""Offline dealer and trustee-key tool for the key ceremony (SPEC §2.2).

Deal a threshold Paillier key::

    python -m tally.ceremony --trustees trustees.json --threshold T --bits B \\
        [--allow-test-keys] --out DIR

``trustees.json`` is a JSON array of ``{"index", "name", "x25519_public_key"}``
(indices 1…ℓ, keys as 64 hex digits).  The tool writes ``DIR/public.json``
(``public_key`` and ``trustees`` exactly as the manifest holds them, SPEC §4,
plus ``key_hash`` and the test ciphertext with its opening) and one
``DIR/share-<i>.json`` per trustee (the share box of SPEC §2.2 step 6).  The
dealer runs it on an offline machine and discards that machine's memory.

Make a trustee's X25519 key pair, sealed by a passphrase::

    python -m tally.ceremony keygen --out key.json --passphrase-file F

Bad input is reported in one line on stderr with exit status 2; nothing is
written then.  This module imports no Django.
"""

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)

from votecrypto.canonical import (
    cjson_line,
    expect_int,
    expect_list,
    expect_object,
    expect_str,
    parse_hex_bytes,
    parse_json,
)
from votecrypto.errors import CryptoCheckError, StructureError, VoteCryptoError
from votecrypto.primes import MIN_PAILLIER_BITS, generate_paillier_primes
from votecrypto.sharefile import (
    KDF_PBKDF2,
    KDF_SCRYPT,
    generate_x25519_private_key,
    write_key_file,
    x25519_public_key,
)
from votecrypto.threshold import (
    DealerOutput,
    check_ceremony_test,
    deal,
    make_ceremony_test_share,
)

MIN_BITS = 2048
"""Smallest ``bits(n)`` without ``--allow-test-keys`` (SPEC §2.1)."""

PRODUCTION_BITS = 3072
"""``bits(n)`` below which the tool warns (SPEC §2.1)."""

EXIT_BAD_INPUT = 2


class CeremonyError(Exception):
    """A bad input or environment, reported in one line with exit status 2."""


# ---------------------------------------------------------------- input


def _read_bytes(path: Path, what: str) -> bytes:
    """Return a file's bytes, or raise :class:`CeremonyError` naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CeremonyError(f"cannot read {what} {path}: {exc.strerror}") from exc


def _usable_x25519_key(raw: bytes) -> bool:
    """Return whether an X25519 public key gives a non-zero shared secret."""
    try:
        X25519PrivateKey.generate().exchange(X25519PublicKey.from_public_bytes(raw))
    except ValueError:
        return False
    return True


def parse_trustees(data: bytes) -> list[tuple[str, bytes]]:
    """Parse ``trustees.json`` into ``[(name, x25519_public_key)]`` by index.

    Exactly the keys ``index``, ``name``, ``x25519_public_key``; indices
    1…ℓ, each once (any order); non-empty names; distinct, usable keys.
    Raise :class:`~votecrypto.errors.VoteCryptoError` naming the field.
    """
    items = expect_list(parse_json(data), "trustees")
    if not items:
        raise StructureError("trustees", "the list is empty")
    by_index: dict[int, tuple[str, bytes]] = {}
    for position, item in enumerate(items):
        field = f"trustees[{position}]"
        obj = expect_object(item, field, ("index", "name", "x25519_public_key"))
        index = expect_int(obj["index"], f"{field}.index", 1, len(items))
        name = expect_str(obj["name"], f"{field}.name")
        if not name.strip():
            raise StructureError(f"{field}.name", "empty name")
        key = parse_hex_bytes(
            obj["x25519_public_key"], f"{field}.x25519_public_key", 32
        )
        if not _usable_x25519_key(key):
            raise CryptoCheckError(
                f"{field}.x25519_public_key", "not a usable X25519 key"
            )
        if index in by_index:
            raise StructureError(f"{field}.index", f"duplicate index {index}")
        if any(key == other for _, other in by_index.values()):
            raise StructureError(
                f"{field}.x25519_public_key", "used by another trustee"
            )
        by_index[index] = (name, key)
    return [by_index[i] for i in range(1, len(items) + 1)]


# ---------------------------------------------------------------- deal


def self_test(output: DealerOutput, *, allow_test_keys: bool) -> None:
    """Check the dealt key before anything is written (SPEC §2.2 step 7).

    Check the public part (key proof, group elements, test ciphertext) and
    decrypt the test ciphertext through §2.3 with the ``t`` lowest and the
    ``t`` highest shares.
    """
    public = output.public
    public.check(allow_test_keys=allow_test_keys)
    t, count = public.trustees.threshold, public.trustees.count
    lowest, highest = list(range(1, t + 1)), list(range(count - t + 1, count + 1))
    for indices in [lowest] if lowest == highest else [lowest, highest]:
        shares = [
            make_ceremony_test_share(public, i, output.secret_shares[i])
            for i in indices
        ]
        check_ceremony_test(public, shares)


def _check_out(out: Path) -> None:
    """Require that ``out`` does not exist or is an empty directory."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CeremonyError(f"{out}: exists and is not an empty directory")


def _write_directory(out: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` into the new directory ``out`` all at once.

    The files go to a temporary sibling directory that is then renamed, so
    that a failure leaves no partial ceremony behind.
    """
    _check_out(out)
    parent = out.absolute().parent
    if not parent.is_dir():
        raise CeremonyError(f"{parent}: no such directory")
    staging = Path(tempfile.mkdtemp(prefix=".ceremony-", dir=parent))
    try:
        for name, content in files.items():
            (staging / name).write_bytes(content)
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise CeremonyError(f"cannot write {out}: {exc.strerror}") from exc


def run_deal(args: argparse.Namespace) -> int:
    """Deal the key, self-test it and write ``public.json`` and the boxes."""
    bits: int = args.bits
    if bits % 2 or bits < MIN_PAILLIER_BITS:
        raise CeremonyError(f"--bits: need an even number ≥ {MIN_PAILLIER_BITS}")
    if bits < MIN_BITS and not args.allow_test_keys:
        raise CeremonyError(
            f"--bits: {bits} < {MIN_BITS} makes a test key; "
            "pass --allow-test-keys to make one anyway"
        )
    trustees_data = _read_bytes(Path(args.trustees), "trustees file")
    try:
        trustees = parse_trustees(trustees_data)
    except VoteCryptoError as exc:
        raise CeremonyError(f"{args.trustees}: {exc}") from exc
    count = len(trustees)
    if not 1 <= args.threshold <= count:
        raise CeremonyError(f"--threshold: need 1 ≤ T ≤ {count} (the trustees)")
    out = Path(args.out)
    _check_out(out)  # before the long key generation

    if bits < MIN_BITS:
        print(f"warning: bits(n) = {bits}: a TEST key, NOT secure", file=sys.stderr)
    elif bits < PRODUCTION_BITS:
        print(
            f"warning: bits(n) = {bits} < {PRODUCTION_BITS}: accepted with a warning",
            file=sys.stderr,
        )
    p, q = generate_paillier_primes(bits)
    output = deal(
        p,
        q,
        args.threshold,
        [key for _, key in trustees],
        names=[name for name, _ in trustees],
    )
    self_test(output, allow_test_keys=True)

    files = {"public.json": cjson_line(output.public.to_json())}
    for box in output.boxes:
        files[f"share-{box.index}.json"] = cjson_line(box.to_json())
    _write_directory(out, files)

    print(f"n: {bits} bits, threshold {args.threshold} of {count}")
    print(f"key_hash: {output.key_hash}")
    for (name, key), box in zip(trustees, output.boxes, strict=True):
        print(
            f"trustee {box.index} ({name}): key {key.hex()} -> share-{box.index}.json"
        )
    print(f"wrote {out}/public.json and {count} share boxes; self-test passed")
    print("Confirm each trustee's key above with them by a channel other than the")
    print("server, then discard this machine's memory (SPEC §2.2).")
    return 0


# ---------------------------------------------------------------- keygen


def _read_passphrase(path: Path) -> bytes:
    """Return the passphrase in a file, without one trailing line break."""
    passphrase = _read_bytes(path, "passphrase file")
    for ending in (b"\r\n", b"\n"):
        if passphrase.endswith(ending):
            passphrase = passphrase[: -len(ending)]
            break
    if not passphrase:
        raise CeremonyError(f"{path}: the passphrase is empty")
    return passphrase


def run_keygen(args: argparse.Namespace) -> int:
    """Make an X25519 key pair and write it sealed by the passphrase."""
    passphrase = _read_passphrase(Path(args.passphrase_file))
    out = Path(args.out)
    private_key = generate_x25519_private_key()
    kdf = KDF_PBKDF2 if args.kdf == "pbkdf2" else KDF_SCRYPT
    content = write_key_file(private_key, passphrase, kdf=kdf)
    try:
        # O_EXCL: never overwrite a key file, which could destroy a key in use.
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise CeremonyError(f"{out}: already exists; not overwritten") from exc
    except OSError as exc:
        raise CeremonyError(f"cannot write {out}: {exc.strerror}") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    print(f"wrote {out}")
    print(f"x25519_public_key: {x25519_public_key(private_key).hex()}")
    print("Register this public key with the dealer and confirm it by another channel.")
    return 0


# ---------------------------------------------------------------- main


def _deal_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tally.ceremony",
        description="Deal a threshold Paillier key (SPEC §2.2), offline.",
        epilog="Subcommand: 'keygen --out key.json --passphrase-file F' makes a "
        "trustee's X25519 key pair.",
    )
    parser.add_argument("--trustees", required=True, help="trustees.json")
    parser.add_argument("--threshold", required=True, type=int, help="t")
    parser.add_argument("--bits", required=True, type=int, help="bits(n), e.g. 3072")
    parser.add_argument(
        "--allow-test-keys",
        action="store_true",
        help="allow bits(n) < 2048 (insecure, for tests)",
    )
    parser.add_argument("--out", required=True, help="new or empty output directory")
    return parser


def _keygen_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tally.ceremony keygen",
        description="Make a trustee's X25519 key pair, sealed by a passphrase.",
    )
    parser.add_argument("--out", required=True, help="key file to create")
    parser.add_argument(
        "--passphrase-file", required=True, help="file holding the passphrase"
    )
    parser.add_argument(
        "--kdf",
        choices=("scrypt", "pbkdf2"),
        default="scrypt",
        help="how the passphrase seals the key: scrypt (default) or pbkdf2, "
        "which the browser's trustee console can also open",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the tool; return the exit status (2 on bad input)."""
    args_list: list[str] = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list[:1] == ["keygen"]:
            return run_keygen(_keygen_parser().parse_args(args_list[1:]))
        return run_deal(_deal_parser().parse_args(args_list))
    except CeremonyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
