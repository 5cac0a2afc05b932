"""Pages of the tally: the official's tally page, the trustee's decryption
page, the public results with the record and the verifier's report."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import role_required
from accounts.roles import OFFICIAL, TRUSTEE
from ballots.errors import ElectionError
from ballots.models import Election
from ballots.permissions import is_election_trustee
from ballots.selectors import (
    PUBLIC_STATES,
    election_get,
    election_manifest,
    trustee_for_user,
)
from tally.forms import SharesUploadForm
from tally.models import ElectionTally
from tally.selectors import (
    closed_board_files,
    election_results,
    record_file,
    share_upload_for,
    share_uploads,
    tally_for,
    tally_status_json,
    trustee_progress,
)
from tally.services import tally_request, trustee_shares_submit
from tally.trustee_console import trustee_console_strings
from votecrypto.canonical import cjson_line, parse_json
from votecrypto.record import RECORD_FILES

TALLY_STATES = frozenset(
    {
        Election.State.CLOSED,
        Election.State.TALLYING,
        Election.State.AWAITING_TRUSTEES,
        Election.State.PUBLISHED,
    }
)


def _download(data: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@role_required(OFFICIAL)
def tally_page(request: HttpRequest, election_id: str) -> HttpResponse:
    """Show the tally's progress (live), the trustees' uploads and the outcome."""
    election = election_get(election_id=election_id)
    tally = tally_for(election=election)
    uploaded = {upload.index for upload in share_uploads(election=election)}
    return render(
        request,
        "tally/tally.html",
        {
            "election": election,
            "tally": tally,
            "status": tally_status_json(election=election),
            "strings": _progress_strings(),
            "trustees": [
                (trustee, trustee.index in uploaded)
                for trustee in election.trustees.order_by("index")
            ],
            "can_start": election.state
            in (Election.State.OPEN, Election.State.CLOSED, Election.State.TALLYING)
            and tally is None,
        },
    )


def _progress_strings() -> dict[str, str]:
    """Return tally-progress.js's messages (placeholders: ``{name}``)."""
    return {
        "checked": _("Entries checked: {done} of {total}."),
        "tallying": _("Counting the closed board…"),
        "awaiting_trustees": _(
            "The board is counted; waiting for the trustees' decryption shares."
        ),
        "shares": _("A trustee's decryption shares were accepted."),
        "published": _("The results are published; the verifier is running."),
        "verified": _("The verifier has checked the published record."),
    }


@require_POST
@role_required(OFFICIAL)
def tally_start(request: HttpRequest, election_id: str) -> HttpResponse:
    """Start (or restart) the tally task of a closed election."""
    election = election_get(election_id=election_id)
    try:
        tally_request(election=election, actor=request.user)
    except ElectionError as exc:
        messages.error(request, exc.detail)
    else:
        messages.info(request, _("The tally has started."))
    return HttpResponseRedirect(reverse("tally:tally", args=[election_id]))


@role_required(TRUSTEE)
def trustee_decrypt(request: HttpRequest, election_id: str) -> HttpResponse:
    """A trustee's page: download the closed board, upload the shares."""
    election = election_get(election_id=election_id)
    trustee = trustee_for_user(election=election, user=request.user)
    if trustee is None or not is_election_trustee(request.user, trustee):
        raise Http404(election_id)
    form = SharesUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                trustee_shares_submit(
                    election=election,
                    trustee=trustee,
                    actor=request.user,
                    data=form.cleaned_data["shares"],
                )
            except ElectionError as exc:
                form.add_error("shares", exc.detail)
                status = exc.status
            else:
                messages.success(request, _("Your decryption shares are accepted."))
                return HttpResponseRedirect(request.path)
        else:
            status = 400
    return render(
        request,
        "tally/trustee.html",
        {
            "election": election,
            "trustee": trustee,
            "tally": tally_for(election=election),
            "upload": share_upload_for(election=election, index=trustee.index),
            "form": form,
            # The browser console (trustee-decrypt.js) and who has done what.
            "progress": trustee_progress(election=election),
            "console_strings": trustee_console_strings(),
        },
        status=status,
    )


def _public_tally(election_id: str) -> tuple[Election, ElectionTally]:
    election = election_get(election_id=election_id)
    tally = tally_for(election=election)
    if election.state not in PUBLIC_STATES or tally is None:
        raise Http404(election_id)
    return election, tally


