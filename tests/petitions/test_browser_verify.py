"""The browser check (petitions-verify.js) agrees with the server's log (Node)."""

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from accounts.models import User
from petitions.models import Petition
from petitions.services import (
    heads_jsonl,
    log_jsonl,
    log_public_key,
    petition_sign,
    petition_withdraw,
)

REPO = Path(__file__).resolve().parents[2]
MODULE = REPO / "frontend" / "static" / "js" / "petitions-verify.js"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node")

SCRIPT = """
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const [module, input] = process.argv.slice(2);
const { verifyPetition } = await import(pathToFileURL(module).href);
const data = JSON.parse(readFileSync(input, "utf8"));
console.log(JSON.stringify(await verifyPetition(data)));
"""


def _run_node(tmp_path: Path, data: dict[str, object]) -> dict[str, object]:
    script = tmp_path / "check.mjs"
    script.write_text(SCRIPT)
    source = tmp_path / "input.json"
    source.write_text(json.dumps(data))
    result = subprocess.run(
        ["node", str(script), str(MODULE), str(source)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    output: dict[str, object] = json.loads(result.stdout)
    return output


def test_browser_check_recomputes_count_and_receipt(
    make_petition: Callable[..., Petition],
    make_user: Callable[..., User],
    tmp_path: Path,
) -> None:
    """The ES module counts the log, checks heads and the receipt like Python."""
    petition = make_petition()
    signer, leaver = make_user(), make_user()
    _sig, receipt = petition_sign(petition=petition, user=signer)
    petition_sign(petition=petition, user=leaver)
    petition_withdraw(petition=petition, user=leaver)
    petition.refresh_from_db()
    data = {
        "logText": log_jsonl(petition).decode(),
        "headsText": heads_jsonl(petition).decode(),
        "logKey": log_public_key(),
        "receipt": receipt,
        "publishedCount": petition.signature_count,
    }
    assert _run_node(tmp_path, data) == {
        "ok": True,
        "count": 2,
        "entries": 5,
        "problems": [],
        "receiptStatus": "counted",
    }
    tampered = dict(data, publishedCount=3)
    outcome = _run_node(tmp_path, tampered)
    assert outcome["ok"] is False
    assert outcome["problems"] == ["the published count is 3, the log counts 2"]
    other_key = dict(
        data, logKey="3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"
    )
    problems = _run_node(tmp_path, other_key)["problems"]
    assert isinstance(problems, list)
    assert "heads[0]: the signature is not valid for the log key" in problems
