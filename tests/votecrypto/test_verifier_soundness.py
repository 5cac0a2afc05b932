"""The verifier (SPEC §9) catches every kind of cheating it is meant to catch.

Ballot-level cheating is one entry each in the session's tampered election
(tests/votecrypto/election_cases.py), which must still verify; record-level
cheating is made by editing the files of an honest record.
"""

import copy
import json
from typing import Any

import pytest

from tests.votecrypto.election_cases import (
    HONEST_RESULTS,
    TamperedElection,
    election_primes,
    honest_election,
    tampered_election,
)
from votecrypto import merkle
from votecrypto.canonical import hex_int
from votecrypto.record import RecordFiles, json_file
from votecrypto.simulate import ElectionSimulator, SimulatedRecord
from votecrypto.threshold import make_decryption_share
from votecrypto.verifier import (
    BATCH_WARNING,
    FAIL,
    NOT_CHECKED,
    PASS,
    VerificationReport,
    verify_record,
)

ALL_STEPS = ("V1", "V2", "V3", "V4", "V5", "V6", "V7", "V8", "V9")
IDENTITY_POINT = bytes.fromhex("01" + "00" * 31)


@pytest.fixture(scope="module")
def tampered() -> TamperedElection:
    """The election holding every kind of bad ballot and audit."""
    return tampered_election()


@pytest.fixture(scope="module")
def tampered_report(tampered: TamperedElection) -> VerificationReport:
    """The verifier's report on the tampered election (test mode, one process)."""
    return verify_record(tampered.record.files, allow_test_keys=True, jobs=1)


@pytest.fixture(scope="module")
def honest() -> SimulatedRecord:
    """The session's small honest election."""
    return honest_election()


def verify(files: RecordFiles, **kwargs: Any) -> VerificationReport:
    """Verify in test mode in one process."""
    return verify_record(files, allow_test_keys=True, jobs=1, **kwargs)


def statuses(report: VerificationReport) -> dict[str, str]:
    """Return ``{step: status}``."""
    return report.statuses()


def expect(**overrides: str) -> dict[str, str]:
    """Return PASS for V1–V9 except the given steps."""
    return {step: overrides.get(step, PASS) for step in ALL_STEPS}


def messages(report: VerificationReport, step: str) -> str:
    """Return a step's messages joined by newlines."""
    return "\n".join(report.step(step).messages)


# ---------------------------------------------------------------- ballots and audits


def test_tampered_election_still_verifies(tampered_report: VerificationReport) -> None:
    """Bad ballots and audits are reported and ignored; the record verifies."""
    assert statuses(tampered_report) == expect()
    assert tampered_report.verified is True


@pytest.mark.parametrize("case", sorted(tampered_election().cases))
def test_ballot_is_classified_with_its_reason(
    case: str, tampered: TamperedElection, tampered_report: VerificationReport
) -> None:
    """Each bad ballot gets its §7 reason; each good one is valid."""
    seq, reason = tampered.cases[case]
    assert tampered_report.invalid_ballots.get(seq) == reason


def test_invalid_ballots_are_exactly_the_bad_ones(
    tampered: TamperedElection, tampered_report: VerificationReport
) -> None:
    """Nothing else is called invalid."""
    expected = {seq: reason for seq, reason in tampered.cases.values() if reason}
    assert tampered_report.invalid_ballots == expected


def test_invalid_audit_is_reported_and_valid_audits_are_not(
    tampered: TamperedElection, tampered_report: VerificationReport
) -> None:
    """An audit with a wrong opening is reported as bad-opening, in V3 as well."""
    expected = {seq: reason for seq, reason in tampered.audits.values() if reason}
    assert tampered_report.invalid_audits == expected == {25: "bad-opening"}
    assert tampered_report.step("V3").status == PASS
    assert tampered_report.step("V3").messages == (
        "3 audits, 1 invalid (evidence of a cheating booth, listed below)",
    )


def test_counted_set_and_results(
    tampered: TamperedElection, tampered_report: VerificationReport
) -> None:
    """The latest valid ballot of each credential counts, and only those."""
    assert tampered_report.counted == tampered.counted
    assert tampered_report.results == tampered.results


