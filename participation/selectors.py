"""Read side of consultations: pages, threads, diffs, campaigns, report."""

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import AnyUser
from participation.document import BlockChange, KeyedBlock, diff_versions
from participation.models import (
    Attachment,
    Campaign,
    ChangeLink,
    Comment,
    Consultation,
    ConsultationEvent,
    DocumentVersion,
    Paragraph,
    Poll,
    PollAnswer,
    Reaction,
    Response,
    Statement,
    StatementVote,
    Status,
)
from participation.permissions import can_manage_consultation, phase_allows_deletion


def consultation_get(pk: int) -> Consultation:
    """Return the consultation ``pk`` or raise ``Http404``."""
    consultation = (
        Consultation.objects.select_related("created_by").filter(pk=pk).first()
    )
    if consultation is None:
        raise Http404("No such consultation.")
    return consultation


def consultation_list_open(*, now: datetime) -> QuerySet[Consultation]:
    """Return the consultations open for comments at ``now``, closing first."""
    return Consultation.objects.filter(
        starts_at__lte=now, ends_at__gt=now, report_published_at__isnull=True
    ).order_by("ends_at", "id")


def consultation_list_public(*, now: datetime) -> QuerySet[Consultation]:
    """Return every consultation, newest first (upcoming ones included)."""
    return Consultation.objects.order_by("-starts_at", "-id")


def consultation_has_participation(consultation: Consultation) -> bool:
    """Return whether anyone but officials took part in ``consultation``.

    Comments (and with them reactions and reports), poll answers, votes on
    statements and statements proposed by citizens count.  Follows do not:
    they publish nothing.
    """
    if consultation.comments.exists():
        return True
    if PollAnswer.objects.filter(poll__consultation=consultation).exists():
        return True
    if StatementVote.objects.filter(statement__consultation=consultation).exists():
        return True
    authors = User.objects.filter(
        pk__in=consultation.statements.values("author_id")
    ).distinct()
    return any(not can_manage_consultation(author) for author in authors)


def consultation_deletion_refusal(
    consultation: Consultation, *, now: datetime
) -> str | None:
    """Return why ``consultation`` cannot be deleted at ``now``, or ``None``."""
    if not phase_allows_deletion(consultation, now):
        return _(
            "A consultation that has closed is part of the public record; "
            "it cannot be deleted."
        )
    if consultation_has_participation(consultation):
        return _(
            "People have taken part in this consultation (comments, poll "
            "answers, statements or votes on them); deleting it would lose "
            "their contributions."
        )
    return None


DATE_FIELDS = frozenset({"starts_at", "ends_at"})
"""Fields of the audit log's ``changes`` stored as ISO 8601 strings."""

LONG_FIELDS = frozenset({"summary"})
"""Fields whose old and new values the history does not repeat."""


@dataclass
class FieldChangeView:
    """One changed field of an edit, for the history on the manage page."""

    label: str
    old: str | datetime | None
    new: str | datetime | None
    is_date: bool


@dataclass
class ConsultationEventView:
    """One entry of a consultation's history of edits."""

    at: datetime
    actor: str
    action: str
    changes: list[FieldChangeView]


def _field_change(name: str, old: str, new: str) -> FieldChangeView:
    if name == "attachments":
        # An attachment added or removed: its title before and after.
        return FieldChangeView(
            capfirst(str(Attachment._meta.verbose_name)), old, new, False
        )
    model_field = Consultation._meta.get_field(name)
    label = capfirst(str(getattr(model_field, "verbose_name", name)))
    if name in DATE_FIELDS:
        return FieldChangeView(
            label, datetime.fromisoformat(old), datetime.fromisoformat(new), True
        )
    if name in LONG_FIELDS:
        return FieldChangeView(label, None, None, False)
    return FieldChangeView(label, old, new, False)


def _field_position(name: str) -> int:
    names = [field.name for field in Consultation._meta.get_fields()]
    return names.index(name) if name in names else len(names)


