"""Build a complete, honest election record end to end (SPEC §2–§8).

For tests, benchmarks and the server's demo: nothing here is needed to run
or to verify a real election.  :class:`ElectionSimulator` plays every
role in turn:

* the dealer (§2.2) deals a key from given or freshly generated safe
  primes to trustees with fresh X25519 keys;
* the credential authority (§4.1) draws one voting code per voter;
* voters encrypt, cast, re-vote and audit (§5, §5.1) at given times;
* the server appends the entries to the board and signs a head of size 0
  before voting starts, a head every ``head_every`` entries, and a final
  head after ``close`` (§6), and hands out receipts;
* the trustees recompute the aggregates, decrypt them (§2.3) and the
  server assembles ``tally.json`` (§7).

Hooks let tests play a dishonest party: :meth:`ElectionSimulator.post`
appends any payload, :func:`sign_payload` re-signs an edited ballot,
``manifest_hook`` edits the manifest before it is frozen and
``head_signer`` replaces the board's signature; :meth:`SimulatedRecord.files_with`
swaps any record file.

Keys below 2048 bits are for tests only (verify with test keys allowed).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from votecrypto import ed25519, merkle
from votecrypto.ballot import (
    BallotRandomness,
    EncryptedBallot,
    cast_message,
    encrypt_ballot,
    make_audit,
    tracker,
)
from votecrypto.canonical import Json, format_time, parse_time
from votecrypto.credentials import (
    credential_public_key,
    credential_seed,
    generate_voting_code,
)
from votecrypto.heads import ELECTION, SignedHead, make_receipt, sign_head
from votecrypto.manifest import PROTOCOL, Manifest
from votecrypto.primes import generate_paillier_primes
from votecrypto.record import RecordFiles, build_record
from votecrypto.sharefile import generate_x25519_private_key, x25519_public_key
from votecrypto.tally import (
    AUDIT,
    CAST,
    CLOSE,
    BoardEntry,
    BoardTally,
    Tally,
    TrusteeShares,
    assemble_tally,
    board_reference,
    compute_tally,
    make_trustee_shares,
)
from votecrypto.threshold import DealerOutput, ShareBox, deal, decrypt_share

DEFAULT_CONTESTS: tuple[Json, ...] = (
    {
        "contest_id": "c1",
        "title": "Contest 1 (choose one)",
        "min_selections": 1,
        "max_selections": 1,
        "options": [
            {"option_id": "o1", "title": "Option 1"},
            {"option_id": "o2", "title": "Option 2"},
            {"option_id": "o3", "title": "Option 3"},
        ],
    },
    {
        "contest_id": "c2",
        "title": "Contest 2 (up to two)",
        "min_selections": 0,
        "max_selections": 2,
        "options": [
            {"option_id": "o1", "title": "Option 1"},
            {"option_id": "o2", "title": "Option 2"},
            {"option_id": "o3", "title": "Option 3"},
        ],
    },
)
"""Two small contests: one of three options, and up to two of three."""

HeadSigner = Callable[[SignedHead], bytes]
"""Replaces the board's signature of a head (a hook for tests)."""


@dataclass(frozen=True, slots=True)
class SimVoter:
    """A simulated voter: the voting code and the credential it derives (§4.1)."""

    code: str
    """The voting code, as handed to the voter."""
    seed: bytes
    """The Ed25519 private key seed derived from the code."""
    credential: bytes
    """The Ed25519 public key listed in the manifest."""


@dataclass(frozen=True, slots=True)
class SimTrustee:
    """A simulated trustee: its X25519 key and its encrypted share (§2.2)."""

    index: int
    """The trustee's index ``i``."""
    x25519_private_key: bytes = field(repr=False)
    """The trustee's X25519 private key."""
    box: ShareBox
    """The dealer's encryption of ``s_i`` to this trustee."""


