"""The JSON API: casting, audits, the bulletin board, heads, proofs, trustees.

Errors are ``{"error": code, "detail": message}`` with a 4xx status; the
casting API's codes are SPEC §7's reasons where one applies.  Writes use
session authentication with Django's CSRF token in ``X-CSRFToken``.
"""

import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.paginator import EmptyPage, Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from accounts.permissions import check_role
from accounts.ratelimit import client_ip, ratelimit_hits
from accounts.roles import TRUSTEE
from ballots.errors import ElectionError
from ballots.models import Election
from ballots.permissions import can_cast, is_election_trustee
from ballots.selectors import (
    PUBLIC_STATES,
    board_entries,
    board_entry_json,
    board_jsonl_lines,
    board_tree,
    ceremony_public,
    election_turnout,
    entry_by_tracker,
    head_json,
    head_latest,
    head_list,
    heads_jsonl_lines,
    max_body_bytes,
    receipt_json,
    receipt_list_for_user,
    trustee_for_user,
)
from ballots.services import (
    ballot_audit,
    ballot_cast,
    ceremony_test_share_submit,
    trustee_register_key,
)
from votecrypto.canonical import cjson, parse_json
from votecrypto.errors import JsonSyntaxError

PAGE_SIZE = 100
ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])
JSONL = "application/jsonl; charset=utf-8"


def json_error(code: str, detail: str, status: int) -> JsonResponse:
    """Return the API's error object."""
    return JsonResponse({"error": code, "detail": detail}, status=status)