def test_entry_story(
    tampered: TamperedElection, tampered_report: VerificationReport
) -> None:
    """The report tells what happened to each entry, superseded ballots included."""
    by_seq = {entry.seq: entry for entry in tampered_report.entries}
    superseded, _ = tampered.cases["superseded ballot of voter 5"]
    revote, _ = tampered.cases["re-vote of voter 5"]
    assert by_seq[superseded].status == "superseded"
    assert by_seq[superseded].superseded_by == revote
    assert by_seq[revote].status == "counted"
    copy_seq, _ = tampered.cases["bad signature before the genuine copy"]
    genuine, _ = tampered.cases["genuine ballot after its invalid copy"]
    assert (by_seq[copy_seq].status, by_seq[copy_seq].reason) == (
        "invalid",
        "bad-signature",
    )
    assert by_seq[genuine].status == "counted"
    assert by_seq[len(by_seq) - 1].status == "close"
    replay, _ = tampered.cases["replayed ballot"]
    original, _ = tampered.cases["honest voter 0"]
    assert by_seq[replay].detail == (
        f"the valid cast at seq {original} holds the same tracker"
    )


def test_jobs_do_not_change_the_report(
    tampered: TamperedElection, tampered_report: VerificationReport
) -> None:
    """Two worker processes give exactly the report of one."""
    parallel = verify_record(tampered.record.files, allow_test_keys=True, jobs=2)
    assert parallel.to_json() == tampered_report.to_json()


def test_unbatched_checks_give_the_same_verdicts(
    tampered: TamperedElection, tampered_report: VerificationReport
) -> None:
    """Without batching the verdicts are the same and no batch warning is given."""
    single = verify(tampered.record.files, batch=False)
    assert single.invalid_ballots == tampered_report.invalid_ballots
    assert single.batched is False
    assert BATCH_WARNING not in single.warnings
    assert tampered_report.batched is True
    assert BATCH_WARNING in tampered_report.warnings


# ---------------------------------------------------------------- receipts (V10)


def test_receipt_of_a_counted_ballot_passes(tampered: TamperedElection) -> None:
    """V10 passes for a counted ballot and says it is counted."""
    seq, _ = tampered.cases["genuine ballot after its invalid copy"]
    report = verify(tampered.record.files, receipt=tampered.record.receipts[seq])
    assert report.step("V10").status == PASS
    assert report.receipt is not None
    assert (report.receipt.outcome, report.receipt.superseded_by) == ("counted", None)


def test_receipt_of_a_superseded_ballot_reports_the_override(
    tampered: TamperedElection,
) -> None:
    """V10 passes for a superseded ballot but says loudly what replaced it."""
    seq, _ = tampered.cases["superseded ballot of voter 5"]
    revote, _ = tampered.cases["re-vote of voter 5"]
    report = verify(tampered.record.files, receipt=tampered.record.receipts[seq])
    assert report.step("V10").status == PASS
    assert report.receipt is not None
    assert report.receipt.outcome == "superseded"
    assert report.receipt.superseded_by == revote
    assert (
        report.step("V10")
        .messages[0]
        .startswith(f"ATTENTION: the ballot at seq {seq} is NOT counted")
    )


def test_receipt_of_an_invalid_ballot_fails(tampered: TamperedElection) -> None:
    """A voter whose ballot was judged invalid learns it: V10 fails."""
    seq, _ = tampered.cases["proof off by an element of order n"]
    report = verify(tampered.record.files, receipt=tampered.record.receipts[seq])
    assert report.step("V10").status == FAIL
    assert report.receipt is not None
    assert (report.receipt.outcome, report.receipt.reason) == ("invalid", "bad-proof")


def test_receipt_with_another_tracker_fails(honest: SimulatedRecord) -> None:
    """A receipt whose seq holds another ballot fails V10."""
    receipt = copy.deepcopy(honest.receipts[2])
    receipt["tracker"] = honest.receipts[3]["tracker"]
    report = verify(honest.files, receipt=receipt)
    assert report.step("V10").status == FAIL
    assert "entry seq 2 does not hold the receipt's tracker" in messages(report, "V10")


def test_receipt_with_a_broken_inclusion_proof_fails(honest: SimulatedRecord) -> None:
    """An inclusion proof that does not lead to the head's root fails V10."""
    receipt = copy.deepcopy(honest.receipts[2])
    assert receipt["inclusion_proof"]
    receipt["inclusion_proof"][0] = "00" * 32
    report = verify(honest.files, receipt=receipt)
    assert report.step("V10").status == FAIL
    assert "inclusion proof does not lead" in messages(report, "V10")


def test_unreadable_receipt_is_not_checked(honest: SimulatedRecord) -> None:
    """A receipt that is not JSON leaves V10 NOT CHECKED, which fails."""
    report = verify(honest.files, receipt=b"{not json")
    assert report.step("V10").status == NOT_CHECKED
    assert report.verified is False


# ---------------------------------------------------------------- the board (V2)


