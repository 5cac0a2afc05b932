"""Write side of consultations: publish, comment, react, moderate, respond.

Every service takes an optional ``now`` (the clock seam for tests) and
raises ``ValidationError`` (bad input, wrong phase) or ``PermissionDenied``
(missing role) before anything is written.  Websocket pushes, e-mails and
background computations are enqueued with ``transaction.on_commit``.
"""

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import can_participate
from config.websocket import broadcast_on_commit
from participation import campaigns as campaign_detection
from participation import opinions
from participation.document import (
    InvalidBodyError,
    KeyedBlock,
    assign_keys,
    parse_body,
)
from participation.models import (
    Attachment,
    Campaign,
    ChangeLink,
    Comment,
    Consultation,
    ConsultationEvent,
    DocumentVersion,
    Flag,
    Follow,
    OpinionMapResult,
    Paragraph,
    Poll,
    PollAnswer,
    PollOption,
    Reaction,
    Response,
    Statement,
    StatementVote,
    Status,
)
from participation.permissions import (
    can_edit_comment,
    can_manage_consultation,
    can_moderate_comments,
    phase_allows_comments,
)
from participation.selectors import consultation_deletion_refusal
from participation.tasks import campaigns_detect as campaigns_detect_task
from participation.tasks import notify_followers as notify_followers_task
from participation.tasks import notify_response as notify_response_task
from participation.tasks import opinion_map_compute as opinion_map_compute_task
from participation.validators import validate_pdf

DEFAULT_DEBOUNCE_SECONDS = 30
MAX_POLL_OPTIONS = 20


def consultation_group(consultation_id: int) -> str:
    """Return the Channels group of a consultation's live page."""
    return f"consultation-{consultation_id}"


def _now(now: datetime | None) -> datetime:
    return timezone.now() if now is None else now


def _require_manager(user: User) -> None:
    if not can_manage_consultation(user):
        raise PermissionDenied(_("Only officials can do this."))


def _require_participant(user: User) -> None:
    if not can_participate(user):
        raise PermissionDenied(
            _("Sign in with a confirmed e-mail address to take part.")
        )


def _require_open(consultation: Consultation, now: datetime) -> None:
    if not phase_allows_comments(consultation, now):
        raise ValidationError(
            _("This consultation is not open: it is %(status)s.")
            % {"status": consultation.status_at(now).label},
            code="not_open",
        )


def _enqueue_debounced(name: str, consultation_id: int, task: object) -> None:
    """Enqueue ``task`` at most once per debounce window per consultation.

    The task runs at the end of the window (``countdown``), so it sees
    every change made during it; later changes open the next window.
    """
    seconds = int(
        getattr(settings, "PARTICIPATION_DEBOUNCE_SECONDS", DEFAULT_DEBOUNCE_SECONDS)
    )

    def enqueue() -> None:
        key = f"participation:debounce:{name}:{consultation_id}"
        if seconds <= 0 or cache.add(key, 1, timeout=seconds):
            task.apply_async(  # type: ignore[attr-defined]
                args=[consultation_id], countdown=max(seconds, 0)
            )

    transaction.on_commit(enqueue)


# ------------------------------------------------------------- documents


def _store_version(
    *,
    consultation: Consultation,
    number: int,
    body: str,
    change_summary: str,
    author: User,
    previous: Sequence[KeyedBlock],
    now: datetime,
) -> DocumentVersion:
    try:
        blocks = parse_body(body)
    except InvalidBodyError as error:
        raise ValidationError(str(error), code="invalid_body") from error
    keyed = assign_keys(blocks, previous)
    version = DocumentVersion.objects.create(
        consultation=consultation,
        number=number,
        body=body,
        change_summary=change_summary,
        published_by=author,
        published_at=now,
    )
    Paragraph.objects.bulk_create(
        Paragraph(
            version=version,
            key=block.key,
            kind=block.kind,
            number=block.number,
            position=position,
            text=block.text,
        )
        for position, block in enumerate(keyed)
    )
    return version


