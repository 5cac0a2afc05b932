"""Views of the petitions app: parse, authorise, call one service, render."""

import hmac
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.permissions import role_required
from accounts.ratelimit import client_ip, ratelimit_hits
from accounts.roles import MODERATOR, OFFICIAL
from petitions import charts, forms, permissions, selectors, services
from petitions.models import BurstAlert, Petition

# HTTP status of each refusal code raised by the services.
_STATUS = {
    "not_allowed": 403,
    "not_open": 409,
    "already_signed": 409,
    "invalidated": 409,
    "wrong_status": 409,
    "already": 409,
    "not_signed": 409,
}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 (login_required ran)
    return user


def _refused(
    request: HttpRequest, error: ValidationError, petition: Petition | None = None
) -> HttpResponse:
    """Answer a refused action with a 4xx and the services' message."""
    status = _STATUS.get(str(error.code), 400)
    if _wants_json(request):
        return JsonResponse(
            {"error": error.code, "message": " ".join(error.messages)}, status=status
        )
    return render(
        request,
        "petitions/refused.html",
        {"petition": petition, "errors": error.messages},
        status=status,
    )


def _invalid_form(
    request: HttpRequest, form: Any, petition: Petition | None = None
) -> HttpResponse:
    errors = [
        f"{form.fields[name].label if name in form.fields else ''}: {e}".lstrip(": ")
        for name, es in form.errors.items()
        for e in es
    ]
    if _wants_json(request):
        return JsonResponse(
            {"error": "invalid", "message": " ".join(errors)}, status=400
        )
    return render(
        request,
        "petitions/refused.html",
        {"petition": petition, "errors": errors},
        status=400,
    )


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _visible(request: HttpRequest, pk: int) -> Petition:
    petition = selectors.petition_get_visible(pk, request.user)
    if petition is None:
        raise Http404(_("No such petition."))
    return petition


# ---------------------------------------------------------------- public pages


@require_GET
def petition_list(request: HttpRequest) -> HttpResponse:
    """List and search the public petitions."""
    form = forms.SearchForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    page = Paginator(selectors.petition_list_public(**filters), 20).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "petitions/list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@require_GET
def petition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a petition: status, thresholds, deadlines, counts, charts, forms."""
    petition = _visible(request, pk)
    user = request.user
    return render(
        request,
        "petitions/detail.html",
        {
            "petition": petition,
            "signature": selectors.signature_of(petition, user),
            "can_sign": permissions.can_sign(user),
            "is_signing_open": permissions.phase_allows_signing(petition),
            "is_creator": user.is_authenticated and petition.creator_id == user.pk,
            "can_moderate": permissions.can_moderate_petitions(user),
            "can_respond": permissions.can_respond(user),
            "threshold_views": selectors.petition_threshold_views(petition),
            "deadlines": selectors.petition_deadlines(petition),
            "decisions": selectors.decision_list_public(petition)[:20],
            "region_chart": charts.bar_rows(
                selectors.petition_region_breakdown(petition)
            ),
            "time_chart": charts.bar_columns(selectors.petition_time_chart(petition)),
            "log_key": services.log_public_key(),
            "sign_form": forms.SignForm(),
            "report_form": forms.ReportForm(),
            "response": getattr(petition, "response", None),
            "sponsor_url": request.build_absolute_uri(
                reverse("petitions:sponsor", args=[petition.pk, petition.sponsor_token])
            ),
            "now": timezone.now(),
        },
    )


@require_GET
def decision_list(request: HttpRequest) -> HttpResponse:
    """The public log of moderation and invalidation decisions."""
    page = Paginator(selectors.decision_list_public(), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "petitions/decisions.html", {"page": page})


@require_GET
def petition_log(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the petition's §10 log (JSONL)."""
    petition = _visible(request, pk)
    response = HttpResponse(
        services.log_jsonl(petition), content_type="application/jsonl"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{petition.log_id}-log.jsonl"'
    )
    return response