def consultation_events(consultation: Consultation) -> list[ConsultationEventView]:
    """Return the officials' edits of ``consultation``, oldest first."""
    events = ConsultationEvent.objects.filter(consultation=consultation).select_related(
        "actor"
    )
    return [
        ConsultationEventView(
            at=event.at,
            actor=event.actor.full_name,
            action=event.get_action_display(),
            # In the model's field order: PostgreSQL's jsonb keeps no key order.
            changes=[
                _field_change(name, old, new)
                for name, (old, new) in sorted(
                    event.changes.items(), key=lambda item: _field_position(item[0])
                )
            ],
        )
        for event in events
    ]


def version_current(consultation: Consultation) -> DocumentVersion:
    """Return the latest version of the consultation's document."""
    version = consultation.versions.order_by("-number").first()
    if version is None:
        raise Http404("The consultation has no document.")
    return version


def version_get(consultation: Consultation, number: int) -> DocumentVersion:
    """Return version ``number`` of the document or raise ``Http404``."""
    version = consultation.versions.filter(number=number).first()
    if version is None:
        raise Http404("No such version.")
    return version


def comment_get(pk: int, *, consultation: Consultation | None = None) -> Comment:
    """Return comment ``pk`` (of ``consultation`` if given) or raise ``Http404``."""
    query = Comment.objects.select_related("consultation", "author")
    if consultation is not None:
        query = query.filter(consultation=consultation)
    comment = query.filter(pk=pk).first()
    if comment is None:
        raise Http404("No such comment.")
    return comment


def campaign_get(pk: int, *, consultation: Consultation) -> Campaign:
    """Return campaign ``pk`` of ``consultation`` or raise ``Http404``."""
    campaign = consultation.campaigns.filter(pk=pk).first()
    if campaign is None:
        raise Http404("No such campaign.")
    return campaign


def poll_get(pk: int, *, consultation: Consultation) -> Poll:
    """Return poll ``pk`` of ``consultation`` or raise ``Http404``."""
    poll = consultation.polls.filter(pk=pk).first()
    if poll is None:
        raise Http404("No such poll.")
    return poll


def statement_get(pk: int, *, consultation: Consultation) -> Statement:
    """Return statement ``pk`` of ``consultation`` or raise ``Http404``."""
    statement = consultation.statements.filter(pk=pk).first()
    if statement is None:
        raise Http404("No such statement.")
    return statement


def _keyed(version: DocumentVersion) -> list[KeyedBlock]:
    return [
        KeyedBlock(p.key, p.kind, p.text, p.number)  # type: ignore[arg-type]
        for p in version.paragraphs.all()
    ]


@dataclass
class ParagraphView:
    """A paragraph of the current version with its comment count."""

    paragraph: Paragraph
    comment_count: int


def paragraphs_with_counts(version: DocumentVersion) -> list[ParagraphView]:
    """Return the version's blocks with the number of comments on each key."""
    counts = dict(
        Comment.objects.filter(consultation_id=version.consultation_id)
        .exclude(paragraph_key="")
        .values_list("paragraph_key")
        .annotate(n=Count("id"))
        .values_list("paragraph_key", "n")
    )
    return [ParagraphView(p, counts.get(p.key, 0)) for p in version.paragraphs.all()]


@dataclass
class CommentNode:
    """A comment with its replies and reaction counts, ready to render."""

    comment: Comment
    agree: int
    disagree: int
    my_reaction: str
    replies: list["CommentNode"] = field(default_factory=list)


def comment_threads(
    consultation: Consultation, *, viewer: AnyUser
) -> dict[str, list[CommentNode]]:
    """Return the comment trees by paragraph key ("" = whole document).

    Hidden comments stay in the tree (their reason replaces the text in the
    template), so replies keep their context.
    """
    comments = list(
        consultation.comments.select_related("author", "response").annotate(
            agree=Count("reactions", filter=Q(reactions__value=Reaction.Value.AGREE)),
            disagree=Count(
                "reactions", filter=Q(reactions__value=Reaction.Value.DISAGREE)
            ),
        )
    )
    mine: dict[int, str] = {}
    if viewer.is_authenticated:
        mine = dict(
            Reaction.objects.filter(
                comment__consultation=consultation, user_id=viewer.pk
            ).values_list("comment_id", "value")
        )
    nodes = {
        c.pk: CommentNode(c, c.agree, c.disagree, mine.get(c.pk, "")) for c in comments
    }
    threads: dict[str, list[CommentNode]] = defaultdict(list)
    for c in comments:
        node = nodes[c.pk]
        if c.parent_id is not None and c.parent_id in nodes:
            nodes[c.parent_id].replies.append(node)
        else:
            threads[c.paragraph_key].append(node)
    return dict(threads)


