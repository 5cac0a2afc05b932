"""Python's side of the trustee console's cross-language tests.

``frontend/tests/js/trustee-interop.test.mjs`` runs
``python -m tests.frontend.trustee_interop COMMAND`` with a JSON object on
standard input and reads one JSON object from standard output:

* ``election``: a small closed election (the 1024-bit test key of the
  shared vectors) whose board holds a superseded re-vote, a replay, a
  ballot with a bad signature, an audited ballot cast afterwards and an
  audit; with trustee 1's X25519 key sealed by Python in a PBKDF2 key file,
  its share box, the ceremony's ``public.json``, and what Python's
  ``compute_tally`` makes of the board.
* ``seal-key``: ``{"private_key", "passphrase"}`` → a PBKDF2 key file.
* ``open-key``: ``{"file", "passphrase"}`` → ``{"private_key"}`` or
  ``{"error"}``.
* ``check-test-share``: ``{"public", "share", "s_2"}`` → whether the share
  checks (``require_valid_decryption_share`` under ``key_hash``) and
  whether it and trustee 2's Python share pass ``check_ceremony_test``.
* ``check-shares``: ``{"manifest_text", "board_text", "s_2", "text"}`` →
  whether the trustee shares file parses, counts the same board, and, with
  trustee 2's shares made by Python, assembles into ``tally.json`` with the
  expected counts.

Every call is a new process, so the election travels in the requests
(with trustee 2's plain share ``s_2``: a test's secret, never a real one).

It imports no Django.
"""

import json
import sys
from pathlib import Path
from typing import Any

from votecrypto.canonical import Json, cjson, cjson_line, parse_json
from votecrypto.errors import VoteCryptoError
from votecrypto.manifest import Manifest
from votecrypto.record import parse_jsonl_file
from votecrypto.sharefile import KDF_PBKDF2, read_key_file, write_key_file
from votecrypto.simulate import ElectionSimulator, sign_payload
from votecrypto.tally import (
    CAST,
    TrusteeShares,
    assemble_tally,
    board_reference,
    compute_tally,
    make_trustee_shares,
    parse_board,
)
from votecrypto.threshold import (
    CeremonyPublic,
    DecryptionShare,
    check_ceremony_test,
    make_ceremony_test_share,
    require_valid_decryption_share,
)

VECTORS = Path(__file__).resolve().parents[3] / "shared" / "vectors" / "vectors.json"
PASSPHRASE = "Қазақ тілі ✓ correct horse"

CONTESTS: list[Json] = [
    {
        "contest_id": "mayor",
        "title": "Mayor",
        "min_selections": 0,
        "max_selections": 1,
        "options": [
            {"option_id": "alice", "title": "Alice"},
            {"option_id": "bob", "title": "Bob"},
        ],
    },
    {
        "contest_id": "projects",
        "title": "Projects",
        "min_selections": 1,
        "max_selections": 2,
        "options": [
            {"option_id": "park", "title": "Park"},
            {"option_id": "library", "title": "Library"},
            {"option_id": "bridge", "title": "Bridge"},
        ],
    },
]

EXPECTED = {
    "mayor": {"alice": 2, "bob": 1},
    "projects": {"park": 2, "library": 2, "bridge": 1},
}
"""The counts of the voters' latest valid ballots below."""


def simulation() -> ElectionSimulator:
    """Run the election of the module doc."""
    key = json.loads(VECTORS.read_text(encoding="utf-8"))["key"]
    sim = ElectionSimulator(
        primes=(int(key["p"], 16), int(key["q"], 16)),
        voters=4,
        contests=CONTESTS,
        election_id="interop-2027",
    )
    sim.cast(0, {"mayor": [0, 1], "projects": [1, 0, 0]})  # superseded below
    replayed = sim.encrypt(1, {"mayor": [1, 0], "projects": [0, 1, 0]}).to_json()
    sim.post(CAST, replayed)
    sim.post(CAST, replayed)  # replay
    forged = sign_payload(
        sim.encrypt(2, {"mayor": [0, 1], "projects": [0, 1, 1]}).to_json(),
        sim.voters[2].seed,
    )
    forged["signature"] = "00" * 64
    sim.post(CAST, forged)  # bad signature
    _, audited = sim.audit(3, {"mayor": [0, 0], "projects": [0, 0, 1]})
    sim.post(CAST, audited.to_json())  # audited
    sim.cast(2, {"mayor": [0, 1], "projects": [0, 1, 1]})
    sim.cast(3, {"mayor": [0, 0], "projects": [1, 0, 0]})
    sim.cast(0, {"mayor": [1, 0], "projects": [1, 0, 0]})  # voter 0's re-vote
    sim.close()
    return sim


