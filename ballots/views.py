"""Pages of the ballots app: election set-up, lifecycle, trustees, find my ballot."""

from datetime import UTC
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import role_required
from accounts.roles import OFFICIAL, TRUSTEE
from ballots import forms
from ballots.errors import ElectionError, RollImportError
from ballots.models import BoardEntry, Contest, Election, Trustee
from ballots.permissions import (
    can_cast,
    can_manage_elections,
    can_transition,
    demo_ceremony_allowed,
    is_election_trustee,
)
from ballots.selectors import (
    PUBLIC_STATES,
    board_entries,
    ceremony_public,
    election_events,
    election_get,
    election_list_visible,
    election_manifest,
    election_turnout,
    entries_by_tracker_prefix,
    head_json,
    head_latest,
    receipt_json,
    trustee_for_user,
    voter_is_on_roll,
)
from ballots.services import (
    TRANSITIONS,
    ceremony_test_share_submit,
    ceremony_upload,
    contest_add,
    contest_remove,
    election_create,
    election_transition,
    election_update,
    trustee_add,
    trustee_register_key,
    trustee_remove,
    voter_roll_import,
)
from tally.selectors import trustee_progress
from tally.trustee_console import MIN_PASSPHRASE_LENGTH, trustee_console_strings
from votecrypto.ballot import tracker_display

# States in which the official's tally page has something to show.
TALLY_STATES = ("closed", "tallying", "awaiting_trustees", "published")


def _detail_url(election: Election) -> str:
    return reverse("ballots:detail", args=[election.election_id])


def _visible(request: HttpRequest, election_id: str) -> Election:
    election = election_get(election_id=election_id)
    if election.state not in PUBLIC_STATES and not can_manage_elections(request.user):
        trustee = trustee_for_user(election=election, user=request.user)
        if not is_election_trustee(request.user, trustee):
            raise Http404(election_id)
    return election


def election_list(request: HttpRequest) -> HttpResponse:
    """List the elections the viewer may see."""
    return render(
        request,
        "ballots/election_list.html",
        {
            "elections": election_list_visible(viewer=request.user),
            "can_manage": can_manage_elections(request.user),
        },
    )


def election_detail(request: HttpRequest, election_id: str) -> HttpResponse:
    """Show an election: details, contests, board head, audit log, actions."""
    election = _visible(request, election_id)
    manage = can_manage_elections(request.user)
    targets = [
        state
        for state in TRANSITIONS.get(election.state, frozenset())
        if can_transition(request.user, state)
    ]
    latest = head_latest(election=election)
    trustee = trustee_for_user(election=election, user=request.user)
    trustees = trustee_progress(election=election)
    public = ceremony_public(election) if manage else None
    return render(
        request,
        "ballots/election_detail.html",
        {
            "election": election,
            "contests": election.contests.prefetch_related("options"),
            "trustees": trustees,
            # The key ceremony's progress, for the officials who follow it.
            "key_hash": public.key_hash if public else "",
            "test_shares": sum(1 for seat in trustees if seat.has_test_share),
            "events": election_events(election=election),
            "can_manage": manage,
            "targets": [
                (state, Election.State(state).label) for state in sorted(targets)
            ],
            "head": head_json(latest) if latest else None,
            "turnout": election_turnout(election=election),
            "voter_count": election.voters.count() if manage else None,
            "credential_count": election.credentials.count(),
            "is_trustee": is_election_trustee(request.user, trustee),
            "demo_allowed": demo_ceremony_allowed(),
            "tally_states": TALLY_STATES,
        },
    )


def _form_page(
    request: HttpRequest, template: str, form: Any, **context: Any
) -> HttpResponse:
    return render(request, template, {"form": form, **context})


@role_required(OFFICIAL)
def election_new(request: HttpRequest) -> HttpResponse:
    """Create an election in draft (the form's times are UTC)."""
    with timezone.override(UTC):
        return _election_new(request)


