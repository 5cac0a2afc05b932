"""Simulated test elections, built once per session and shared by the tests.

:func:`honest_election` is a small honest election.  :func:`tampered_election`
is one election whose board holds, next to honest ballots, one entry for
each way a ballot or an audit can be bad (SPEC §7), each with the reason a
verifier must give it; the record is otherwise honest, so it verifies.
Tests derive record-level tampering (edited entries, forked heads, wrong
tallies) from these records by editing their files.
"""

import copy
import dataclasses
import functools
import secrets
from dataclasses import dataclass
from typing import Any

from votecrypto import ed25519
from votecrypto.ballot import (
    BallotRandomness,
    EncryptedBallot,
    encrypt_ballot,
    make_audit,
    selection_context,
    sum_context,
)
from votecrypto.canonical import hex_int
from votecrypto.primes import generate_paillier_primes
from votecrypto.proofs import ProverRandomness, prove_membership
from votecrypto.simulate import ElectionSimulator, SimulatedRecord, sign_payload

BITS = 512
"""Key size of the test elections (a TEST key: fast, not secure)."""


@functools.lru_cache(maxsize=1)
def election_primes() -> tuple[int, int]:
    """Return the safe primes of the session's test key (generated once)."""
    return generate_paillier_primes(BITS)


@functools.lru_cache(maxsize=1)
def honest_election() -> SimulatedRecord:
    """Return a small honest election: 4 voters, one audit, one re-vote.

    Voter 0 audits a ballot, every voter casts, voter 0 votes again; the
    trustees 1 and 2 of three (t = 2) decrypt.
    """
    simulator = ElectionSimulator(primes=election_primes(), voters=4)
    simulator.audit(0, {"c1": [0, 0, 1], "c2": [1, 1, 0]})
    simulator.cast(0, {"c1": [1, 0, 0], "c2": [0, 0, 0]})
    simulator.cast(1, {"c1": [0, 1, 0], "c2": [1, 0, 0]})
    simulator.cast(2, {"c1": [0, 1, 0], "c2": [1, 1, 0]})
    simulator.cast(3, {"c1": [0, 0, 1], "c2": [0, 0, 1]})
    simulator.cast(0, {"c1": [0, 1, 0], "c2": [0, 1, 1]})
    return simulator.finish()


HONEST_RESULTS = {"c1": {"o1": 0, "o2": 3, "o3": 1}, "c2": {"o1": 2, "o2": 2, "o3": 2}}
"""The counts of :func:`honest_election` (voter 0's re-vote counts)."""


@dataclass(frozen=True)
class TamperedElection:
    """The tampered election with what a verifier must find in it."""

    record: SimulatedRecord
    """The record (honest apart from the bad entries it holds)."""
    cases: dict[str, tuple[int, str | None]]
    """Case name → (seq, expected reason; ``None`` for a valid entry)."""
    audits: dict[str, tuple[int, str | None]]
    """Audit case name → (seq, expected reason)."""
    counted: tuple[int, ...]
    """The ``seq``s that must be counted."""
    results: dict[str, dict[str, int]]
    """The counts the tally must hold."""


def _body(ballot: EncryptedBallot) -> dict[str, Any]:
    return copy.deepcopy(ballot.to_json())


def _forged_randomness(simulator: ElectionSimulator, factor: int) -> BallotRandomness:
    """Randomness whose first selection proof uses ``a_i = factor·ρ^n``."""
    pk = simulator.pk
    randomness = BallotRandomness.generate(simulator.manifest)
    first = randomness.contests[0].selections[0]
    forged = ProverRandomness(
        rho=first.proof.rho,
        rho_n=first.proof.rho_n * factor % pk.nsquare,
        simulated=first.proof.simulated,
    )
    selections = (
        dataclasses.replace(first, proof=forged),
        *randomness.contests[0].selections[1:],
    )
    contest = dataclasses.replace(randomness.contests[0], selections=selections)
    return BallotRandomness(contests=(contest, *randomness.contests[1:]))


def _selection_of_two(simulator: ElectionSimulator, voter: int) -> dict[str, Any]:
    """A ballot whose c2/o1 encrypts 2 with a proof claiming 1 (sum proof honest)."""
    pk, eh = simulator.pk, simulator.election_hash
    seed = simulator.voters[voter].seed
    ballot = simulator.encrypt(voter, {"c1": [1, 0, 0], "c2": [0, 0, 0]})
    body = _body(ballot)
    credential = simulator.voters[voter].credential
    r0 = pk.random_unit()
    c0 = pk.encrypt(2, r0)
    contest = body["contests"][1]
    contest["selections"][0]["ciphertext"] = hex_int(c0)
    contest["selections"][0]["proof"] = prove_membership(
        pk, c0, [0, 1], 1, r0, eh, selection_context(credential, "c2", "o1")
    ).to_json()
    rs = [o.randomness for o in ballot.openings if o.contest_id == "c2"]
    cs = [c0, *(int(s["ciphertext"], 16) for s in contest["selections"][1:])]
    total = pk.aggregate(cs)
    big_r = r0 * rs[1] * rs[2] % pk.n
    contest["sum_proof"] = prove_membership(
        pk, total, [0, 1, 2], 2, big_r, eh, sum_context(credential, "c2")
    ).to_json()
    return sign_payload(body, seed)