@transaction.atomic
def consultation_publish(
    *,
    author: User,
    title: str,
    summary: str,
    department: str,
    starts_at: datetime,
    ends_at: datetime,
    body: str,
    attachments: Sequence[tuple[str, UploadedFile]] = (),
    now: datetime | None = None,
) -> Consultation:
    """Publish a consultation with the first version of its document."""
    _require_manager(author)
    now = _now(now)
    if not title.strip():
        raise ValidationError(_("A title is required."), code="title")
    if ends_at <= starts_at:
        raise ValidationError(
            _("The consultation must close after it opens."), code="dates"
        )
    for _title, upload in attachments:
        validate_pdf(upload)
    consultation = Consultation.objects.create(
        title=title.strip(),
        summary=summary.strip(),
        department=department.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=author,
    )
    _store_version(
        consultation=consultation,
        number=1,
        body=body,
        change_summary="",
        author=author,
        previous=(),
        now=now,
    )
    for attachment_title, upload in attachments:
        Attachment.objects.create(
            consultation=consultation,
            title=attachment_title.strip() or upload.name or _("Attachment"),
            file=upload,
            size=upload.size or 0,
        )
    return consultation


EDITABLE_FIELDS = ("title", "summary", "department", "starts_at", "ends_at")
"""The details of a consultation that officials can change after publishing."""


def _audit_value(value: str | datetime) -> str:
    return value.isoformat() if isinstance(value, datetime) else value


@transaction.atomic
def consultation_update(
    *,
    consultation: Consultation,
    official: User,
    title: str,
    summary: str,
    department: str,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime | None = None,
) -> Consultation:
    """Change a consultation's details within the rules of its phase.

    Until it opens, everything can change, but it cannot be made to have
    opened in the past.  Once open, the opening time is history; the
    closing time can move, but not into the past, which would end the
    consultation retroactively for people who were still writing.  Once
    closed, the dates are fixed: a later closing time would reopen it
    silently after its followers were told that it closed, and an earlier
    one would rewrite when it ran.  The title, summary and department can
    be corrected until the report is published; after that nothing changes.

    Each change is logged with its old and new values.
    """
    _require_manager(official)
    now = _now(now)
    locked = _require_changeable(consultation, now)
    status = locked.status_at(now)
    title, summary, department = title.strip(), summary.strip(), department.strip()
    if not title:
        raise ValidationError(_("A title is required."), code="title")
    if ends_at <= starts_at:
        raise ValidationError(
            _("The consultation must close after it opens."), code="dates"
        )
    if starts_at != locked.starts_at:
        if status != Status.UPCOMING:
            raise ValidationError(
                _(
                    "The consultation has opened; its opening time can no "
                    "longer change."
                ),
                code="already_open",
            )
        if starts_at < now:
            raise ValidationError(
                _("The new opening time is in the past."), code="dates"
            )
    if ends_at != locked.ends_at:
        if status == Status.CLOSED:
            raise ValidationError(
                _(
                    "The consultation has closed; its dates can no longer change. "
                    "Publish a new consultation to collect more comments."
                ),
                code="already_closed",
            )
        if ends_at <= now:
            raise ValidationError(
                _("The new closing time is in the past."), code="dates"
            )
    values: dict[str, str | datetime] = {
        "title": title,
        "summary": summary,
        "department": department,
        "starts_at": starts_at,
        "ends_at": ends_at,
    }
    changes = {
        name: [_audit_value(getattr(locked, name)), _audit_value(value)]
        for name, value in values.items()
        if getattr(locked, name) != value
    }
    if not changes:
        return locked
    for name in changes:
        setattr(locked, name, values[name])
        setattr(consultation, name, values[name])
    locked.save(update_fields=list(changes))
    _record_event(locked, official, now, ConsultationEvent.Action.EDITED, changes)
    if "starts_at" in changes or "ends_at" in changes:
        # People who follow it planned around the dates: tell them.
        transaction.on_commit(
            lambda: notify_followers_task.delay(locked.pk, "rescheduled")
        )
    return locked