def _election_new(request: HttpRequest) -> HttpResponse:
    form = forms.ElectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            election = election_create(actor=request.user, **form.cleaned_data)
        except ElectionError as exc:
            form.add_error(None, exc.detail)
        else:
            return HttpResponseRedirect(_detail_url(election))
    return _form_page(
        request, "ballots/form.html", form, title=_("New election"), election=None
    )


@role_required(OFFICIAL)
def election_edit(request: HttpRequest, election_id: str) -> HttpResponse:
    """Edit an election's details while in draft (the form's times are UTC)."""
    with timezone.override(UTC):
        return _election_edit(request, election_id)


def _election_edit(request: HttpRequest, election_id: str) -> HttpResponse:
    election = election_get(election_id=election_id)
    initial = {
        "election_id": election.election_id,
        "title": election.title,
        "description": election.description,
        "voting_starts_at": election.voting_starts_at,
        "voting_ends_at": election.voting_ends_at,
        "threshold": election.threshold,
        "is_test_keys": election.is_test_keys,
    }
    form = forms.ElectionForm(request.POST or None, initial=initial)
    form.fields["election_id"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "election_id"}
        try:
            election_update(election=election, actor=request.user, **data)
        except ElectionError as exc:
            form.add_error(None, exc.detail)
        else:
            return HttpResponseRedirect(_detail_url(election))
    return _form_page(
        request, "ballots/form.html", form, title=_("Edit election"), election=election
    )


@role_required(OFFICIAL)
def contest_new(request: HttpRequest, election_id: str) -> HttpResponse:
    """Add a contest with its options."""
    election = election_get(election_id=election_id)
    form = forms.ContestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contest_add(election=election, actor=request.user, **form.cleaned_data)
        except ElectionError as exc:
            form.add_error(None, exc.detail)
        else:
            return HttpResponseRedirect(_detail_url(election))
    return _form_page(
        request, "ballots/form.html", form, title=_("Add a contest"), election=election
    )


@require_POST
@role_required(OFFICIAL)
def contest_delete(request: HttpRequest, election_id: str, pk: int) -> HttpResponse:
    """Remove a contest (draft only)."""
    election = election_get(election_id=election_id)
    contest = get_object_or_404(Contest, pk=pk, election=election)
    try:
        contest_remove(contest=contest, actor=request.user)
    except ElectionError as exc:
        messages.error(request, exc.detail)
    return HttpResponseRedirect(_detail_url(election))


@role_required(OFFICIAL)
def trustee_new(request: HttpRequest, election_id: str) -> HttpResponse:
    """Seat a trustee."""
    election = election_get(election_id=election_id)
    form = forms.TrusteeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            trustee_add(
                election=election,
                actor=request.user,
                user=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
            )
        except ElectionError as exc:
            form.add_error(None, exc.detail)
        else:
            return HttpResponseRedirect(_detail_url(election))
    return _form_page(
        request, "ballots/form.html", form, title=_("Add a trustee"), election=election
    )


@require_POST
@role_required(OFFICIAL)
def trustee_delete(request: HttpRequest, election_id: str, pk: int) -> HttpResponse:
    """Remove a trustee (draft only)."""
    election = election_get(election_id=election_id)
    trustee = get_object_or_404(Trustee, pk=pk, election=election)
    try:
        trustee_remove(trustee=trustee, actor=request.user)
    except ElectionError as exc:
        messages.error(request, exc.detail)
    return HttpResponseRedirect(_detail_url(election))


