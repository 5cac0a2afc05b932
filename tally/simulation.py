"""A whole election run headless through the server's own services.

``manage.py simulate_election`` calls :func:`simulate_election`: the same
service functions the web pages and the API call, in the order people
would use them — an official sets the election up, trustees register keys
and pass the ceremony self-test, voters (whose voting codes stay in this
process's memory) cast through the casting service, some vote again and
one audits a ballot, the tally task counts the closed board, trustees run
the offline tool ``python -m tally.trustee decrypt`` on the downloaded
closed board and upload through the share service, and the record is
published and verified.  :func:`compare_results` then checks the
published counts against what the simulated voters meant.

Unlike :mod:`votecrypto.simulate` (pure, no server), this exercises the
Django side end to end.  The key is dealt here, as an offline dealer
would, and uploaded through ``ceremony_upload``; keys below 2048 bits are
allowed and the election is marked as using test keys.
"""

import contextlib
import io
import secrets
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.test.utils import override_settings
from django.utils import timezone

from accounts.identity import generate_kz_iin
from accounts.models import User
from accounts.roles import CITIZEN, OFFICIAL, TRUSTEE, assign_role
from accounts.services import user_create
from ballots.models import Election
from ballots.selectors import election_manifest
from ballots.services import (
    ballot_audit,
    ballot_cast,
    ceremony_test_share_submit,
    ceremony_upload,
    contest_add,
    credentials_issue,
    election_create,
    election_transition,
    trustee_add,
    trustee_register_key,
    voter_roll_import,
)
from config.celery import app as celery_app
from tally import trustee as trustee_tool
from tally.selectors import closed_board_files, tally_for
from tally.services import tally_request, trustee_shares_submit
from tally.tasks import tally_compute as tally_compute_task
from tally.tasks import tally_publish as tally_publish_task
from tally.tasks import tally_verify as tally_verify_task
from votecrypto import ballot as vballot
from votecrypto.canonical import cjson, parse_json
from votecrypto.credentials import credential_seed
from votecrypto.primes import generate_paillier_primes
from votecrypto.sharefile import (
    generate_x25519_private_key,
    write_key_file,
    x25519_public_key,
)
from votecrypto.tally import Tally
from votecrypto.threshold import deal, decrypt_share, make_ceremony_test_share

Results = dict[str, dict[str, int]]

CONTESTS: tuple[tuple[str, str, int, int, tuple[tuple[str, str], ...]], ...] = (
    ("mayor", "Mayor", 0, 1, (("alice", "Alice"), ("bob", "Bob"), ("carol", "Carol"))),
    (
        "projects",
        "Projects",
        1,
        2,
        (("park", "Park"), ("library", "Library"), ("bridge", "Bridge")),
    ),
)
"""The simulated election's contests: id, title, min, max, options."""

PRODUCTION_BITS = 2048


class SimulationError(Exception):
    """A step of the simulation failed (the message says which)."""


@dataclass
class SimulationOutcome:
    """What a simulated election produced."""

    election_id: str
    bits: int
    voters: int
    expected: Results
    results: Results
    verified: bool
    report_text: str
    record_zip: bytes
    revotes: int = 0
    audits: int = 0
    log: list[str] = field(default_factory=list)


def compare_results(expected: Results, results: Results) -> list[str]:
    """Return how ``results`` differ from ``expected`` (empty when equal)."""
    problems = []
    for contest_id in sorted(set(expected) | set(results)):
        want = expected.get(contest_id)
        got = results.get(contest_id)
        if want is None or got is None:
            where = "intent" if want is None else "results"
            problems.append(f"{contest_id}: missing from the {where}")
            continue
        for option_id in sorted(set(want) | set(got)):
            if want.get(option_id) != got.get(option_id):
                problems.append(
                    f"{contest_id}.{option_id}: intended {want.get(option_id)}, "
                    f"published {got.get(option_id)}"
                )
    return problems


def _random_choices() -> dict[str, list[int]]:
    """Return a random valid choice for every contest."""
    choices: dict[str, list[int]] = {}
    for contest_id, _title, low, high, options in CONTESTS:
        count = low + secrets.randbelow(high - low + 1)
        picked: set[int] = set()
        while len(picked) < count:
            picked.add(secrets.randbelow(len(options)))
        choices[contest_id] = [int(i in picked) for i in range(len(options))]
    return choices


def _intent(latest: dict[int, dict[str, list[int]]]) -> Results:
    """Return the counts the voters' latest choices add up to."""
    expected: Results = {
        contest_id: dict.fromkeys((option_id for option_id, _ in options), 0)
        for contest_id, _title, _low, _high, options in CONTESTS
    }
    for choices in latest.values():
        for contest_id, _title, _low, _high, options in CONTESTS:
            for (option_id, _name), value in zip(
                options, choices[contest_id], strict=True
            ):
                expected[contest_id][option_id] += value
    return expected


