"""SPEC §9: verify a published election record, steps V1–V10.

:func:`verify_record` takes the record's files (:mod:`votecrypto.record`)
and runs every step that can run.  Each step ends **PASS**, **FAIL** or
**NOT CHECKED**: a step whose input is unusable (a file is missing, or an
earlier failure left nothing to check) is NOT CHECKED, which counts as a
failure, since a verifier never reports success for work it did not do.
The report also lists every invalid ballot and audit with its §7 reason
code, what happened to each board entry, the results and the warnings
(a key below 3072 bits, batched proof checks).

V10 (a voter's receipt) runs only when a receipt is given; without one
it is not part of the report and does not count.

The outcome does not depend on ``jobs``: worker processes only share out
the proof and share checks.  With ``batch`` (the default) the ballots'
proofs are checked in batches with random weights (SPEC §3), which relies
on the dealer's safe primes; the report then says so.
"""

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Final, TypeVar

from votecrypto import ballot as ballots
from votecrypto import merkle
from votecrypto.canonical import H, Json, cjson, parse_json
from votecrypto.errors import VoteCryptoError
from votecrypto.heads import ELECTION, Receipt, SignedHead, time_rule_problems
from votecrypto.heads import verify_head_signature as _verify_head_signature
from votecrypto.manifest import MANIFEST_TAG, Manifest, check_manifest_crypto
from votecrypto.record import BOARD, HEADS, MANIFEST, TALLY, RecordFiles
from votecrypto.tally import (
    AUDIT,
    CAST,
    CLOSE,
    BoardEntry,
    BoardTally,
    ProgressCallback,
    Tally,
    TallyBoard,
    TallyOption,
    aggregate_ballots,
    board_problems,
    compute_tally,
    default_jobs,
    manifest_shape,
)
from votecrypto.threshold import (
    DecryptionShare,
    combine,
    require_valid_decryption_share,
)

PASS: Final = "PASS"  # noqa: S105 - a step status, not a password
FAIL: Final = "FAIL"
NOT_CHECKED: Final = "NOT CHECKED"

STEP_TITLES: Final = {
    "V1": "manifest and election key",
    "V2": "board and signed heads",
    "V3": "audits",
    "V4": "ballots",
    "V5": "tally.json and the counted set",
    "V6": "aggregates",
    "V7": "decryption shares",
    "V8": "decrypted counts",
    "V9": "selection limits",
    "V10": "voter's receipt",
}
"""What each step of SPEC §9 checks, in a few words."""

BATCH_WARNING: Final = (
    "ballot proofs were checked in batches with random 128-bit weights "
    "(SPEC §3); this relies on the dealer having used safe primes (SPEC §0)"
)

_T = TypeVar("_T")
_R = TypeVar("_R")


# ---------------------------------------------------------------- report types


@dataclass(frozen=True, slots=True)
class StepResult:
    """The outcome of one verification step."""

    step: str
    """``"V1"`` … ``"V10"``."""
    status: str
    """``PASS``, ``FAIL`` or ``NOT CHECKED``."""
    messages: tuple[str, ...]
    """What failed, what could not be checked, and notes."""

    @property
    def title(self) -> str:
        """Return what the step checks, in a few words."""
        return STEP_TITLES[self.step]

    @property
    def passed(self) -> bool:
        """Return whether the step passed."""
        return self.status == PASS


@dataclass(frozen=True, slots=True)
class EntryOutcome:
    """What happened to one board entry (its "story")."""

    seq: int
    """The entry's ``seq``."""
    type: str
    """``cast``, ``audit`` or ``close``."""
    status: str
    """``counted``, ``superseded``, ``invalid`` (casts); ``valid``, ``invalid``
    (audits); ``close``."""
    reason: str | None = None
    """The §7 reason code of an invalid entry."""
    superseded_by: int | None = None
    """For a superseded cast: the counted cast of the same credential."""
    detail: str = ""
    """More about the reason, where there is more to say."""

    def to_json(self) -> dict[str, Json]:
        """Return the outcome as a JSON object (absent fields omitted)."""
        result: dict[str, Json] = {
            "seq": self.seq,
            "type": self.type,
            "status": self.status,
        }
        if self.reason is not None:
            result["reason"] = self.reason
        if self.superseded_by is not None:
            result["superseded_by"] = self.superseded_by
        if self.detail:
            result["detail"] = self.detail
        return result