@require_GET
def closed_board_download(request: HttpRequest, election_id: str) -> HttpResponse:
    """Download ``manifest.json`` and the closed ``board.jsonl`` as one ZIP.

    This is what ``python -m tally.trustee decrypt --record-dir`` reads.
    """
    election, _tally = _public_tally(election_id)
    return _download(
        closed_board_files(election=election).to_zip(),
        f"closed-board-{election.election_id}.zip",
        "application/zip",
    )


@require_GET
def aggregates_download(request: HttpRequest, election_id: str) -> HttpResponse:
    """Download the server's count of the closed board: counted set, aggregates.

    Trustees compare it with their own: their tools recompute the aggregates
    from the closed board and never decrypt these (SPEC §2.3).  The same
    values appear in ``tally.json`` once the record is published.
    """
    election, tally = _public_tally(election_id)
    content = cjson_line(
        {
            "election_hash": election.election_hash,
            "board": {"tree_size": tally.tree_size, "root_hash": tally.root_hash},
            "counted": parse_json(tally.counted_json),
            "contests": parse_json(tally.aggregates_json),
        }
    )
    return _download(
        content, f"aggregates-{election.election_id}.json", "application/json"
    )


@require_GET
def results(request: HttpRequest, election_id: str) -> HttpResponse:
    """Show the published results with the record and the verifier's report."""
    election = election_get(election_id=election_id)
    tally = tally_for(election=election)
    if tally is None or not tally.is_published:
        raise Http404(election_id)
    return render(
        request,
        "tally/results.html",
        {
            "election": election,
            "tally": tally,
            "results": election_results(election=election, tally=tally),
            "chart": _results_chart(election=election, tally=tally),
            "files": RECORD_FILES,
        },
    )


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _results_chart(*, election: Election, tally: ElectionTally) -> dict[str, Any]:
    """Return the turnout and, per contest and option, the bar widths.

    A percentage is the share of the counted ballots that chose the option;
    the bar's width (an SVG ``rect`` attribute: the CSP forbids inline
    styles) is that percentage of a 100-unit wide chart.
    """
    results = election_results(election=election, tally=tally) or []
    counted = 0
    if tally.tally_json:
        value: Any = parse_json(tally.tally_json)
        counted = len(value["counted"])
    electorate = len(election_manifest(election).credentials)
    return {
        "counted": counted,
        "electorate": electorate,
        "turnout_percent": _percent(counted, electorate),
        "contests": [
            {
                "contest_id": contest.contest_id,
                "title": contest.title,
                "options": [
                    {
                        "option_id": option.option_id,
                        "title": option.title,
                        "count": option.count,
                        "percent": _percent(option.count, counted),
                        "bar": f"{_percent(option.count, counted):g}",
                    }
                    for option in contest.options
                ],
            }
            for contest in results
        ],
    }


@require_GET
def record_download(request: HttpRequest, election_id: str) -> HttpResponse:
    """Download the published record ZIP (SPEC §8)."""
    election = election_get(election_id=election_id)
    tally = tally_for(election=election)
    if tally is None or not tally.is_published:
        raise Http404(election_id)
    return _download(
        bytes(tally.record_zip), f"record-{election.election_id}.zip", "application/zip"
    )


@require_GET
def record_member(request: HttpRequest, election_id: str, name: str) -> HttpResponse:
    """Download one file of the published record (SPEC §8: served one by one)."""
    election = election_get(election_id=election_id)
    tally = tally_for(election=election)
    data = None if tally is None else record_file(tally, name)
    if data is None:
        raise Http404(name)
    kind = "application/jsonl" if name.endswith(".jsonl") else "application/json"
    return _download(data, name, f"{kind}; charset=utf-8")


@require_GET
def verification_json(request: HttpRequest, election_id: str) -> HttpResponse:
    """Download the verifier's report on the published record as JSON."""
    election = election_get(election_id=election_id)
    tally = tally_for(election=election)
    if tally is None or not tally.verification_json:
        raise Http404(election_id)
    return _download(
        tally.verification_json.encode() + b"\n",
        f"verification-{election.election_id}.json",
        "application/json",
    )