@dataclass(frozen=True, slots=True)
class SimulatedRecord:
    """A finished election: the record's objects, files, receipts and secrets."""

    manifest: Manifest
    """The parsed manifest."""
    manifest_json: Json
    """``manifest.json``'s object."""
    election_hash: str
    """``election_hash``."""
    voters: tuple[SimVoter, ...]
    """The voters, in the order they were made (not the manifest's order)."""
    trustees: tuple[SimTrustee, ...]
    """The trustees, by index."""
    dealer: DealerOutput
    """The dealer's output (with the plain shares: tests only)."""
    board_seed: bytes = field(repr=False)
    """The board's Ed25519 private key seed."""
    entries: tuple[Json, ...] = field(repr=False)
    """``board.jsonl``'s entries."""
    heads: tuple[Json, ...] = field(repr=False)
    """``heads.jsonl``'s signed heads."""
    tally: Json = field(repr=False)
    """``tally.json``'s object."""
    receipts: Mapping[int, Json] = field(repr=False)
    """A receipt for every ``cast`` entry, by ``seq`` (the first head covering it)."""
    counting: BoardTally = field(repr=False)
    """The server's classification and counting of the board."""
    trustee_shares: tuple[TrusteeShares, ...] = field(repr=False)
    """What the decrypting trustees' tools returned."""
    files: RecordFiles = field(repr=False)
    """The record's four files."""

    def files_with(
        self,
        *,
        manifest: Json | None = None,
        entries: Sequence[Json] | None = None,
        heads: Sequence[Json] | None = None,
        tally: Json | None = None,
    ) -> RecordFiles:
        """Return the record files with some objects replaced (for tampering)."""
        return build_record(
            self.manifest_json if manifest is None else manifest,
            self.entries if entries is None else entries,
            self.heads if heads is None else heads,
            self.tally if tally is None else tally,
        )

    def sign_head(
        self, tree_size: int, root_hash: bytes, timestamp: datetime | str
    ) -> Json:
        """Return a head signed with the board's key (e.g. a forked one)."""
        return sign_head(
            ELECTION,
            self.election_hash,
            tree_size,
            root_hash,
            timestamp,
            self.board_seed,
        ).to_json()


def sign_payload(body: Json, seed: bytes) -> dict[str, Json]:
    """Return ``body`` (a ballot, with or without signature) signed by ``seed``.

    The tracker is recomputed from ``body`` without its ``signature`` key, so
    an edited ballot carries a valid signature of its new tracker (§5).
    """
    unsigned = {key: value for key, value in body.items() if key != "signature"}
    signature = ed25519.sign(seed, cast_message(tracker(unsigned)))
    return {**unsigned, "signature": signature.hex()}


