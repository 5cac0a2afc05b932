"""A petition's life: draft, sponsors, moderation, open, closed; responses."""

import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Region, User
from accounts.permissions import can_participate
from frontend.tasks import publish_live_counts as publish_live_counts_task
from petitions import permissions
from petitions.models import (
    AbuseReport,
    Deadline,
    Level,
    ModerationDecision,
    Petition,
    Response,
    Signature,
    Sponsorship,
)
from petitions.services.common import count_broadcast, petition_lock, thresholds_apply
from petitions.services.log import LOG_FIELDS, log_append, log_forget, log_sign_head
from petitions.tasks import petition_notify_closed as petition_notify_closed_task
from petitions.tasks import (
    petition_notify_response as petition_notify_response_task,
)
from votecrypto.petition_log import commitment, text_hash


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def petition_create(
    *,
    creator: User,
    title: str,
    body: str,
    topic: str,
    level: Level,
    region: Region | None,
) -> Petition:
    """Create a draft petition addressed to ``level`` (and its territory)."""
    if not can_participate(creator):
        raise _refuse(
            _("Only citizens with a confirmed e-mail address can start petitions."),
            "not_allowed",
        )
    _check_territory(level, region)
    petition = Petition(
        creator=creator,
        title=title.strip(),
        body=body.strip(),
        topic=topic,
        level=level,
        region=region,
        sponsors_required=settings.PETITIONS_SPONSORS_REQUIRED,
        open_days=settings.PETITIONS_OPEN_DAYS,
    )
    petition.full_clean()
    petition.save()
    return petition


def _check_territory(level: Level, region: Region | None) -> None:
    if level.is_national and region is not None:
        raise _refuse(_("A national petition has no territory."), "bad_territory")
    if not level.is_national and (
        region is None or region.kind not in level.region_kinds
    ):
        raise _refuse(
            _("Choose the territory this petition is addressed to."), "bad_territory"
        )


@transaction.atomic
def petition_update(
    *,
    petition: Petition,
    user: User,
    title: str,
    body: str,
    topic: str,
    level: Level,
    region: Region | None,
) -> Petition:
    """Change the text of the creator's draft (only drafts can change)."""
    petition = petition_lock(petition)
    if petition.creator_id != user.pk:
        raise _refuse(_("Only the petition's creator can edit it."), "not_allowed")
    if petition.status != Petition.Status.DRAFT:
        raise _refuse(_("Only drafts can be edited."), "wrong_status")
    _check_territory(level, region)
    petition.title, petition.body = title.strip(), body.strip()
    petition.topic, petition.level, petition.region = topic, level, region
    petition.full_clean()
    petition.save(update_fields=["title", "body", "topic", "level", "region"])
    return petition


def _start_moderation(petition: Petition, now: datetime) -> None:
    petition.status = Petition.Status.MODERATION
    Deadline.objects.get_or_create(
        petition=petition,
        kind=Deadline.Kind.MODERATION,
        defaults={
            "starts_at": now,
            "due_at": now + timedelta(days=settings.PETITIONS_MODERATION_DAYS),
        },
    )


@transaction.atomic
def petition_submit(*, petition: Petition, user: User) -> Petition:
    """Move the creator's draft on to collecting sponsors (or to moderation)."""
    petition = petition_lock(petition)
    if petition.creator_id != user.pk:
        raise _refuse(_("Only the petition's creator can submit it."), "not_allowed")
    if petition.status != Petition.Status.DRAFT:
        raise _refuse(_("This petition is not a draft any more."), "wrong_status")
    now = timezone.now()
    petition.submitted_at = now
    petition.status = Petition.Status.SPONSORING
    if petition.sponsors_required == 0:
        _start_moderation(petition, now)
    petition.save(update_fields=["status", "submitted_at"])
    return petition


@transaction.atomic
def petition_sponsor(*, petition: Petition, user: User, token: str) -> Sponsorship:
    """Record ``user`` as a sponsor through the creator's sponsor link."""
    petition = petition_lock(petition)
    if not hmac.compare_digest(token.encode(), petition.sponsor_token.encode()):
        raise _refuse(_("This sponsor link is not valid."), "bad_token")
    if petition.status != Petition.Status.SPONSORING:
        raise _refuse(_("This petition is not collecting sponsors."), "wrong_status")
    if not can_participate(user):
        raise _refuse(
            _("Only citizens with a confirmed e-mail address can sponsor petitions."),
            "not_allowed",
        )
    if petition.creator_id == user.pk:
        raise _refuse(_("The creator cannot sponsor their own petition."), "creator")
    try:
        with transaction.atomic():
            sponsorship = Sponsorship.objects.create(petition=petition, sponsor=user)
    except IntegrityError as exc:
        raise _refuse(_("You already sponsor this petition."), "already") from exc
    if petition.sponsorships.count() >= petition.sponsors_required:
        _start_moderation(petition, timezone.now())
        petition.save(update_fields=["status"])
    return sponsorship


