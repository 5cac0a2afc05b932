"""Consultation pages: parse, authorise, call one service or selector, render.

Refusals render ``participation/refused.html`` with the reason and a 4xx
status: 400 for bad input, 403 for a missing right, 409 for the wrong
phase, 429 for too many requests.
"""

import csv
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.permissions import check_role, role_required
from accounts.ratelimit import client_ip, ratelimit_hits
from accounts.roles import MODERATOR, OFFICIAL, user_has_role
from participation import selectors, services
from participation.forms import (
    AttachmentForm,
    ChangeLinkForm,
    CommentEditForm,
    CommentForm,
    ConsultationEditForm,
    ConsultationForm,
    FlagForm,
    HideForm,
    PollAnswerForm,
    PollForm,
    ReactionForm,
    ReportForm,
    ResponseForm,
    StatementForm,
    StatementVoteForm,
    VersionForm,
)
from participation.models import Consultation, Status
from participation.permissions import (
    can_comment,
    can_edit_comment,
    can_manage_consultation,
    can_moderate_comments,
)

RATELIMITS: dict[str, tuple[int, int]] = {
    "comment": (20, 600),
    "react": (120, 600),
    "flag": (20, 3600),
    "vote": (300, 600),
}
"""(limit, window in seconds) per account and per IP address."""

# Codes of ValidationErrors that mean "wrong phase" rather than bad input.
PHASE_CODES = {
    "not_open",
    "not_closed",
    "report_published",
    "published",
    "already_open",
    "already_closed",
    "not_deletable",
}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - the decorators ensure it
    return user


def _refuse(request: HttpRequest, messages: list[str], status: int) -> HttpResponse:
    return render(
        request, "participation/refused.html", {"reasons": messages}, status=status
    )


def _form_errors(form: Any) -> list[str]:
    return [
        f"{form.fields[name].label or name}: {error}" if name != "__all__" else error
        for name, errors in form.errors.items()
        for error in errors
    ]


def _call(request: HttpRequest, action: Callable[[], Any]) -> HttpResponse | None:
    """Run a service; turn its refusals into a 4xx page, ``None`` if it ran."""
    try:
        action()
    except PermissionDenied as error:
        return _refuse(request, [str(error) or _("You cannot do this.")], 403)
    except ValidationError as error:
        status = 409 if getattr(error, "code", None) in PHASE_CODES else 400
        return _refuse(request, error.messages, status)
    return None


def _rate_limited(request: HttpRequest, action: str) -> HttpResponse | None:
    limit, window = RATELIMITS[action]
    if ratelimit_hits(
        [
            (f"participation-{action}:user:{request.user.pk}", limit, window),
            (f"participation-{action}:ip:{client_ip(request)}", limit * 5, window),
        ]
    ):
        return None
    return _refuse(
        request, [_("Too many requests. Please wait a few minutes and try again.")], 429
    )


def _moderator_check(request: HttpRequest) -> HttpResponse | None:
    """Let moderators and officials through (each with their 2FA)."""
    role = MODERATOR if user_has_role(request.user, MODERATOR) else OFFICIAL
    return check_role(request, role)


def _detail_url(consultation: Consultation, anchor: str = "") -> str:
    url = reverse("participation:detail", args=[consultation.pk])
    return f"{url}#{anchor}" if anchor else url


# ------------------------------------------------------------- public pages


@require_GET
def consultation_list(request: HttpRequest) -> HttpResponse:
    """List every consultation with its status."""
    now = timezone.now()
    consultations = [
        (c, c.status_at(now)) for c in selectors.consultation_list_public(now=now)
    ]
    return render(request, "participation/list.html", {"consultations": consultations})


