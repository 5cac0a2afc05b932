"""The cryptographic core at real key sizes (issue #3, item 6).

Run with ``python -m bench crypto`` (``make bench`` runs it with the
others).  For the standard workload — one contest of five options,
``min_selections`` 0, ``max_selections`` 1 — and each key size (2048 and
3072 bits by default) it prints:

0. how long the two safe primes took (:func:`generate_paillier_primes`,
   once per size), the dealer, and building an honest record of ``N``
   ballots with :class:`~votecrypto.simulate.ElectionSimulator`;
1. ballot encryption, in one go and split into the precomputation
   (:meth:`BallotRandomness.generate`) and the finish;
2. one ballot's verification (:func:`check_cast_cheap` then
   :func:`check_cast_proofs`), and batched verification per ballot
   (:func:`check_cast_proofs_batch` over 20 ballots), and a batch's
   weighted product ``Π z_j^w_j`` with one ``powmod`` per base against
   the simultaneous exponentiation the batch check uses;
3. aggregation of 200 and 1000 ballots, as raw products and through
   :func:`aggregate_ballots` (which also parses the payloads);
4. threshold decryption, t = 2 of 3: one share with its proof, its check,
   and combining two shares;
5. :func:`verify_record` on the record, with one worker and with all cores,
   split into its stages;

then ballots per second per core, and the ratio of a ballot's verification
time to the exponentiations it cannot avoid, timed with ``gmpy2.powmod``
in the same run.  Figures are printed, nothing is asserted about time.

Wall-clock time depends on what else the machine runs (the load average
is printed); CPU time (this process and its finished workers) is the
steadier figure and the per-core rates use it.  Knobs:
``BENCH_CRYPTO_BITS`` (default ``2048,3072``), ``BENCH_CRYPTO_RECORD``
(ballots in the record, default 100 at 2048 bits and 50 above),
``BENCH_CRYPTO_REPEAT`` (samples per small figure, default 3).
"""

import os
import platform
import resource
import secrets
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

import gmpy2

from votecrypto.ballot import (
    BallotRandomness,
    EncryptedBallot,
    ballot_statements,
    check_cast_cheap,
    check_cast_proofs,
    check_cast_proofs_batch,
    encrypt_ballot,
)
from votecrypto.canonical import Json, hex_int
from votecrypto.manifest import Manifest
from votecrypto.paillier import PublicKey
from votecrypto.primes import generate_paillier_primes
from votecrypto.proofs import BATCH_WEIGHT_BITS, _product_of_powers
from votecrypto.simulate import ElectionSimulator, SimulatedRecord
from votecrypto.tally import CAST, aggregate_ballots
from votecrypto.threshold import (
    combine,
    make_decryption_share,
    require_valid_decryption_share,
)
from votecrypto.verifier import verify_record

T = TypeVar("T")
P = ParamSpec("P")

OPTIONS = 5
STANDARD_CONTEST: Json = {
    "contest_id": "c1",
    "title": "Standard contest (choose at most one of five)",
    "min_selections": 0,
    "max_selections": 1,
    "options": [
        {"option_id": f"o{i}", "title": f"Option {i}"} for i in range(1, OPTIONS + 1)
    ],
}
TRUSTEES = 3
THRESHOLD = 2
BATCH = 20
AGGREGATE_SIZES = (200, 1000)
MIN_PRODUCTION_BITS = 2048


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


BITS = tuple(
    int(b) for b in os.environ.get("BENCH_CRYPTO_BITS", "2048,3072").split(",") if b
)
REPEAT = max(1, _env_int("BENCH_CRYPTO_REPEAT", 3))
CORES = os.cpu_count() or 1


def _record_size(bits: int) -> int:
    """Return the ballots in the record for a key size (BENCH_CRYPTO_RECORD)."""
    return max(BATCH, _env_int("BENCH_CRYPTO_RECORD", 100 if bits <= 2048 else 50))


# ---------------------------------------------------------------- timing