def _sum_above_max(simulator: ElectionSimulator, voter: int) -> dict[str, Any]:
    """A ballot selecting two options of c1 (max 1), every selection proof honest."""
    pk, eh = simulator.pk, simulator.election_hash
    seed = simulator.voters[voter].seed
    credential = simulator.voters[voter].credential
    ballot = simulator.encrypt(voter, {"c1": [1, 0, 0], "c2": [0, 0, 0]})
    body = _body(ballot)
    contest = body["contests"][0]
    r1 = pk.random_unit()
    c1 = pk.encrypt(1, r1)
    contest["selections"][1]["ciphertext"] = hex_int(c1)
    contest["selections"][1]["proof"] = prove_membership(
        pk, c1, [0, 1], 1, r1, eh, selection_context(credential, "c1", "o2")
    ).to_json()
    rs = [o.randomness for o in ballot.openings if o.contest_id == "c1"]
    cs = [int(s["ciphertext"], 16) for s in contest["selections"]]
    big_r = rs[0] * r1 * rs[2] % pk.n
    contest["sum_proof"] = prove_membership(
        pk, pk.aggregate(cs), [1], 0, big_r, eh, sum_context(credential, "c1")
    ).to_json()
    return sign_payload(body, seed)


def _with(body: dict[str, Any], seed: bytes, edit: Any) -> dict[str, Any]:
    """Apply ``edit`` to a copy of ``body`` and re-sign it."""
    changed = copy.deepcopy(body)
    edit(changed)
    return sign_payload(changed, seed)


