"""Reads of the petitions app: lists, pages, charts, queues, open data."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Region
from accounts.permissions import AnyUser
from petitions import permissions, thresholds
from petitions.models import (
    PUBLIC_STATUSES,
    AbuseReport,
    BurstAlert,
    Deadline,
    ModerationDecision,
    Petition,
    Signature,
    ThresholdReached,
)
from petitions.services.common import petition_targets

SORTS = {
    "signatures": ("-signature_count", "-opened_at", "-id"),
    "recent": ("-opened_at", "-created_at", "-id"),
    "closing": ("closes_at", "-id"),
}


def _base() -> QuerySet[Petition]:
    return Petition.objects.select_related("level", "region", "duplicate_of")


def petition_list_public(
    *,
    q: str = "",
    status: str = "",
    topic: str = "",
    region: Region | None = None,
    sort: str = "signatures",
) -> QuerySet[Petition]:
    """Return the public petitions matching a search, in the chosen order.

    ``q`` matches words of the title or text (all words must match).
    """
    petitions = _base().filter(status__in=PUBLIC_STATUSES, is_hidden=False)
    for word in q.split()[:10]:
        petitions = petitions.filter(Q(title__icontains=word) | Q(body__icontains=word))
    if status:
        petitions = petitions.filter(status=status)
    if topic:
        petitions = petitions.filter(topic=topic)
    if region is not None:
        petitions = petitions.filter(region=region)
    return petitions.order_by(*SORTS.get(sort, SORTS["signatures"]))


def petition_list_open(limit: int = 10) -> QuerySet[Petition]:
    """Return the open petitions with the most signatures first."""
    return petition_list_public(status=Petition.Status.OPEN)[:limit]


def petition_get(pk: int) -> Petition | None:
    """Return the petition ``pk`` with its level and territory, or ``None``."""
    return _base().select_related("creator").filter(pk=pk).first()


def petition_get_visible(pk: int, viewer: AnyUser) -> Petition | None:
    """Return the petition if ``viewer`` may see its page, else ``None``."""
    petition = petition_get(pk)
    if petition is None or not permissions.can_view(viewer, petition):
        return None
    return petition


def signature_of(petition: Petition, viewer: AnyUser) -> Signature | None:
    """Return the viewer's signature row on the petition, if any."""
    if not viewer.is_authenticated:
        return None
    return Signature.objects.filter(petition=petition, signer_id=viewer.pk).first()


@dataclass(frozen=True)
class Bar:
    """One bar of a chart, with its label and value."""

    label: str
    value: int
    fraction: float

    @property
    def percent(self) -> int:
        """Return the bar's length in whole percent of the longest."""
        return round(self.fraction * 100)


def _bars(rows: list[tuple[str, int]]) -> list[Bar]:
    top = max((value for _label, value in rows), default=0)
    return [Bar(label, value, value / top if top else 0.0) for label, value in rows]


def petition_region_breakdown(petition: Petition) -> list[Bar]:
    """Return counted signatures per region (every region, then "unknown")."""
    counts: dict[int | None, int] = dict(
        Signature.objects.filter(petition=petition, status=Signature.Status.COUNTED)
        .values_list("region_id")
        .annotate(n=Count("id"))
        .values_list("region_id", "n")
    )
    rows = [(region.name, counts.get(region.pk, 0)) for region in Region.objects.all()]
    if counts.get(None):
        rows.append(("—", counts[None]))
    return _bars(rows)


def petition_region_counts(petition: Petition) -> dict[str, int]:
    """Return counted signatures per region code (open data; no personal data)."""
    rows = (
        Signature.objects.filter(petition=petition, status=Signature.Status.COUNTED)
        .values_list("region__code")
        .annotate(n=Count("id"))
        .values_list("region__code", "n")
    )
    return {code or "unknown": n for code, n in rows}


def petition_signatures_by_day(petition: Petition) -> list[tuple[date, int, int]]:
    """Return ``(day, signatures counted that day, running total)`` rows.

    Counts the signatures that still count, by the day they were given.
    """
    rows = (
        Signature.objects.filter(petition=petition, status=Signature.Status.COUNTED)
        .annotate(day=TruncDate("signed_at"))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
        .order_by("day")
    )
    total = 0
    result = []
    for day, n in rows:
        total += n
        result.append((day, n, total))
    return result


def petition_time_chart(petition: Petition) -> list[Bar]:
    """Return the running total per day as chart bars."""
    return _bars(
        [
            (day.isoformat(), total)
            for day, _n, total in petition_signatures_by_day(petition)
        ]
    )


@dataclass(frozen=True)
class ThresholdView:
    """A threshold on a petition page: target, progress, and its deadline."""

    target: thresholds.Target
    reached_at: datetime | None
    deadline: Deadline | None
    progress: int


def petition_threshold_views(petition: Petition) -> list[ThresholdView]:
    """Return the petition's thresholds with progress, reached time and deadline."""
    reached = {
        r.threshold_id: r.reached_at
        for r in ThresholdReached.objects.filter(petition=petition)
    }
    deadlines = {d.threshold_id: d for d in Deadline.objects.filter(petition=petition)}
    return [
        ThresholdView(
            target=target,
            reached_at=reached.get(target.rule.id),
            deadline=deadlines.get(target.rule.id),
            progress=target.progress(petition.signature_count),
        )
        for target in petition_targets(petition)
    ]