@dataclass(frozen=True, slots=True)
class Timing:
    """Seconds of wall-clock time and of CPU time (with finished workers)."""

    wall: float
    cpu: float

    def per(self, count: int) -> "Timing":
        """Return the time per item of ``count``."""
        return Timing(self.wall / count, self.cpu / count)


def _cpu() -> float:
    """Return CPU seconds of this process and of its waited-for children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _timed(
    run: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> tuple[T, Timing]:
    """Call ``run(*args, **kwargs)`` once; return its result and how long it took."""
    wall, cpu = time.perf_counter(), _cpu()
    result = run(*args, **kwargs)
    return result, Timing(time.perf_counter() - wall, _cpu() - cpu)


def _median(samples: Sequence[Timing]) -> Timing:
    """Return the medians of the wall and of the CPU times."""
    return Timing(
        statistics.median(s.wall for s in samples),
        statistics.median(s.cpu for s in samples),
    )


@dataclass
class Table:
    """Rows of ``label | per | wall ms | CPU ms | note`` for one key size."""

    rows: list[tuple[str, str, Timing | None, str]] = field(default_factory=list)

    def add(self, label: str, per: str, timing: Timing | None, note: str = "") -> None:
        """Add a row (``timing`` per item; ``None`` for a heading)."""
        self.rows.append((label, per, timing, note))

    def print(self) -> None:
        """Print the table."""
        print(f"  {'operation':<54} {'per':<9} {'wall ms':>10} {'CPU ms':>10}  note")
        for label, per, timing, note in self.rows:
            if timing is None:
                print(f"  {label}")
                continue
            print(
                f"  {label:<54} {per:<9} {timing.wall * 1e3:>10.1f} "
                f"{timing.cpu * 1e3:>10.1f}  {note}"
            )


# ---------------------------------------------------------------- the record


def _choice(k: int) -> dict[str, list[int]]:
    """Return voter ``k``'s choice: option ``k mod 6``, or none when it is 5."""
    return {
        "c1": [1 if option == k % (OPTIONS + 1) else 0 for option in range(OPTIONS)]
    }


def _encrypt_task(args: tuple[Manifest, str, bytes, int]) -> Json:
    """Encrypt voter ``k``'s ballot in a worker process; return its payload."""
    manifest, election_hash, seed, k = args
    return encrypt_ballot(manifest, election_hash, seed, _choice(k)).to_json()


def _build_record(
    primes: tuple[int, int], voters: int
) -> tuple[ElectionSimulator, SimulatedRecord, Timing, Timing]:
    """Deal the key, cast one ballot per voter (in all cores) and finish."""
    sim, dealing = _timed(
        ElectionSimulator,
        primes=primes,
        voters=voters,
        trustees=TRUSTEES,
        threshold=THRESHOLD,
        contests=[STANDARD_CONTEST],
        description="Benchmark election.",
    )

    def cast_all() -> SimulatedRecord:
        tasks = [
            (sim.manifest, sim.election_hash, voter.seed, k)
            for k, voter in enumerate(sim.voters)
        ]
        with ProcessPoolExecutor(max_workers=CORES) as pool:
            payloads = list(pool.map(_encrypt_task, tasks))
        for payload in payloads:
            sim.post(CAST, payload)
        return sim.finish(jobs=CORES)

    record, building = _timed(cast_all)
    return sim, record, dealing, building


def _expected_counts(voters: int) -> list[int]:
    """Return every option's count when voter ``k`` chose :func:`_choice`."""
    return [sum(_choice(k)["c1"][o] for k in range(voters)) for o in range(OPTIONS)]


# ---------------------------------------------------------------- sections