def _only(method: str) -> Callable[[ViewFunc], ViewFunc]:
    """Allow one HTTP method (GET also allows HEAD); answer others in JSON."""
    allowed = {method, "HEAD"} if method == "GET" else {method}

    def decorator(view: ViewFunc) -> ViewFunc:
        @functools.wraps(view)
        def wrapper(
            request: HttpRequest, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            if request.method not in allowed:
                response = json_error(
                    "method-not-allowed", _("Use %(m)s.") % {"m": method}, 405
                )
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


api_get = _only("GET")
api_post = _only("POST")


def _canonical_response(value: Any, status: int = 200) -> HttpResponse:
    """Return ``value`` as canonical JSON (byte-exact protocol objects)."""
    return HttpResponse(cjson(value), status=status, content_type="application/json")


def _public_election(election_id: str) -> Election | JsonResponse:
    election = Election.objects.filter(election_id=election_id).first()
    if election is None or election.state not in PUBLIC_STATES:
        return json_error("not-found", _("No such election."), 404)
    return election


def read_json_body(request: HttpRequest) -> bytes | JsonResponse:
    limit = max_body_bytes()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    too_large = json_error(
        "too-large", _("The body is larger than %(n)s bytes.") % {"n": limit}, 413
    )
    if length > limit:
        return too_large
    try:
        body = request.body
    except RequestDataTooBig:
        return too_large
    if len(body) > limit:
        return too_large
    return body


def _ratelimited(request: HttpRequest) -> bool:
    account = getattr(settings, "BALLOTS_CAST_RATELIMIT_ACCOUNT", (30, 3600))
    per_ip = getattr(settings, "BALLOTS_CAST_RATELIMIT_IP", (600, 3600))
    return not ratelimit_hits(
        [
            (f"ballots-cast:user:{request.user.pk}", *account),
            (f"ballots-cast:ip:{client_ip(request)}", *per_ip),
        ]
    )


def _submit(
    request: HttpRequest,
    election_id: str,
    service: Callable[..., Any],
) -> HttpResponse:
    if not request.user.is_authenticated:
        return json_error("not-authenticated", _("Sign in to vote."), 401)
    if not can_cast(request.user):
        return json_error("forbidden", _("Your account may not vote."), 403)
    election = _public_election(election_id)
    if isinstance(election, JsonResponse):
        return election
    body = read_json_body(request)
    if isinstance(body, JsonResponse):
        return body
    if _ratelimited(request):
        return json_error("rate-limited", _("Too many attempts; try later."), 429)
    try:
        accepted = service(election=election, user=request.user, body=body)
    except ElectionError as exc:
        return json_error(exc.code, exc.detail, exc.status)
    return _canonical_response(accepted.receipt, 201 if accepted.created else 200)


@api_post
def cast(request: HttpRequest, election_id: str) -> HttpResponse:
    """Cast a ballot (SPEC §5, §6); answer with its receipt."""
    return _submit(request, election_id, ballot_cast)


@api_post
def audit(request: HttpRequest, election_id: str) -> HttpResponse:
    """Post a ballot audit (SPEC §5.1); answer with its receipt."""
    return _submit(request, election_id, ballot_audit)


@api_get
def receipts(request: HttpRequest, election_id: str) -> HttpResponse:
    """List the signed-in voter's own receipts."""
    if not request.user.is_authenticated:
        return json_error("not-authenticated", _("Sign in first."), 401)
    election = _public_election(election_id)
    if isinstance(election, JsonResponse):
        return election
    return _canonical_response(
        {"receipts": receipt_list_for_user(election=election, user=request.user)}
    )


# ---------------------------------------------------------------- public reads


@api_get
def election_detail(request: HttpRequest, election_id: str) -> HttpResponse:
    """Return the election's state, hash and live counters."""
    election = _public_election(election_id)
    if isinstance(election, JsonResponse):
        return election
    return JsonResponse(
        {
            "election_id": election.election_id,
            "state": election.state,
            "election_hash": election.election_hash,
            "turnout": election_turnout(election=election).to_json(),
        }
    )


@api_get
def manifest(request: HttpRequest, election_id: str) -> HttpResponse:
    """Return ``manifest.json`` exactly as frozen (SPEC §8: JSON plus LF)."""
    election = _public_election(election_id)
    if isinstance(election, JsonResponse):
        return election
    return HttpResponse(
        election.manifest_json.encode() + b"\n", content_type="application/json"
    )


@api_get
def board(request: HttpRequest, election_id: str) -> HttpResponse:
    """Return one page of board entries (``?page=N``, 100 per page)."""
    election = _public_election(election_id)
    if isinstance(election, JsonResponse):
        return election
    paginator = Paginator(board_entries(election=election), PAGE_SIZE)
    try:
        number = int(request.GET.get("page", "1"))
        page = paginator.page(number)
    except (ValueError, EmptyPage):
        if election.board_size == 0 and request.GET.get("page", "1") == "1":
            return _canonical_response(
                {"entries": [], "page": 1, "pages": 1, "count": 0}
            )
        return json_error("bad-page", _("No such page."), 404)
    return _canonical_response(
        {
            "entries": [board_entry_json(entry) for entry in page.object_list],
            "page": number,
            "pages": paginator.num_pages,
            "count": paginator.count,
        }
    )


def _jsonl(lines: Iterator[bytes], name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type=JSONL)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@api_get
def board_jsonl(request: HttpRequest, election_id: str) -> HttpResponseBase:
    """Download ``board.jsonl`` exactly as SPEC §8 defines it."""
    election = _public_election(election_id)
    if isinstance(election, JsonResponse):
        return election
    return _jsonl(board_jsonl_lines(election=election), "board.jsonl")


@api_get
def heads_jsonl(request: HttpRequest, election_id: str) -> HttpResponseBase:
    """Download ``heads.jsonl``: every signed head in publication order."""
    election = _public_election(election_id)
    if isinstance(election, JsonResponse):
        return election
    return _jsonl(heads_jsonl_lines(election=election), "heads.jsonl")


@api_get
def heads(request: HttpRequest, election_id: str) -> HttpResponse:
    """Return every signed head as a JSON list."""
    election = _public_election(election_id)
    if isinstance(election, JsonResponse):
        return election
    return _canonical_response(
        {"heads": [head_json(record) for record in head_list(election=election)]}
    )


@api_get
def head_latest_view(request: HttpRequest, election_id: str) -> HttpResponse:
    """Return the latest signed tree head."""
    election = _public_election(election_id)
    if isinstance(election, JsonResponse):
        return election
    record = head_latest(election=election)
    if record is None:
        return json_error("not-found", _("No head yet."), 404)
    return _canonical_response(head_json(record))


@api_get
def inclusion_proof(
    request: HttpRequest, election_id: str, tracker: str
) -> HttpResponse:
    """Return a receipt-shaped inclusion proof of ``tracker`` under the latest head."""
    election = _public_election(election_id)
    if isinstance(election, JsonResponse):
        return election
    entry = entry_by_tracker(election=election, tracker=tracker.lower())
    record = head_latest(election=election)
    if entry is None or record is None or record.tree_size <= entry.seq:
        return json_error("not-found", _("No ballot with this tracker."), 404)
    result = receipt_json(election=election, entry=entry, head=record)
    result_with_type = {**result, "type": entry.entry_type}
    return _canonical_response(result_with_type)


@api_get
def consistency_proof(request: HttpRequest, election_id: str) -> HttpResponse:
    """Return the RFC 9162 consistency proof between ``?first=`` and ``?second=``."""
    election = _public_election(election_id)
    if isinstance(election, JsonResponse):
        return election
    try:
        first = int(request.GET["first"])
        second = int(request.GET.get("second", election.board_size))
    except (KeyError, ValueError):
        return json_error("bad-request", _("Give first and second sizes."), 400)
    if not 0 <= first <= second <= election.board_size:
        return json_error("bad-request", _("Need 0 ≤ first ≤ second ≤ size."), 400)
    tree = board_tree(election=election, size=second)
    proof = tree.consistency_proof(first, second)
    return _canonical_response(
        {"first": first, "second": second, "proof": [node.hex() for node in proof]}
    )


# ---------------------------------------------------------------- trustees


def trustee_request(request: HttpRequest, election_id: str) -> Any:
    """Return ``(election, trustee)`` or an error response."""
    denied = check_role(request, TRUSTEE)
    if denied is not None:
        return json_error(
            "forbidden", _("A trustee session with two-factor sign-in is needed."), 403
        )
    election = Election.objects.filter(election_id=election_id).first()
    trustee = (
        None
        if election is None
        else trustee_for_user(election=election, user=request.user)
    )
    if election is None or not is_election_trustee(request.user, trustee):
        return json_error(
            "forbidden", _("You are not a trustee of this election."), 403
        )
    return election, trustee


@api_post
def trustee_key(request: HttpRequest, election_id: str) -> HttpResponse:
    """Register the signed-in trustee's X25519 key: ``{"x25519_public_key"}``."""
    found = trustee_request(request, election_id)
    if isinstance(found, HttpResponse):
        return found
    _election, trustee = found
    try:
        value = parse_json(request.body)
        key = value["x25519_public_key"] if isinstance(value, dict) else None
        if not isinstance(key, str):
            raise KeyError("x25519_public_key")
        trustee = trustee_register_key(trustee=trustee, public_key_hex=key)
    except (JsonSyntaxError, KeyError):
        return json_error("structure", _('Send {"x25519_public_key": hex}.'), 400)
    except ElectionError as exc:
        return json_error(exc.code, exc.detail, exc.status)
    return JsonResponse({"index": trustee.index, "x25519_public_key": key})


@api_get
def trustee_share_box(request: HttpRequest, election_id: str) -> HttpResponse:
    """Download the signed-in trustee's own share box (``share-<i>.json``)."""
    found = trustee_request(request, election_id)
    if isinstance(found, HttpResponse):
        return found
    _election, trustee = found
    if not trustee.share_box_json:
        return json_error("not-found", _("No share box yet."), 404)
    response = HttpResponse(
        trustee.share_box_json.encode() + b"\n", content_type="application/json"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="share-{trustee.index}.json"'
    )
    return response


@api_get
def ceremony_public_view(request: HttpRequest, election_id: str) -> HttpResponse:
    """Return the ceremony's ``public.json`` to the election's trustees."""
    found = trustee_request(request, election_id)
    if isinstance(found, HttpResponse):
        return found
    election, _trustee = found
    public = ceremony_public(election)
    if public is None:
        return json_error("not-found", _("No key ceremony output yet."), 404)
    return _canonical_response(public.to_json())


@api_post
def trustee_test_share(request: HttpRequest, election_id: str) -> HttpResponse:
    """Submit the trustee's decryption share of the ceremony test ciphertext."""
    found = trustee_request(request, election_id)
    if isinstance(found, HttpResponse):
        return found
    _election, trustee = found
    body = read_json_body(request)
    if isinstance(body, JsonResponse):
        return body
    try:
        passed = ceremony_test_share_submit(trustee=trustee, share_json=body)
    except ElectionError as exc:
        return json_error(exc.code, exc.detail, exc.status)
    return JsonResponse({"index": trustee.index, "self_test_passed": passed})