@functools.lru_cache(maxsize=1)
def tampered_election() -> TamperedElection:
    """Return the election holding every kind of bad ballot and audit."""
    sim = ElectionSimulator(primes=election_primes(), voters=7)
    pk = sim.pk
    n, nsquare = pk.n, pk.nsquare
    p = election_primes()[0]
    seeds = [voter.seed for voter in sim.voters]
    cases: dict[str, tuple[int, str | None]] = {}
    audits: dict[str, tuple[int, str | None]] = {}

    cases["early"] = (
        sim.cast(0, {"c1": [0, 0, 1], "c2": [0, 0, 0]}, at="2027-03-01T05:59:30Z"),
        "early",
    )
    honest0 = sim.encrypt(0, {"c1": [1, 0, 0], "c2": [1, 0, 0]})
    cases["honest voter 0"] = (sim.post("cast", honest0.to_json()), None)
    audited_seq, audited = sim.audit(1, {"c1": [0, 1, 0], "c2": [0, 1, 1]})
    audits["valid audit"] = (audited_seq, None)
    cases["audited ballot cast"] = (
        sim.post("cast", sign_payload(audited.body_json(), seeds[1])),
        "audited",
    )
    cases["honest voter 1"] = (sim.cast(1, {"c1": [0, 1, 0], "c2": [0, 0, 1]}), None)
    cases["replayed ballot"] = (sim.post("cast", honest0.to_json()), "replay")
    cases["selection encrypting 2"] = (
        sim.post("cast", _selection_of_two(sim, 2)),
        "bad-proof",
    )
    cases["sum above max"] = (sim.post("cast", _sum_above_max(sim, 2)), "bad-proof")

    base2 = _body(sim.encrypt(2, {"c1": [0, 0, 1], "c2": [1, 1, 0]}))

    def shift_challenges(body: dict[str, Any]) -> None:
        proof = body["contests"][0]["selections"][0]["proof"]
        e0, e1 = (int(e, 16) for e in proof["challenges"])
        delta = 12345
        proof["challenges"] = [
            hex_int((e0 + delta) % 2**256),
            hex_int((e1 - delta) % 2**256),
        ]

    cases["forged challenge split"] = (
        sim.post("cast", _with(base2, seeds[2], shift_challenges)),
        "bad-proof",
    )
    base3 = _body(sim.encrypt(3, {"c1": [1, 0, 0], "c2": [0, 1, 0]}))

    def other_credential(body: dict[str, Any]) -> None:
        body["credential"] = sim.voters[2].credential.hex()

    cases["proof copied onto another credential"] = (
        sim.post("cast", _with(base3, seeds[2], other_credential)),
        "bad-proof",
    )
    cases["honest voter 2"] = (
        sim.post("cast", sign_payload(base2, seeds[2])),
        None,
    )

    def set_ciphertext(value: str) -> Any:
        def edit(body: dict[str, Any]) -> None:
            body["contests"][0]["selections"][0]["ciphertext"] = value

        return edit

    c0 = int(base3["contests"][0]["selections"][0]["ciphertext"], 16)
    cases["ciphertext at least n squared"] = (
        sim.post("cast", _with(base3, seeds[3], set_ciphertext(hex_int(c0 + nsquare)))),
        "invalid-ciphertext",
    )
    cases["ciphertext sharing a factor with n"] = (
        sim.post("cast", _with(base3, seeds[3], set_ciphertext(hex_int(p * 12345)))),
        "invalid-ciphertext",
    )
    cases["ciphertext zero"] = (
        sim.post("cast", _with(base3, seeds[3], set_ciphertext("0"))),
        "invalid-ciphertext",
    )
    cases["leading zero in hex"] = (
        sim.post("cast", _with(base3, seeds[3], set_ciphertext("0" + hex_int(c0)))),
        "encoding",
    )
    cases["upper-case hex"] = (
        sim.post("cast", _with(base3, seeds[3], set_ciphertext(hex_int(c0).upper()))),
        "encoding",
    )

    def drop_option(body: dict[str, Any]) -> None:
        del body["contests"][1]["selections"][2]

    def swap_options(body: dict[str, Any]) -> None:
        selections = body["contests"][1]["selections"]
        selections[0], selections[1] = selections[1], selections[0]

    cases["missing option"] = (
        sim.post("cast", _with(base3, seeds[3], drop_option)),
        "structure",
    )
    cases["reordered options"] = (
        sim.post("cast", _with(base3, seeds[3], swap_options)),
        "structure",
    )
    outsider_seed = ed25519.generate_seed()
    outsider = _body(sim.encrypt(3, {"c1": [1, 0, 0], "c2": [0, 0, 0]}))

    def outsider_credential(body: dict[str, Any]) -> None:
        body["credential"] = ed25519.public_key_from_seed(outsider_seed).hex()

    cases["unknown credential"] = (
        sim.post("cast", _with(outsider, outsider_seed, outsider_credential)),
        "unknown-credential",
    )
    genuine3 = sign_payload(base3, seeds[3])
    forged_signature = copy.deepcopy(genuine3)
    forged_signature["signature"] = secrets.token_bytes(64).hex()
    cases["bad signature before the genuine copy"] = (
        sim.post("cast", forged_signature),
        "bad-signature",
    )
    cases["genuine ballot after its invalid copy"] = (sim.post("cast", genuine3), None)

    order_n = _forged_randomness(sim, 1 + n)
    cases["proof off by an element of order n"] = (
        sim.post(
            "cast",
            sim.encrypt(
                4, {"c1": [0, 1, 0], "c2": [1, 0, 1]}, randomness=order_n
            ).to_json(),
        ),
        "bad-proof",
    )
    base4 = _body(sim.encrypt(4, {"c1": [0, 1, 0], "c2": [0, 1, 0]}))

    def response_plus_n(body: dict[str, Any]) -> None:
        proof = body["contests"][0]["selections"][1]["proof"]
        proof["responses"][0] = hex_int(int(proof["responses"][0], 16) + n)

    cases["response z at least n"] = (
        sim.post("cast", _with(base4, seeds[4], response_plus_n)),
        "bad-proof",
    )
    minus_one = _forged_randomness(sim, nsquare - 1)
    cases["proof off by minus one"] = (
        sim.post(
            "cast",
            sim.encrypt(
                4, {"c1": [0, 1, 0], "c2": [1, 0, 1]}, randomness=minus_one
            ).to_json(),
        ),
        None,
    )
    other_hash = "ab" * 32
    cases["ballot for another election"] = (
        sim.post(
            "cast",
            encrypt_ballot(
                sim.manifest, other_hash, seeds[5], {"c1": [1, 0, 0], "c2": [0, 0, 0]}
            ).to_json(),
        ),
        "wrong-election",
    )
    bad_audit_ballot = sim.encrypt(5, {"c1": [1, 0, 0], "c2": [0, 0, 0]})
    bad_audit = make_audit(bad_audit_ballot)
    bad_audit["openings"][0]["plaintext"] = 0
    audits["audit with a wrong opening"] = (sim.post("audit", bad_audit), "bad-opening")
    cases["superseded ballot of voter 5"] = (
        sim.cast(5, {"c1": [0, 0, 1], "c2": [0, 0, 0]}),
        None,
    )
    cases["re-vote of voter 5"] = (
        sim.cast(5, {"c1": [1, 0, 0], "c2": [1, 1, 0]}),
        None,
    )
    cast_first = sim.encrypt(6, {"c1": [0, 0, 1], "c2": [0, 0, 0]})
    cases["ballot audited only after it was cast"] = (
        sim.post("cast", cast_first.to_json()),
        None,
    )
    audits["audit of a ballot already cast"] = (
        sim.post("audit", make_audit(cast_first)),
        None,
    )
    cases["late ballot"] = (
        sim.cast(6, {"c1": [1, 0, 0], "c2": [0, 0, 0]}, at="2027-03-01T07:00:00Z"),
        "late",
    )
    record = sim.finish()
    counted = tuple(
        sorted(
            cases[name][0]
            for name in (
                "honest voter 0",
                "honest voter 1",
                "honest voter 2",
                "genuine ballot after its invalid copy",
                "proof off by minus one",
                "re-vote of voter 5",
                "ballot audited only after it was cast",
            )
        )
    )
    results = {
        "c1": {"o1": 3, "o2": 2, "o3": 2},
        "c2": {"o1": 4, "o2": 3, "o3": 2},
    }
    return TamperedElection(record, cases, audits, counted, results)