def _bench_encryption(table: Table, sim: ElectionSimulator) -> Timing:
    """1: one ballot's encryption, whole and split."""
    manifest, election_hash = sim.manifest, sim.election_hash
    seed = sim.voters[0].seed
    whole, generate, finish = [], [], []
    for k in range(REPEAT):
        _, t = _timed(encrypt_ballot, manifest, election_hash, seed, _choice(k))
        whole.append(t)
        randomness, t = _timed(BallotRandomness.generate, manifest)
        generate.append(t)
        _, t = _timed(
            encrypt_ballot,
            manifest,
            election_hash,
            seed,
            _choice(k),
            randomness=randomness,
        )
        finish.append(t)
    table.add("1. encryption", "", None)
    table.add("encrypt_ballot (randomness drawn inside)", "ballot", _median(whole))
    table.add(
        "BallotRandomness.generate (before the choice)", "ballot", _median(generate)
    )
    table.add(
        "encrypt_ballot with that randomness (the finish)",
        "ballot",
        _median(finish),
        "what the voter waits for",
    )
    return _median(generate)


@dataclass(frozen=True, slots=True)
class Unavoidable:
    """The exponentiations one standard ballot's check cannot avoid (§3)."""

    proofs: int
    branches: int
    long: Timing
    short: Timing


def _unavoidable_powmods(n: int, branches: int) -> tuple[Timing, Timing]:
    """Time ``branches`` × ``z^n mod n²`` and ``branches`` × 256-bit powers."""
    nsquare = gmpy2.mpz(n) * n
    bases = [gmpy2.mpz(secrets.randbelow(int(nsquare))) for _ in range(branches)]
    shorts = [secrets.randbits(256) for _ in range(branches)]
    mpz_n = gmpy2.mpz(n)

    def longs() -> None:
        for z in bases:
            gmpy2.powmod(z, mpz_n, nsquare)

    def short_powers() -> None:
        for c, e in zip(bases, shorts, strict=True):
            gmpy2.powmod(c, e, nsquare)

    long = _timed(longs)[1]
    short = _timed(short_powers)[1]
    return long, short


def _bench_weighted_powers(n: int, count: int) -> tuple[Timing, Timing]:
    """Time a batch's ``Π b^w mod n²`` (128-bit weights) both ways, medians."""
    nsquare = gmpy2.mpz(n) * n
    separate_t, straus_t = [], []
    for _ in range(max(REPEAT, 5)):
        pairs = [
            (secrets.randbelow(int(nsquare)), secrets.randbits(BATCH_WEIGHT_BITS))
            for _ in range(count)
        ]
        expected, t = _timed(_separate_powers, pairs, nsquare)
        separate_t.append(t)
        found, t = _timed(_product_of_powers, pairs, nsquare)
        straus_t.append(t)
        if found != expected:
            raise RuntimeError("_product_of_powers disagrees with powmod")
    return _median(separate_t), _median(straus_t)


def _separate_powers(pairs: Sequence[tuple[int, int]], modulus: int) -> int:
    """Return ``Π b^x mod modulus`` with one ``powmod`` per pair."""
    product = gmpy2.mpz(1)
    for base, exponent in pairs:
        product = product * gmpy2.powmod(base, exponent, modulus) % modulus
    return int(product)