@require_GET
def petition_heads(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the petition's signed heads (JSONL)."""
    petition = _visible(request, pk)
    response = HttpResponse(
        services.heads_jsonl(petition), content_type="application/jsonl"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{petition.log_id}-heads.jsonl"'
    )
    return response


@require_GET
def petition_verify(request: HttpRequest, pk: int) -> HttpResponse:
    """The in-browser check of the log, the count and a receipt."""
    petition = _visible(request, pk)
    return render(
        request,
        "petitions/verify.html",
        {"petition": petition, "log_key": services.log_public_key()},
    )


# ---------------------------------------------------------------- citizens


@login_required
def petition_create(request: HttpRequest) -> HttpResponse:
    """Start a petition (a draft)."""
    user = _user(request)
    if not permissions.can_create(user):
        return _refused(
            request,
            ValidationError(
                _("Only citizens with a confirmed e-mail address can start petitions."),
                code="not_allowed",
            ),
        )
    form = forms.PetitionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            petition = services.petition_create(creator=user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your draft is saved."))
            return redirect("petitions:detail", pk=petition.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "petitions/form.html", {"form": form}, status=status)


@login_required
def petition_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The creator edits their draft."""
    petition = _visible(request, pk)
    initial = {
        "title": petition.title,
        "body": petition.body,
        "topic": petition.topic,
        "level": petition.level_id,
        "region": petition.region_id,
    }
    form = forms.PetitionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.petition_update(
                petition=petition, user=_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            if error.code in ("not_allowed", "wrong_status"):
                return _refused(request, error, petition)
            form.add_error(None, error)
        else:
            messages.success(request, _("Your draft is saved."))
            return redirect("petitions:detail", pk=petition.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "petitions/form.html",
        {"form": form, "petition": petition},
        status=status,
    )


@require_POST
@login_required
def petition_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """The creator starts collecting sponsors."""
    petition = _visible(request, pk)
    try:
        services.petition_submit(petition=petition, user=_user(request))
    except ValidationError as error:
        return _refused(request, error, petition)
    messages.success(request, _("Share the sponsor link to collect sponsors."))
    return redirect("petitions:detail", pk=pk)


@login_required
def petition_sponsor(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """The page behind the creator's sponsor link."""
    petition = selectors.petition_get(pk)
    if petition is None or not hmac.compare_digest(
        petition.sponsor_token.encode(), token.encode()
    ):
        raise Http404(_("No such petition."))
    if request.method == "POST":
        try:
            services.petition_sponsor(
                petition=petition, user=_user(request), token=token
            )
        except ValidationError as error:
            return _refused(request, error, petition)
        messages.success(request, _("Thank you for sponsoring this petition."))
        return redirect(request.path)
    return render(request, "petitions/sponsor.html", {"petition": petition})


@require_POST
def petition_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """Sign a petition (rate-limited per account and per address)."""
    if not request.user.is_authenticated:
        if _wants_json(request):
            return JsonResponse(
                {"error": "login", "message": _("Sign in to sign petitions.")},
                status=401,
            )
        return redirect_to_login(reverse("petitions:detail", args=[pk]))
    user = _user(request)
    # The service reads the petition (under its lock, once per batch of
    # signatures): this view reads it only to show a refusal.
    form = forms.SignForm(request.POST)
    if not form.is_valid():
        return _invalid_form(request, form, _visible(request, pk))
    ip = client_ip(request)
    per_account = settings.PETITIONS_SIGN_RATELIMIT_ACCOUNT
    per_ip = settings.PETITIONS_SIGN_RATELIMIT_IP
    if not ratelimit_hits(
        [
            (f"petition-sign:user:{user.pk}", *per_account),
            (f"petition-sign:ip:{ip}", *per_ip),
        ]
    ):
        error = ValidationError(
            _("Too many signatures in a short time. Please try again later."),
            code="ratelimited",
        )
        response = _refused(request, error, _visible(request, pk))
        response.status_code = 429
        return response
    try:
        signature, receipt = services.petition_sign_by_id(
            petition_id=pk,
            user=user,
            ip=ip,
            wants_updates=form.cleaned_data["wants_updates"],
        )
    except ValidationError as error:
        if error.code == "not_found":
            raise Http404(_("No such petition.")) from None
        return _refused(request, error, _visible(request, pk))
    if _wants_json(request):
        # The count the signature was committed with (the locked row's).
        count = signature.petition.signature_count
        return JsonResponse({"count": count, "receipt": receipt})
    messages.success(
        request,
        _("Your signature is counted. Download your receipt to check it in the log."),
    )
    return redirect("petitions:detail", pk=pk)


@require_POST
@login_required
def petition_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw one's signature while the petition is open."""
    petition = _visible(request, pk)
    try:
        services.petition_withdraw(petition=petition, user=_user(request))
    except ValidationError as error:
        return _refused(request, error, petition)
    messages.success(request, _("Your signature is withdrawn."))
    return redirect("petitions:detail", pk=pk)


@require_GET
@login_required
def petition_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the signer's own receipt (it holds their secret)."""
    petition = _visible(request, pk)
    try:
        receipt = services.signature_receipt(petition=petition, user=_user(request))
    except ValidationError as error:
        return _refused(request, error, petition)
    response = HttpResponse(
        json.dumps(receipt, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{petition.log_id}-receipt.json"'
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def petition_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Report abusive content."""
    petition = _visible(request, pk)
    form = forms.ReportForm(request.POST)
    if not form.is_valid():
        return _invalid_form(request, form, petition)
    try:
        services.abuse_report_create(
            petition=petition, reporter=_user(request), **form.cleaned_data
        )
    except ValidationError as error:
        return _refused(request, error, petition)
    messages.success(request, _("Thank you. Moderators will look at your report."))
    return redirect("petitions:detail", pk=pk)


# ---------------------------------------------------------------- moderators


@role_required(MODERATOR)
def moderation_queue(request: HttpRequest) -> HttpResponse:
    """The moderators' queue with filters, alerts and reports."""
    form = forms.QueueForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    return render(
        request,
        "petitions/moderation_queue.html",
        {
            "form": form,
            "petitions": selectors.moderation_queue(**filters)[:200],
            "alerts": selectors.alert_list_open()[:100],
        },
    )


@role_required(MODERATOR)
def petition_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve, reject or mark a duplicate; invalidate signatures."""
    petition = selectors.petition_get(pk)
    if petition is None:
        raise Http404(_("No such petition."))
    moderator = _user(request)
    reject_form = forms.RejectForm(prefix="reject")
    duplicate_form = forms.DuplicateForm(prefix="duplicate")
    invalidate_form = forms.InvalidateForm(prefix="invalidate")
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "approve":
                services.petition_approve(petition=petition, moderator=moderator)
            elif action == "reject":
                reject_form = forms.RejectForm(request.POST, prefix="reject")
                if not reject_form.is_valid():
                    return _invalid_form(request, reject_form, petition)
                services.petition_reject(
                    petition=petition, moderator=moderator, **reject_form.cleaned_data
                )
            elif action == "duplicate":
                duplicate_form = forms.DuplicateForm(request.POST, prefix="duplicate")
                if not duplicate_form.is_valid():
                    return _invalid_form(request, duplicate_form, petition)
                original = selectors.petition_get(
                    duplicate_form.cleaned_data["original"]
                )
                if original is None:
                    raise ValidationError(_("No such petition."), code="bad_original")
                services.petition_mark_duplicate(
                    petition=petition,
                    moderator=moderator,
                    original=original,
                    explanation=duplicate_form.cleaned_data["explanation"],
                )
            elif action == "invalidate":
                invalidate_form = forms.InvalidateForm(
                    request.POST, prefix="invalidate"
                )
                if not invalidate_form.is_valid():
                    return _invalid_form(request, invalidate_form, petition)
                data = dict(invalidate_form.cleaned_data)
                alert_pk = data.pop("alert")
                alert = (
                    get_object_or_404(BurstAlert, pk=alert_pk, petition=petition)
                    if alert_pk
                    else None
                )
                count = services.signatures_invalidate(
                    petition=petition, moderator=moderator, alert=alert, **data
                )
                messages.success(
                    request, _("%(count)d signatures invalidated.") % {"count": count}
                )
            elif action == "hide":
                hide_form = forms.HideForm(request.POST, prefix="hide")
                if not hide_form.is_valid():
                    return _invalid_form(request, hide_form, petition)
                services.petition_hide(
                    petition=petition, moderator=moderator, **hide_form.cleaned_data
                )
            elif action == "dismiss-reports":
                services.reports_dismiss(petition=petition, moderator=moderator)
            elif action == "dismiss-alert":
                alert = get_object_or_404(
                    BurstAlert, pk=request.POST.get("alert", "0"), petition=petition
                )
                services.alert_dismiss(alert=alert, moderator=moderator)
            else:
                raise ValidationError(_("Unknown action."), code="bad_action")
        except ValidationError as error:
            return _refused(request, error, petition)
        messages.success(request, _("Decision recorded."))
        return redirect("petitions:moderate", pk=pk)
    return render(
        request,
        "petitions/moderate.html",
        {
            "petition": petition,
            "reject_form": reject_form,
            "duplicate_form": duplicate_form,
            "invalidate_form": invalidate_form,
            "hide_form": forms.HideForm(prefix="hide"),
            "alerts": selectors.alert_list_open(petition),
            "reports": selectors.report_list_open(petition),
        },
    )


# ---------------------------------------------------------------- officials


@role_required(OFFICIAL)
def official_dashboard(request: HttpRequest) -> HttpResponse:
    """Deadlines overdue and due, and petitions awaiting a response."""
    return render(
        request,
        "petitions/dashboard.html",
        {"dashboard": selectors.deadline_dashboard(), "now": timezone.now()},
    )


@role_required(OFFICIAL)
def petition_respond(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish the official response."""
    petition = selectors.petition_get(pk)
    if petition is None:
        raise Http404(_("No such petition."))
    form = forms.ResponseForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return _invalid_form(request, form, petition)
        try:
            services.response_publish(
                petition=petition, official=_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            return _refused(request, error, petition)
        messages.success(request, _("The response is published."))
        return redirect("petitions:detail", pk=pk)
    return render(
        request, "petitions/respond.html", {"petition": petition, "form": form}
    )