def _require_changeable(consultation: Consultation, now: datetime) -> Consultation:
    """Lock the consultation; refuse once its report is published."""
    locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if locked.status_at(now) == Status.REPORT_PUBLISHED:
        raise ValidationError(
            _("The report is published; the consultation can no longer change."),
            code="report_published",
        )
    return locked


@transaction.atomic
def attachment_add(
    *,
    consultation: Consultation,
    official: User,
    title: str,
    upload: UploadedFile,
    now: datetime | None = None,
) -> Attachment:
    """Add a PDF to a published consultation, until its report is published.

    The addition is recorded in the consultation's history.
    """
    _require_manager(official)
    now = _now(now)
    locked = _require_changeable(consultation, now)
    validate_pdf(upload)
    attachment = Attachment.objects.create(
        consultation=locked,
        title=title.strip() or upload.name or _("Attachment"),
        file=upload,
        size=upload.size or 0,
    )
    _record_event(
        locked,
        official,
        now,
        ConsultationEvent.Action.ATTACHMENT_ADDED,
        {"attachments": ["", attachment.title]},
    )
    return attachment


@transaction.atomic
def attachment_remove(
    *, attachment: Attachment, official: User, now: datetime | None = None
) -> None:
    """Remove an attachment (a wrong or outdated file) until the report.

    The removal is recorded in the history; the file is deleted once the
    transaction commits.
    """
    _require_manager(official)
    now = _now(now)
    locked = _require_changeable(attachment.consultation, now)
    _record_event(
        locked,
        official,
        now,
        ConsultationEvent.Action.ATTACHMENT_REMOVED,
        {"attachments": [attachment.title, ""]},
    )
    storage, name = attachment.file.storage, attachment.file.name
    attachment.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def _record_event(
    consultation: Consultation,
    official: User,
    now: datetime,
    action: str,
    changes: dict[str, list[str]] | None = None,
) -> None:
    """Add an official's edit or deletion to the consultation's audit log."""
    ConsultationEvent.objects.create(
        consultation=consultation,
        consultation_ref=consultation.pk,
        title=consultation.title,
        actor=official,
        at=now,
        action=action,
        changes=changes if changes is not None else {},
    )


@transaction.atomic
def consultation_delete(
    *, consultation: Consultation, official: User, now: datetime | None = None
) -> None:
    """Delete a consultation that nobody but officials has taken part in.

    Its document, attachments, polls and statements go with it, and its
    followers stop following it; the audit log keeps the deletion.
    """
    _require_manager(official)
    now = _now(now)
    # Lock the rows that a first comment, answer or vote refers to: on
    # PostgreSQL its insert then waits for the deletion, or the lock waits
    # for the insert and the check below sees it.
    locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
    list(Poll.objects.select_for_update().filter(consultation=locked))
    list(Statement.objects.select_for_update().filter(consultation=locked))
    refusal = consultation_deletion_refusal(locked, now=now)
    if refusal is not None:
        raise ValidationError(refusal, code="not_deletable")
    _record_event(locked, official, now, ConsultationEvent.Action.DELETED)
    files = [(a.file.storage, a.file.name) for a in locked.attachments.all()]
    locked.delete()

    def delete_files() -> None:
        # Only once the rows are gone for good: a rolled-back deletion
        # must not leave attachments without their files.
        for storage, name in files:
            if name:
                storage.delete(name)

    transaction.on_commit(delete_files)


