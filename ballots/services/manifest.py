"""Freezing the manifest (SPEC §4) when an election becomes ready."""

from datetime import datetime

from django.utils.translation import gettext_lazy as _

from ballots.errors import ElectionError
from ballots.models import Election
from ballots.permissions import test_keys_allowed
from ballots.selectors import board_public_key_hex, canonical_text, ceremony_public
from ballots.services.board import head_publish_empty
from votecrypto.canonical import Json, format_time
from votecrypto.errors import VoteCryptoError
from votecrypto.manifest import PROTOCOL, Manifest, check_manifest_crypto


def manifest_build(*, election: Election) -> Manifest:
    """Return the manifest of ``election`` from its set-up and ceremony.

    Exactly the keys of SPEC §4: contests and options in position order,
    ``public_key`` and ``trustees`` from the ceremony's ``public.json``,
    the derived ``board_public_key`` and the credentials sorted.
    """
    public = ceremony_public(election)
    if public is None:
        raise ElectionError("no-ceremony", _("Upload the key ceremony's output first."))
    contests: list[Json] = [
        {
            "contest_id": contest.contest_id,
            "title": contest.title,
            "min_selections": contest.min_selections,
            "max_selections": contest.max_selections,
            "options": [
                {"option_id": option.option_id, "title": option.title}
                for option in contest.options.order_by("position")
            ],
        }
        for contest in election.contests.order_by("position")
    ]
    credentials = sorted(election.credentials.values_list("public_key", flat=True))
    value: Json = {
        "protocol": PROTOCOL,
        "election_id": election.election_id,
        "title": election.title,
        "description": election.description,
        "voting_starts": format_time(election.voting_starts_at),
        "voting_ends": format_time(election.voting_ends_at),
        "contests": contests,
        "public_key": public.public_key.to_json(),
        "trustees": public.trustees.to_json(),
        "board_public_key": board_public_key_hex(election),
        "credentials": credentials,
    }
    try:
        return Manifest.from_json(value)
    except VoteCryptoError as exc:
        raise ElectionError("bad-manifest", str(exc)) from exc


def manifest_freeze(*, election: Election, now: datetime) -> None:
    """Freeze the manifest, publish ``election_hash`` and the empty head.

    ``election`` is locked by the caller (the transition to ``ready``).
    Requires the ceremony self-test (SPEC §2.2 step 7) and V1's checks.
    """
    if election.ceremony_tested_at is None:
        raise ElectionError(
            "ceremony-untested",
            _("The trustees must pass the key ceremony self-test first."),
            409,
        )
    if now >= election.voting_starts_at:
        raise ElectionError(
            "too-late",
            _("Voting must start after the election becomes ready."),
            409,
        )
    manifest = manifest_build(election=election)
    allow_test = election.is_test_keys and test_keys_allowed()
    report = check_manifest_crypto(manifest, allow_test_keys=allow_test)
    if not report.ok:
        raise ElectionError("bad-manifest", "; ".join(report.problems))
    election.manifest_json = canonical_text(manifest.to_json())
    election.election_hash = manifest.election_hash
    election.save(update_fields=["manifest_json", "election_hash"])
    head_publish_empty(election=election, now=now)