def _bench_verification(
    table: Table, sim: ElectionSimulator, record: SimulatedRecord
) -> tuple[Timing, Timing, Unavoidable]:
    """2: one ballot's checks and batched checks; the unavoidable maths."""
    manifest, election_hash = sim.manifest, sim.election_hash
    casts = [entry for entry in record.entries if entry["type"] == CAST]
    first = casts[0]["payload"]
    parsed = EncryptedBallot.from_json(first, manifest)
    statements = ballot_statements(manifest, election_hash, parsed)
    branches = sum(len(s.values) for s in statements)

    def cheap(entry: Json) -> EncryptedBallot:
        check = check_cast_cheap(
            manifest, election_hash, None, entry["payload"], entry["received_at"]
        )
        if check.reason is not None or check.ballot is None:
            raise RuntimeError(f"seq {entry['seq']}: {check.reason}")
        return check.ballot

    def proofs(ballot: EncryptedBallot) -> None:
        if check_cast_proofs(manifest, election_hash, ballot) is not None:
            raise RuntimeError("a valid ballot failed its proofs")

    cheap_t, proofs_t, long_t, short_t = [], [], [], []
    for sample in range(max(REPEAT, 5)):
        entry = casts[sample % len(casts)]
        ballot, t = _timed(cheap, entry)
        cheap_t.append(t)
        _, t = _timed(proofs, ballot)
        proofs_t.append(t)
        long, short = _unavoidable_powmods(manifest.n, branches)
        long_t.append(long)
        short_t.append(short)
    one_cheap, one_proofs = _median(cheap_t), _median(proofs_t)
    one = Timing(one_cheap.wall + one_proofs.wall, one_cheap.cpu + one_proofs.cpu)

    def batch() -> None:
        ballots = [cheap(entry) for entry in casts[:BATCH]]
        if any(check_cast_proofs_batch(manifest, election_hash, ballots)):
            raise RuntimeError("a valid ballot failed its batched proofs")

    batched = _median([_timed(batch)[1].per(BATCH) for _ in range(max(2, REPEAT - 1))])
    table.add("2. verification of a cast", "", None)
    table.add("check_cast_cheap (parse, signature, ciphertexts)", "ballot", one_cheap)
    table.add(
        f"check_cast_proofs ({len(statements)} proofs, {branches} branches)",
        "ballot",
        one_proofs,
    )
    table.add(
        "one ballot: cheap + proofs",
        "ballot",
        one,
        f"{1 / one.cpu:.1f} ballots/s/core (CPU)",
    )
    table.add(
        f"batched: cheap + check_cast_proofs_batch, {BATCH} ballots",
        "ballot",
        batched,
        f"{1 / batched.cpu:.1f} ballots/s/core (CPU)",
    )
    separate, straus = _bench_weighted_powers(manifest.n, branches)
    table.add(
        f"  a batch's Π z_j^w_j ({branches} bases, 128-bit w): powmod each",
        "ballot",
        separate,
    )
    table.add(
        "  the same with _product_of_powers (Straus, in use)",
        "ballot",
        straus,
        f"{separate.cpu / straus.cpu:.1f}× faster (CPU)",
    )
    unavoidable = Unavoidable(
        proofs=len(statements),
        branches=branches,
        long=_median(long_t),
        short=_median(short_t),
    )
    return one, batched, unavoidable


def _random_ciphertext(pk: PublicKey) -> int:
    """Return a uniform element of ``Z*_{n²}``: ``Enc(M; r)`` for some ``M``, ``r``."""
    while True:
        c = secrets.randbelow(pk.nsquare)
        if pk.is_valid_ciphertext(c):
            return c


def _aggregate_columns(pk: PublicKey, columns: Sequence[Sequence[int]]) -> list[int]:
    """Return ``Π c mod n²`` of every column."""
    return [pk.aggregate(column) for column in columns]


def _bench_aggregation(
    table: Table, sim: ElectionSimulator, record: SimulatedRecord
) -> None:
    """3: products of N ciphertexts per option, raw and from payloads.

    Random units of ``Z*_{n²}`` stand in for the ciphertexts: every one is
    ``Enc(M; r)`` for some ``M`` and ``r``, and a product costs the same.
    The payloads reuse a real ballot's proofs (aggregation ignores them).
    """
    manifest = sim.manifest
    pk = manifest.paillier_key
    template = next(e["payload"] for e in record.entries if e["type"] == CAST)
    table.add("3. aggregation (product of ciphertexts per option)", "", None)
    for size in AGGREGATE_SIZES:
        columns = [
            [_random_ciphertext(pk) for _ in range(size)] for _ in range(OPTIONS)
        ]
        _, raw = _timed(_aggregate_columns, pk, columns)
        payloads = []
        for k in range(size):
            contest = template["contests"][0]
            selections = [
                {**selection, "ciphertext": hex_int(column[k])}
                for selection, column in zip(
                    contest["selections"], columns, strict=True
                )
            ]
            payloads.append(
                {**template, "contests": [{**contest, "selections": selections}]}
            )
        result, parsed = _timed(aggregate_ballots, manifest, payloads)
        if [o.aggregate for o in result[0].options] != _aggregate_columns(pk, columns):
            raise RuntimeError("aggregate_ballots disagrees with the raw product")
        table.add(
            f"raw Π c mod n², {OPTIONS} options × {size} ballots",
            "election",
            raw,
            f"{raw.cpu / (size * OPTIONS) * 1e6:.1f} µs per multiplication",
        )
        table.add(
            f"aggregate_ballots, {size} JSON payloads (parse + Π)",
            "election",
            parsed,
            f"{parsed.cpu / size * 1e3:.2f} ms CPU per ballot",
        )