@transaction.atomic
def version_publish(
    *,
    consultation: Consultation,
    author: User,
    body: str,
    change_summary: str,
    now: datetime | None = None,
) -> DocumentVersion:
    """Publish a new version; unchanged and moved paragraphs keep their ids."""
    _require_manager(author)
    now = _now(now)
    if consultation.status_at(now) == Status.REPORT_PUBLISHED:
        raise ValidationError(
            _("The report is published; the document can no longer change."),
            code="report_published",
        )
    # Lock the consultation so that two officials cannot both publish
    # "version n + 1".
    locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
    latest = locked.versions.order_by("-number").first()
    if latest is None:
        raise ValidationError(_("The consultation has no document."), code="no_doc")
    previous = [
        KeyedBlock(p.key, p.kind, p.text, p.number)  # type: ignore[arg-type]
        for p in latest.paragraphs.all()
    ]
    if body.strip() == latest.body.strip():
        raise ValidationError(
            _("The new version is identical to the current one."), code="unchanged"
        )
    version = _store_version(
        consultation=locked,
        number=latest.number + 1,
        body=body,
        change_summary=change_summary.strip(),
        author=author,
        previous=previous,
        now=now,
    )
    broadcast_on_commit(
        consultation_group(consultation.pk),
        "version.published",
        {"number": version.number},
    )
    return version


@transaction.atomic
def change_link_create(
    *, version: DocumentVersion, paragraph_key: str, comment: Comment, official: User
) -> ChangeLink:
    """Record that ``comment`` led to the change of a paragraph in ``version``."""
    _require_manager(official)
    if comment.consultation_id != version.consultation_id:
        raise ValidationError(
            _("The comment belongs to another consultation."), code="mismatch"
        )
    if paragraph_key and not (
        version.paragraphs.filter(key=paragraph_key).exists()
        or Paragraph.objects.filter(
            version__consultation_id=version.consultation_id, key=paragraph_key
        ).exists()
    ):
        raise ValidationError(_("There is no such paragraph."), code="paragraph")
    link, _created = ChangeLink.objects.get_or_create(
        version=version,
        paragraph_key=paragraph_key,
        comment=comment,
        defaults={"linked_by": official},
    )
    return link


# ------------------------------------------------------------- comments


def _comment_payload(comment: Comment) -> dict[str, object]:
    return {
        "id": comment.pk,
        "paragraph_key": comment.paragraph_key,
        "parent_id": comment.parent_id,
        "author": comment.author.full_name,
        "body": comment.body,
        "created_at": comment.created_at.isoformat(),
    }


@transaction.atomic
def comment_create(
    *,
    consultation: Consultation,
    author: User,
    body: str,
    paragraph_key: str = "",
    parent: Comment | None = None,
    now: datetime | None = None,
) -> Comment:
    """Post a comment (or a reply) and push it to everyone on the page."""
    now = _now(now)
    _require_participant(author)
    _require_open(consultation, now)
    body = body.strip()
    if not body:
        raise ValidationError(_("The comment is empty."), code="empty")
    if len(body) > 5000:
        raise ValidationError(
            _("A comment can be at most 5000 characters long."), code="too_long"
        )
    version = consultation.versions.order_by("-number").first()
    if version is None:
        raise ValidationError(_("The consultation has no document."), code="no_doc")
    if parent is not None:
        if parent.is_hidden:
            raise ValidationError(
                _("This comment was hidden by a moderator."), code="hidden"
            )
        if parent.consultation_id != consultation.pk:
            raise ValidationError(
                _("The comment you reply to belongs to another consultation."),
                code="parent",
            )
        paragraph_key = parent.paragraph_key
    elif paragraph_key and not version.paragraphs.filter(key=paragraph_key).exists():
        raise ValidationError(
            _("There is no such paragraph in the current version."), code="paragraph"
        )
    comment = Comment.objects.create(
        consultation=consultation,
        version=version,
        paragraph_key=paragraph_key,
        parent=parent,
        author=author,
        body=body,
        created_at=now,
    )
    broadcast_on_commit(
        consultation_group(consultation.pk),
        "comment.created",
        _comment_payload(comment),
    )
    if parent is None:
        _enqueue_debounced("campaigns", consultation.pk, campaigns_detect_task)
    return comment


