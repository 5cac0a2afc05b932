"""Public consultations: documents, versions, comments, responses, polls."""

from datetime import datetime
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class Status(models.TextChoices):
    """The phase of a consultation, derived from its dates and report flag."""

    UPCOMING = "upcoming", _("Upcoming")
    OPEN = "open", _("Open for comments")
    CLOSED = "closed", _("Closed")
    REPORT_PUBLISHED = "report_published", _("Report published")


class Consultation(models.Model):
    """A draft document put to the public for comment between two dates."""

    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), max_length=2000)
    department = models.CharField(_("department"), max_length=200)
    starts_at = models.DateTimeField(_("opens at"))
    ends_at = models.DateTimeField(_("closes at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        related_name="consultations_created",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    report_published_at = models.DateTimeField(
        _("report published at"), null=True, blank=True
    )
    report_summary = models.TextField(_("report summary"), blank=True)
    opened_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering: ClassVar = ["-starts_at", "-id"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="participation_consultation_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def status_at(self, now: datetime) -> Status:
        """Return the phase at ``now``."""
        if self.report_published_at is not None:
            return Status.REPORT_PUBLISHED
        if now < self.starts_at:
            return Status.UPCOMING
        if now < self.ends_at:
            return Status.OPEN
        return Status.CLOSED


class Attachment(models.Model):
    """A PDF published with a consultation."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="attachments"
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="consultations/%Y/%m/")
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.title


class DocumentVersion(models.Model):
    """One published text of the consultation document."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    body = models.TextField(_("body"))
    change_summary = models.TextField(_("what changed"), blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"))

    class Meta:
        ordering: ClassVar = ["consultation", "number"]
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["consultation", "number"],
                name="participation_version_unique_number",
            )
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id} v{self.number}"


class Paragraph(models.Model):
    """A heading or paragraph of a version; ``key`` is stable across versions."""

    class Kind(models.TextChoices):
        HEADING = "heading", _("Heading")
        PARAGRAPH = "paragraph", _("Paragraph")

    version = models.ForeignKey(
        DocumentVersion, on_delete=models.CASCADE, related_name="paragraphs"
    )
    key = models.CharField(_("stable id"), max_length=20)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=20)
    position = models.PositiveIntegerField()
    text = models.TextField(_("text"))

    class Meta:
        ordering: ClassVar = ["version", "position"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["version", "key"], name="participation_paragraph_unique_key"
            ),
            models.UniqueConstraint(
                fields=["version", "position"],
                name="participation_paragraph_unique_position",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.text[:40]}"


class Campaign(models.Model):
    """Near-identical comments submitted in bulk, grouped for officials."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="campaigns"
    )
    key = models.PositiveBigIntegerField(
        help_text=_("Id of the campaign's earliest comment.")
    )
    kind = models.CharField(_("kind"), max_length=20)
    sample_text = models.TextField(_("sample text"))
    author_count = models.PositiveIntegerField(_("distinct authors"))
    detected_at = models.DateTimeField(_("detected at"))

    class Meta:
        ordering: ClassVar = ["id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["consultation", "key"], name="participation_campaign_unique_key"
            )
        ]

    def __str__(self) -> str:
        return self.sample_text[:60]


class Response(models.Model):
    """An official response to one comment or to a whole campaign's comments."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        PARTLY_ACCEPTED = "partly_accepted", _("Partly accepted")
        NOT_ACCEPTED = "not_accepted", _("Not accepted")
        NOTED = "noted", _("Noted")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="responses"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    explanation = models.TextField(_("explanation"), max_length=5000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering: ClassVar = ["id"]
        verbose_name = _("official response")
        verbose_name_plural = _("official responses")

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.explanation[:40]}"


