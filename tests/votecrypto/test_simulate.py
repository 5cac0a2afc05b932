"""votecrypto.simulate builds honest records that verify (tests, demo)."""

import pytest

from tests.votecrypto.election_cases import election_primes, honest_election
from votecrypto.heads import ELECTION, SignedHead
from votecrypto.simulate import (
    ElectionSimulator,
    default_choices,
    sign_payload,
    simulate_election,
)
from votecrypto.verifier import verify_record


def test_simulate_election_verifies_with_known_results() -> None:
    """The one-call simulation verifies and counts the choices it made."""
    record = simulate_election(primes=election_primes(), voters=3)
    report = verify_record(record.files, allow_test_keys=True, jobs=1)
    assert report.verified is True
    # Voter 0 re-votes with the choices of voter 2; voter 0's audit is of voter 1's.
    choices = [default_choices(2), default_choices(1), default_choices(2)]
    expected = {
        contest: {
            f"o{option + 1}": sum(c[contest][option] for c in choices)
            for option in range(3)
        }
        for contest in ("c1", "c2")
    }
    assert report.results == expected
    assert len(report.invalid_ballots) == 0


def test_heads_follow_the_schedule() -> None:
    """A size-0 head before voting, one every head_every entries, one after close."""
    record = honest_election()
    heads = [SignedHead.from_json(ELECTION, head) for head in record.heads]
    assert [head.tree_size for head in heads] == [0, 4, 7]
    assert heads[0].timestamp == "2027-03-01T05:59:00Z"
    assert heads[-1].timestamp == "2027-03-01T07:00:00Z"
    assert record.entries[-1]["type"] == "close"
    assert sorted(record.receipts) == [1, 2, 3, 4, 5]
    assert record.receipts[1]["head"] == record.heads[1]
    assert record.receipts[5]["head"] == record.heads[2]


def test_sign_payload_signs_the_new_tracker() -> None:
    """An edited ballot re-signed by its credential passes the signature check."""
    record = honest_election()
    payload = record.entries[1]["payload"]
    resigned = sign_payload(payload, record.voters[0].seed)
    assert resigned == payload


def test_simulator_refuses_a_decreasing_time_and_posts_after_close() -> None:
    """received_at never decreases, and nothing is posted after close."""
    simulator = ElectionSimulator(
        primes=election_primes(), voters=1, trustees=1, threshold=1
    )
    simulator.cast(0, {"c1": [1, 0, 0], "c2": [0, 0, 0]}, at="2027-03-01T06:10:00Z")
    with pytest.raises(ValueError, match="must not decrease"):
        simulator.cast(0, {"c1": [1, 0, 0], "c2": [0, 0, 0]}, at="2027-03-01T06:09:59Z")
    simulator.close()
    with pytest.raises(ValueError, match="the board is closed"):
        simulator.post("cast", {})
    record = simulator.finish()
    assert verify_record(record.files, allow_test_keys=True, jobs=1).verified is True