@transaction.atomic
def comment_edit(
    *, comment: Comment, user: User, body: str, now: datetime | None = None
) -> Comment:
    """Change the text of one's own comment within the edit window."""
    now = _now(now)
    if comment.author_id != user.pk:
        raise PermissionDenied(_("You can only edit your own comments."))
    if not can_edit_comment(user, comment, now):
        raise ValidationError(
            _("Comments can only be edited within 15 minutes of posting."),
            code="edit_window",
        )
    _require_open(comment.consultation, now)
    body = body.strip()
    if not body:
        raise ValidationError(_("The comment is empty."), code="empty")
    if len(body) > 5000:
        raise ValidationError(
            _("A comment can be at most 5000 characters long."), code="too_long"
        )
    comment.body = body
    comment.edited_at = now
    comment.save(update_fields=["body", "edited_at"])
    broadcast_on_commit(
        consultation_group(comment.consultation_id),
        "comment.edited",
        _comment_payload(comment),
    )
    return comment


@transaction.atomic
def comment_react(
    *, comment: Comment, user: User, value: str, now: datetime | None = None
) -> Reaction:
    """Agree or disagree with a comment; a second reaction replaces the first."""
    now = _now(now)
    _require_participant(user)
    _require_open(comment.consultation, now)
    if value not in Reaction.Value.values:
        raise ValidationError(
            _("A reaction is either agree or disagree."), code="reaction"
        )
    if comment.author_id == user.pk:
        raise ValidationError(
            _("You cannot react to your own comment."), code="own_comment"
        )
    if comment.is_hidden:
        raise ValidationError(
            _("This comment was hidden by a moderator."), code="hidden"
        )
    # The unique constraint decides a race; update_or_create retries the
    # lookup when the concurrent insert wins.
    reaction, _created = Reaction.objects.update_or_create(
        comment=comment, user=user, defaults={"value": value, "updated_at": now}
    )
    counts = {
        "agree": comment.reactions.filter(value=Reaction.Value.AGREE).count(),
        "disagree": comment.reactions.filter(value=Reaction.Value.DISAGREE).count(),
    }
    broadcast_on_commit(
        consultation_group(comment.consultation_id),
        "comment.reactions",
        {"id": comment.pk, **counts},
    )
    return reaction


@transaction.atomic
def comment_flag(
    *, comment: Comment, user: User, reason: str, now: datetime | None = None
) -> Flag:
    """Report a comment as abusive (once per person)."""
    _require_participant(user)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the comment is abusive."), code="reason")
    try:
        with transaction.atomic():
            return Flag.objects.create(
                comment=comment, user=user, reason=reason[:500], created_at=_now(now)
            )
    except IntegrityError:
        raise ValidationError(
            _("You have already reported this comment."), code="flagged"
        ) from None


@transaction.atomic
def comment_hide(
    *, comment: Comment, moderator: User, reason: str, now: datetime | None = None
) -> Comment:
    """Hide a comment; the reason is shown in place of its text."""
    if not can_moderate_comments(moderator):
        raise PermissionDenied(_("Only moderators can hide comments."))
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            _("A reason is required to hide a comment."), code="reason"
        )
    comment.is_hidden = True
    comment.hidden_reason = reason[:500]
    comment.hidden_by = moderator
    comment.hidden_at = _now(now)
    comment.save(update_fields=["is_hidden", "hidden_reason", "hidden_by", "hidden_at"])
    broadcast_on_commit(
        consultation_group(comment.consultation_id),
        "comment.hidden",
        {"id": comment.pk, "reason": comment.hidden_reason},
    )
    return comment


# ------------------------------------------------------------- responses