def version_diff(
    consultation: Consultation, *, old_number: int, new_number: int
) -> tuple[DocumentVersion, DocumentVersion, list[BlockChange]]:
    """Return both versions and the per-block changes between them."""
    old = version_get(consultation, old_number)
    new = version_get(consultation, new_number)
    return old, new, diff_versions(_keyed(old), _keyed(new))


def change_links_by_key(version: DocumentVersion) -> dict[str, list[Comment]]:
    """Return the comments linked to each changed paragraph of ``version``."""
    links: dict[str, list[Comment]] = defaultdict(list)
    for link in ChangeLink.objects.filter(version=version).select_related(
        "comment", "comment__author"
    ):
        links[link.paragraph_key].append(link.comment)
    return dict(links)


@dataclass
class CampaignView:
    """A campaign as officials see it."""

    campaign: Campaign
    count: int
    unanswered: int


def campaign_list(consultation: Consultation) -> list[CampaignView]:
    """Return the campaigns, largest first, with counts."""
    campaigns = consultation.campaigns.annotate(
        count=Count("comments"),
        unanswered=Count(
            "comments",
            filter=Q(comments__response__isnull=True, comments__is_hidden=False),
        ),
    ).order_by("-count", "id")
    return [CampaignView(c, c.count, c.unanswered) for c in campaigns]


def comments_unsettled(consultation: Consultation) -> QuerySet[Comment]:
    """Return the comments with neither a response nor a moderation decision."""
    return (
        consultation.comments.filter(is_hidden=False, response__isnull=True)
        .select_related("author", "campaign")
        .order_by("created_at", "id")
    )


def polls_with_results(
    consultation: Consultation, *, viewer: AnyUser
) -> list[dict[str, object]]:
    """Return each poll with option counts and the viewer's choices."""
    polls = consultation.polls.prefetch_related(
        Prefetch("options", to_attr="option_list")
    ).annotate(answer_count=Count("answers", distinct=True))
    counts = dict(
        Poll.objects.filter(consultation=consultation)
        .values_list("options__id")
        .annotate(n=Count("options__answers"))
        .values_list("options__id", "n")
    )
    chosen: set[int] = set()
    if viewer.is_authenticated:
        chosen = set(
            Poll.objects.filter(
                consultation=consultation, answers__user_id=viewer.pk
            ).values_list("answers__options__id", flat=True)
        )
    result: list[dict[str, object]] = []
    for poll in polls:
        result.append(
            {
                "poll": poll,
                "answers": poll.answer_count,
                "options": [
                    {
                        "option": option,
                        "count": counts.get(option.pk, 0),
                        "chosen": option.pk in chosen,
                    }
                    for option in poll.option_list
                ],
            }
        )
    return result


def statements_for(
    consultation: Consultation, *, viewer: AnyUser, include_pending: bool
) -> list[tuple[Statement, int | None]]:
    """Return statements (approved, plus pending ones if asked) and my vote."""
    query = consultation.statements.all()
    if not include_pending:
        query = query.filter(is_approved=True)
    mine: dict[int, int] = {}
    if viewer.is_authenticated:
        mine = dict(
            StatementVote.objects.filter(
                statement__consultation=consultation, user_id=viewer.pk
            ).values_list("statement_id", "value")
        )
    return [(s, mine.get(s.pk)) for s in query]


@dataclass
class OpinionGroupView:
    """One opinion group with its distinguishing statements, for the page."""

    index: int
    size: int
    representative: list[tuple[Statement, str, float]]


@dataclass
class OpinionMapView:
    """The stored opinion map, with statements resolved."""

    computed_at: datetime
    participant_count: int
    groups: list[OpinionGroupView]
    consensus: list[tuple[Statement, str]]