def _user(tag: str, number: int, role: str, name: str) -> User:
    """Create a user with ``role`` (a fresh identity number, no password)."""
    for _attempt in range(20):
        try:
            user = user_create(
                email=f"{tag}-{number}@simulation.example.org",
                password=None,
                full_name=name,
                identity_number=generate_kz_iin(),
                region=None,
                preferred_language="en",
                email_verified=True,
            )
        except ValidationError:
            continue
        assign_role(user=user, role=role)
        return user
    raise SimulationError("could not create a user with a fresh identity number")


@contextlib.contextmanager
def _simulation_settings(bits: int) -> Iterator[None]:
    """Run tasks in this process; allow test keys below 2048 bits."""
    # Simulated voters have no mailboxes: keep the notifications in memory.
    overrides: dict[str, Any] = {
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"
    }
    if bits < PRODUCTION_BITS:
        overrides["BALLOTS_ALLOW_TEST_KEYS"] = True
    if len(getattr(settings, "BOARD_KEY_SECRET", "")) < 32:
        # A one-off board key for this run only: its heads verify with the
        # manifest's board_public_key, but nobody can sign for it later.
        overrides["BOARD_KEY_SECRET"] = secrets.token_hex(32)
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with override_settings(**overrides):
            yield
    finally:
        celery_app.conf.task_always_eager = previous


def simulate_election(
    *,
    voters: int,
    bits: int,
    trustees: int = 3,
    threshold: int = 2,
    say: Callable[[str], None] | None = None,
) -> SimulationOutcome:
    """Run a whole election through the services; return its outcome."""
    if voters < 1:
        raise SimulationError("at least one voter is needed")
    if not 1 <= threshold <= trustees:
        raise SimulationError("need 1 ≤ threshold ≤ trustees")
    with _simulation_settings(bits):
        return _run(voters, bits, trustees, threshold, say or (lambda _line: None))