@transaction.atomic
def response_create(
    *,
    consultation: Consultation,
    comments: Sequence[Comment],
    official: User,
    outcome: str,
    explanation: str,
    now: datetime | None = None,
) -> Response:
    """Answer one or more comments (e.g. a campaign's) with one response."""
    _require_manager(official)
    if outcome not in Response.Outcome.values:
        raise ValidationError(_("Choose a valid outcome."), code="outcome")
    explanation = explanation.strip()
    if not explanation:
        raise ValidationError(_("An explanation is required."), code="explanation")
    if not comments:
        raise ValidationError(_("Choose at least one comment."), code="no_comments")
    if any(c.consultation_id != consultation.pk for c in comments):
        raise ValidationError(
            _("A comment belongs to another consultation."), code="mismatch"
        )
    if consultation.status_at(_now(now)) == Status.REPORT_PUBLISHED:
        raise ValidationError(
            _("The report is published; responses can no longer change."),
            code="report_published",
        )
    response = Response.objects.create(
        consultation=consultation,
        outcome=outcome,
        explanation=explanation,
        author=official,
        created_at=_now(now),
    )
    Comment.objects.filter(pk__in=[c.pk for c in comments]).update(response=response)
    for comment in comments:
        comment.response = response
    transaction.on_commit(lambda: notify_response_task.delay(response.pk))
    return response


def campaign_respond(
    *,
    campaign: Campaign,
    official: User,
    outcome: str,
    explanation: str,
    now: datetime | None = None,
) -> Response:
    """Answer every comment of a campaign with one response."""
    return response_create(
        consultation=campaign.consultation,
        comments=list(campaign.comments.all()),
        official=official,
        outcome=outcome,
        explanation=explanation,
        now=now,
    )


@transaction.atomic
def report_publish(
    *,
    consultation: Consultation,
    official: User,
    summary: str,
    now: datetime | None = None,
) -> Consultation:
    """Publish the report once the consultation closed and all is answered."""
    _require_manager(official)
    now = _now(now)
    locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
    status = locked.status_at(now)
    if status == Status.REPORT_PUBLISHED:
        raise ValidationError(_("The report is already published."), code="published")
    if status != Status.CLOSED:
        raise ValidationError(
            _("The report can only be published after the consultation closes."),
            code="not_closed",
        )
    unsettled = locked.comments.filter(is_hidden=False, response__isnull=True).count()
    if unsettled:
        raise ValidationError(
            _(
                "%(count)d comments have neither an official response nor a "
                "moderation decision."
            )
            % {"count": unsettled},
            code="unanswered",
        )
    locked.report_published_at = now
    locked.report_summary = summary.strip()
    locked.save(update_fields=["report_published_at", "report_summary"])
    consultation.report_published_at = now
    consultation.report_summary = locked.report_summary
    transaction.on_commit(lambda: notify_followers_task.delay(locked.pk, "report"))
    return locked


# ------------------------------------------------------------- follows, phases


def follow_set(*, consultation: Consultation, user: User, follow: bool) -> None:
    """Follow or stop following a consultation (idempotent)."""
    if not user.is_authenticated:
        raise PermissionDenied(_("Sign in to follow a consultation."))
    if follow:
        Follow.objects.get_or_create(consultation=consultation, user=user)
    else:
        Follow.objects.filter(consultation=consultation, user=user).delete()


def consultation_notify_phase_changes(*, now: datetime | None = None) -> list[str]:
    """Mark consultations that opened or closed and e-mail their followers.

    The conditional ``UPDATE`` is the claim: run twice (or in two workers),
    each transition is notified once.
    """
    now = _now(now)
    sent: list[str] = []
    opened: QuerySet[Consultation] = Consultation.objects.filter(
        starts_at__lte=now, opened_notified_at__isnull=True
    )
    for pk in list(opened.values_list("pk", flat=True)):
        with transaction.atomic():
            claimed = Consultation.objects.filter(
                pk=pk, opened_notified_at__isnull=True
            ).update(opened_notified_at=now)
            if claimed:
                transaction.on_commit(
                    lambda pk=pk: notify_followers_task.delay(pk, "opened")  # type: ignore[misc]
                )
                sent.append(f"opened:{pk}")
    closed = Consultation.objects.filter(
        ends_at__lte=now, closed_notified_at__isnull=True
    )
    for pk in list(closed.values_list("pk", flat=True)):
        with transaction.atomic():
            claimed = Consultation.objects.filter(
                pk=pk, closed_notified_at__isnull=True
            ).update(closed_notified_at=now)
            if claimed:
                transaction.on_commit(
                    lambda pk=pk: notify_followers_task.delay(pk, "closed")  # type: ignore[misc]
                )
                sent.append(f"closed:{pk}")
    return sent