def _bench_decryption(
    table: Table, sim: ElectionSimulator, record: SimulatedRecord
) -> None:
    """4: t = 2 of 3 threshold decryption of a real aggregate, with proofs."""
    manifest = sim.manifest
    trustees = manifest.trustees
    n, count, v = manifest.n, trustees.count, trustees.v
    keys = {key.index: key.vk for key in trustees.verification_keys}
    aggregate = record.counting.aggregates[0].options[0].aggregate
    expected = _expected_counts(len(sim.voters))[0]
    make_t, check_t, combine_t = [], [], []
    for _ in range(REPEAT):
        shares = {}
        for index in range(1, THRESHOLD + 1):
            s_i = sim.dealer.secret_shares[index]
            share, t = _timed(
                make_decryption_share,
                n,
                count,
                v,
                index,
                s_i,
                aggregate,
                sim.election_hash,
            )
            make_t.append(t)
            _, t = _timed(
                require_valid_decryption_share,
                n,
                count,
                v,
                keys[index],
                sim.election_hash,
                index,
                aggregate,
                share,
            )
            check_t.append(t)
            shares[index] = share.share
        plaintext, t = _timed(combine, n, count, shares)
        combine_t.append(t)
        if plaintext != expected:
            raise RuntimeError(f"decrypted {plaintext}, expected {expected}")
    table.add(f"4. threshold decryption, t = {THRESHOLD} of {TRUSTEES}", "", None)
    table.add("make_decryption_share (c_i and its proof)", "share", _median(make_t))
    table.add(
        "require_valid_decryption_share (check the proof)", "share", _median(check_t)
    )
    table.add(
        f"combine {THRESHOLD} shares to the count",
        "option",
        _median(combine_t),
        f"decrypted {expected} as expected",
    )


@dataclass
class _Stages:
    """Times at which verify_record's progress callback fired."""

    start: float
    marks: dict[str, list[float]] = field(default_factory=dict)

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.marks.setdefault(stage, []).append(time.perf_counter())


def _bench_verifier(
    table: Table, sim: ElectionSimulator, record: SimulatedRecord
) -> dict[int, Timing]:
    """5: verify_record on the whole record, one worker and all cores."""
    casts = sum(1 for e in record.entries if e["type"] == CAST)
    table.add(f"5. verify_record, {casts} ballots (V1–V9)", "", None)
    allow = sim.manifest.n.bit_length() < MIN_PRODUCTION_BITS
    found = {}
    for jobs in sorted({1, CORES}):
        stages = _Stages(time.perf_counter())
        report, t = _timed(
            verify_record,
            record.files,
            allow_test_keys=allow,
            jobs=jobs,
            progress=stages,
        )
        if not report.verified:
            failed = [s for s in report.steps if not s.passed]
            raise RuntimeError(f"the record does not verify: {failed}")
        found[jobs] = t
        end = stages.start + t.wall
        classify = stages.marks.get("classify", [stages.start])
        shares = stages.marks.get("shares", [classify[-1]])
        split = (
            f"wall s: V1–V2 {classify[0] - stages.start:.1f}, "
            f"V3–V4 {classify[-1] - classify[0]:.1f}, "
            f"V7 {shares[-1] - shares[0]:.1f}, "
            f"other {end - shares[-1] + shares[0] - classify[-1]:.1f}"
        )
        table.add(
            f"jobs={jobs}: whole record, {t.wall:.1f} s wall, {t.cpu:.1f} s CPU",
            "ballot",
            t.per(casts),
            f"{casts / t.wall:.1f} ballots/s wall, "
            f"{casts / (t.wall * jobs):.1f}/s per core by wall, "
            f"{casts / t.cpu:.1f} per CPU s; {split}",
        )
    return found