@role_required(OFFICIAL)
def roll_import(request: HttpRequest, election_id: str) -> HttpResponse:
    """Import the voter roll from CSV; show every bad line."""
    election = election_get(election_id=election_id)
    form = forms.RollForm(request.POST or None, request.FILES or None)
    line_errors: list[tuple[int, str]] = []
    if request.method == "POST" and form.is_valid():
        try:
            count = voter_roll_import(
                election=election,
                actor=request.user,
                csv_text=form.cleaned_data["file"],
            )
        except RollImportError as exc:
            line_errors = exc.errors
        except ElectionError as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, _("%(n)s voters imported.") % {"n": count})
            return HttpResponseRedirect(_detail_url(election))
    status = 400 if line_errors else 200
    return render(
        request,
        "ballots/roll_import.html",
        {"form": form, "election": election, "line_errors": line_errors},
        status=status,
    )


@role_required(OFFICIAL)
def ceremony(request: HttpRequest, election_id: str) -> HttpResponse:
    """Upload the offline dealer's output."""
    election = election_get(election_id=election_id)
    form = forms.CeremonyUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            ceremony_upload(
                election=election,
                actor=request.user,
                public_json=form.cleaned_data["public"].read(),
                share_boxes=[f.read() for f in form.cleaned_data["shares"]],
            )
        except ElectionError as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, _("The key ceremony's output is stored."))
            return HttpResponseRedirect(_detail_url(election))
    return render(
        request,
        "ballots/ceremony.html",
        {"form": form, "election": election, "demo_allowed": demo_ceremony_allowed()},
    )


@require_POST
@role_required(OFFICIAL)
def ceremony_demo(request: HttpRequest, election_id: str) -> HttpResponse:
    """Start the server-side DEMO key ceremony (never for real elections)."""
    from ballots.tasks import run_demo_ceremony as run_demo_ceremony_task

    election = election_get(election_id=election_id)
    if not demo_ceremony_allowed():
        raise Http404(election_id)
    run_demo_ceremony_task.delay(election.pk, request.user.pk)
    messages.info(request, _("The demo key ceremony was started."))
    return HttpResponseRedirect(_detail_url(election))


@require_POST
@role_required(OFFICIAL)
def transition(request: HttpRequest, election_id: str) -> HttpResponse:
    """Move an election to another state by hand."""
    election = election_get(election_id=election_id)
    to_state = request.POST.get("to_state", "")
    if not can_transition(request.user, to_state):
        messages.error(request, _("You may not make this change."))
        return HttpResponseRedirect(_detail_url(election))
    try:
        election_transition(
            election=election,
            to_state=to_state,
            actor=request.user,
            detail=request.POST.get("detail", "")[:500],
        )
    except ElectionError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request,
            _("The election is now “%(state)s”.")
            % {"state": Election.State(to_state).label},
        )
    return HttpResponseRedirect(_detail_url(election))


@role_required(TRUSTEE)
def trustee_page(request: HttpRequest, election_id: str) -> HttpResponse:
    """A trustee's page: register the key, get the share box, pass the self-test."""
    election = election_get(election_id=election_id)
    trustee = trustee_for_user(election=election, user=request.user)
    if trustee is None or not is_election_trustee(request.user, trustee):
        raise Http404(election_id)
    key_form = forms.TrusteeKeyForm(
        request.POST if request.POST.get("action") == "key" else None
    )
    share_form = forms.TestShareForm(
        request.POST if request.POST.get("action") == "share" else None
    )
    if request.method == "POST":
        try:
            if key_form.is_bound and key_form.is_valid():
                trustee_register_key(
                    trustee=trustee,
                    public_key_hex=key_form.cleaned_data["x25519_public_key"],
                )
                messages.success(request, _("Your key is registered."))
                return HttpResponseRedirect(request.path)
            if share_form.is_bound and share_form.is_valid():
                ceremony_test_share_submit(
                    trustee=trustee, share_json=share_form.cleaned_data["share"]
                )
                messages.success(request, _("Your test share is accepted."))
                return HttpResponseRedirect(request.path)
        except ElectionError as exc:
            (key_form if key_form.is_bound else share_form).add_error(None, exc.detail)
    trustee.refresh_from_db()
    return render(
        request,
        "ballots/trustee.html",
        {
            "election": election,
            "trustee": trustee,
            "key_form": key_form,
            "share_form": share_form,
            # The browser console (trustee.js) and who has done what.
            "progress": trustee_progress(election=election),
            "console_strings": trustee_console_strings(),
            "min_passphrase": MIN_PASSPHRASE_LENGTH,
        },
    )