def _run(
    voters: int,
    bits: int,
    trustee_count: int,
    threshold: int,
    say: Callable[[str], None],
) -> SimulationOutcome:
    tag = f"sim-{secrets.token_hex(4)}"
    now = timezone.now().replace(microsecond=0)
    # The voting window lies in the past, so the election can close at once;
    # every step passes its own time to the services, as the schedule would.
    window = timedelta(seconds=max(600, 4 * voters + 60))
    starts = now - window - timedelta(minutes=1)
    ends = now - timedelta(minutes=1)

    official = _user(tag, 0, OFFICIAL, "Simulated official")
    election = election_create(
        actor=official,
        election_id=tag,
        title=f"Simulated election {tag}",
        description="Made by manage.py simulate_election.",
        voting_starts_at=starts,
        voting_ends_at=ends,
        threshold=threshold,
        is_test_keys=bits < PRODUCTION_BITS,
    )
    for contest_id, title, low, high, options in CONTESTS:
        contest_add(
            election=election,
            actor=official,
            contest_id=contest_id,
            title=title,
            min_selections=low,
            max_selections=high,
            options=list(options),
        )
    say(f"election {tag}: {voters} voters, {trustee_count} trustees (t = {threshold})")

    # Trustees register X25519 keys; the private keys stay with them (here).
    private_keys: dict[int, bytes] = {}
    seats = []
    for index in range(1, trustee_count + 1):
        user = _user(tag, 1000 + index, TRUSTEE, f"Trustee {index}")
        seat = trustee_add(
            election=election, actor=official, user=user, name=f"Trustee {index}"
        )
        private_keys[seat.index] = generate_x25519_private_key()
        trustee_register_key(
            trustee=seat,
            public_key_hex=x25519_public_key(private_keys[seat.index]).hex(),
        )
        seats.append((seat, user))

    # The roll and the credential authority's codes (kept in memory only).
    people = [
        _user(tag, 2000 + number, CITIZEN, f"Voter {number + 1}")
        for number in range(voters)
    ]
    voter_roll_import(
        election=election,
        actor=official,
        csv_text="\n".join(
            f"{user.identity_number},{user.email},{user.full_name}" for user in people
        ),
    )
    codes = {
        issued.identity_number: issued.code
        for issued in credentials_issue(election=election, actor=official)
    }

    # The key ceremony: an offline dealer's output, uploaded by the official.
    election_transition(election=election, to_state="key_ceremony", actor=official)
    say(f"dealing a {bits}-bit key{' (TEST KEY)' if bits < PRODUCTION_BITS else ''}")
    p, q = generate_paillier_primes(bits)
    dealt = deal(
        p,
        q,
        threshold,
        [x25519_public_key(private_keys[seat.index]) for seat, _ in seats],
        names=[seat.name for seat, _ in seats],
    )
    del p, q
    ceremony_upload(
        election=election,
        actor=official,
        public_json=cjson(dealt.public.to_json()),
        share_boxes=[cjson(box.to_json()) for box in dealt.boxes],
    )
    n = dealt.public.n
    for seat, _holder in seats[:threshold]:
        s_i = decrypt_share(n, dealt.boxes[seat.index - 1], private_keys[seat.index])
        share = make_ceremony_test_share(dealt.public, seat.index, s_i)
        ceremony_test_share_submit(trustee=seat, share_json=cjson(share.to_json()))
    del dealt
    election_transition(
        election=election,
        to_state="ready",
        actor=official,
        now=starts - timedelta(seconds=30),
    )
    election_transition(election=election, to_state="open", actor=None, now=starts)
    election.refresh_from_db()
    manifest = election_manifest(election)

    # Voting: everyone casts, every third voter votes again, one audits.
    clock = iter(range(1, 10**9))
    latest: dict[int, dict[str, list[int]]] = {}
    revotes = audits = 0

    def cast(number: int, choices: dict[str, list[int]]) -> None:
        user = people[number]
        seed = credential_seed(codes[user.identity_number], election.election_id)
        ballot = vballot.encrypt_ballot(manifest, manifest.election_hash, seed, choices)
        ballot_cast(
            election=election,
            user=user,
            body=cjson(ballot.to_json()),
            now=starts + timedelta(seconds=next(clock)),
        )
        latest[number] = choices

    for number in range(voters):
        if number == 0:
            user = people[0]
            seed = credential_seed(codes[user.identity_number], election.election_id)
            audited = vballot.encrypt_ballot(
                manifest, manifest.election_hash, seed, _random_choices()
            )
            ballot_audit(
                election=election,
                user=user,
                body=cjson(vballot.make_audit(audited)),
                now=starts + timedelta(seconds=next(clock)),
            )
            audits += 1
        cast(number, _random_choices())
    for number in range(1, voters, 3):
        cast(number, _random_choices())
        revotes += 1
    say(f"{voters} voters cast, {revotes} voted again, {audits} audited a ballot")

    # Closing and counting: the official's button, then the task (eager here;
    # running it again is a no-op, which also covers a non-eager set-up).
    tally_request(election=election, actor=official)
    tally_compute_task(election.pk)
    election.refresh_from_db()
    if election.state != Election.State.AWAITING_TRUSTEES:
        raise SimulationError(f"after counting the election is {election.state}")
    say("the closed board is counted; waiting for the trustees")

    # Trustees: download the closed board, run the offline tool, upload.
    board_zip = closed_board_files(election=election).to_zip()
    with tempfile.TemporaryDirectory(prefix="dauys-sim-") as folder:
        base = Path(folder)
        (base / "closed-board.zip").write_bytes(board_zip)
        for seat, user in seats[:threshold]:
            seat.refresh_from_db()
            shares = _trustee_decrypt(
                base, seat.index, private_keys[seat.index], seat.share_box_json
            )
            trustee_shares_submit(
                election=election, trustee=seat, actor=user, data=shares
            )
            say(f"trustee {seat.index} uploaded its decryption shares")
    tally_publish_task(election.pk)
    tally_verify_task(election.pk)
    election.refresh_from_db()
    tally = tally_for(election=election)
    if tally is None or not tally.is_published:
        raise SimulationError(f"the record was not published ({election.state})")
    published = Tally.from_json(parse_json(tally.tally_json))
    return SimulationOutcome(
        election_id=election.election_id,
        bits=bits,
        voters=voters,
        expected=_intent(latest),
        results=published.results(),
        verified=bool(tally.is_verified),
        report_text=tally.verification_text,
        record_zip=bytes(tally.record_zip),
        revotes=revotes,
        audits=audits,
    )


def _trustee_decrypt(base: Path, index: int, private_key: bytes, box: str) -> bytes:
    """Run ``python -m tally.trustee decrypt`` as trustee ``index`` would."""
    passphrase = secrets.token_urlsafe(16)
    folder = base / f"trustee-{index}"
    folder.mkdir()
    (folder / "passphrase.txt").write_text(passphrase + "\n")
    (folder / "key.json").write_bytes(write_key_file(private_key, passphrase))
    (folder / f"share-{index}.json").write_text(box + "\n")
    out = folder / "shares.json"
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        status = trustee_tool.main(
            [
                "decrypt",
                "--share-file",
                str(folder / f"share-{index}.json"),
                "--key",
                str(folder / "key.json"),
                "--passphrase-file",
                str(folder / "passphrase.txt"),
                "--record-dir",
                str(base / "closed-board.zip"),
                "--out",
                str(out),
                "--jobs",
                "1",
            ]
        )
    if status != 0:
        raise SimulationError(f"trustee {index}: {output.getvalue().strip()}")
    return out.read_bytes()