def _meet(petition: Petition, kind: str, now: datetime) -> None:
    Deadline.objects.filter(petition=petition, kind=kind, met_at__isnull=True).update(
        met_at=now
    )


def _require_moderator(user: User) -> None:
    if not permissions.can_moderate_petitions(user):
        raise _refuse(_("Only moderators can do this."), "not_allowed")


@transaction.atomic
def petition_approve(
    *, petition: Petition, moderator: User, now: datetime | None = None
) -> Petition:
    """Open a moderated petition: its log starts, sponsors' signatures count.

    The log gets ``open`` (with the text hash) and a ``sign`` for the
    creator and each sponsor who can still take part, then a signed head.
    """
    _require_moderator(moderator)
    petition = petition_lock(petition)
    if petition.status != Petition.Status.MODERATION:
        raise _refuse(_("This petition is not awaiting moderation."), "wrong_status")
    now = now or timezone.now()
    petition.status = Petition.Status.OPEN
    petition.opened_at = now
    petition.closes_at = now + timedelta(days=petition.open_days)
    petition.text_hash = text_hash(petition.title, petition.body)
    log_append(
        petition,
        "open",
        {"petition_id": petition.log_id, "text_hash": petition.text_hash},
        now=now,
    )
    supporters: list[User] = []
    if petition.creator is not None:
        supporters.append(petition.creator)
    supporters += [
        s.sponsor
        for s in petition.sponsorships.select_related("sponsor")
        if s.sponsor is not None
    ]
    for person in supporters:
        if not can_participate(person):
            continue
        mine = commitment(petition.log_id, bytes(person.signer_secret))
        appended = log_append(petition, "sign", {"commitment": mine}, now=now)
        Signature.objects.create(
            petition=petition,
            signer=person,
            commitment=mine,
            region_id=person.region_id,
            seq=appended.seq,
            signed_at=now,
            changed_at=now,
            email_domain=person.email.rpartition("@")[2],
        )
        petition.signature_count += 1
    log_sign_head(petition, now=now)
    petition.save(
        update_fields=[
            "status",
            "opened_at",
            "closes_at",
            "text_hash",
            "signature_count",
            *LOG_FIELDS,
        ]
    )
    _meet(petition, Deadline.Kind.MODERATION, now)
    ModerationDecision.objects.create(
        petition=petition,
        action=ModerationDecision.Action.APPROVE,
        moderator=moderator,
        created_at=now,
    )
    thresholds_apply(petition, now)
    count_broadcast(petition)
    transaction.on_commit(publish_live_counts_task.delay)
    return petition


@transaction.atomic
def petition_reject(
    *, petition: Petition, moderator: User, reason: str, explanation: str
) -> Petition:
    """Reject a petition before it opens, with a reason code and explanation.

    A rejected petition stays public with its reason, unless the reason is
    ``abusive``: then it is hidden.
    """
    _require_moderator(moderator)
    if reason not in Petition.RejectionReason.values:
        raise _refuse(_("Choose a reason from the list."), "bad_reason")
    if not explanation.strip():
        raise _refuse(_("Explain the decision for the public."), "no_explanation")
    petition = petition_lock(petition)
    if petition.status not in (Petition.Status.SPONSORING, Petition.Status.MODERATION):
        raise _refuse(
            _("Only petitions before opening can be rejected."), "wrong_status"
        )
    now = timezone.now()
    abusive = reason == Petition.RejectionReason.ABUSIVE
    petition.status = Petition.Status.REJECTED
    petition.rejection_reason = reason
    petition.public_explanation = explanation.strip()
    petition.is_hidden = abusive
    petition.save(
        update_fields=["status", "rejection_reason", "public_explanation", "is_hidden"]
    )
    _meet(petition, Deadline.Kind.MODERATION, now)
    ModerationDecision.objects.create(
        petition=petition,
        action=(
            ModerationDecision.Action.HIDE
            if abusive
            else ModerationDecision.Action.REJECT
        ),
        reason=reason,
        explanation=explanation.strip(),
        moderator=moderator,
        created_at=now,
    )
    return petition