def find_ballot(request: HttpRequest, election_id: str) -> HttpResponse:
    """Find a ballot on the board by its tracker and show its proof data."""
    election = _visible(request, election_id)
    form = forms.TrackerForm(request.GET or None)
    context: dict[str, Any] = {
        "election": election,
        "form": form,
        "published": election.state == Election.State.PUBLISHED,
        "strings": _find_strings(),
    }
    if form.is_bound and form.is_valid():
        found = entries_by_tracker_prefix(
            election=election, prefix=form.cleaned_data["tracker"]
        )
        latest = head_latest(election=election)
        if len(found) == 1 and latest is not None and latest.tree_size > found[0].seq:
            entry = found[0]
            context["entry"] = entry
            context["tracker_display"] = tracker_display(entry.tracker)
            context["proof"] = receipt_json(election=election, entry=entry, head=latest)
        elif len(found) > 1:
            context["ambiguous"] = True
        else:
            context["not_found"] = True
    return render(request, "ballots/find.html", context)


def _find_strings() -> dict[str, str]:
    """Return find.js's messages (placeholders: ``{name}``)."""
    return {
        "verifying": _("Checking the board's proof in this browser…"),
        "verified": _("Your ballot is on the board: verified in this browser"),
        "failed": _(
            "WARNING: the board's proof of your ballot does NOT verify ({detail}). "
            "Keep your receipt and report this to the election officials."
        ),
        "receiptChecking": _("Checking your receipt against the election record…"),
        "receiptUnreadable": _("This is not a receipt file (JSON): {detail}"),
        "counted": _("Your ballot was counted (position {seq} on the board)."),
        "superseded": _(
            "WARNING: this ballot was replaced by a later ballot of your "
            "credential (position {by} on the board), and that one was counted. "
            "If you did not vote again, report this to the election officials now."
        ),
        "receiptFailed": _(
            "WARNING: your receipt does NOT check against the election record "
            "({detail}). Report this to the election officials."
        ),
    }


def _booth_strings() -> dict[str, str]:
    """Return the booth's messages for booth.js (placeholders: ``{name}``)."""
    return {
        "loading": _("Loading the election…"),
        "loadFailed": _("The election could not be loaded. Reload the page."),
        "hashMismatch": _(
            "The election data does not match the published election hash. "
            "Do not vote on this device; tell the election officials."
        ),
        "preparing": _("Preparing the encryption: {done} of {total} steps."),
        "prepared": _("The encryption is prepared."),
        "codeFormat": _(
            "A voting code has 20 letters (A–Z) and digits (2–7), "
            "like ABCDE-FGHIJ-KLMNO-PQRST."
        ),
        "codeInvalid": _("This code is not valid for this election."),
        "codeAccepted": _("Your voting code is accepted. Make your choices."),
        "chooseRange": _("Choose between {min} and {max}."),
        "chooseExactly": _("Choose {n}."),
        "chooseUpTo": _("Choose up to {max}, or none."),
        "blankChoice": _("No choice (leave blank)"),
        "headSize": _("{size} entries"),
        "tooMany": _("“{contest}”: you chose {count}; choose at most {max}."),
        "tooFew": _("“{contest}”: you chose {count}; choose at least {min}."),
        "fixChoices": _("Correct your choices before you continue."),
        "reviewReady": _("Check your choices."),
        "noChoice": _("(no choice: blank)"),
        "encrypting": _("Encrypting your ballot…"),
        "encrypted": _(
            "Your ballot is encrypted. Write down its tracker, then cast or audit it."
        ),
        "encryptFailed": _("Encryption failed: {detail}"),
        "casting": _("Casting your ballot…"),
        "castFailed": _("Your ballot was not accepted: {detail}"),
        "networkFailed": _("The server could not be reached. Try again."),
        "cast": _("Your ballot is cast. Checking the receipt…"),
        "verifying": _("Checking that your ballot is on the board…"),
        "verified": _("Your ballot is on the board"),
        "verifyFailed": _(
            "Your receipt did not check: {detail}. Keep it and tell the "
            "election officials."
        ),
        "auditing": _("Posting the audit…"),
        "audited": _(
            "The audited ballot is published with its openings. It can never "
            "be cast. Encrypt again to vote."
        ),
        "auditFailed": _("The audit was not accepted: {detail}"),
        "reencrypting": _("Preparing a fresh encryption…"),
    }