# ------------------------------------------------------------- campaigns


@transaction.atomic
def campaigns_detect(
    *, consultation: Consultation, now: datetime | None = None
) -> list[Campaign]:
    """Regroup the consultation's top-level comments into campaigns.

    Idempotent: detection runs over every comment again, campaigns are
    matched by their key (earliest member) and vanished ones are removed.
    """
    now = _now(now)
    rows = list(
        consultation.comments.filter(parent__isnull=True)
        .order_by("created_at", "id")
        .values_list("id", "author_id", "body", "created_at")
    )
    found = campaign_detection.detect_campaigns(
        [
            campaign_detection.CommentText(
                id=pk, author_id=author, text=body, created_at=at
            )
            for pk, author, body, at in rows
        ]
    )
    kept: list[Campaign] = []
    for detected in found:
        campaign, _created = Campaign.objects.update_or_create(
            consultation=consultation,
            key=int(detected.key),
            defaults={
                "kind": detected.kind,
                "sample_text": detected.representative_text,
                "author_count": detected.author_count,
                "detected_at": now,
            },
        )
        Comment.objects.filter(pk__in=[int(i) for i in detected.member_ids]).exclude(
            campaign=campaign
        ).update(campaign=campaign)
        kept.append(campaign)
    stale = consultation.campaigns.exclude(pk__in=[c.pk for c in kept])
    Comment.objects.filter(campaign__in=stale).update(campaign=None)
    stale.delete()
    member_ids = [int(i) for detected in found for i in detected.member_ids]
    consultation.comments.filter(campaign__isnull=False).exclude(
        pk__in=member_ids
    ).update(campaign=None)
    return kept


# ------------------------------------------------------------- polls


@transaction.atomic
def poll_create(
    *,
    consultation: Consultation,
    official: User,
    question: str,
    kind: str,
    options: Sequence[str],
    now: datetime | None = None,
) -> Poll:
    """Attach a non-secret poll with its options to a consultation."""
    _require_manager(official)
    question = question.strip()
    texts = [text.strip() for text in options if text.strip()]
    if not question:
        raise ValidationError(_("A question is required."), code="question")
    if kind not in Poll.Kind.values:
        raise ValidationError(_("Choose single or multiple choice."), code="kind")
    if not 2 <= len(texts) <= MAX_POLL_OPTIONS:
        raise ValidationError(
            _("A poll needs between 2 and %(max)d options.")
            % {"max": MAX_POLL_OPTIONS},
            code="options",
        )
    if len(set(texts)) != len(texts):
        raise ValidationError(_("The options must differ."), code="options")
    poll = Poll.objects.create(
        consultation=consultation, question=question, kind=kind, created_at=_now(now)
    )
    PollOption.objects.bulk_create(
        PollOption(poll=poll, text=text, position=i) for i, text in enumerate(texts)
    )
    return poll


def poll_results(poll: Poll) -> dict[str, object]:
    """Return ``{"poll": id, "answers": n, "options": [[id, count], ...]}``."""
    from django.db.models import Count

    options = poll.options.annotate(count=Count("answers")).order_by("position")
    return {
        "poll": poll.pk,
        "answers": poll.answers.count(),
        "options": [[option.pk, option.count] for option in options],
    }


