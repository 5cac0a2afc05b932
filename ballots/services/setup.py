"""Setting an election up: details, contests, trustees, roll, credentials."""

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.identity import validate_identity_number
from accounts.permissions import can_act_as_trustee
from ballots.errors import ElectionError, RollImportError
from ballots.models import Contest, Credential, Election, Option, Trustee, Voter
from ballots.permissions import test_keys_allowed
from ballots.services.lifecycle import election_event_record
from votecrypto.credentials import credential_public_key, generate_voting_code

ROLL_COLUMNS = ("identity_number", "email", "full_name")


def _require_draft(election: Election) -> None:
    if election.state != Election.State.DRAFT:
        raise ElectionError(
            "not-draft", _("Only an election in draft can be changed."), 409
        )


def _whole_seconds(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def _check_details(
    *,
    voting_starts_at: datetime,
    voting_ends_at: datetime,
    threshold: int,
    is_test_keys: bool,
) -> None:
    if not _whole_seconds(voting_starts_at) < _whole_seconds(voting_ends_at):
        raise ElectionError("bad-schedule", _("Voting must end after it starts."))
    if threshold < 1:
        raise ElectionError("bad-threshold", _("The threshold must be at least 1."))
    if is_test_keys and not test_keys_allowed():
        raise ElectionError(
            "test-keys-forbidden",
            _("Test keys are allowed only in development or demo deployments."),
        )


@transaction.atomic
def election_create(
    *,
    actor: Any,
    election_id: str,
    title: str,
    description: str,
    voting_starts_at: datetime,
    voting_ends_at: datetime,
    threshold: int = 1,
    is_test_keys: bool = False,
) -> Election:
    """Create an election in draft (times are kept at whole seconds)."""
    _check_details(
        voting_starts_at=voting_starts_at,
        voting_ends_at=voting_ends_at,
        threshold=threshold,
        is_test_keys=is_test_keys,
    )
    election = Election(
        election_id=election_id,
        title=title,
        description=description,
        voting_starts_at=_whole_seconds(voting_starts_at),
        voting_ends_at=_whole_seconds(voting_ends_at),
        threshold=threshold,
        is_test_keys=is_test_keys,
        created_by=actor,
    )
    try:
        election.full_clean()
    except ValidationError as exc:
        raise ElectionError("invalid", "; ".join(exc.messages)) from exc
    election.save()
    election_event_record(
        election=election, actor=actor, action="create", to_state=election.state
    )
    return election


@transaction.atomic
def election_update(
    *,
    election: Election,
    actor: Any,
    title: str,
    description: str,
    voting_starts_at: datetime,
    voting_ends_at: datetime,
    threshold: int,
    is_test_keys: bool,
) -> Election:
    """Change an election's details (draft only; the id never changes)."""
    election = Election.objects.select_for_update().get(pk=election.pk)
    _require_draft(election)
    _check_details(
        voting_starts_at=voting_starts_at,
        voting_ends_at=voting_ends_at,
        threshold=threshold,
        is_test_keys=is_test_keys,
    )
    election.title = title
    election.description = description
    election.voting_starts_at = _whole_seconds(voting_starts_at)
    election.voting_ends_at = _whole_seconds(voting_ends_at)
    election.threshold = threshold
    election.is_test_keys = is_test_keys
    election.save()
    election_event_record(election=election, actor=actor, action="edit")
    return election


@transaction.atomic
def contest_add(
    *,
    election: Election,
    actor: Any,
    contest_id: str,
    title: str,
    min_selections: int,
    max_selections: int,
    options: list[tuple[str, str]],
) -> Contest:
    """Add a contest with its ``(option_id, title)`` options at the end."""
    election = Election.objects.select_for_update().get(pk=election.pk)
    _require_draft(election)
    if not options:
        raise ElectionError("bad-contest", _("A contest needs at least one option."))
    if not 0 <= min_selections <= max_selections <= len(options):
        raise ElectionError(
            "bad-contest",
            _("Need 0 ≤ minimum ≤ maximum ≤ the number of options."),
        )
    ids = [option_id for option_id, _title in options]
    if len(set(ids)) != len(ids):
        raise ElectionError("bad-contest", _("Option ids must be unique."))
    position = election.contests.count()
    contest = Contest(
        election=election,
        position=position,
        contest_id=contest_id,
        title=title,
        min_selections=min_selections,
        max_selections=max_selections,
    )
    try:
        contest.full_clean(exclude=["election"])
        option_rows = [
            Option(
                contest=contest, position=index, option_id=option_id, title=option_title
            )
            for index, (option_id, option_title) in enumerate(options)
        ]
        for row in option_rows:
            row.full_clean(exclude=["contest"])
    except ValidationError as exc:
        raise ElectionError("bad-contest", "; ".join(exc.messages)) from exc
    if election.contests.filter(contest_id=contest_id).exists():
        raise ElectionError("bad-contest", _("This contest id is already used."))
    contest.save()
    for row in option_rows:
        row.contest = contest
    Option.objects.bulk_create(option_rows)
    election_event_record(
        election=election, actor=actor, action="contest-add", detail=contest_id
    )
    return contest


@transaction.atomic
def contest_remove(*, contest: Contest, actor: Any) -> None:
    """Remove a contest (draft only) and renumber the rest."""
    election = Election.objects.select_for_update().get(pk=contest.election_id)
    _require_draft(election)
    contest_id = contest.contest_id
    contest.delete()
    for position, row in enumerate(election.contests.order_by("position")):
        if row.position != position:
            Contest.objects.filter(pk=row.pk).update(position=position)
    election_event_record(
        election=election, actor=actor, action="contest-remove", detail=contest_id
    )


@transaction.atomic
def trustee_add(*, election: Election, actor: Any, user: Any, name: str) -> Trustee:
    """Seat ``user`` (who must hold the trustee role) as the next trustee."""
    election = Election.objects.select_for_update().get(pk=election.pk)
    _require_draft(election)
    if not can_act_as_trustee(user):
        raise ElectionError("not-a-trustee", _("This user has no trustee role."))
    if election.trustees.filter(user=user).exists():
        raise ElectionError("duplicate", _("This user is already a trustee."))
    name = name.strip() or user.full_name
    # Names identify trustees in public.json, whose order the upload checks.
    if election.trustees.filter(name=name).exists():
        raise ElectionError("duplicate", _("Another trustee has this name."))
    trustee = Trustee.objects.create(
        election=election,
        user=user,
        index=election.trustees.count() + 1,
        name=name,
    )
    election_event_record(
        election=election,
        actor=actor,
        action="trustee-add",
        detail=f"{trustee.index}: {trustee.name}",
    )
    return trustee


@transaction.atomic
def trustee_remove(*, trustee: Trustee, actor: Any) -> None:
    """Remove a trustee (draft only); later indices move down by one."""
    election = Election.objects.select_for_update().get(pk=trustee.election_id)
    _require_draft(election)
    index = trustee.index
    trustee.delete()
    for row in election.trustees.filter(index__gt=index).order_by("index"):
        Trustee.objects.filter(pk=row.pk).update(index=row.index - 1)
    election_event_record(
        election=election, actor=actor, action="trustee-remove", detail=str(index)
    )


# ---------------------------------------------------------------- voter roll


def _roll_rows(text: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text))
    rows = [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    if rows:
        header = [cell.strip().lower() for cell in rows[0][1]]
        if header in (list(ROLL_COLUMNS), ["identity_number", "email", "name"]):
            rows = rows[1:]
    return rows


@transaction.atomic
def voter_roll_import(*, election: Election, actor: Any, csv_text: str) -> int:
    """Add the CSV's voters (``identity_number, email, full_name``) to the roll.

    A first line naming the columns is skipped.  Every line is checked
    (three columns, a valid identity number and e-mail, a name, no number
    twice in the file or on the roll); if any line is bad,
    :class:`RollImportError` lists each bad line and nothing is imported.
    Returns how many voters were added.
    """
    election = Election.objects.select_for_update().get(pk=election.pk)
    _require_draft(election)
    existing = set(election.voters.values_list("identity_number", flat=True))
    errors: list[tuple[int, str]] = []
    voters: list[Voter] = []
    seen: set[str] = set()
    try:
        rows = _roll_rows(csv_text)
    except csv.Error as exc:
        raise RollImportError([(0, _("not a valid CSV file (%s)") % exc)]) from exc
    if not rows:
        raise RollImportError([(0, _("the file holds no voters"))])
    for line, row in rows:
        cells = [cell.strip() for cell in row]
        if len(cells) != len(ROLL_COLUMNS):
            errors.append(
                (line, _("expected 3 columns: identity number, e-mail, name"))
            )
            continue
        number, email, name = cells
        problems = []
        try:
            validate_identity_number(number)
        except ValidationError:
            problems.append(_("invalid identity number"))
        try:
            validate_email(email)
        except ValidationError:
            problems.append(_("invalid e-mail address"))
        if not name:
            problems.append(_("the name is empty"))
        if number in seen:
            problems.append(_("identity number repeated in the file"))
        elif number in existing:
            problems.append(_("identity number already on the roll"))
        seen.add(number)
        if problems:
            errors.append((line, "; ".join(problems)))
        else:
            voters.append(
                Voter(
                    election=election,
                    identity_number=number,
                    email=email,
                    full_name=name,
                )
            )
    if errors:
        raise RollImportError(errors)
    try:
        Voter.objects.bulk_create(voters)
    except IntegrityError as exc:  # a concurrent import of the same numbers
        raise RollImportError([(0, _("the roll changed meanwhile; retry"))]) from exc
    election_event_record(
        election=election, actor=actor, action="roll-import", detail=str(len(voters))
    )
    return len(voters)


# ---------------------------------------------------------------- credentials


@dataclass(frozen=True)
class IssuedCode:
    """One voter's voting code, for the credential authority's mailing only."""

    identity_number: str
    email: str
    full_name: str
    code: str


@transaction.atomic
def credentials_issue(*, election: Election, actor: Any = None) -> list[IssuedCode]:
    """Make one voting code per voter and store only the public keys (§4.1).

    The credential authority's step: the returned codes (with the voters'
    identity numbers and e-mails) go to the authority's mailing file; the
    server keeps only the Ed25519 public keys, inserted in sorted order so
    that nothing links a key to a voter.  Issuing again replaces every
    earlier credential (draft only).
    """
    election = Election.objects.select_for_update().get(pk=election.pk)
    _require_draft(election)
    voters = list(election.voters.order_by("id"))
    if not voters:
        raise ElectionError("no-voters", _("Import the voter roll first."))
    issued: list[IssuedCode] = []
    keys: set[str] = set()
    for voter in voters:
        while True:
            code = generate_voting_code()
            key = credential_public_key(code, election.election_id).hex()
            if key not in keys:
                break
        keys.add(key)
        issued.append(
            IssuedCode(voter.identity_number, voter.email, voter.full_name, code)
        )
    election.credentials.all().delete()
    Credential.objects.bulk_create(
        Credential(election=election, public_key=key) for key in sorted(keys)
    )
    election_event_record(
        election=election,
        actor=actor,
        action="credentials-issue",
        detail=str(len(keys)),
    )
    return issued