class ElectionSimulator:
    """Run an election step by step and produce its record (see the module doc).

    ``primes`` (safe primes ``p, q``) fix the key; otherwise a ``bits``-bit
    key is generated.  Times are protocol strings or aware datetimes;
    entries posted without ``at`` are spaced ``step_seconds`` apart from
    ``voting_starts + step_seconds`` on.
    """

    def __init__(
        self,
        *,
        primes: tuple[int, int] | None = None,
        bits: int = 512,
        voters: int = 4,
        trustees: int = 3,
        threshold: int = 2,
        contests: Sequence[Json] = DEFAULT_CONTESTS,
        election_id: str = "sim-election",
        title: str = "Simulated election",
        description: str = "Test election: keys below 2048 bits are NOT secure.",
        voting_starts: datetime | str = "2027-03-01T06:00:00Z",
        voting_ends: datetime | str = "2027-03-01T07:00:00Z",
        head_every: int = 4,
        step_seconds: int = 30,
        extra_credentials: Sequence[bytes] = (),
        manifest_hook: Callable[[Json], Json] | None = None,
        head_signer: HeadSigner | None = None,
    ) -> None:
        """Deal the key, make the voters and freeze the manifest."""
        if head_every < 1:
            raise ValueError("head_every must be at least 1")
        p, q = generate_paillier_primes(bits) if primes is None else primes
        keys = [generate_x25519_private_key() for _ in range(trustees)]
        self.dealer = deal(p, q, threshold, [x25519_public_key(k) for k in keys])
        self.trustees = tuple(
            SimTrustee(index=box.index, x25519_private_key=key, box=box)
            for key, box in zip(keys, self.dealer.boxes, strict=True)
        )
        self.voters: tuple[SimVoter, ...] = tuple(
            self._make_voter(generate_voting_code(), election_id) for _ in range(voters)
        )
        self.board_seed = ed25519.generate_seed()
        self.head_signer = head_signer
        self.head_every = head_every
        self.step = timedelta(seconds=step_seconds)
        starts = _as_time(voting_starts)
        ends = _as_time(voting_ends)
        public = self.dealer.public
        credentials = sorted(
            [voter.credential for voter in self.voters] + list(extra_credentials)
        )
        manifest_json: Json = {
            "protocol": PROTOCOL,
            "election_id": election_id,
            "title": title,
            "description": description,
            "voting_starts": format_time(starts),
            "voting_ends": format_time(ends),
            "contests": list(contests),
            "public_key": public.to_json()["public_key"],
            "trustees": public.to_json()["trustees"],
            "board_public_key": ed25519.public_key_from_seed(self.board_seed).hex(),
            "credentials": [key.hex() for key in credentials],
        }
        if manifest_hook is not None:
            manifest_json = manifest_hook(manifest_json)
        self.manifest_json = manifest_json
        self.manifest = Manifest.from_json(manifest_json)
        self.election_hash = self.manifest.election_hash
        self.pk = self.manifest.paillier_key
        self.entries: list[Json] = []
        self.heads: list[SignedHead] = []
        self._leaves = merkle.MerkleTree()
        # The size-0 head is signed a minute before voting starts (§6).
        self._last_time = starts - timedelta(seconds=60)
        self._next_auto = starts
        self._closed = False
        self._publish_head(self._last_time)

    @staticmethod
    def _make_voter(code: str, election_id: str) -> SimVoter:
        return SimVoter(
            code=code,
            seed=credential_seed(code, election_id),
            credential=credential_public_key(code, election_id),
        )

    # ------------------------------------------------------------ voters

    def encrypt(
        self,
        voter: int,
        choices: Mapping[str, Sequence[int]],
        *,
        randomness: BallotRandomness | None = None,
    ) -> EncryptedBallot:
        """Return voter ``voter``'s signed ballot for ``choices`` (§5)."""
        return encrypt_ballot(
            self.manifest,
            self.election_hash,
            self.voters[voter].seed,
            choices,
            randomness=randomness,
        )

    def cast(
        self,
        voter: int,
        choices: Mapping[str, Sequence[int]],
        *,
        at: datetime | str | None = None,
    ) -> int:
        """Encrypt and cast a ballot; return its ``seq``."""
        return self.post(CAST, self.encrypt(voter, choices).to_json(), at=at)

    def audit(
        self,
        voter: int,
        choices: Mapping[str, Sequence[int]],
        *,
        at: datetime | str | None = None,
    ) -> tuple[int, EncryptedBallot]:
        """Encrypt a ballot and post it as an audit (§5.1); return ``seq``, ballot."""
        ballot = self.encrypt(voter, choices)
        return self.post(AUDIT, make_audit(ballot), at=at), ballot

    # ------------------------------------------------------------ server

    def post(
        self, kind: str, payload: Json, *, at: datetime | str | None = None
    ) -> int:
        """Append an entry of any ``payload`` (a hook for tampering); return ``seq``.

        A head is signed after every ``head_every`` entries.
        """
        if self._closed:
            raise ValueError("the board is closed")
        if kind not in (CAST, AUDIT):
            raise ValueError("post casts and audits; close with close()")
        return self._append(kind, payload, at)

    def close(self, *, at: datetime | str | None = None) -> int:
        """Append the ``close`` entry and sign the final head; return its ``seq``."""
        if self._closed:
            raise ValueError("the board is already closed")
        ends = self.manifest.voting_ends
        when = max(ends, self._last_time) if at is None else _as_time(at)
        seq = self._append(CLOSE, {}, when, head=False)
        self._closed = True
        self._publish_head(when)
        return seq

    def head(self, *, at: datetime | str | None = None) -> None:
        """Sign a head of the board as it is now (at its last entry's time)."""
        self._publish_head(self._last_time if at is None else _as_time(at))

    def _append(
        self, kind: str, payload: Json, at: datetime | str | None, *, head: bool = True
    ) -> int:
        if at is None:
            self._next_auto = max(self._next_auto, self._last_time) + self.step
            when = self._next_auto
        else:
            when = _as_time(at)
        if when < self._last_time:
            raise ValueError("received_at must not decrease along seq (§6)")
        entry: Json = {
            "seq": len(self.entries),
            "type": kind,
            "received_at": format_time(when),
            "payload": payload,
        }
        self.entries.append(entry)
        self._leaves.append_entry(entry)
        self._last_time = when
        if head and len(self.entries) % self.head_every == 0:
            self._publish_head(when)
        return len(self.entries) - 1

    def _publish_head(self, when: datetime) -> None:
        size = self._leaves.size
        signed = sign_head(
            ELECTION,
            self.election_hash,
            size,
            self._leaves.root(),
            when,
            self.board_seed,
        )
        if self.head_signer is not None:
            signed = SignedHead(
                kind=signed.kind,
                subject=signed.subject,
                tree_size=signed.tree_size,
                root_hash=signed.root_hash,
                timestamp=signed.timestamp,
                signature=self.head_signer(signed),
            )
        self.heads.append(signed)

    # ------------------------------------------------------------ finish

    def finish(
        self,
        *,
        decrypting: Sequence[int] | None = None,
        jobs: int | None = 1,
    ) -> SimulatedRecord:
        """Close the board if open, count, decrypt and assemble the record.

        ``decrypting`` are the trustees who decrypt (default: the first
        ``t``); each recomputes the aggregates itself from the board (§2.3).
        """
        if not self._closed:
            self.close()
        entries = [BoardEntry.from_json(entry) for entry in self.entries]
        counting = compute_tally(
            self.manifest, entries, election_hash=self.election_hash, jobs=jobs
        )
        board = board_reference(entries)
        threshold = self.manifest.trustees.threshold
        chosen = (
            list(range(1, threshold + 1)) if decrypting is None else list(decrypting)
        )
        shares = []
        for index in chosen:
            trustee = self.trustees[index - 1]
            s_i = decrypt_share(
                self.manifest.n, trustee.box, trustee.x25519_private_key
            )
            # A real trustee recomputes the aggregates from the board itself
            # (SPEC §2.3, python -m tally.trustee); here the recomputation
            # would give the same counting, so it is shared.
            shares.append(
                make_trustee_shares(self.manifest, counting, board, index, s_i)
            )
        tally: Tally = assemble_tally(self.manifest, counting, board, shares)
        heads = [head.to_json() for head in self.heads]
        receipts = {}
        for entry in self.entries:
            if entry["type"] != CAST:
                continue
            seq = entry["seq"]
            covering = next(h for h in self.heads if h.tree_size > seq)
            body = {k: v for k, v in entry["payload"].items() if k != "signature"}
            receipt = make_receipt(
                covering, seq, bytes.fromhex(tracker(body)), self._leaves
            )
            receipts[seq] = receipt.to_json()
        tally_json = tally.to_json()
        return SimulatedRecord(
            manifest=self.manifest,
            manifest_json=self.manifest_json,
            election_hash=self.election_hash,
            voters=self.voters,
            trustees=self.trustees,
            dealer=self.dealer,
            board_seed=self.board_seed,
            entries=tuple(self.entries),
            heads=tuple(heads),
            tally=tally_json,
            receipts=receipts,
            counting=counting,
            trustee_shares=tuple(shares),
            files=build_record(self.manifest_json, self.entries, heads, tally_json),
        )