@require_GET
def consultation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the document, its paragraphs' threads, polls and opinion map."""
    consultation = selectors.consultation_get(pk)
    now = timezone.now()
    version = selectors.version_current(consultation)
    threads = selectors.comment_threads(consultation, viewer=request.user)
    paragraphs = [
        (view, threads.get(view.paragraph.key, []))
        for view in selectors.paragraphs_with_counts(version)
    ]
    is_manager = can_manage_consultation(request.user)
    return render(
        request,
        "participation/detail.html",
        {
            "consultation": consultation,
            "status": consultation.status_at(now),
            "version": version,
            "versions": consultation.versions.order_by("number"),
            "paragraphs": paragraphs,
            "document_threads": threads.get("", []),
            "can_comment": can_comment(request.user, consultation, now),
            "can_moderate": can_moderate_comments(request.user),
            "is_manager": is_manager,
            "is_following": request.user.is_authenticated
            and consultation.follows.filter(user_id=request.user.pk).exists(),
            "polls": selectors.polls_with_results(consultation, viewer=request.user),
            "statements": selectors.statements_for(
                consultation, viewer=request.user, include_pending=False
            ),
            "opinion_map": selectors.opinion_map_view(consultation),
            "attachments": consultation.attachments.all(),
            "reaction_choices": ReactionForm.base_fields["value"].choices,  # type: ignore[attr-defined]
            "vote_choices": StatementVoteForm.base_fields["value"].choices,  # type: ignore[attr-defined]
            "ws_path": f"/ws/consultations/{consultation.pk}/",
            "now": now,
        },
    )


@require_GET
@never_cache
def opinion_map(request: HttpRequest, pk: int) -> HttpResponse:
    """Render the opinion map's results alone, for the page's live refresh."""
    consultation = selectors.consultation_get(pk)
    return render(
        request,
        "participation/_opinion_map.html",
        {"opinion_map": selectors.opinion_map_view(consultation)},
    )