def booth(request: HttpRequest, election_id: str) -> HttpResponse:
    """The voting booth: code, choices, review, encrypt, cast or audit, receipt.

    Everything secret happens in the browser (booth.js and its worker); the
    page only decides who may use it and hands over the URLs and strings.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    election = _visible(request, election_id)
    refusal = ""
    if not can_cast(request.user):
        refusal = _("Your account may not vote. Verify your e-mail address first.")
    elif not voter_is_on_roll(election=election, user=request.user):
        refusal = _("You are not on this election's voter roll.")
    elif election.state != Election.State.OPEN:
        refusal = _("This election is not open for voting.")
    return render(
        request,
        "ballots/booth.html",
        {"election": election, "refusal": refusal, "strings": _booth_strings()},
        status=403 if refusal else 200,
    )


BOARD_PAGE_SIZE = 50


def board_page(request: HttpRequest, election_id: str) -> HttpResponse:
    """The public bulletin board: entries by page, latest head, downloads."""
    election = _visible(request, election_id)
    if not election.election_hash:
        raise Http404(election_id)
    paginator = Paginator(board_entries(election=election), BOARD_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    latest = head_latest(election=election)
    return render(
        request,
        "ballots/board.html",
        {
            "election": election,
            "page": page,
            "entries": [
                {
                    "seq": entry.seq,
                    "type": entry.entry_type,
                    "type_display": entry.get_entry_type_display(),
                    "received_at": entry.received_at,
                    "tracker": tracker_display(entry.tracker) if entry.tracker else "",
                }
                for entry in page.object_list
            ],
            "head": head_json(latest) if latest else None,
            "turnout": election_turnout(election=election),
        },
    )


def audit_check(request: HttpRequest, election_id: str, seq: int) -> HttpResponse:
    """Check an audited ballot's openings in the browser (SPEC §5.1, §7)."""
    election = _visible(request, election_id)
    entry = (
        board_entries(election=election)
        .filter(seq=seq, entry_type=BoardEntry.Type.AUDIT)
        .first()
    )
    if entry is None:
        raise Http404(str(seq))
    return render(
        request,
        "ballots/audit_check.html",
        {
            "election": election,
            "entry": entry,
            "tracker_display": tracker_display(entry.tracker),
            "contests": [
                {
                    "contest_id": contest.contest_id,
                    "title": contest.title,
                    "options": [
                        {"option_id": o.option_id, "title": o.title}
                        for o in contest.options
                    ],
                }
                for contest in election_manifest(election).contests
            ],
            "strings": {
                "checking": _("Checking the openings in this browser…"),
                "matches": _(
                    "The encryption matches the openings: this device "
                    "encrypted honestly."
                ),
                "failed": _(
                    "WARNING: this audited ballot does NOT match its openings "
                    "({reason}: {detail}). The device that encrypted it cheated "
                    "or is broken. Report this to the election officials."
                ),
                "loadFailed": _("The audit could not be checked: {detail}"),
                "selected": _("selected"),
                "notSelected": _("not selected"),
            },
        },
    )