@transaction.atomic
def poll_answer(
    *,
    poll: Poll,
    user: User,
    option_ids: Sequence[int],
    now: datetime | None = None,
) -> PollAnswer:
    """Answer a poll; answering again replaces the previous answer."""
    now = _now(now)
    _require_participant(user)
    _require_open(poll.consultation, now)
    chosen = list(poll.options.filter(pk__in=option_ids))
    if not chosen or len(chosen) != len(set(option_ids)):
        raise ValidationError(_("Choose one of the poll's options."), code="options")
    if poll.kind == Poll.Kind.SINGLE and len(chosen) != 1:
        raise ValidationError(_("Choose exactly one option."), code="single")
    answer, _created = PollAnswer.objects.update_or_create(
        poll=poll, user=user, defaults={"updated_at": now}
    )
    answer.options.set(chosen)
    broadcast_on_commit(
        consultation_group(poll.consultation_id), "poll.results", poll_results(poll)
    )
    return answer


# ------------------------------------------------------------- opinion map


@transaction.atomic
def statement_create(
    *,
    consultation: Consultation,
    author: User,
    text: str,
    now: datetime | None = None,
) -> Statement:
    """Add a statement: officials' are approved, citizens' wait for approval."""
    now = _now(now)
    is_official = can_manage_consultation(author)
    if not is_official:
        _require_participant(author)
        _require_open(consultation, now)
    text = text.strip()
    if not text or len(text) > 300:
        raise ValidationError(
            _("A statement is between 1 and 300 characters long."), code="text"
        )
    return Statement.objects.create(
        consultation=consultation,
        text=text,
        author=author,
        is_approved=is_official,
        created_at=now,
    )


@transaction.atomic
def statement_approve(*, statement: Statement, official: User) -> Statement:
    """Approve a citizen's proposed statement so others can vote on it."""
    _require_manager(official)
    statement.is_approved = True
    statement.save(update_fields=["is_approved"])
    return statement


@transaction.atomic
def statement_vote(
    *, statement: Statement, user: User, value: int, now: datetime | None = None
) -> StatementVote:
    """Agree (1), disagree (-1) or pass (0); a new vote replaces the old."""
    now = _now(now)
    _require_participant(user)
    _require_open(statement.consultation, now)
    if not statement.is_approved:
        raise ValidationError(
            _("This statement is waiting for approval."), code="not_approved"
        )
    if value not in StatementVote.Value.values:
        raise ValidationError(_("A vote is agree, disagree or pass."), code="value")
    vote, _created = StatementVote.objects.update_or_create(
        statement=statement, user=user, defaults={"value": value, "updated_at": now}
    )
    _enqueue_debounced(
        "opinion-map", statement.consultation_id, opinion_map_compute_task
    )
    return vote


@transaction.atomic
def opinion_map_compute(
    *, consultation: Consultation, now: datetime | None = None
) -> OpinionMapResult:
    """Compute the opinion map from the approved statements' votes and store it."""
    votes = list(
        StatementVote.objects.filter(
            statement__consultation=consultation, statement__is_approved=True
        ).values_list("user_id", "statement_id", "value")
    )
    statement_ids = list(
        consultation.statements.filter(is_approved=True).values_list("pk", flat=True)
    )
    matrix = opinions.VoteMatrix.from_votes(votes, statement_ids=statement_ids)
    result = opinions.compute_opinion_map(matrix)
    stored, _created = OpinionMapResult.objects.update_or_create(
        consultation=consultation,
        defaults={
            "result": result.to_json(),
            "vote_count": result.vote_count,
            "computed_at": _now(now),
        },
    )
    # The page fetches the rendered map when this arrives (see
    # consultation.js): one rendering for the page with and without script.
    broadcast_on_commit(
        consultation_group(consultation.pk),
        "opinion.updated",
        {
            "vote_count": result.vote_count,
            "groups": len(result.groups),
            "computed_at": stored.computed_at.isoformat(),
        },
    )
    return stored