def test_honest_election_verifies(honest: SimulatedRecord) -> None:
    """The honest election passes every step with the expected results."""
    report = verify(honest.files, receipt=honest.receipts[5])
    assert report.statuses() == {**expect(), "V10": PASS}
    assert report.results == HONEST_RESULTS


def test_edited_board_entry_fails_v2(honest: SimulatedRecord) -> None:
    """Changing a signed entry breaks the heads' roots."""
    entries = [copy.deepcopy(entry) for entry in honest.entries]
    entries[2]["received_at"] = "2027-03-01T06:01:31Z"
    report = verify(honest.files_with(entries=entries))
    assert report.step("V2").status == FAIL
    assert "root_hash is not the Merkle root" in messages(report, "V2")


def test_forked_head_fails_v2_and_v10(honest: SimulatedRecord) -> None:
    """A correctly signed head of another history fails V2 and a receipt's V10."""
    entries = [copy.deepcopy(entry) for entry in honest.entries]
    entries[1]["received_at"] = "2027-03-01T06:00:59Z"
    forked_tree = merkle.MerkleTree(merkle.leaf_hash(entry) for entry in entries)
    forked = honest.sign_head(4, forked_tree.root(4), honest.heads[1]["timestamp"])
    heads = [*honest.heads]
    assert heads[1]["tree_size"] == 4
    heads[1] = forked
    report = verify(honest.files_with(heads=heads))
    assert report.step("V2").status == FAIL
    assert report.step("V2").messages == (
        "heads.jsonl line 2 (tree_size 4): root_hash is not the Merkle root of "
        "the first 4 entries",
        "7 entries, 3 signed heads, the last at 2027-03-01T07:00:00Z",
    )
    receipt = copy.deepcopy(honest.receipts[2])
    receipt["head"] = forked
    receipt["inclusion_proof"] = [
        node.hex() for node in forked_tree.inclusion_proof(2, 4)
    ]
    report = verify(honest.files, receipt=receipt)
    assert report.step("V10").status == FAIL
    assert "is not in heads.jsonl" in messages(report, "V10")
    assert "not consistent with the published board" in messages(report, "V10")


def test_hidden_head_fails_v10(honest: SimulatedRecord) -> None:
    """A head given to a voter but missing from heads.jsonl fails V10 only."""
    receipt = honest.receipts[2]
    heads = [head for head in honest.heads if head != receipt["head"]]
    report = verify(honest.files_with(heads=heads), receipt=receipt)
    assert report.step("V2").status == PASS
    assert report.step("V10").status == FAIL


def test_cast_after_close_fails_v2(honest: SimulatedRecord) -> None:
    """An entry after the close entry breaks the board's rules."""
    entries = [*honest.entries, {**honest.entries[2], "seq": len(honest.entries)}]
    entries[-1]["received_at"] = "2027-03-01T07:30:00Z"
    report = verify(honest.files_with(entries=entries))
    assert report.step("V2").status == FAIL
    assert "the close entry (board[6]) is not the last entry" in messages(report, "V2")


def test_board_without_close_fails_v2(honest: SimulatedRecord) -> None:
    """A board that was never closed fails V2."""
    entries = list(honest.entries[:-1])
    report = verify(honest.files_with(entries=entries))
    assert report.step("V2").status == FAIL
    assert "the board has no close entry" in messages(report, "V2")


def test_seq_gap_makes_later_steps_not_checked(honest: SimulatedRecord) -> None:
    """A gap in seq fails V2 and leaves the classification NOT CHECKED."""
    entries = [copy.deepcopy(entry) for entry in honest.entries]
    entries[3]["seq"] = 9
    report = verify(honest.files_with(entries=entries))
    assert report.step("V2").status == FAIL
    assert "board[3]: seq is 9, expected 3" in messages(report, "V2")
    assert report.step("V3").status == NOT_CHECKED
    assert report.step("V4").status == NOT_CHECKED
    assert report.step("V6").status == NOT_CHECKED
    assert report.verified is False


def test_non_canonical_board_line_fails_v2(honest: SimulatedRecord) -> None:
    """A board line with extra whitespace is not canonical (SPEC §1)."""
    assert honest.files.board is not None
    lines = honest.files.board.split(b"\n")
    lines[0] = json.dumps(json.loads(lines[0]), indent=1).replace("\n", "").encode()
    board = b"\n".join(lines)
    report = verify(
        RecordFiles(
            honest.files.manifest, board, honest.files.heads, honest.files.tally
        )
    )
    assert report.step("V2").status == FAIL
    assert "board.jsonl: line(s) 1 not canonical JSON (SPEC §1)" in messages(
        report, "V2"
    )