class Comment(models.Model):
    """A citizen's comment on the document, a paragraph, or another comment."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="comments"
    )
    version = models.ForeignKey(
        DocumentVersion, on_delete=models.PROTECT, related_name="comments"
    )
    paragraph_key = models.CharField(
        _("paragraph"),
        max_length=20,
        blank=True,
        db_index=True,
        help_text=_("Empty for a comment on the whole document."),
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("comment"), max_length=5000)
    created_at = models.DateTimeField(_("created at"))
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    is_hidden = models.BooleanField(_("hidden by a moderator"), default=False)
    hidden_reason = models.CharField(_("moderation reason"), max_length=500, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    response = models.ForeignKey(
        Response,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="comments",
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
    )

    class Meta:
        ordering: ClassVar = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes: ClassVar = [models.Index(fields=["consultation", "paragraph_key"])]

    def __str__(self) -> str:
        return self.body[:60]

    @property
    def is_settled(self) -> bool:
        """Return whether the comment has a response or was hidden."""
        return self.is_hidden or self.response_id is not None


class Reaction(models.Model):
    """A person's agreement or disagreement with a comment (one, changeable)."""

    class Value(models.TextChoices):
        AGREE = "agree", _("Agree")
        DISAGREE = "disagree", _("Disagree")

    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="reactions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    value = models.CharField(max_length=10, choices=Value.choices)
    updated_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["comment", "user"], name="participation_reaction_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.value} {self.comment_id}"


class Flag(models.Model):
    """A report of abuse on a comment (once per person)."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["comment", "user"], name="participation_flag_once"
            )
        ]

    def __str__(self) -> str:
        return self.reason[:60]


class ChangeLink(models.Model):
    """A comment that led to a change in a new version (linked by an official)."""

    version = models.ForeignKey(
        DocumentVersion, on_delete=models.CASCADE, related_name="change_links"
    )
    paragraph_key = models.CharField(max_length=20, blank=True)
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="change_links"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["version", "paragraph_key", "comment"],
                name="participation_changelink_once",
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version_id} {self.paragraph_key} ← {self.comment_id}"


class Follow(models.Model):
    """A person who gets e-mail when the consultation opens or closes."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="follows"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["consultation", "user"], name="participation_follow_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.consultation_id}"


class Poll(models.Model):
    """A quick, non-secret poll attached to a consultation."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="polls"
    )
    question = models.CharField(_("question"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["id"]

    def __str__(self) -> str:
        return self.question


class PollOption(models.Model):
    """One answer a poll offers."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    text = models.CharField(_("option"), max_length=200)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering: ClassVar = ["poll", "position"]

    def __str__(self) -> str:
        return self.text


class PollAnswer(models.Model):
    """A person's answer to a poll (one per person, changeable until close)."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="answers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    options = models.ManyToManyField(PollOption, related_name="answers")
    updated_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["poll", "user"], name="participation_poll_answer_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → poll {self.poll_id}"


class Statement(models.Model):
    """A short statement of the opinion map; citizens' proposals need approval."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="statements"
    )
    text = models.CharField(_("statement"), max_length=300)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    is_approved = models.BooleanField(_("approved"), default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["id"]

    def __str__(self) -> str:
        return self.text


class StatementVote(models.Model):
    """Agree, disagree or pass on a statement (one per person, changeable)."""

    class Value(models.IntegerChoices):
        AGREE = 1, _("Agree")
        DISAGREE = -1, _("Disagree")
        PASS = 0, _("Pass")

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="votes"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    value = models.SmallIntegerField(choices=Value.choices)
    updated_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["statement", "user"], name="participation_statement_vote_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.value} {self.statement_id}"


class OpinionMapResult(models.Model):
    """The latest opinion map of a consultation, as computed by the task."""

    consultation = models.OneToOneField(
        Consultation, on_delete=models.CASCADE, related_name="opinion_map"
    )
    result = models.JSONField()
    vote_count = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"opinion map of {self.consultation_id}"


class ConsultationEvent(models.Model):
    """The audit log: an official's change to a consultation's details."""

    class Action(models.TextChoices):
        EDITED = "edited", _("Details changed")
        ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
        ATTACHMENT_REMOVED = "attachment_removed", _("Attachment removed")
        DELETED = "deleted", _("Deleted")

    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
    )
    consultation_ref = models.PositiveIntegerField(
        _("consultation number"), help_text=_("Kept when the consultation is deleted.")
    )
    title = models.CharField(_("title"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    changes = models.JSONField(
        _("changes"),
        default=dict,
        blank=True,
        help_text=_("Each changed field with its old and new value."),
    )

    class Meta:
        ordering: ClassVar = ["at", "id"]
        verbose_name = _("consultation event")
        verbose_name_plural = _("consultation events")

    def __str__(self) -> str:
        return f"{self.consultation_ref} {self.action}"