def opinion_map_view(consultation: Consultation) -> OpinionMapView | None:
    """Return the latest stored opinion map, or ``None`` before the first run."""
    stored = getattr(consultation, "opinion_map", None)
    if stored is None:
        return None
    statements = {s.pk: s for s in consultation.statements.all()}
    result = stored.result
    groups = [
        OpinionGroupView(
            index=group["index"] + 1,
            size=group["size"],
            representative=[
                (statements[r["statement_id"]], r["direction"], r["group_probability"])
                for r in group["representative"]
                if r["statement_id"] in statements
            ],
        )
        for group in result["groups"]
    ]
    consensus = [
        (statements[c["statement_id"]], c["direction"])
        for c in result["consensus"]
        if c["statement_id"] in statements
    ]
    return OpinionMapView(
        stored.computed_at, result["participant_count"], groups, consensus
    )


# ------------------------------------------------------------- report


@dataclass
class ParagraphFigures:
    """Report figures of one paragraph."""

    key: str
    number: str
    text: str
    comments: int
    agree: int
    disagree: int


@dataclass
class Report:
    """Everything the report page, the printable report and the CSV show."""

    consultation: Consultation
    status: Status
    total_comments: int
    hidden_comments: int
    document_comments: int
    agree: int
    disagree: int
    participants: int
    paragraphs: list[ParagraphFigures]
    outcomes: list[tuple[str, str, int]]
    """(value, label, comments answered with that outcome)."""
    campaigns: int
    changes: list[tuple[DocumentVersion, list[BlockChange], dict[str, list[Comment]]]]
    """Per new version: its block changes and the comments linked to them."""


def report_build(consultation: Consultation, *, now: datetime) -> Report:
    """Count comments per paragraph, agreement, outcomes and changes."""
    comments = list(
        consultation.comments.annotate(
            agree=Count("reactions", filter=Q(reactions__value=Reaction.Value.AGREE)),
            disagree=Count(
                "reactions", filter=Q(reactions__value=Reaction.Value.DISAGREE)
            ),
        ).select_related("response")
    )
    per_key: dict[str, list[Comment]] = defaultdict(list)
    for comment in comments:
        per_key[comment.paragraph_key].append(comment)
    versions = list(consultation.versions.order_by("number"))
    current = versions[-1]
    paragraphs = []
    seen_keys: set[str] = set()
    all_paragraphs = Paragraph.objects.filter(
        version__consultation=consultation
    ).order_by("-version__number", "position")
    for p in all_paragraphs:
        if p.kind != Paragraph.Kind.PARAGRAPH or p.key in seen_keys:
            continue
        seen_keys.add(p.key)
        if p.version_id != current.pk and not per_key.get(p.key):
            continue
        own = per_key.get(p.key, [])
        paragraphs.append(
            ParagraphFigures(
                key=p.key,
                number=p.number if p.version_id == current.pk else f"({p.number})",
                text=p.text,
                comments=len(own),
                agree=sum(c.agree for c in own),  # type: ignore[attr-defined]
                disagree=sum(c.disagree for c in own),  # type: ignore[attr-defined]
            )
        )
    outcome_counts = Counter(
        c.response.outcome for c in comments if c.response is not None
    )
    outcomes = [
        (value, str(label), outcome_counts.get(value, 0))
        for value, label in Response.Outcome.choices
    ]
    changes = [
        (new, diff_versions(_keyed(old), _keyed(new)), change_links_by_key(new))
        for old, new in itertools.pairwise(versions)
    ]
    return Report(
        consultation=consultation,
        status=consultation.status_at(now),
        total_comments=len(comments),
        hidden_comments=sum(1 for c in comments if c.is_hidden),
        document_comments=len(per_key.get("", [])),
        agree=sum(c.agree for c in comments),
        disagree=sum(c.disagree for c in comments),
        participants=len({c.author_id for c in comments}),
        paragraphs=paragraphs,
        outcomes=outcomes,
        campaigns=consultation.campaigns.count(),
        changes=changes,
    )


def report_rows(consultation: Consultation) -> QuerySet[Comment]:
    """Return the comments for the CSV export, with their responses."""
    return (
        consultation.comments.select_related("response", "campaign")
        .annotate(
            agree=Count("reactions", filter=Q(reactions__value=Reaction.Value.AGREE)),
            disagree=Count(
                "reactions", filter=Q(reactions__value=Reaction.Value.DISAGREE)
            ),
        )
        .order_by("created_at", "id")
    )