def test_tally_of_another_board_fails_v2(honest: SimulatedRecord) -> None:
    """tally.json's board must be the whole board."""
    tally = copy.deepcopy(honest.tally)
    tally["board"]["tree_size"] -= 1
    report = verify(honest.files_with(tally=tally))
    assert report.step("V2").status == FAIL


# ---------------------------------------------------------------- the tally (V5–V9)


def test_wrong_counted_set_fails_v5(honest: SimulatedRecord) -> None:
    """Counting a superseded ballot breaks the counting rule."""
    tally = copy.deepcopy(honest.tally)
    tally["counted"] = sorted([1, *tally["counted"]])
    report = verify(honest.files_with(tally=tally))
    assert report.step("V5").status == FAIL
    assert messages(report, "V5") == (
        "tally.json's counted does not follow the counting rule (§7): "
        "wrongly counted [1], wrongly left out []"
    )
    assert report.step("V6").status == FAIL


def test_extra_key_in_tally_fails_v5(honest: SimulatedRecord) -> None:
    """tally.json has exactly the keys of §7; the rest is NOT CHECKED."""
    tally = copy.deepcopy(honest.tally)
    tally["contests"][0]["options"][0]["note"] = "x"
    report = verify(honest.files_with(tally=tally))
    assert report.step("V5").status == FAIL
    assert messages(report, "V5") == (
        "tally.json: tally.contests[0].options[0]: unknown key(s): note"
    )
    for step in ("V6", "V7", "V8", "V9"):
        assert report.step(step).status == NOT_CHECKED


def test_wrong_aggregate_fails_v6(honest: SimulatedRecord) -> None:
    """An aggregate that is not the product of the counted ciphertexts fails V6."""
    pk = honest.manifest.paillier_key
    tally = copy.deepcopy(honest.tally)
    option = tally["contests"][0]["options"][0]
    option["aggregate"] = hex_int(
        pk.add(int(option["aggregate"], 16), pk.encrypt(1, 1))
    )
    report = verify(honest.files_with(tally=tally))
    assert report.step("V6").status == FAIL
    assert messages(report, "V6") == (
        "c1/o1: aggregate is not the product of the counted ballots' ciphertexts"
    )
    assert report.step("V7").status == FAIL


def test_wrong_share_with_forged_proof_fails_v7(honest: SimulatedRecord) -> None:
    """A share of the wrong secret fails V7, and V8 then lacks shares to combine."""
    manifest = honest.manifest
    trustees = manifest.trustees
    tally = copy.deepcopy(honest.tally)
    option = tally["contests"][1]["options"][2]
    secret = honest.dealer.secret_shares[1]
    forged = make_decryption_share(
        manifest.n,
        trustees.count,
        trustees.v,
        1,
        secret + 1,
        int(option["aggregate"], 16),
        honest.election_hash,
    )
    option["shares"][0] = forged.to_json()
    report = verify(honest.files_with(tally=tally))
    assert report.step("V7").status == FAIL
    assert report.step("V7").messages == (
        "invalid share: c2/o3 shares[0].proof: v^z ≢ b·v_i^e (mod n²)",
        "c2/o3: 1 valid shares, 2 needed",
        "11 of 12 shares valid",
    )
    assert report.step("V8").status == NOT_CHECKED


def test_unsorted_shares_fail_v7(honest: SimulatedRecord) -> None:
    """Shares must be sorted by distinct index."""
    tally = copy.deepcopy(honest.tally)
    shares = tally["contests"][0]["options"][0]["shares"]
    shares.reverse()
    report = verify(honest.files_with(tally=tally))
    assert report.step("V7").status == FAIL
    assert "c1/o1: share indices [2, 1] not distinct and ascending" in messages(
        report, "V7"
    )


def test_wrong_count_fails_v8(honest: SimulatedRecord) -> None:
    """A count the shares do not decrypt to fails V8."""
    tally = copy.deepcopy(honest.tally)
    tally["contests"][1]["options"][0]["count"] = 1
    report = verify(honest.files_with(tally=tally))
    assert statuses(report) == expect(V8=FAIL)
    assert messages(report, "V8") == "c2/o1: the shares decrypt to 2, not count 1"


def test_counts_outside_the_limits_fail_v9(honest: SimulatedRecord) -> None:
    """Zero votes in a contest with min_selections 1 fails V9 (and V8)."""
    tally = copy.deepcopy(honest.tally)
    for option in tally["contests"][0]["options"]:
        option["count"] = 0
    report = verify(honest.files_with(tally=tally))
    assert statuses(report) == expect(V8=FAIL, V9=FAIL)
    assert messages(report, "V9") == (
        "c1: 0 selections in all, outside [4, 4] for 4 counted ballots"
    )