@dataclass(frozen=True, slots=True)
class ReceiptOutcome:
    """What V10 found about a voter's ballot."""

    seq: int
    """The receipt's ``seq``."""
    tracker: str
    """The receipt's tracker."""
    outcome: str
    """``counted``, ``superseded``, ``invalid`` or ``unknown``."""
    superseded_by: int | None = None
    """For ``superseded``: the later cast of the same credential that counts."""
    reason: str | None = None
    """For ``invalid``: the ballot's §7 reason code."""

    def to_json(self) -> dict[str, Json]:
        """Return the outcome as a JSON object."""
        return {
            "seq": self.seq,
            "tracker": self.tracker,
            "outcome": self.outcome,
            "superseded_by": self.superseded_by,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """Everything :func:`verify_record` found."""

    steps: tuple[StepResult, ...]
    """V1–V9, and V10 when a receipt was given, in order."""
    election_id: str | None
    """The manifest's ``election_id``, if the manifest could be read."""
    election_hash: str | None
    """The ``election_hash`` computed from the manifest, if it could be read."""
    counted: tuple[int, ...] | None
    """The counted ``seq``s by the counting rule (§7), if the board was usable."""
    results: dict[str, dict[str, int]] | None
    """``tally.json``'s counts per contest and option, if it could be read."""
    invalid_ballots: dict[int, str]
    """``{seq: reason}`` of every invalid cast."""
    invalid_audits: dict[int, str]
    """``{seq: reason}`` of every invalid audit (evidence of a cheating booth)."""
    entries: tuple[EntryOutcome, ...]
    """What happened to each board entry."""
    warnings: tuple[str, ...]
    """Warnings that do not fail a step (key size, batching)."""
    receipt: ReceiptOutcome | None
    """V10's finding about the receipt's ballot, if a receipt was given."""
    test_mode: bool
    """Whether test keys (below 2048 bits) were allowed."""
    batched: bool
    """Whether ballot proofs were checked in batches (SPEC §3)."""

    @property
    def verified(self) -> bool:
        """Return whether every step passed."""
        return all(step.passed for step in self.steps)

    def step(self, name: str) -> StepResult:
        """Return the result of step ``name`` (``KeyError`` if not run)."""
        for step in self.steps:
            if step.step == name:
                return step
        raise KeyError(name)

    def statuses(self) -> dict[str, str]:
        """Return ``{step: status}``."""
        return {step.step: step.status for step in self.steps}

    def to_json(self) -> dict[str, Json]:
        """Return the report as a JSON object (for ``--json``)."""
        return {
            "verified": self.verified,
            "test_mode": self.test_mode,
            "election_id": self.election_id,
            "election_hash": self.election_hash,
            "steps": self.statuses(),
            "messages": {step.step: list(step.messages) for step in self.steps},
            "counted": None if self.counted is None else list(self.counted),
            "results": self.results,
            "invalid_ballots": {
                str(k): v for k, v in sorted(self.invalid_ballots.items())
            },
            "invalid_audits": {
                str(k): v for k, v in sorted(self.invalid_audits.items())
            },
            "entries": [entry.to_json() for entry in self.entries],
            "warnings": list(self.warnings),
            "batched": self.batched,
            "receipt": None if self.receipt is None else self.receipt.to_json(),
        }


# ---------------------------------------------------------------- step bookkeeping


@dataclass(slots=True)
class _Step:
    """A step being run: its failures and the parts that could not run."""

    name: str
    problems: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.problems.append(message)

    def skip(self, message: str) -> None:
        self.unchecked.append(message)

    def result(self) -> StepResult:
        if self.problems:
            status = FAIL
        elif self.unchecked:
            status = NOT_CHECKED
        else:
            status = PASS
        messages = [
            *self.problems,
            *(f"not checked: {message}" for message in self.unchecked),
            *self.notes,
        ]
        return StepResult(self.name, status, tuple(messages))


def _limit(messages: list[str], most: int = 50) -> list[str]:
    """Return at most ``most`` messages, saying how many were left out."""
    if len(messages) <= most:
        return messages
    return [*messages[:most], f"… and {len(messages) - most} more"]


# ---------------------------------------------------------------- file loading


def _load_json(data: bytes | None, name: str, step: _Step) -> Json | None:
    """Parse a ``.json`` record file; note a missing or non-canonical file.

    Returns ``None`` when the file is missing or is not strict JSON; a
    value spelled non-canonically is returned (and the step fails).
    """
    if data is None:
        step.fail(f"{name} is missing from the record")
        return None
    body = data[:-1] if data.endswith(b"\n") else data
    try:
        value = parse_json(body)
    except VoteCryptoError as exc:
        step.fail(f"{name}: {exc}")
        return None
    if not data.endswith(b"\n") or cjson(value) != body:
        step.fail(f"{name}: not canonical JSON followed by one LF (SPEC §1)")
    return value


def _load_jsonl(
    data: bytes | None, name: str, step: _Step
) -> list[tuple[Json, bytes]] | None:
    """Parse a ``.jsonl`` record file into ``(value, canonical bytes)`` per line.

    Returns ``None`` when the file is missing or a line is not strict JSON;
    non-canonical lines are returned (and the step fails).
    """
    if data is None:
        step.fail(f"{name} is missing from the record")
        return None
    if not data:
        return []
    if not data.endswith(b"\n"):
        step.fail(f"{name}: does not end with LF (SPEC §1)")
        lines = data.split(b"\n")
    else:
        lines = data[:-1].split(b"\n")
    values: list[tuple[Json, bytes]] = []
    noncanonical: list[int] = []
    for number, line in enumerate(lines, start=1):
        try:
            value = parse_json(line)
        except VoteCryptoError as exc:
            step.fail(f"{name} line {number}: {exc}")
            return None
        canonical = cjson(value)
        if canonical != line:
            noncanonical.append(number)
        values.append((value, canonical))
    if noncanonical:
        shown = ", ".join(str(number) for number in noncanonical[:20])
        step.fail(f"{name}: line(s) {shown} not canonical JSON (SPEC §1)")
    return values


# ---------------------------------------------------------------- parallel helper


def _parallel_map(
    function: Callable[[_T], _R], items: Sequence[_T], jobs: int
) -> list[_R]:
    """Map ``function`` over ``items``, in ``jobs`` worker processes if > 1."""
    if jobs <= 1 or len(items) <= 1:
        return [function(item) for item in items]
    with ProcessPoolExecutor(max_workers=min(jobs, len(items))) as pool:
        return list(
            pool.map(function, items, chunksize=max(1, len(items) // (4 * jobs)))
        )


@dataclass(frozen=True, slots=True)
class _ShareTask:
    """One decryption share to check (V7), picklable for a worker process."""

    n: int
    count: int
    v: int
    vk: int
    election_hash: str
    A: int
    share: DecryptionShare
    field: str


def _check_share_task(task: _ShareTask) -> str | None:
    """Return why a share is invalid (§2.3), or ``None`` if it is valid."""
    try:
        require_valid_decryption_share(
            task.n,
            task.count,
            task.v,
            task.vk,
            task.election_hash,
            task.share.index,
            task.A,
            task.share,
            task.field,
        )
    except VoteCryptoError as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------- the verifier


@dataclass(slots=True)
class _State:
    """What the steps found and hand on to later steps."""

    manifest: Manifest | None = None
    election_hash: str | None = None
    entries: list[BoardEntry] | None = None
    tree: merkle.MerkleTree | None = None
    heads: list[SignedHead] | None = None
    tally_value: Json | None = None
    tally: Tally | None = None
    tally_usable: bool = False
    counting: BoardTally | None = None
    valid_shares: dict[tuple[str, str], dict[int, DecryptionShare]] = field(
        default_factory=dict
    )
    warnings: list[str] = field(default_factory=list)


def _step_v1(files: RecordFiles, state: _State, allow_test_keys: bool) -> StepResult:
    """V1: the manifest's structure and the election key's cryptography."""
    step = _Step("V1")
    value = _load_json(files.manifest, MANIFEST, step)
    if value is None:
        return step.result()
    try:
        manifest = Manifest.from_json(value)
    except VoteCryptoError as exc:
        step.fail(f"{MANIFEST}: {exc}")
        return step.result()
    state.manifest = manifest
    state.election_hash = H([MANIFEST_TAG, value]).hex()
    report = check_manifest_crypto(manifest, allow_test_keys=allow_test_keys)
    for problem in report.problems:
        step.fail(problem)
    state.warnings.extend(report.warnings)
    step.notes.append(
        f"{manifest.n.bit_length()}-bit key, threshold {manifest.trustees.threshold} "
        f"of {manifest.trustees.count}, {len(manifest.credentials)} credentials, "
        f"{len(manifest.contests)} contests"
    )
    return step.result()


def _step_v2(files: RecordFiles, state: _State) -> StepResult:
    """V2: board entries, signed heads, Merkle roots, time rules, coverage."""
    step = _Step("V2")
    lines = _load_jsonl(files.board, BOARD, step)
    head_lines = _load_jsonl(files.heads, HEADS, step)
    if lines is not None:
        state.tree = merkle.MerkleTree(
            merkle.leaf_hash_raw(canonical) for _, canonical in lines
        )
        entries: list[BoardEntry] = []
        for position, (value, _) in enumerate(lines):
            try:
                entries.append(
                    BoardEntry.from_json(value, f"{BOARD} line {position + 1}")
                )
            except VoteCryptoError as exc:
                step.fail(str(exc))
        if len(entries) == len(lines):
            if all(entry.seq == position for position, entry in enumerate(entries)):
                state.entries = entries
            if state.manifest is not None:
                for problem in _limit(board_problems(state.manifest, entries)):
                    step.fail(problem)
    if head_lines is not None:
        heads: list[SignedHead] = []
        for position, (value, _) in enumerate(head_lines):
            try:
                heads.append(
                    SignedHead.from_json(
                        ELECTION, value, f"{HEADS} line {position + 1}"
                    )
                )
            except VoteCryptoError as exc:
                step.fail(str(exc))
        if len(heads) == len(head_lines):
            state.heads = heads
        if not head_lines:
            step.fail(f"{HEADS} holds no head")
    manifest = state.manifest
    if manifest is None:
        step.skip("the heads' signatures and the board's rules need the manifest (V1)")
        return step.result()
    if state.heads is not None:
        _check_heads(step, state, manifest)
    if state.tree is not None and state.heads is not None and state.entries is not None:
        problems = time_rule_problems(
            state.heads, [entry.time for entry in state.entries]
        )
        for problem in _limit(problems):
            step.fail(f"time rules (§6): {problem}")
    elif state.heads is not None:
        step.skip("the time rules between heads and entries (board unusable)")
    _check_tally_board(step, state)
    if state.entries is not None and state.heads:
        step.notes.append(
            f"{len(state.entries)} entries, {len(state.heads)} signed heads, the "
            f"last at {state.heads[-1].timestamp}"
        )
    return step.result()


def _check_heads(step: _Step, state: _State, manifest: Manifest) -> None:
    """Check every head: first of size 0, signatures, election, roots, last."""
    heads = state.heads or []
    if heads:
        first = heads[0]
        if first.tree_size != 0:
            step.fail(f"the first head has tree_size {first.tree_size}, not 0")
        if first.timestamp_at > manifest.voting_starts:
            step.fail(
                f"the first head's timestamp {first.timestamp} is after voting_starts"
            )
    bad_signatures = [
        position + 1
        for position, head in enumerate(heads)
        if not _verify_head_signature(ELECTION, head, manifest.board_public_key)
    ]
    if bad_signatures:
        shown = ", ".join(str(number) for number in bad_signatures[:20])
        step.fail(f"{HEADS}: invalid board signature on line(s) {shown}")
    wrong = [
        position + 1
        for position, head in enumerate(heads)
        if head.subject != state.election_hash
    ]
    if wrong:
        shown = ", ".join(str(number) for number in wrong[:20])
        step.fail(f"{HEADS}: election_hash is not the manifest's on line(s) {shown}")
    tree = state.tree
    if tree is None:
        step.skip("the heads' root hashes (board unusable)")
        return
    problems = []
    for position, head in enumerate(heads):
        where = f"{HEADS} line {position + 1} (tree_size {head.tree_size})"
        if head.tree_size > tree.size:
            problems.append(
                f"{where}: covers more than the board's {tree.size} entries"
            )
        elif head.root_hash != tree.root(head.tree_size):
            problems.append(
                f"{where}: root_hash is not the Merkle root of the first "
                f"{head.tree_size} entries"
            )
    for problem in _limit(problems):
        step.fail(problem)
    if heads and heads[-1].tree_size != tree.size:
        step.fail(
            f"the last head covers {heads[-1].tree_size} entries, the board has "
            f"{tree.size}"
        )


def _check_tally_board(step: _Step, state: _State) -> None:
    """Check that ``tally.json``'s ``board`` covers the whole board (V2)."""
    if state.tree is None:
        step.skip("the tally's board (board unusable)")
        return
    value = state.tally_value
    board = None
    if isinstance(value, dict) and "board" in value:
        try:
            board = TallyBoard.from_json(value["board"], "tally.board")
        except VoteCryptoError:
            board = None
    if board is None:
        step.skip("the tally's board (tally.json unusable, see V5)")
        return
    tree = state.tree
    if board.tree_size != tree.size or board.root_hash != tree.root():
        step.fail(
            f"tally.json's board (tree_size {board.tree_size}) is not the whole "
            f"board ({tree.size} entries, root {tree.root().hex()})"
        )


def _steps_v3_v4(
    state: _State, jobs: int, batch: bool, progress: ProgressCallback | None
) -> tuple[StepResult, StepResult]:
    """V3 and V4: classify every audit and every cast (§7)."""
    v3, v4 = _Step("V3"), _Step("V4")
    if state.manifest is None or state.entries is None:
        reason = (
            "the manifest (V1)" if state.manifest is None else "a usable board (V2)"
        )
        v3.skip(f"classification needs {reason}")
        v4.skip(f"classification needs {reason}")
        return v3.result(), v4.result()
    counting = compute_tally(
        state.manifest,
        state.entries,
        election_hash=state.election_hash,
        jobs=jobs,
        batch=batch,
        progress=progress,
    )
    state.counting = counting
    audits = [v for v in counting.verdicts if v.type == AUDIT]
    casts = [v for v in counting.verdicts if v.type == CAST]
    invalid_audits = [v for v in audits if v.reason is not None]
    invalid_casts = [v for v in casts if v.reason is not None]
    v3.notes.append(
        f"{len(audits)} audits, {len(invalid_audits)} invalid"
        + (" (evidence of a cheating booth, listed below)" if invalid_audits else "")
    )
    v4.notes.append(
        f"{len(casts)} casts, {len(casts) - len(invalid_casts)} valid, "
        f"{len(invalid_casts)} invalid, {len(counting.counted)} counted"
    )
    return v3.result(), v4.result()


def _step_v5(step: _Step, state: _State) -> StepResult:
    """V5: tally.json's structure, election and counted set.

    ``step`` already holds what loading ``tally.json`` found.
    """
    value = state.tally_value
    if value is None:
        return step.result()
    try:
        tally = Tally.from_json(value)
    except VoteCryptoError as exc:
        step.fail(f"{TALLY}: {exc}")
        return step.result()
    state.tally = tally
    manifest = state.manifest
    if manifest is None:
        step.skip("the election_hash and contests need the manifest (V1)")
        return step.result()
    if tally.election_hash != state.election_hash:
        step.fail("tally.json's election_hash is not the manifest's")
    if tally.shape() != manifest_shape(manifest):
        step.fail(
            "tally.json's contests and options are not the manifest's, all of "
            "them, in manifest order"
        )
    else:
        state.tally_usable = True
    if list(tally.counted) != sorted(set(tally.counted)):
        step.fail("tally.json's counted is not ascending without repeats")
    if state.counting is None:
        step.skip("counted against the counting rule (board not classified)")
    elif tally.counted != state.counting.counted:
        extra = sorted(set(tally.counted) - set(state.counting.counted))
        missing = sorted(set(state.counting.counted) - set(tally.counted))
        step.fail(
            "tally.json's counted does not follow the counting rule (§7): "
            f"wrongly counted {extra[:20]}, wrongly left out {missing[:20]}"
        )
    return step.result()


def _usable(step: _Step, state: _State) -> tuple[Manifest, Tally] | None:
    """Return the manifest and tally, or mark ``step`` NOT CHECKED without them."""
    if state.manifest is None:
        step.skip("needs the manifest (V1)")
        return None
    if state.tally is None or not state.tally_usable:
        step.skip("needs a tally.json that follows the manifest (V5)")
        return None
    return state.manifest, state.tally


def _tally_options(tally: Tally) -> Iterable[tuple[str, TallyOption]]:
    for contest in tally.contests:
        for option in contest.options:
            yield contest.contest_id, option


def _step_v6(state: _State) -> StepResult:
    """V6: every aggregate is the product of the counted ballots' ciphertexts."""
    step = _Step("V6")
    usable = _usable(step, state)
    if usable is None:
        return step.result()
    manifest, tally = usable
    entries = state.entries
    if entries is None:
        step.skip("needs a usable board (V2)")
        return step.result()
    counting = state.counting
    if counting is not None and tally.counted == counting.counted:
        expected = counting.aggregate_map()
    else:
        payloads = []
        for seq in tally.counted:
            if not 0 <= seq < len(entries) or entries[seq].type != CAST:
                step.fail(f"counted seq {seq} is not a cast entry of the board")
                return step.result()
            payloads.append(entries[seq].payload)
        try:
            aggregates = aggregate_ballots(manifest, payloads)
        except VoteCryptoError as exc:
            step.fail(f"a counted ballot is malformed: {exc}")
            return step.result()
        expected = {
            (contest.contest_id, option.option_id): option.aggregate
            for contest in aggregates
            for option in contest.options
        }
    for contest_id, option in _tally_options(tally):
        if option.aggregate != expected[(contest_id, option.option_id)]:
            step.fail(
                f"{contest_id}/{option.option_id}: aggregate is not the product of "
                "the counted ballots' ciphertexts"
            )
    return step.result()


def _step_v7(state: _State, jobs: int, progress: ProgressCallback | None) -> StepResult:
    """V7: every share valid, indices distinct and sorted, at least t each."""
    step = _Step("V7")
    usable = _usable(step, state)
    if usable is None:
        return step.result()
    manifest, tally = usable
    election_hash = state.election_hash or ""
    trustees = manifest.trustees
    keys = {key.index: key.vk for key in trustees.verification_keys}
    tasks: list[_ShareTask] = []
    owners: list[tuple[str, str]] = []
    for contest_id, option in _tally_options(tally):
        where = f"{contest_id}/{option.option_id}"
        indices = [share.index for share in option.shares]
        if indices != sorted(set(indices)):
            step.fail(f"{where}: share indices {indices} not distinct and ascending")
        for position, share in enumerate(option.shares):
            if share.index not in keys:
                step.fail(f"{where}: share index {share.index} is not a trustee's")
                continue
            tasks.append(
                _ShareTask(
                    n=manifest.n,
                    count=trustees.count,
                    v=trustees.v,
                    vk=keys[share.index],
                    election_hash=election_hash,
                    A=option.aggregate,
                    share=share,
                    field=f"{where} shares[{position}]",
                )
            )
            owners.append((contest_id, option.option_id))
    if progress is not None:
        progress("shares", 0, len(tasks))
    outcomes = _parallel_map(_check_share_task, tasks, jobs)
    if progress is not None:
        progress("shares", len(tasks), len(tasks))
    valid: dict[tuple[str, str], dict[int, DecryptionShare]] = {
        (contest_id, option.option_id): {}
        for contest_id, option in _tally_options(tally)
    }
    for task, owner, outcome in zip(tasks, owners, outcomes, strict=True):
        if outcome is not None:
            step.fail(f"invalid share: {outcome}")
        else:
            valid[owner].setdefault(task.share.index, task.share)
    for (contest_id, option_id), shares in valid.items():
        if len(shares) < trustees.threshold:
            step.fail(
                f"{contest_id}/{option_id}: {len(shares)} valid shares, "
                f"{trustees.threshold} needed"
            )
    state.valid_shares = valid
    step.notes.append(f"{outcomes.count(None)} of {len(tasks)} shares valid")
    return step.result()


def _step_v8(state: _State) -> StepResult:
    """V8: the t valid shares with the lowest indices combine to ``count``."""
    step = _Step("V8")
    usable = _usable(step, state)
    if usable is None:
        return step.result()
    manifest, tally = usable
    trustees = manifest.trustees
    counted = len(tally.counted)
    for contest_id, option in _tally_options(tally):
        where = f"{contest_id}/{option.option_id}"
        if not 0 <= option.count <= counted:
            step.fail(f"{where}: count {option.count} outside [0, {counted}]")
        shares = state.valid_shares.get((contest_id, option.option_id), {})
        if len(shares) < trustees.threshold:
            step.skip(f"{where}: fewer than t valid shares to combine (V7)")
            continue
        try:
            plaintext = combine(
                manifest.n,
                trustees.count,
                {index: share.share for index, share in shares.items()},
                threshold=trustees.threshold,
            )
        except VoteCryptoError as exc:
            step.fail(f"{where}: {exc}")
            continue
        if plaintext != option.count:
            step.fail(
                f"{where}: the shares decrypt to {plaintext}, not count {option.count}"
            )
    return step.result()


def _step_v9(state: _State) -> StepResult:
    """V9: per contest, min·|counted| ≤ Σ count ≤ max·|counted|."""
    step = _Step("V9")
    usable = _usable(step, state)
    if usable is None:
        return step.result()
    manifest, tally = usable
    counted = len(tally.counted)
    for contest, published in zip(manifest.contests, tally.contests, strict=True):
        total = sum(option.count for option in published.options)
        low, high = contest.min_selections * counted, contest.max_selections * counted
        if not low <= total <= high:
            step.fail(
                f"{contest.contest_id}: {total} selections in all, outside "
                f"[{low}, {high}] for {counted} counted ballots"
            )
    return step.result()


def _step_v10(
    receipt_value: Json, state: _State
) -> tuple[StepResult, ReceiptOutcome | None]:
    """V10: a voter's receipt against the heads, the board and the counting."""
    step = _Step("V10")
    if isinstance(receipt_value, (bytes, bytearray)):
        try:
            receipt_value = parse_json(bytes(receipt_value))
        except VoteCryptoError as exc:
            step.skip(f"the receipt is not JSON: {exc}")
            return step.result(), None
    try:
        receipt = Receipt.from_json(ELECTION, receipt_value)
    except VoteCryptoError as exc:
        step.skip(f"the receipt is malformed: {exc}")
        return step.result(), None
    manifest = state.manifest
    if manifest is None:
        step.skip("needs the manifest (V1)")
        return step.result(), None
    tracker = receipt.value.hex()
    seq = receipt.seq
    head = receipt.head
    if receipt.subject != state.election_hash:
        step.fail("the receipt is for another election (election_hash)")
    if head.subject != state.election_hash:
        step.fail("the receipt's head is for another election (election_hash)")
    if not _verify_head_signature(ELECTION, head, manifest.board_public_key):
        step.fail("the receipt's head does not carry a valid board signature")
    if state.heads is None:
        step.skip("whether the head was published (heads.jsonl unusable, V2)")
    elif not any(other.to_json() == head.to_json() for other in state.heads):
        step.fail(
            f"the receipt's head (tree_size {head.tree_size}, {head.timestamp}) is not "
            "in heads.jsonl: the server hid a head it gave the voter"
        )
    entries, tree = state.entries, state.tree
    if entries is None or tree is None:
        step.skip("the entry, the time rules and consistency (board unusable, V2)")
        return step.result(), None
    if not 0 <= seq < head.tree_size:
        step.fail(
            f"seq {seq} is not inside the receipt's head (tree_size {head.tree_size})"
        )
    if head.tree_size > tree.size:
        step.fail(
            f"the receipt's head covers {head.tree_size} entries, the board has "
            f"{tree.size}: the board was cut back"
        )
    else:
        for problem in time_rule_problems([head], [entry.time for entry in entries]):
            step.fail(f"the receipt's head breaks the time rules (§6): {problem}")
        if head.root_hash != tree.root(head.tree_size):
            step.fail(
                "the receipt's head is not consistent with the published board "
                "(its root_hash is not the root of the first "
                f"{head.tree_size} entries)"
            )
        if state.heads:
            last = state.heads[-1]
            if last.tree_size <= tree.size and head.tree_size <= last.tree_size:
                proof = tree.consistency_proof(head.tree_size, last.tree_size)
                if not merkle.verify_consistency(
                    head.tree_size,
                    last.tree_size,
                    head.root_hash,
                    last.root_hash,
                    proof,
                ):
                    step.fail("the receipt's head is not consistent with the last head")
            else:
                step.fail("the receipt's head is not covered by the last head")
    if not 0 <= seq < len(entries):
        step.fail(f"the board has no entry seq {seq}")
        return step.result(), ReceiptOutcome(seq, tracker, "unknown")
    entry = entries[seq]
    if seq < head.tree_size <= tree.size and not receipt.includes(entry.leaf_hash()):
        step.fail("the receipt's inclusion proof does not lead to the head's root_hash")
    if entry.type != CAST:
        step.fail(f"entry seq {seq} is not a cast but {entry.type}")
        return step.result(), ReceiptOutcome(seq, tracker, "unknown")
    body = {key: value for key, value in entry.payload.items() if key != "signature"}
    if ballots.tracker(body) != tracker:
        step.fail(f"entry seq {seq} does not hold the receipt's tracker")
        return step.result(), ReceiptOutcome(seq, tracker, "unknown")
    counting = state.counting
    if counting is None:
        step.skip("whether the ballot is counted (board not classified)")
        return step.result(), None
    verdict = counting.verdict(seq)
    if verdict is None or verdict.reason is not None:
        reason = None if verdict is None else verdict.reason
        step.fail(f"the ballot at seq {seq} is invalid ({reason}) and not counted")
        return step.result(), ReceiptOutcome(seq, tracker, "invalid", reason=reason)
    if seq in counting.counted:
        outcome = ReceiptOutcome(seq, tracker, "counted")
        step.notes.append(
            f"the ballot at seq {seq} (tracker {tracker[:32]}) is counted"
        )
        if state.tally is not None and seq not in state.tally.counted:
            step.fail(f"tally.json does not count the ballot at seq {seq}")
        return step.result(), outcome
    later = counting.superseded.get(seq)
    outcome = ReceiptOutcome(seq, tracker, "superseded", superseded_by=later)
    step.notes.append(
        f"ATTENTION: the ballot at seq {seq} is NOT counted: a later valid ballot of "
        f"the same credential (seq {later}) replaced it. If you did not vote again, "
        "someone else used your voting code."
    )
    return step.result(), outcome


def _entry_outcomes(state: _State) -> tuple[EntryOutcome, ...]:
    """Return what happened to every board entry."""
    if state.entries is None or state.counting is None:
        return ()
    counting = state.counting
    verdicts = {verdict.seq: verdict for verdict in counting.verdicts}
    counted = set(counting.counted)
    result = []
    for entry in state.entries:
        if entry.type == CLOSE:
            result.append(EntryOutcome(entry.seq, CLOSE, "close"))
            continue
        verdict = verdicts[entry.seq]
        if verdict.reason is not None:
            result.append(
                EntryOutcome(
                    entry.seq,
                    entry.type,
                    "invalid",
                    verdict.reason,
                    None,
                    verdict.detail,
                )
            )
        elif entry.type == AUDIT:
            result.append(EntryOutcome(entry.seq, AUDIT, "valid"))
        elif entry.seq in counted:
            result.append(EntryOutcome(entry.seq, CAST, "counted"))
        else:
            result.append(
                EntryOutcome(
                    entry.seq,
                    CAST,
                    "superseded",
                    superseded_by=counting.superseded.get(entry.seq),
                )
            )
    return tuple(result)


_UNEXPECTED = (ArithmeticError, ValueError, RuntimeError)
"""What a step may raise on a degenerate record (a modulus of 1, a broken
worker pool): the step is then NOT CHECKED instead of the verifier crashing."""


def _could_not_run(name: str, exc: Exception) -> StepResult:
    """Return a NOT CHECKED result for a step that raised ``exc``."""
    return StepResult(
        name, NOT_CHECKED, (f"not checked: the step could not run: {exc!r}",)
    )


def _guarded(name: str, run: Callable[[], StepResult]) -> StepResult:
    """Run one step; a step that raises is NOT CHECKED (never a crash)."""
    try:
        return run()
    except _UNEXPECTED as exc:
        return _could_not_run(name, exc)


def verify_record(
    record: RecordFiles,
    *,
    allow_test_keys: bool = False,
    receipt: Json | bytes | None = None,
    jobs: int | None = None,
    batch: bool = True,
    progress: ProgressCallback | None = None,
) -> VerificationReport:
    """Verify an election record (SPEC §9) and return the full report.

    ``allow_test_keys`` accepts keys below 2048 bits (a test record);
    ``receipt`` (a parsed receipt or its file's bytes) adds V10; ``jobs``
    worker processes share out the checks (``None``: all cores; the outcome
    is the same for any value); ``batch=False`` checks every proof equation
    on its own instead of in batches; ``progress(stage, done, total)`` is
    called as long steps advance.
    """
    workers = default_jobs() if jobs is None else max(1, jobs)
    state = _State()
    v5 = _Step("V5")
    state.tally_value = _load_json(record.tally, TALLY, v5)
    steps = [
        _guarded("V1", lambda: _step_v1(record, state, allow_test_keys)),
        _guarded("V2", lambda: _step_v2(record, state)),
    ]
    try:
        steps.extend(_steps_v3_v4(state, workers, batch, progress))
    except _UNEXPECTED as exc:
        state.counting = None
        steps.extend(_could_not_run(name, exc) for name in ("V3", "V4"))
    steps.append(_guarded("V5", lambda: _step_v5(v5, state)))
    steps.append(_guarded("V6", lambda: _step_v6(state)))
    steps.append(_guarded("V7", lambda: _step_v7(state, workers, progress)))
    steps.append(_guarded("V8", lambda: _step_v8(state)))
    steps.append(_guarded("V9", lambda: _step_v9(state)))
    receipt_outcome = None
    if receipt is not None:
        try:
            v10, receipt_outcome = _step_v10(receipt, state)
        except _UNEXPECTED as exc:
            v10 = _could_not_run("V10", exc)
        steps.append(v10)
    counting = state.counting
    batched = counting is not None and counting.batched
    warnings = list(state.warnings)
    if batched:
        warnings.append(BATCH_WARNING)
    manifest = state.manifest
    return VerificationReport(
        steps=tuple(steps),
        election_id=None if manifest is None else manifest.election_id,
        election_hash=state.election_hash,
        counted=None if counting is None else counting.counted,
        results=None if state.tally is None else state.tally.results(),
        invalid_ballots={} if counting is None else counting.invalid_casts(),
        invalid_audits={} if counting is None else counting.invalid_audits(),
        entries=_entry_outcomes(state),
        warnings=tuple(warnings),
        receipt=receipt_outcome,
        test_mode=allow_test_keys,
        batched=batched,
    )