@transaction.atomic
def petition_mark_duplicate(
    *, petition: Petition, moderator: User, original: Petition, explanation: str = ""
) -> Petition:
    """Mark a petition before opening as a duplicate of a public one."""
    _require_moderator(moderator)
    petition = petition_lock(petition)
    if petition.status not in (Petition.Status.SPONSORING, Petition.Status.MODERATION):
        raise _refuse(
            _("Only petitions before opening can be marked as duplicates."),
            "wrong_status",
        )
    if original.pk == petition.pk or not original.is_public:
        raise _refuse(_("Point to another, public petition."), "bad_original")
    now = timezone.now()
    petition.status = Petition.Status.DUPLICATE
    petition.duplicate_of = original
    petition.public_explanation = explanation.strip()
    petition.save(update_fields=["status", "duplicate_of", "public_explanation"])
    _meet(petition, Deadline.Kind.MODERATION, now)
    ModerationDecision.objects.create(
        petition=petition,
        action=ModerationDecision.Action.DUPLICATE,
        reason="duplicate",
        explanation=explanation.strip(),
        moderator=moderator,
        created_at=now,
    )
    return petition


@transaction.atomic
def petition_hide(*, petition: Petition, moderator: User, explanation: str) -> Petition:
    """Hide an abusive petition in any phase; an open one is closed first.

    Its log stays complete and downloadable by moderators; the decision is
    public (what, when, why) without the petition's text.
    """
    _require_moderator(moderator)
    if not explanation.strip():
        raise _refuse(_("Explain the decision for the public."), "no_explanation")
    petition = petition_lock(petition)
    if petition.is_hidden:
        raise _refuse(_("This petition is already hidden."), "wrong_status")
    now = timezone.now()
    if petition.status == Petition.Status.OPEN:
        petition = petition_close(petition=petition, now=now)
    petition.is_hidden = True
    petition.rejection_reason = Petition.RejectionReason.ABUSIVE
    petition.public_explanation = explanation.strip()
    petition.save(update_fields=["is_hidden", "rejection_reason", "public_explanation"])
    AbuseReport.objects.filter(petition=petition, resolved_at__isnull=True).update(
        resolved_at=now
    )
    ModerationDecision.objects.create(
        petition=petition,
        action=ModerationDecision.Action.HIDE,
        reason=Petition.RejectionReason.ABUSIVE,
        explanation=explanation.strip(),
        moderator=moderator,
        created_at=now,
    )
    return petition


@transaction.atomic
def reports_dismiss(*, petition: Petition, moderator: User) -> int:
    """Close the petition's open abuse reports without acting; return how many."""
    _require_moderator(moderator)
    return AbuseReport.objects.filter(
        petition=petition, resolved_at__isnull=True
    ).update(resolved_at=timezone.now())


@transaction.atomic
def petition_close(*, petition: Petition, now: datetime | None = None) -> Petition:
    """Close an open petition: a ``close`` entry and a final signed head.

    Idempotent: closing a petition that is no longer open changes nothing.
    """
    petition = petition_lock(petition)
    if petition.status != Petition.Status.OPEN:
        return petition
    now = now or timezone.now()
    petition.status = Petition.Status.CLOSED
    petition.closed_at = now
    log_append(petition, "close", {}, now=now)
    log_sign_head(petition, now=now)
    petition.save(update_fields=["status", "closed_at", *LOG_FIELDS])
    ModerationDecision.objects.create(
        petition=petition, action=ModerationDecision.Action.CLOSE, created_at=now
    )
    petition_id = petition.pk
    transaction.on_commit(lambda: petition_notify_closed_task.delay(petition_id))
    transaction.on_commit(publish_live_counts_task.delay)
    transaction.on_commit(lambda: log_forget(petition_id))
    count_broadcast(petition)
    return petition


def petitions_close_expired(*, now: datetime | None = None) -> int:
    """Close every open petition whose period has ended; return how many."""
    now = now or timezone.now()
    expired = Petition.objects.filter(status=Petition.Status.OPEN, closes_at__lte=now)
    closed = 0
    for petition in expired:
        petition_close(petition=petition, now=now)
        closed += 1
    return closed


@transaction.atomic
def response_publish(
    *, petition: Petition, official: User, department: str, text: str
) -> Response:
    """Publish the official response to an open or closed petition."""
    if not permissions.can_respond(official):
        raise _refuse(_("Only officials can publish responses."), "not_allowed")
    if not department.strip() or not text.strip():
        raise _refuse(_("Give the department and the response text."), "empty")
    petition = petition_lock(petition)
    if petition.status not in (Petition.Status.OPEN, Petition.Status.CLOSED):
        raise _refuse(
            _("Only open or closed petitions can receive a response."), "wrong_status"
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            response = Response.objects.create(
                petition=petition,
                official=official,
                department=department.strip(),
                text=text.strip(),
                published_at=now,
            )
    except IntegrityError as exc:
        raise _refuse(_("This petition already has a response."), "already") from exc
    _meet(petition, Deadline.Kind.RESPONSE, now)
    petition_id = petition.pk
    transaction.on_commit(lambda: petition_notify_response_task.delay(petition_id))
    return response
