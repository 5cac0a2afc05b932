"""Helpers for the ballots tests: elections from draft to open, ballots."""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from ballots.models import Election
from ballots.selectors import election_manifest
from ballots.services import (
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
from votecrypto import ballot as vballot
from votecrypto.canonical import cjson
from votecrypto.credentials import credential_seed
from votecrypto.manifest import Manifest
from votecrypto.sharefile import generate_x25519_private_key, x25519_public_key
from votecrypto.threshold import DealerOutput, deal, make_ceremony_test_share

VECTORS = Path(__file__).resolve().parents[3] / "shared" / "vectors" / "vectors.json"


@cache
def vector_primes() -> tuple[int, int]:
    """Return the 1024-bit test key's safe primes from the shared vectors."""
    key = json.loads(VECTORS.read_text())["key"]
    return int(key["p"], 16), int(key["q"], 16)


@cache
def dealer_output(
    threshold: int, names: tuple[str, ...], keys: tuple[bytes, ...]
) -> DealerOutput:
    """Deal once per trustee set (the key is the same test key every time)."""
    p, q = vector_primes()
    return deal(p, q, threshold, list(keys), names=list(names))


def otp_login(client: Client, user: User) -> Client:
    """Sign ``user`` in with a TOTP-verified session (officials, trustees)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@dataclass
class Setup:
    """An election with its people, codes and (once dealt) the dealer output."""

    election: Election
    official: User
    trustees: list[User]
    trustee_keys: list[bytes]
    voters: list[User]
    codes: dict[str, str] = field(default_factory=dict)
    dealer: DealerOutput | None = None

    @property
    def manifest(self) -> Manifest:
        self.election.refresh_from_db()
        return election_manifest(self.election)

    def code_of(self, voter: User) -> str:
        return self.codes[voter.identity_number]


# Deterministic trustee X25519 keys, so the dealt key is cached across tests.
TRUSTEE_PRIVATE_KEYS = tuple(generate_x25519_private_key() for _ in range(3))


def make_draft(
    make_user: Any,
    *,
    voters: int = 3,
    election_id: str = "city-2027",
    starts: datetime | None = None,
    hours: int = 2,
) -> Setup:
    """Create a complete draft: 2 contests, 3 trustees (t = 2), a roll, codes."""
    official = make_user(role="official")
    starts = starts or (timezone.now() - timedelta(minutes=10)).replace(microsecond=0)
    election = election_create(
        actor=official,
        election_id=election_id,
        title="City budget 2027",
        description="Where should the money go?",
        voting_starts_at=starts,
        voting_ends_at=starts + timedelta(hours=hours),
        threshold=2,
        is_test_keys=True,
    )
    contest_add(
        election=election,
        actor=official,
        contest_id="c1",
        title="Mayor",
        min_selections=0,
        max_selections=1,
        options=[("o1", "Alice"), ("o2", "Bob")],
    )
    contest_add(
        election=election,
        actor=official,
        contest_id="c2",
        title="Projects",
        min_selections=1,
        max_selections=2,
        options=[("o1", "Park"), ("o2", "Library"), ("o3", "Bridge")],
    )
    trustees = []
    keys = []
    for index in range(3):
        user = make_user(role="trustee", full_name=f"Trustee {index + 1}")
        trustee = trustee_add(
            election=election, actor=official, user=user, name=f"Trustee {index + 1}"
        )
        key = x25519_public_key(TRUSTEE_PRIVATE_KEYS[index])
        trustee_register_key(trustee=trustee, public_key_hex=key.hex())
        trustees.append(user)
        keys.append(key)
    voter_users = [make_user(role="citizen") for _ in range(voters)]
    lines = ["identity_number,email,full_name"] + [
        f"{u.identity_number},{u.email},{u.full_name}" for u in voter_users
    ]
    voter_roll_import(election=election, actor=official, csv_text="\n".join(lines))
    issued = credentials_issue(election=election, actor=official)
    return Setup(
        election,
        official,
        trustees,
        keys,
        voter_users,
        {item.identity_number: item.code for item in issued},
    )


def deal_and_upload(setup: Setup) -> None:
    """Move to the key ceremony and upload a dealt key."""
    election_transition(
        election=setup.election, to_state="key_ceremony", actor=setup.official
    )
    setup.dealer = dealer_output(
        2, ("Trustee 1", "Trustee 2", "Trustee 3"), tuple(setup.trustee_keys)
    )
    ceremony_upload(
        election=setup.election,
        actor=setup.official,
        public_json=cjson(setup.dealer.public.to_json()),
        share_boxes=[cjson(box.to_json()) for box in setup.dealer.boxes],
    )


def pass_self_test(setup: Setup, indices: tuple[int, ...] = (1, 2)) -> None:
    """Submit the test shares of ``indices``."""
    assert setup.dealer is not None
    for index in indices:
        share = make_ceremony_test_share(
            setup.dealer.public, index, setup.dealer.secret_shares[index]
        )
        trustee = setup.election.trustees.get(index=index)
        ceremony_test_share_submit(trustee=trustee, share_json=cjson(share.to_json()))


def make_open(make_user: Any, **kwargs: Any) -> Setup:
    """Create an election that is open for voting now."""
    setup = make_draft(make_user, **kwargs)
    deal_and_upload(setup)
    pass_self_test(setup)
    starts = setup.election.voting_starts_at
    election_transition(
        election=setup.election,
        to_state="ready",
        actor=setup.official,
        now=starts - timedelta(minutes=1),
    )
    election_transition(
        election=setup.election, to_state="open", actor=None, now=starts
    )
    setup.election.refresh_from_db()
    return setup


def encrypt(
    setup: Setup,
    voter: User,
    choices: dict[str, list[int]] | None = None,
    code: str | None = None,
) -> vballot.EncryptedBallot:
    """Encrypt a ballot of ``voter`` (with their code unless another is given)."""
    manifest = setup.manifest
    seed = credential_seed(code or setup.code_of(voter), manifest.election_id)
    return vballot.encrypt_ballot(
        manifest,
        manifest.election_hash,
        seed,
        choices or {"c1": [1, 0], "c2": [0, 1, 1]},
    )


def body(ballot: vballot.EncryptedBallot) -> bytes:
    """Return the ballot's canonical JSON (the casting API's body)."""
    return cjson(ballot.to_json())