def _as_time(value: datetime | str) -> datetime:
    """Return a protocol time string or aware datetime as an aware datetime."""
    if isinstance(value, str):
        return parse_time(value, "time")
    if value.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return value


def simulate_election(
    *,
    primes: tuple[int, int] | None = None,
    bits: int = 512,
    voters: int = 4,
    revotes: int = 1,
    audits: int = 1,
    jobs: int | None = 1,
) -> SimulatedRecord:
    """Return a small honest election: every voter casts, some re-vote and audit.

    Voter ``k`` picks option ``k mod 3`` in ``c1`` and options by the bits of
    ``k`` in ``c2`` (at most two), so the results are known in advance.
    """
    simulator = ElectionSimulator(primes=primes, bits=bits, voters=voters)
    for voter in range(min(audits, voters)):
        simulator.audit(voter, default_choices(voter + 1))
    for voter in range(voters):
        simulator.cast(voter, default_choices(voter))
    for voter in range(min(revotes, voters)):
        simulator.cast(voter, default_choices(voter + 2))
    return simulator.finish(jobs=jobs)


def default_choices(k: int) -> dict[str, list[int]]:
    """Return the choices of :func:`simulate_election`'s voter number ``k``."""
    c1 = [1 if option == k % 3 else 0 for option in range(3)]
    c2 = [(k >> bit) & 1 for bit in range(3)]
    if sum(c2) > 2:
        c2 = [1, 1, 0]
    return {"c1": c1, "c2": c2}