# ---------------------------------------------------------------- main


def _bench_size(bits: int) -> None:
    """Print every figure for one key size."""
    voters = _record_size(bits)
    print(f"\n--- {bits}-bit key ---", flush=True)
    primes, keygen = _timed(generate_paillier_primes, bits)
    print(
        f"  keygen: two {bits // 2}-bit safe primes in {keygen.wall:.1f} s wall, "
        f"{keygen.cpu:.1f} s CPU (a random search: it varies a lot)",
        flush=True,
    )
    sim, record, dealing, building = _build_record(primes, voters)
    print(
        f"  dealer (shares, key proof, {TRUSTEES} trustees): "
        f"{dealing.wall:.1f} s wall; "
        f"record of {voters} ballots built in {building.wall:.1f} s wall "
        f"({CORES} workers, tally and trustee shares included)",
        flush=True,
    )
    table = Table()
    precompute = _bench_encryption(table, sim)
    one, batched, unavoidable = _bench_verification(table, sim, record)
    _bench_aggregation(table, sim, record)
    _bench_decryption(table, sim, record)
    verifier = _bench_verifier(table, sim, record)
    table.print()

    long, short = unavoidable.long, unavoidable.short
    both = long.cpu + short.cpu
    print(
        f"\n  unavoidable exponentiations of one ballot: {unavoidable.proofs} §3 "
        f"proofs, {unavoidable.branches} branches"
    )
    print(
        f"    {unavoidable.branches} × z_j^n mod n² ({bits}-bit exponents):  "
        f"{long.cpu * 1e3:8.1f} ms CPU ({long.cpu / unavoidable.branches * 1e3:.2f} "
        "ms each)"
    )
    print(
        f"    {unavoidable.branches} × u_j^e_j mod n² (256-bit exponents): "
        f"{short.cpu * 1e3:8.1f} ms CPU (counted separately)"
    )
    print(
        f"    one ballot (cheap + proofs) / long only:           "
        f"{one.cpu / long.cpu:5.2f}   / long + short: {one.cpu / both:5.2f}"
    )
    print(
        f"    batched ({BATCH}) per ballot / long only:             "
        f"{batched.cpu / long.cpu:5.2f}   / long + short: {batched.cpu / both:5.2f}"
    )
    # The precomputation raises r_j (one per option) and, per proof, ρ and
    # the k − 1 simulated z_j to the n-th power: options + branches of them.
    powers = OPTIONS + unavoidable.branches
    print(
        f"    encryption precomputation / {powers} × z^n:           "
        f"{precompute.cpu / (long.cpu / unavoidable.branches * powers):5.2f}"
    )
    casts = sum(1 for e in record.entries if e["type"] == CAST)
    whole = verifier[1].per(casts)
    print(
        f"    verify_record jobs=1 per ballot / long only:       "
        f"{whole.cpu / long.cpu:5.2f}   / long + short: {whole.cpu / both:5.2f}"
        "   (includes V1 key proof, heads and V7)"
    )
    print(
        f"  ballots per second per core (CPU): single {1 / one.cpu:.1f}, "
        f"batched {1 / batched.cpu:.1f}, whole record (jobs=1) {1 / whole.cpu:.1f}",
        flush=True,
    )


def main() -> None:
    """Print every figure."""
    start = time.perf_counter()
    load = os.getloadavg()
    print(
        f"cores: {CORES} (os.cpu_count()), load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f}: other processes share the machine, so wall times vary; "
        "CPU times are steadier"
    )
    print(
        f"Python {platform.python_version()}, gmpy2 {gmpy2.version()}, "
        f"{gmpy2.mp_version()}; repeat {REPEAT}, medians shown"
    )
    print(
        "standard workload: 1 contest, 5 options, min 0, max 1 "
        "(6 proofs of 2 branches per ballot)",
        flush=True,
    )
    for bits in BITS:
        _bench_size(bits)
    load = os.getloadavg()
    print(
        f"\ncrypto benchmark: {time.perf_counter() - start:.0f} s wall; load average "
        f"now {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