@require_GET
def version_changes(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Show what changed from version ``number - 1`` to ``number``."""
    consultation = selectors.consultation_get(pk)
    if number < 2:
        raise Http404("The first version has no changes.")
    old, new, changes = selectors.version_diff(
        consultation, old_number=number - 1, new_number=number
    )
    return render(
        request,
        "participation/changes.html",
        {
            "consultation": consultation,
            "old": old,
            "new": new,
            "changes": changes,
            "links": selectors.change_links_by_key(new),
            "is_manager": can_manage_consultation(request.user),
            "link_form": ChangeLinkForm(),
        },
    )


# ------------------------------------------------------------- citizens


@login_required
@require_POST
def comment_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Post a comment or reply, then return to its place on the page."""
    consultation = selectors.consultation_get(pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _form_errors(form), 400)
    limited = _rate_limited(request, "comment")
    if limited:
        return limited
    parent = None
    if form.cleaned_data["parent"]:
        parent = selectors.comment_get(
            form.cleaned_data["parent"], consultation=consultation
        )
    created: list[Any] = []
    refused = _call(
        request,
        lambda: created.append(
            services.comment_create(
                consultation=consultation,
                author=_user(request),
                body=form.cleaned_data["body"],
                paragraph_key=form.cleaned_data["paragraph_key"] or "",
                parent=parent,
            )
        ),
    )
    if refused:
        return refused
    return HttpResponseRedirect(_detail_url(consultation, f"comment-{created[0].pk}"))


@login_required
@require_http_methods(["GET", "POST"])
def comment_edit(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    """Edit one's comment within the edit window."""
    consultation = selectors.consultation_get(pk)
    comment = selectors.comment_get(comment_pk, consultation=consultation)
    if request.method == "GET":
        if comment.author_id != request.user.pk:
            return _refuse(request, [_("You can only edit your own comments.")], 403)
        if not can_edit_comment(request.user, comment, timezone.now()):
            return _refuse(
                request,
                [_("Comments can only be edited within 15 minutes of posting.")],
                400,
            )
        form = CommentEditForm(initial={"body": comment.body})
        return render(
            request,
            "participation/comment_edit.html",
            {"consultation": consultation, "comment": comment, "form": form},
        )
    form = CommentEditForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _form_errors(form), 400)
    refused = _call(
        request,
        lambda: services.comment_edit(
            comment=comment, user=_user(request), body=form.cleaned_data["body"]
        ),
    )
    return refused or HttpResponseRedirect(
        _detail_url(consultation, f"comment-{comment.pk}")
    )


@login_required
@require_POST
def comment_react(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    """Agree or disagree with a comment."""
    consultation = selectors.consultation_get(pk)
    comment = selectors.comment_get(comment_pk, consultation=consultation)
    form = ReactionForm(request.POST)
    if not form.is_valid():
        return _refuse(request, [_("A reaction is either agree or disagree.")], 400)
    limited = _rate_limited(request, "react")
    if limited:
        return limited
    refused = _call(
        request,
        lambda: services.comment_react(
            comment=comment, user=_user(request), value=form.cleaned_data["value"]
        ),
    )
    return refused or HttpResponseRedirect(
        _detail_url(consultation, f"comment-{comment.pk}")
    )


@login_required
@require_POST
def comment_flag(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    """Report a comment to the moderators."""
    consultation = selectors.consultation_get(pk)
    comment = selectors.comment_get(comment_pk, consultation=consultation)
    form = FlagForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _form_errors(form), 400)
    limited = _rate_limited(request, "flag")
    if limited:
        return limited
    refused = _call(
        request,
        lambda: services.comment_flag(
            comment=comment, user=_user(request), reason=form.cleaned_data["reason"]
        ),
    )
    return refused or HttpResponseRedirect(
        _detail_url(consultation, f"comment-{comment.pk}")
    )


@login_required
@require_POST
def follow(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow or unfollow (``follow=0``) a consultation."""
    consultation = selectors.consultation_get(pk)
    services.follow_set(
        consultation=consultation,
        user=_user(request),
        follow=request.POST.get("follow") != "0",
    )
    return HttpResponseRedirect(_detail_url(consultation))


@login_required
@require_POST
def poll_answer(request: HttpRequest, pk: int, poll_pk: int) -> HttpResponse:
    """Answer (or change one's answer to) a poll."""
    consultation = selectors.consultation_get(pk)
    poll = selectors.poll_get(poll_pk, consultation=consultation)
    form = PollAnswerForm(request.POST, poll=poll)
    if not form.is_valid():
        return _refuse(request, [_("Choose one of the poll's options.")], 400)
    limited = _rate_limited(request, "vote")
    if limited:
        return limited
    refused = _call(
        request,
        lambda: services.poll_answer(
            poll=poll, user=_user(request), option_ids=form.cleaned_data["options"]
        ),
    )
    return refused or HttpResponseRedirect(_detail_url(consultation, f"poll-{poll.pk}"))


@login_required
@require_POST
def statement_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a statement (official) or propose one (citizen)."""
    consultation = selectors.consultation_get(pk)
    if can_manage_consultation(request.user):
        denied = check_role(request, OFFICIAL)
        if denied:
            return denied
    form = StatementForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _form_errors(form), 400)
    limited = _rate_limited(request, "comment")
    if limited:
        return limited
    refused = _call(
        request,
        lambda: services.statement_create(
            consultation=consultation,
            author=_user(request),
            text=form.cleaned_data["text"],
        ),
    )
    return refused or HttpResponseRedirect(_detail_url(consultation, "opinion-map"))


@login_required
@require_POST
def statement_vote(request: HttpRequest, pk: int, statement_pk: int) -> HttpResponse:
    """Agree, disagree or pass on a statement."""
    consultation = selectors.consultation_get(pk)
    statement = selectors.statement_get(statement_pk, consultation=consultation)
    form = StatementVoteForm(request.POST)
    if not form.is_valid():
        return _refuse(request, [_("A vote is agree, disagree or pass.")], 400)
    limited = _rate_limited(request, "vote")
    if limited:
        return limited
    refused = _call(
        request,
        lambda: services.statement_vote(
            statement=statement, user=_user(request), value=form.cleaned_data["value"]
        ),
    )
    return refused or HttpResponseRedirect(
        _detail_url(consultation, f"statement-{statement.pk}")
    )


# ------------------------------------------------------------- moderators


@require_POST
def comment_hide(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    """Hide a comment with a reason (moderators and officials)."""
    denied = _moderator_check(request)
    if denied:
        return denied
    consultation = selectors.consultation_get(pk)
    comment = selectors.comment_get(comment_pk, consultation=consultation)
    form = HideForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _form_errors(form), 400)
    refused = _call(
        request,
        lambda: services.comment_hide(
            comment=comment,
            moderator=_user(request),
            reason=form.cleaned_data["reason"],
        ),
    )
    return refused or HttpResponseRedirect(
        _detail_url(consultation, f"comment-{comment.pk}")
    )


# ------------------------------------------------------------- officials


@role_required(OFFICIAL)
@require_http_methods(["GET", "POST"])
def consultation_create(request: HttpRequest) -> HttpResponse:
    """Publish a new consultation."""
    form = ConsultationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created: list[Consultation] = []
        try:
            created.append(
                services.consultation_publish(
                    author=_user(request),
                    title=data["title"],
                    summary=data["summary"],
                    department=data["department"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    body=data["body"],
                    attachments=[(f.name or "", f) for f in data["attachments"]],
                )
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return HttpResponseRedirect(_detail_url(created[0]))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "participation/consultation_form.html", {"form": form}, status=status
    )


@role_required(OFFICIAL)
@require_http_methods(["GET", "POST"])
def consultation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a consultation's details (title, summary, department, dates)."""
    consultation = selectors.consultation_get(pk)
    status = consultation.status_at(timezone.now())
    if status == Status.REPORT_PUBLISHED:
        return _refuse(
            request,
            [_("The report is published; the consultation can no longer change.")],
            409,
        )
    form = ConsultationEditForm(
        request.POST or None, consultation=consultation, status=status
    )
    http_status = 200
    if request.method == "POST":
        http_status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.consultation_update(
                    consultation=consultation,
                    official=_user(request),
                    title=data["title"],
                    summary=data["summary"],
                    department=data["department"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                )
            except ValidationError as error:
                form.add_error(None, error)
                if getattr(error, "code", None) in PHASE_CODES:
                    http_status = 409
            else:
                messages.success(request, _("The consultation's details are saved."))
                return HttpResponseRedirect(reverse("participation:manage", args=[pk]))
    return render(
        request,
        "participation/consultation_form.html",
        {
            "form": form,
            "consultation": consultation,
            "attachments": consultation.attachments.all(),
            "attachment_form": AttachmentForm(),
        },
        status=http_status,
    )


@role_required(OFFICIAL)
@require_POST
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a PDF to a published consultation (until its report)."""
    consultation = selectors.consultation_get(pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _refuse(request, _form_errors(form), 400)
    try:
        services.attachment_add(
            consultation=consultation,
            official=_user(request),
            title=form.cleaned_data["title"],
            upload=form.cleaned_data["file"],
        )
    except ValidationError as error:
        status = 409 if error.code == "report_published" else 400
        return _refuse(request, list(error.messages), status)
    messages.success(request, _("The attachment is added."))
    return HttpResponseRedirect(reverse("participation:edit", args=[pk]))


@role_required(OFFICIAL)
@require_POST
def attachment_remove(
    request: HttpRequest, pk: int, attachment_pk: int
) -> HttpResponse:
    """Remove an attachment of a consultation (until its report)."""
    consultation = selectors.consultation_get(pk)
    attachment = consultation.attachments.filter(pk=attachment_pk).first()
    if attachment is None:
        raise Http404(_("No such attachment."))
    try:
        services.attachment_remove(attachment=attachment, official=_user(request))
    except ValidationError as error:
        return _refuse(request, list(error.messages), 409)
    messages.success(request, _("The attachment is removed."))
    return HttpResponseRedirect(reverse("participation:edit", args=[pk]))


@role_required(OFFICIAL)
@require_http_methods(["GET", "POST"])
def consultation_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask to confirm, then delete a consultation nobody has taken part in."""
    consultation = selectors.consultation_get(pk)
    if request.method == "GET":
        refusal = selectors.consultation_deletion_refusal(
            consultation, now=timezone.now()
        )
        if refusal is not None:
            return _refuse(request, [refusal], 409)
        return render(
            request,
            "participation/consultation_delete.html",
            {
                "consultation": consultation,
                "attachments": consultation.attachments.count(),
                "followers": consultation.follows.count(),
            },
        )
    refused = _call(
        request,
        lambda: services.consultation_delete(
            consultation=consultation, official=_user(request)
        ),
    )
    if refused:
        return refused
    messages.success(
        request,
        _("The consultation “%(title)s” is deleted.") % {"title": consultation.title},
    )
    return HttpResponseRedirect(reverse("participation:list"))


@role_required(OFFICIAL)
@require_http_methods(["GET", "POST"])
def version_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish a new version of the document."""
    consultation = selectors.consultation_get(pk)
    current = selectors.version_current(consultation)
    form = VersionForm(request.POST or None, initial={"body": current.body})
    if request.method == "POST" and form.is_valid():
        created: list[Any] = []
        try:
            created.append(
                services.version_publish(
                    consultation=consultation,
                    author=_user(request),
                    body=form.cleaned_data["body"],
                    change_summary=form.cleaned_data["change_summary"],
                )
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return HttpResponseRedirect(
                reverse("participation:changes", args=[pk, created[0].number])
            )
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "participation/version_form.html",
        {"form": form, "consultation": consultation},
        status=status,
    )


@role_required(OFFICIAL)
@require_POST
def change_link(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Link a comment to a changed paragraph of version ``number``."""
    consultation = selectors.consultation_get(pk)
    version = selectors.version_get(consultation, number)
    form = ChangeLinkForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _form_errors(form), 400)
    comment = selectors.comment_get(
        form.cleaned_data["comment"], consultation=consultation
    )
    refused = _call(
        request,
        lambda: services.change_link_create(
            version=version,
            paragraph_key=form.cleaned_data["paragraph_key"] or "",
            comment=comment,
            official=_user(request),
        ),
    )
    return refused or HttpResponseRedirect(
        reverse("participation:changes", args=[pk, number])
    )


@role_required(OFFICIAL)
@require_GET
def manage(request: HttpRequest, pk: int) -> HttpResponse:
    """The official's desk: unanswered comments, campaigns, flags, polls."""
    consultation = selectors.consultation_get(pk)
    now = timezone.now()
    return render(
        request,
        "participation/manage.html",
        {
            "consultation": consultation,
            "status": consultation.status_at(now),
            "deletion_refusal": selectors.consultation_deletion_refusal(
                consultation, now=now
            ),
            "events": selectors.consultation_events(consultation),
            "unsettled": selectors.comments_unsettled(consultation),
            "campaigns": selectors.campaign_list(consultation),
            "flagged": consultation.comments.filter(
                flags__isnull=False, is_hidden=False
            ).distinct(),
            "pending_statements": consultation.statements.filter(is_approved=False),
            "response_form": ResponseForm(),
            "poll_form": PollForm(),
            "statement_form": StatementForm(),
            "report_form": ReportForm(),
            "hide_form": HideForm(),
        },
    )


@role_required(OFFICIAL)
@require_POST
def comment_respond(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    """Answer one comment."""
    consultation = selectors.consultation_get(pk)
    comment = selectors.comment_get(comment_pk, consultation=consultation)
    form = ResponseForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _form_errors(form), 400)
    refused = _call(
        request,
        lambda: services.response_create(
            consultation=consultation,
            comments=[comment],
            official=_user(request),
            outcome=form.cleaned_data["outcome"],
            explanation=form.cleaned_data["explanation"],
        ),
    )
    return refused or HttpResponseRedirect(reverse("participation:manage", args=[pk]))


@role_required(OFFICIAL)
@require_POST
def campaign_respond(request: HttpRequest, pk: int, campaign_pk: int) -> HttpResponse:
    """Answer every comment of a campaign with one response."""
    consultation = selectors.consultation_get(pk)
    campaign = selectors.campaign_get(campaign_pk, consultation=consultation)
    form = ResponseForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _form_errors(form), 400)
    refused = _call(
        request,
        lambda: services.campaign_respond(
            campaign=campaign,
            official=_user(request),
            outcome=form.cleaned_data["outcome"],
            explanation=form.cleaned_data["explanation"],
        ),
    )
    return refused or HttpResponseRedirect(reverse("participation:manage", args=[pk]))


@role_required(OFFICIAL)
@require_POST
def poll_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach a poll."""
    consultation = selectors.consultation_get(pk)
    form = PollForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _form_errors(form), 400)
    refused = _call(
        request,
        lambda: services.poll_create(
            consultation=consultation,
            official=_user(request),
            question=form.cleaned_data["question"],
            kind=form.cleaned_data["kind"],
            options=form.cleaned_data["options"].splitlines(),
        ),
    )
    return refused or HttpResponseRedirect(_detail_url(consultation, "polls"))


@role_required(OFFICIAL)
@require_POST
def statement_approve(request: HttpRequest, pk: int, statement_pk: int) -> HttpResponse:
    """Approve a proposed statement."""
    consultation = selectors.consultation_get(pk)
    statement = selectors.statement_get(statement_pk, consultation=consultation)
    services.statement_approve(statement=statement, official=_user(request))
    return HttpResponseRedirect(reverse("participation:manage", args=[pk]))


@role_required(OFFICIAL)
@require_POST
def report_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish the report (refused while a comment is unanswered)."""
    consultation = selectors.consultation_get(pk)
    form = ReportForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _form_errors(form), 400)
    refused = _call(
        request,
        lambda: services.report_publish(
            consultation=consultation,
            official=_user(request),
            summary=form.cleaned_data["summary"],
        ),
    )
    return refused or HttpResponseRedirect(reverse("participation:report", args=[pk]))


# ------------------------------------------------------------- report


def _report_or_refuse(request: HttpRequest, pk: int) -> Any:
    consultation = selectors.consultation_get(pk)
    now = timezone.now()
    if consultation.status_at(now) != Status.REPORT_PUBLISHED:
        if not can_manage_consultation(request.user):
            return _refuse(request, [_("The report is not published yet.")], 404)
        denied = check_role(request, OFFICIAL)
        if denied:
            return denied
    return selectors.report_build(consultation, now=now)


@require_GET
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the report (public once published; officials see a preview)."""
    built = _report_or_refuse(request, pk)
    if isinstance(built, HttpResponse):
        return built
    return render(request, "participation/report.html", {"report": built})


@require_GET
def report_print(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the printable report."""
    built = _report_or_refuse(request, pk)
    if isinstance(built, HttpResponse):
        return built
    return render(request, "participation/report_print.html", {"report": built})


@require_GET
def report_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the comments with their responses as CSV."""
    built = _report_or_refuse(request, pk)
    if isinstance(built, HttpResponse):
        return built
    consultation = built.consultation
    numbers = {p.key: p.number for p in built.paragraphs}
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="consultation-{consultation.pk}-comments.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            "comment_id",
            "parent_id",
            "paragraph",
            "created_at",
            "text",
            "agree",
            "disagree",
            "hidden_reason",
            "campaign_id",
            "outcome",
            "explanation",
        ]
    )
    for comment in selectors.report_rows(consultation):
        writer.writerow(
            [
                comment.pk,
                comment.parent_id or "",
                numbers.get(comment.paragraph_key, "") if comment.paragraph_key else "",
                comment.created_at.isoformat(),
                _csv_safe("" if comment.is_hidden else comment.body),
                comment.agree,  # type: ignore[attr-defined]
                comment.disagree,  # type: ignore[attr-defined]
                _csv_safe(comment.hidden_reason),
                comment.campaign_id or "",
                comment.response.outcome if comment.response else "",
                _csv_safe(comment.response.explanation if comment.response else ""),
            ]
        )
    return response


def _csv_safe(text: str) -> str:
    """Defuse spreadsheet formulas (CSV injection) in user-written cells."""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text
