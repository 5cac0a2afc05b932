"""Browser and server agree: each side verifies ballots the other one made."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from votecrypto.ballot import (
    check_audit,
    check_cast_cheap,
    check_cast_proofs,
    encrypt_ballot,
)
from votecrypto.canonical import cjson, parse_json
from votecrypto.credentials import credential_seed
from votecrypto.manifest import Manifest

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO.parent / "shared" / "vectors" / "vectors.json"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

CHECK_SCRIPT = """
import { readFileSync } from "node:fs";
import { checkBallot } from "./frontend/static/js/crypto/ballot.js";
const [manifestPath, ballotPath] = process.argv.slice(1);
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
const ballot = JSON.parse(readFileSync(ballotPath, "utf8"));
const result = await checkBallot(manifest, ballot);
process.stdout.write(JSON.stringify(result));
"""


@pytest.fixture(scope="module")
def ballot_vector() -> dict[str, Any]:
    """The ballot section of the shared vectors (manifest, code, choices)."""
    return json.loads(VECTORS.read_text(encoding="utf-8"))["ballot"]


def test_python_verifies_ballot_made_by_javascript(
    ballot_vector: dict[str, Any], tmp_path: Path
) -> None:
    """A ballot encrypted by the browser code passes every server check."""
    out = tmp_path / "js-ballot.json"
    run = subprocess.run(
        [str(NODE), "--test", "frontend/tests/js/ballot.test.mjs"],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "DAUYS_JS_BALLOT_OUT": str(out)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    made = parse_json(out.read_bytes())
    manifest = Manifest.from_json(ballot_vector["manifest"])
    assert made["election_hash"] == manifest.election_hash
    check = check_cast_cheap(
        manifest, manifest.election_hash, None, made["ballot"], "2027-03-01T06:10:00Z"
    )
    assert check.reason is None, check.detail
    assert check.tracker == made["tracker"]
    assert check.ballot is not None
    assert check_cast_proofs(manifest, manifest.election_hash, check.ballot) is None
    audit = check_audit(
        manifest,
        manifest.paillier_key,
        {
            "ballot": {k: v for k, v in made["ballot"].items() if k != "signature"},
            "openings": made["openings"],
        },
    )
    assert audit.reason is None, audit.detail


def test_javascript_verifies_ballot_made_by_python(
    ballot_vector: dict[str, Any], tmp_path: Path
) -> None:
    """A votecrypto ballot passes the browser's checks; a tampered one fails."""
    manifest = Manifest.from_json(ballot_vector["manifest"])
    seed = credential_seed(ballot_vector["credential"]["code"], manifest.election_id)
    ballot = encrypt_ballot(
        manifest, manifest.election_hash, seed, ballot_vector["choices"]
    )
    manifest_path = tmp_path / "manifest.json"
    manifest_path.write_bytes(cjson(ballot_vector["manifest"]))

    def js_check(payload: dict[str, Any]) -> dict[str, Any]:
        ballot_path = tmp_path / "ballot.json"
        ballot_path.write_bytes(cjson(payload))
        run = subprocess.run(
            [
                str(NODE),
                "--input-type=module",
                "-e",
                CHECK_SCRIPT,
                str(manifest_path),
                str(ballot_path),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        result: dict[str, Any] = json.loads(run.stdout)
        return result

    good = ballot.to_json()
    result = js_check(good)
    assert result["reason"] is None, result
    tampered = json.loads(json.dumps(good))
    challenges = tampered["contests"][0]["selections"][0]["proof"]["challenges"]
    challenges[0] = format((int(challenges[0], 16) + 1) % 2**256, "x")
    assert js_check(tampered)["reason"] in {"bad-signature", "bad-proof"}