def board_text(sim: ElectionSimulator) -> str:
    """Return ``board.jsonl``'s text."""
    return "".join(cjson_line(entry).decode() for entry in sim.entries)


def election(_: dict[str, Any]) -> dict[str, Json]:
    """Return the election, trustee 1's files and Python's count of the board."""
    sim = simulation()
    entries = parse_board(sim.entries)
    counting = compute_tally(sim.manifest, entries)
    trustee = sim.trustees[0]
    return {
        "manifest_text": cjson_line(sim.manifest_json).decode(),
        "board_text": board_text(sim),
        "election_hash": sim.election_hash,
        "public": sim.dealer.public.to_json(),
        "trustee": {
            "index": trustee.index,
            "box": trustee.box.to_json(),
            "key_file": write_key_file(
                trustee.x25519_private_key, PASSPHRASE, kdf=KDF_PBKDF2
            ).decode(),
            "passphrase": PASSPHRASE,
        },
        "s_2": f"{sim.dealer.secret_shares[2]:x}",
        "python": {
            "counted": list(counting.counted),
            "verdicts": [
                [verdict.seq, verdict.type, verdict.reason]
                for verdict in counting.verdicts
            ],
            "superseded": {str(k): v for k, v in counting.superseded.items()},
            "aggregates": [
                [contest.contest_id, option.option_id, f"{option.aggregate:x}"]
                for contest in counting.aggregates
                for option in contest.options
            ],
            "board": board_reference(entries).to_json(),
        },
    }


def seal_key(request: dict[str, Any]) -> dict[str, Json]:
    """Seal a private key into a PBKDF2 key file."""
    content = write_key_file(
        bytes.fromhex(request["private_key"]), request["passphrase"], kdf=KDF_PBKDF2
    )
    return {"file": content.decode()}


def open_key(request: dict[str, Any]) -> dict[str, Json]:
    """Open a key file, or say why not."""
    try:
        private_key = read_key_file(request["file"], request["passphrase"])
    except VoteCryptoError as exc:
        return {"error": str(exc)}
    return {"private_key": private_key.hex()}


def check_test_share(request: dict[str, Any]) -> dict[str, Json]:
    """Check a browser-made ceremony test share, alone and with trustee 2's."""
    public = CeremonyPublic.from_json(request["public"])
    share = DecryptionShare.from_json(request["share"])
    keys = public.trustees
    try:
        require_valid_decryption_share(
            public.n,
            keys.count,
            keys.v,
            keys.verification_keys[share.index - 1].vk,
            public.key_hash,
            share.index,
            public.test.ciphertext,
            share,
        )
        other = make_ceremony_test_share(public, 2, int(request["s_2"], 16))
        check_ceremony_test(public, [share, other])
    except VoteCryptoError as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "canonical": cjson(share.to_json()).decode()}


def check_shares(request: dict[str, Any]) -> dict[str, Json]:
    """Check browser-made trustee shares by assembling the tally with them."""
    manifest = Manifest.from_json(parse_json(request["manifest_text"]))
    entries = parse_board(
        parse_jsonl_file(request["board_text"].encode(), "board.jsonl")
    )
    counting = compute_tally(manifest, entries)
    board = board_reference(entries)
    try:
        shares = TrusteeShares.from_json(parse_json(request["text"]))
        mine = make_trustee_shares(
            manifest, counting, board, 2, int(request["s_2"], 16)
        )
        tally = assemble_tally(manifest, counting, board, [shares, mine])
    except VoteCryptoError as exc:
        return {"ok": False, "error": str(exc)}
    kept = [share.index for share in tally.contests[0].options[0].shares]
    return {
        "ok": True,
        "canonical": cjson_line(shares.to_json()).decode() == request["text"],
        "indices": kept,
        "results": tally.results(),
        "expected": EXPECTED,
    }


COMMANDS = {
    "election": election,
    "seal-key": seal_key,
    "open-key": open_key,
    "check-test-share": check_test_share,
    "check-shares": check_shares,
}


def main() -> None:
    """Run the command named by the first argument on standard input's JSON."""
    request = json.loads(sys.stdin.read() or "{}")
    result = COMMANDS[sys.argv[1]](request)
    sys.stdout.write(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