# ---------------------------------------------------------------- the manifest (V1)


def test_missing_key_proof_fails_v1_and_nothing_else_is_checked(
    honest: SimulatedRecord,
) -> None:
    """Without a key proof the manifest is unusable: V2–V9 are NOT CHECKED."""
    manifest = copy.deepcopy(honest.manifest_json)
    del manifest["public_key"]["key_proof"]
    report = verify(honest.files_with(manifest=manifest))
    assert report.step("V1").status == FAIL
    assert messages(report, "V1") == (
        "manifest.json: public_key: missing key(s): key_proof"
    )
    assert {s: report.step(s).status for s in ALL_STEPS[1:]} == dict.fromkeys(
        ALL_STEPS[1:], NOT_CHECKED
    )


def tiny_election(**options: Any) -> SimulatedRecord:
    """Return a one-voter election made with the given simulator options."""
    simulator = ElectionSimulator(
        primes=election_primes(), voters=1, trustees=2, **options
    )
    simulator.cast(0, {"c1": [0, 1, 0], "c2": [0, 0, 1]})
    return simulator.finish()


def test_wrong_key_proof_fails_v1_only() -> None:
    """A key proof round that does not check fails V1."""

    def break_proof(manifest: Any) -> Any:
        round_ = manifest["public_key"]["key_proof"]["rounds"][5]
        round_["z"] = hex_int(int(round_["z"], 16) + 1)
        return manifest

    report = verify(tiny_election(manifest_hook=break_proof).files)
    assert statuses(report) == expect(V1=FAIL)
    assert messages(report, "V1").startswith(
        "key proof: public_key.key_proof.rounds[5]"
    )


def test_small_order_credential_fails_v1() -> None:
    """A credential that is a point of small order is not a valid key."""
    report = verify(tiny_election(extra_credentials=[IDENTITY_POINT]).files)
    assert statuses(report) == expect(V1=FAIL)
    assert "not a valid Ed25519 key: credentials[0]" in messages(report, "V1")


def test_small_order_board_key_fails_v1_and_v2() -> None:
    """An identity board key, whose "signatures" OpenSSL accepts, fails V1 and V2."""

    def identity_board_key(manifest: Any) -> Any:
        manifest["board_public_key"] = IDENTITY_POINT.hex()
        return manifest

    record = tiny_election(
        manifest_hook=identity_board_key,
        head_signer=lambda head: IDENTITY_POINT + bytes(32),
    )
    report = verify(record.files)
    assert statuses(report) == expect(V1=FAIL, V2=FAIL)
    assert "not a valid Ed25519 key: board_public_key" in messages(report, "V1")
    assert report.step("V2").messages == (
        "heads.jsonl: invalid board signature on line(s) 1, 2",
        "2 entries, 2 signed heads, the last at 2027-03-01T07:00:00Z",
    )


def test_test_key_fails_v1_outside_test_mode(honest: SimulatedRecord) -> None:
    """A 512-bit key is refused unless test keys are allowed."""
    report = verify_record(honest.files, jobs=1)
    assert statuses(report) == expect(V1=FAIL)
    assert messages(report, "V1").startswith(
        "public_key.n: bits(n) = 512 < 2048 (test keys are accepted only in test mode)"
    )


def test_missing_tally_leaves_tally_steps_not_checked(honest: SimulatedRecord) -> None:
    """A record without tally.json fails V5 and cannot pass V2 or V6–V9."""
    files = RecordFiles(
        honest.files.manifest, honest.files.board, honest.files.heads, None
    )
    report = verify(files)
    assert statuses(report) == expect(
        V2=NOT_CHECKED,
        V5=FAIL,
        V6=NOT_CHECKED,
        V7=NOT_CHECKED,
        V8=NOT_CHECKED,
        V9=NOT_CHECKED,
    )
    assert messages(report, "V5") == "tally.json is missing from the record"


def test_non_canonical_tally_file_fails_v5(honest: SimulatedRecord) -> None:
    """tally.json must be canonical JSON plus LF."""
    data = json.dumps(honest.tally, indent=2).encode() + b"\n"
    files = RecordFiles(
        honest.files.manifest, honest.files.board, honest.files.heads, data
    )
    report = verify(files)
    assert statuses(report) == expect(V5=FAIL)
    assert json_file(honest.tally) == honest.files.tally
