"""The tally's JSON API: trustees upload their decryption shares; status.

Errors are ``{"error": code, "detail": message}`` like the ballots API.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ballots.api import json_error, read_json_body, trustee_request
from ballots.errors import ElectionError
from ballots.models import Election
from ballots.selectors import PUBLIC_STATES
from tally.selectors import tally_status_json
from tally.services import trustee_shares_submit


@require_POST
def trustee_shares(request: HttpRequest, election_id: str) -> HttpResponse:
    """Upload the signed-in trustee's decryption shares (SPEC §2.3).

    The body is the file ``python -m tally.trustee decrypt`` wrote.  Only
    the election's own trustee, in a two-factor session, may send it, and
    only for their own index.  201 when stored, 200 for the same file again.
    """
    found = trustee_request(request, election_id)
    if isinstance(found, HttpResponse):
        return found
    election, trustee = found
    body = read_json_body(request)
    if isinstance(body, JsonResponse):
        return body
    try:
        submission = trustee_shares_submit(
            election=election, trustee=trustee, actor=request.user, data=body
        )
    except ElectionError as exc:
        return json_error(exc.code, exc.detail, exc.status)
    return JsonResponse(
        {"index": submission.upload.index, "accepted": True},
        status=201 if submission.created else 200,
    )


@require_GET
def tally_status(request: HttpRequest, election_id: str) -> HttpResponse:
    """Return the tally's public status (counted, shares in, published)."""
    election = Election.objects.filter(election_id=election_id).first()
    if election is None or election.state not in PUBLIC_STATES:
        return json_error("not-found", _("No such election."), 404)
    return JsonResponse(tally_status_json(election=election))
