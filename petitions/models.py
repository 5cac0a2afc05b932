"""Petitions: texts, sponsors, signatures, the §10 log, thresholds, deadlines."""

import secrets
from datetime import datetime
from typing import Any, ClassVar, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def petition_log_id(pk: int) -> str:
    """Return the ``petition_id`` naming the log of petition ``pk`` (SPEC §10)."""
    return f"petition-{pk}"


def new_sponsor_token() -> str:
    """Return a fresh, unguessable token for a petition's sponsor link."""
    return secrets.token_urlsafe(16)


class Topic(models.TextChoices):
    """What a petition is about (used for search and filters)."""

    ENVIRONMENT = "environment", _("Environment")
    EDUCATION = "education", _("Education")
    HEALTH = "health", _("Health")
    TRANSPORT = "transport", _("Transport")
    HOUSING = "housing", _("Housing and utilities")
    ECONOMY = "economy", _("Economy and jobs")
    SOCIAL = "social", _("Social protection")
    GOVERNANCE = "governance", _("Governance and rights")
    CULTURE = "culture", _("Culture and sport")
    OTHER = "other", _("Other")


class Level(models.Model):
    """A level of government a petition can be addressed to.

    ``region_kinds`` lists the ``accounts.Region.kind`` values a petition at
    this level must name as its territory; an empty list means the whole
    country, whose population is ``population``.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    region_kinds = models.JSONField(_("territory kinds"), default=list, blank=True)
    population = models.PositiveBigIntegerField(
        _("population"),
        null=True,
        blank=True,
        help_text=_("For a national level: the country's population."),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering: ClassVar = ["sort_order", "code"]
        verbose_name = _("level")
        verbose_name_plural = _("levels")

    def __str__(self) -> str:
        return self.name

    @property
    def is_national(self) -> bool:
        """Return whether the level covers the whole country."""
        return not self.region_kinds


class Threshold(models.Model):
    """A number of signatures at a level and what reaching it triggers."""

    class Kind(models.TextChoices):
        ABSOLUTE = "absolute", _("Absolute number of signatures")
        PERCENT = "percent", _("Percentage of the territory's population")

    class Trigger(models.TextChoices):
        RESPONSE = "response", _("An official response")
        DEBATE = "debate", _("A public debate")

    level = models.ForeignKey(
        Level,
        verbose_name=_("level"),
        on_delete=models.CASCADE,
        related_name="thresholds",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    signatures = models.PositiveIntegerField(
        _("signatures"), null=True, blank=True, help_text=_("For absolute thresholds.")
    )
    percent = models.DecimalField(
        _("percent"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("For percentage thresholds, e.g. 1.5 for 1.5%."),
    )
    trigger = models.CharField(_("triggers"), max_length=20, choices=Trigger.choices)
    deadline_days = models.PositiveSmallIntegerField(
        _("legal deadline (days)"), default=30
    )

    class Meta:
        ordering: ClassVar = ["level", "signatures", "percent"]
        verbose_name = _("threshold")
        verbose_name_plural = _("thresholds")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="absolute", signatures__gt=0, percent__isnull=True)
                    | models.Q(kind="percent", percent__gt=0, signatures__isnull=True)
                ),
                name="petitions_threshold_kind_value",
            )
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.ABSOLUTE:
            return f"{self.level}: {self.signatures} → {self.get_trigger_display()}"
        return f"{self.level}: {self.percent}% → {self.get_trigger_display()}"


class Petition(models.Model):
    """A petition: its text, where it stands and its denormalised count."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SPONSORING = "sponsoring", _("Collecting sponsors")
        MODERATION = "moderation", _("Awaiting moderation")
        OPEN = "open", _("Open for signatures")
        CLOSED = "closed", _("Closed")
        REJECTED = "rejected", _("Rejected")
        DUPLICATE = "duplicate", _("Duplicate")

    class RejectionReason(models.TextChoices):
        OUT_OF_SCOPE = "out-of-scope", _("Outside the authorities' competence")
        UNLAWFUL = "unlawful", _("Asks for something unlawful")
        UNCLEAR = "unclear", _("Unclear or incomplete")
        ABUSIVE = "abusive", _("Abusive or offensive content")
        PERSONAL_DATA = "personal-data", _("Discloses personal data")
        OTHER = "other", _("Other reason")

    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("creator"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="petitions_created",
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=10_000)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    level = models.ForeignKey(
        Level,
        verbose_name=_("addressed to"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "accounts.Region",
        verbose_name=_("territory"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    sponsor_token = models.CharField(max_length=40, default=new_sponsor_token)
    sponsors_required = models.PositiveSmallIntegerField(_("sponsors required"))
    open_days = models.PositiveSmallIntegerField(_("open for (days)"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    rejection_reason = models.CharField(
        _("rejection reason"),
        max_length=20,
        choices=RejectionReason.choices,
        blank=True,
    )
    public_explanation = models.TextField(_("public explanation"), blank=True)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    signature_count = models.PositiveIntegerField(_("signatures"), default=0)
    # The §10 log's state, updated under the petition's row lock.
    text_hash = models.CharField(max_length=64, blank=True)
    log_size = models.PositiveIntegerField(default=0)
    log_root = models.CharField(max_length=64, blank=True)
    last_received_at = models.CharField(max_length=20, blank=True)
    last_head_at = models.CharField(max_length=20, blank=True)
    personal_data_erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        indexes: ClassVar = [
            models.Index(fields=["status", "-signature_count"]),
            models.Index(fields=["status", "-opened_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def log_id(self) -> str:
        """Return the ``petition_id`` that names this petition's log (§10)."""
        return petition_log_id(self.pk)

    @property
    def is_public(self) -> bool:
        """Return whether the petition is listed and shown to everyone."""
        return not self.is_hidden and self.status in PUBLIC_STATUSES


PUBLIC_STATUSES = frozenset(
    {
        Petition.Status.OPEN,
        Petition.Status.CLOSED,
        Petition.Status.REJECTED,
        Petition.Status.DUPLICATE,
    }
)


class Sponsorship(models.Model):
    """A sponsor's support before moderation (counted as a signature on opening)."""

    petition = models.ForeignKey(
        Petition, on_delete=models.CASCADE, related_name="sponsorships"
    )
    sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["created_at", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["petition", "sponsor"], name="petitions_one_sponsorship"
            )
        ]

    def __str__(self) -> str:
        return f"{self.petition_id}: sponsor {self.pk}"


class Signature(models.Model):
    """A person's signature on a petition; one row per person and petition.

    ``commitment`` is what the log holds.  ``signer``, ``ip_prefix`` and
    ``email_domain`` are personal data, erased some time after closing;
    ``region`` stays for the public breakdown.
    """

    class Status(models.TextChoices):
        COUNTED = "counted", _("Counted")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        INVALIDATED = "invalidated", _("Invalidated")

    petition = models.ForeignKey(
        Petition, on_delete=models.PROTECT, related_name="signatures"
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    commitment = models.CharField(max_length=64)
    region = models.ForeignKey(
        "accounts.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.COUNTED
    )
    seq = models.PositiveIntegerField(help_text=_("The seq of the last sign entry."))
    signed_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(default=timezone.now)
    invalidation_reason = models.CharField(max_length=64, blank=True)
    wants_updates = models.BooleanField(default=False)
    ip_prefix = models.CharField(max_length=64, blank=True)
    email_domain = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering: ClassVar = ["seq"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["petition", "signer"], name="petitions_one_signature_per_person"
            ),
            models.UniqueConstraint(
                fields=["petition", "commitment"],
                name="petitions_one_signature_per_commitment",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["petition", "ip_prefix", "signed_at"]),
            models.Index(fields=["petition", "email_domain", "signed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id}: {self.commitment[:12]} ({self.status})"


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """A queryset that refuses bulk updates and deletes (the log is append-only)."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise TypeError("log rows are append-only")

    def delete(self) -> NoReturn:
        raise TypeError("log rows are append-only")


class LogEntry(models.Model):
    """One entry of a petition's §10 log, exactly as published.

    Append-only: the model refuses saving an existing row and deleting;
    on PostgreSQL a trigger refuses UPDATE and DELETE as well.
    """

    petition = models.ForeignKey(
        Petition, on_delete=models.PROTECT, related_name="log_entries"
    )
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=12)
    received_at = models.CharField(max_length=20)
    payload = models.JSONField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["petition", "seq"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["petition", "seq"], name="petitions_log_seq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.petition_id}#{self.seq} {self.type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("log rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("log rows are append-only")

    def to_json(self) -> dict[str, Any]:
        """Return the entry's JSON object (SPEC §10)."""
        return {
            "seq": self.seq,
            "type": self.type,
            "received_at": self.received_at,
            "payload": self.payload,
        }


class LogHead(models.Model):
    """A signed tree head of a petition's log (append-only, like the entries)."""

    petition = models.ForeignKey(
        Petition, on_delete=models.PROTECT, related_name="heads"
    )
    tree_size = models.PositiveIntegerField()
    root_hash = models.CharField(max_length=64)
    timestamp = models.CharField(max_length=20)
    signature = models.CharField(max_length=128)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["petition", "id"]

    def __str__(self) -> str:
        return f"{self.petition_id} head {self.tree_size} @ {self.timestamp}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("log rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("log rows are append-only")

    def to_json(self) -> dict[str, Any]:
        """Return the head's JSON object (SPEC §10)."""
        return {
            "petition_id": petition_log_id(self.petition_id),
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "timestamp": self.timestamp,
            "signature": self.signature,
        }


class ThresholdReached(models.Model):
    """The moment a petition's count first reached one of its thresholds."""

    petition = models.ForeignKey(
        Petition, on_delete=models.CASCADE, related_name="thresholds_reached"
    )
    threshold = models.ForeignKey(Threshold, on_delete=models.PROTECT, related_name="+")
    required = models.PositiveIntegerField()
    reached_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["reached_at", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["petition", "threshold"], name="petitions_threshold_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.petition_id}: threshold {self.threshold_id}"


class Deadline(models.Model):
    """Something that must happen by a date: a moderation, a response, a debate."""

    class Kind(models.TextChoices):
        MODERATION = "moderation", _("Moderation")
        RESPONSE = "response", _("Official response")
        DEBATE = "debate", _("Public debate")

    petition = models.ForeignKey(
        Petition, on_delete=models.CASCADE, related_name="deadlines"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    threshold = models.ForeignKey(
        Threshold, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    starts_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(_("due"))
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["due_at", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["petition", "kind"], name="petitions_one_deadline_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.petition_id}: {self.kind} due {self.due_at:%Y-%m-%d}"

    def is_overdue(self, now: datetime | None = None) -> bool:
        """Return whether the deadline passed without being met."""
        return self.met_at is None and (now or timezone.now()) > self.due_at


class Response(models.Model):
    """An official response to a petition, published on its page."""

    petition = models.OneToOneField(
        Petition, on_delete=models.CASCADE, related_name="response"
    )
    official = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    department = models.CharField(_("department"), max_length=200)
    text = models.TextField(_("response"), max_length=20_000)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    def __str__(self) -> str:
        return f"{self.petition_id}: {self.department}"


class ModerationDecision(models.Model):
    """A public record of a moderation or invalidation decision (what, when, why)."""

    class Action(models.TextChoices):
        APPROVE = "approve", _("Approved for signatures")
        REJECT = "reject", _("Rejected")
        HIDE = "hide", _("Rejected and hidden as abusive")
        DUPLICATE = "duplicate", _("Marked as a duplicate")
        INVALIDATE = "invalidate", _("Signatures invalidated")
        CLOSE = "close", _("Closed")

    petition = models.ForeignKey(
        Petition, on_delete=models.CASCADE, related_name="decisions"
    )
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    reason = models.CharField(_("reason"), max_length=64, blank=True)
    explanation = models.TextField(_("explanation"), blank=True)
    signatures_affected = models.PositiveIntegerField(default=0)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.petition_id}: {self.action} {self.reason}"


class AbuseReport(models.Model):
    """A citizen's report that a petition's content is abusive."""

    class Reason(models.TextChoices):
        ABUSIVE = "abusive", _("Abusive or offensive")
        PERSONAL_DATA = "personal-data", _("Discloses personal data")
        SPAM = "spam", _("Spam or advertising")
        OTHER = "other", _("Other")

    petition = models.ForeignKey(
        Petition, on_delete=models.CASCADE, related_name="reports"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    details = models.TextField(_("details"), max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["petition", "reporter"], name="petitions_one_report_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.petition_id}: {self.reason}"


class BurstAlert(models.Model):
    """Many signatures from one IP range or e-mail domain in a short time."""

    class Kind(models.TextChoices):
        IP_RANGE = "ip", _("IP address range")
        EMAIL_DOMAIN = "domain", _("E-mail domain")

    petition = models.ForeignKey(
        Petition, on_delete=models.CASCADE, related_name="alerts"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    key = models.CharField(max_length=255)
    signatures = models.PositiveIntegerField()
    window_start = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["petition", "kind", "key"],
                condition=models.Q(resolved_at__isnull=True),
                name="petitions_one_open_alert",
            )
        ]

    def __str__(self) -> str:
        return f"{self.petition_id}: {self.kind} {self.signatures}"


class Notification(models.Model):
    """An e-mail sent (or attempted) about a petition event; also the outbox log."""

    class Event(models.TextChoices):
        THRESHOLD = "threshold", _("Threshold reached")
        RESPONSE = "response", _("Response published")
        CLOSED = "closed", _("Petition closed")

    petition = models.ForeignKey(
        Petition, on_delete=models.CASCADE, related_name="notifications"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    event = models.CharField(max_length=12, choices=Event.choices)
    event_key = models.CharField(max_length=64, blank=True)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["created_at", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["petition", "recipient", "event", "event_key"],
                name="petitions_notify_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.petition_id}: {self.event} {self.event_key}"