def petition_deadlines(petition: Petition) -> QuerySet[Deadline]:
    """Return the petition's deadlines, earliest first."""
    return Deadline.objects.filter(petition=petition).order_by("due_at")


def decision_list_public(
    petition: Petition | None = None,
) -> QuerySet[ModerationDecision]:
    """Return public moderation decisions (never who signed), newest first.

    Decisions on hidden petitions are listed too; templates show no title
    for them.
    """
    decisions = ModerationDecision.objects.select_related("petition")
    if petition is not None:
        decisions = decisions.filter(petition=petition)
    return decisions.order_by("-created_at", "-id")


def moderation_queue(
    *, status: str = "", reported: bool = False, alerted: bool = False
) -> QuerySet[Petition]:
    """Return petitions for moderators, with open reports and alerts counted."""
    open_reports = AbuseReport.objects.filter(
        petition=OuterRef("pk"), resolved_at__isnull=True
    )
    open_alerts = BurstAlert.objects.filter(
        petition=OuterRef("pk"), resolved_at__isnull=True
    )
    petitions = _base().annotate(
        has_reports=Exists(open_reports),
        has_alerts=Exists(open_alerts),
        report_count=Count(
            "reports", filter=Q(reports__resolved_at__isnull=True), distinct=True
        ),
    )
    if status:
        petitions = petitions.filter(status=status)
    else:
        petitions = petitions.filter(
            Q(status=Petition.Status.MODERATION)
            | Q(has_reports=True)
            | Q(has_alerts=True)
        )
    if reported:
        petitions = petitions.filter(has_reports=True)
    if alerted:
        petitions = petitions.filter(has_alerts=True)
    return petitions.order_by("submitted_at", "id")


def alert_list_open(petition: Petition | None = None) -> QuerySet[BurstAlert]:
    """Return unresolved burst alerts (for moderators only), newest first."""
    alerts = BurstAlert.objects.select_related("petition").filter(
        resolved_at__isnull=True
    )
    if petition is not None:
        alerts = alerts.filter(petition=petition)
    return alerts


def report_list_open(petition: Petition) -> QuerySet[AbuseReport]:
    """Return the petition's unresolved abuse reports."""
    return AbuseReport.objects.filter(petition=petition, resolved_at__isnull=True)


@dataclass(frozen=True)
class Dashboard:
    """What officials see: deadlines overdue, due soon, and later."""

    overdue: list[Deadline]
    due_soon: list[Deadline]
    later: list[Deadline]
    awaiting_response: list[Deadline]


def deadline_dashboard(
    *, now: datetime | None = None, soon: timedelta = timedelta(days=7)
) -> Dashboard:
    """Return the open deadlines split into overdue, due soon and later."""
    now = now or timezone.now()
    open_deadlines = list(
        Deadline.objects.select_related("petition")
        .filter(met_at__isnull=True)
        .order_by("due_at", "id")
    )
    overdue = [d for d in open_deadlines if d.is_overdue(now)]
    due_soon = [
        d for d in open_deadlines if not d.is_overdue(now) and d.due_at <= now + soon
    ]
    later = [d for d in open_deadlines if d.due_at > now + soon]
    awaiting = [d for d in open_deadlines if d.kind == Deadline.Kind.RESPONSE]
    return Dashboard(overdue, due_soon, later, awaiting)


def petition_public_json(petition: Petition, *, detail: bool = False) -> dict[str, Any]:
    """Return the open-data view of a petition (no personal data)."""
    data: dict[str, Any] = {
        "id": petition.pk,
        "petition_id": petition.log_id,
        "title": petition.title,
        "topic": petition.topic,
        "status": petition.status,
        "level": petition.level.code,
        "region": petition.region.code if petition.region else None,
        "signatures": petition.signature_count,
        "opened_at": petition.opened_at.isoformat() if petition.opened_at else None,
        "closes_at": petition.closes_at.isoformat() if petition.closes_at else None,
        "closed_at": petition.closed_at.isoformat() if petition.closed_at else None,
    }
    if not detail:
        return data
    response = getattr(petition, "response", None)
    data.update(
        {
            "body": petition.body,
            "text_hash": petition.text_hash,
            "rejection_reason": petition.rejection_reason or None,
            "public_explanation": petition.public_explanation or None,
            "duplicate_of": petition.duplicate_of_id,
            "signatures_by_region": petition_region_counts(petition),
            "signatures_by_day": [
                {"day": day.isoformat(), "signatures": n, "total": total}
                for day, n, total in petition_signatures_by_day(petition)
            ],
            "thresholds": [
                {
                    "kind": view.target.rule.kind,
                    "required": view.target.required,
                    "trigger": view.target.rule.trigger,
                    "deadline_days": view.target.rule.deadline_days,
                    "reached_at": view.reached_at.isoformat()
                    if view.reached_at
                    else None,
                }
                for view in petition_threshold_views(petition)
            ],
            "deadlines": [
                {
                    "kind": d.kind,
                    "due_at": d.due_at.isoformat(),
                    "met_at": d.met_at.isoformat() if d.met_at else None,
                }
                for d in petition_deadlines(petition)
            ],
            "response": (
                None
                if response is None
                else {
                    "department": response.department,
                    "text": response.text,
                    "published_at": response.published_at.isoformat(),
                }
            ),
            "log_size": petition.log_size,
        }
    )
    return data
