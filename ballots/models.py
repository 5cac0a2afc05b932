"""Elections, their set-up, the key ceremony and the bulletin board (SPEC §4–§6).

The tally engineer builds on these models:

* :class:`Election` holds the state machine (:class:`Election.State`), the
  frozen ``manifest_json`` (exact canonical bytes, SPEC §4) and its
  ``election_hash``; ``board_size`` is the next ``seq`` and ``board_clock``
  the latest time stamped on the board (both only change under
  ``select_for_update`` on the election row).
* :class:`BoardEntry` and :class:`SignedHeadRecord` are the append-only board
  and its heads (SPEC §6, §8): the application cannot update or delete
  them, and on PostgreSQL a trigger refuses it too.
* :class:`ElectionEvent` is the audit log of every transition.
"""

from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

IDENTIFIER_VALIDATOR = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{0,63}\Z",
    _(
        "Use 1 to 64 lowercase letters, digits and hyphens, starting with a "
        "letter or digit."
    ),
)


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a board row."""


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """A queryset that refuses bulk ``update()`` and ``delete()``."""

    def update(self, **kwargs: Any) -> int:
        """Refuse: board rows are never changed."""
        raise AppendOnlyError("board rows cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        """Refuse: board rows are never deleted."""
        raise AppendOnlyError("board rows cannot be deleted")

    # Django's deletion collector uses the private ``_raw_delete``.
    def _raw_delete(self, using: Any) -> int:
        raise AppendOnlyError("board rows cannot be deleted")


class Election(models.Model):
    """An election from draft to published result."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        KEY_CEREMONY = "key_ceremony", _("key ceremony")
        READY = "ready", _("ready")
        OPEN = "open", _("open for voting")
        CLOSED = "closed", _("closed")
        TALLYING = "tallying", _("tallying")
        AWAITING_TRUSTEES = "awaiting_trustees", _("awaiting trustees")
        PUBLISHED = "published", _("published")
        CANCELLED = "cancelled", _("cancelled")

    election_id = models.CharField(
        _("election id"),
        max_length=64,
        unique=True,
        validators=[IDENTIFIER_VALIDATOR],
        help_text=_("A permanent identifier; it is never reused (SPEC §4.1)."),
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    voting_starts_at = models.DateTimeField(_("voting starts"))
    voting_ends_at = models.DateTimeField(_("voting ends"))
    threshold = models.PositiveSmallIntegerField(
        _("trustee threshold"),
        default=1,
        help_text=_("How many trustees must cooperate to decrypt (t)."),
    )
    is_test_keys = models.BooleanField(
        _("test keys"),
        default=False,
        help_text=_("Allow keys below 2048 bits. Never for a real election."),
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Key ceremony (SPEC §2.2): the dealer's public.json, canonical JSON.
    ceremony_public_json = models.TextField(_("ceremony public data"), blank=True)
    is_demo_ceremony = models.BooleanField(_("demo ceremony"), default=False)
    ceremony_tested_at = models.DateTimeField(
        _("ceremony self-test passed at"), null=True, blank=True
    )
    # Frozen when the election becomes ready (SPEC §4).
    manifest_json = models.TextField(_("manifest"), blank=True)
    election_hash = models.CharField(_("election hash"), max_length=64, blank=True)
    # The board's counters, changed only under select_for_update.
    board_size = models.PositiveIntegerField(_("board size"), default=0)
    board_clock = models.DateTimeField(_("board clock"), null=True, blank=True)

    class Meta:
        verbose_name = _("election")
        verbose_name_plural = _("elections")
        ordering: ClassVar[list[str]] = ["-voting_starts_at", "election_id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=models.Q(voting_starts_at__lt=models.F("voting_ends_at")),
                name="ballots_election_window",
            ),
            models.CheckConstraint(
                condition=models.Q(threshold__gte=1),
                name="ballots_election_threshold_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_frozen(self) -> bool:
        """Return whether the manifest is frozen (ready or later)."""
        return bool(self.manifest_json)


class Contest(models.Model):
    """A contest of an election, in ballot order."""

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="contests"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    contest_id = models.CharField(
        _("contest id"), max_length=64, validators=[IDENTIFIER_VALIDATOR]
    )
    title = models.CharField(_("title"), max_length=300)
    min_selections = models.PositiveSmallIntegerField(_("minimum selections"))
    max_selections = models.PositiveSmallIntegerField(_("maximum selections"))

    class Meta:
        verbose_name = _("contest")
        verbose_name_plural = _("contests")
        ordering: ClassVar[list[str]] = ["election", "position"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["election", "contest_id"], name="ballots_contest_id_unique"
            ),
            models.UniqueConstraint(
                fields=["election", "position"], name="ballots_contest_position"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Option(models.Model):
    """An option of a contest, in ballot order."""

    contest = models.ForeignKey(
        Contest, on_delete=models.CASCADE, related_name="options"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    option_id = models.CharField(
        _("option id"), max_length=64, validators=[IDENTIFIER_VALIDATOR]
    )
    title = models.CharField(_("title"), max_length=300)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering: ClassVar[list[str]] = ["contest", "position"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["contest", "option_id"], name="ballots_option_id_unique"
            ),
            models.UniqueConstraint(
                fields=["contest", "position"], name="ballots_option_position"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Trustee(models.Model):
    """Trustee ``index`` (1…ℓ) of an election, a user with the trustee role."""

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="trustees"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    index = models.PositiveSmallIntegerField(_("index"))
    name = models.CharField(_("name"), max_length=200)
    x25519_public_key = models.CharField(
        _("X25519 public key"), max_length=64, blank=True
    )
    # SPEC §2.2 step 6: the encrypted share box, canonical JSON.
    share_box_json = models.TextField(_("share box"), blank=True)
    # SPEC §2.2 step 7: this trustee's decryption share of the test ciphertext.
    test_share_json = models.TextField(_("ceremony test share"), blank=True)

    class Meta:
        verbose_name = _("trustee")
        verbose_name_plural = _("trustees")
        ordering: ClassVar[list[str]] = ["election", "index"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["election", "index"], name="ballots_trustee_index"
            ),
            models.UniqueConstraint(
                fields=["election", "user"], name="ballots_trustee_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.index}: {self.name}"


class Voter(models.Model):
    """A line of the voter roll.

    The roll says who may cast (an authenticated user whose identity number
    is on it).  It is never linked to a credential: the credential authority
    alone knows which code went to which voter (SPEC §4.1).
    """

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="voters"
    )
    identity_number = models.CharField(_("identity number"), max_length=32)
    email = models.EmailField(_("e-mail address"))
    full_name = models.CharField(_("full name"), max_length=200)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("voter")
        verbose_name_plural = _("voters")
        ordering: ClassVar[list[str]] = ["election", "full_name", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["election", "identity_number"],
                name="ballots_voter_identity_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name


class Credential(models.Model):
    """An eligible credential: an Ed25519 public key, nothing else (SPEC §4.1).

    Rows are inserted in sorted key order, so even their ids say nothing
    about the voter roll's order.
    """

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="credentials"
    )
    public_key = models.CharField(_("public key"), max_length=64)

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        ordering: ClassVar[list[str]] = ["election", "public_key"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["election", "public_key"], name="ballots_credential_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.public_key


class BoardEntry(models.Model):
    """One board entry ``{"seq", "type", "received_at", "payload"}`` (SPEC §6).

    ``payload_json`` holds the payload's canonical JSON exactly as received;
    :func:`ballots.selectors.board_entry_json` rebuilds the entry.  Rows are
    append-only.
    """

    class Type(models.TextChoices):
        CAST = "cast", _("cast")
        AUDIT = "audit", _("audit")
        CLOSE = "close", _("close")

    election = models.ForeignKey(
        Election, on_delete=models.PROTECT, related_name="board_entries"
    )
    seq = models.PositiveIntegerField(_("seq"))
    entry_type = models.CharField(_("type"), max_length=5, choices=Type.choices)
    received_at = models.DateTimeField(_("received at"))
    payload_json = models.TextField(_("payload"))
    tracker = models.CharField(_("tracker"), max_length=64, blank=True)
    credential = models.CharField(_("credential"), max_length=64, blank=True)
    leaf_hash = models.CharField(_("leaf hash"), max_length=64)
    # The head given in this cast's receipt (so a re-post gets the same one).
    receipt_head = models.ForeignKey(
        "SignedHeadRecord",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("board entry")
        verbose_name_plural = _("board entries")
        ordering: ClassVar[list[str]] = ["election", "seq"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["election", "seq"], name="ballots_boardentry_seq"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["election", "tracker"], name="ballots_entry_tracker"),
        ]

    def __str__(self) -> str:
        return f"{self.election_id}#{self.seq}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert only: an existing row is never saved again."""
        if not self._state.adding:
            raise AppendOnlyError("board rows cannot be updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Refuse: board rows are never deleted."""
        raise AppendOnlyError("board rows cannot be deleted")


class SignedHeadRecord(models.Model):
    """A signed tree head as published (SPEC §6), in publication order (id)."""

    election = models.ForeignKey(
        Election, on_delete=models.PROTECT, related_name="heads"
    )
    tree_size = models.PositiveIntegerField(_("tree size"))
    root_hash = models.CharField(_("root hash"), max_length=64)
    timestamp = models.DateTimeField(_("timestamp"))
    # The head object's canonical JSON, signature included.
    head_json = models.TextField(_("head"))

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("signed tree head")
        verbose_name_plural = _("signed tree heads")
        ordering: ClassVar[list[str]] = ["election", "id"]

    def __str__(self) -> str:
        return f"{self.election_id} size {self.tree_size}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert only: an existing row is never saved again."""
        if not self._state.adding:
            raise AppendOnlyError("heads cannot be updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Refuse: heads are never deleted."""
        raise AppendOnlyError("heads cannot be deleted")


class CastReceipt(models.Model):
    """Which account received which receipt, so voters can list their own.

    The server sees the caster's session at cast time anyway; this keeps
    it only to show each voter their receipts and to tell an idempotent
    re-post from another account's replay.
    """

    entry = models.ForeignKey(BoardEntry, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering: ClassVar[list[str]] = ["id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["entry"], name="ballots_receipt_entry"),
        ]

    def __str__(self) -> str:
        return f"receipt {self.entry_id}"


class ElectionEvent(models.Model):
    """The audit log: who did what to an election, and when."""

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the schedule acted."),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    action = models.CharField(_("action"), max_length=64)
    from_state = models.CharField(_("from state"), max_length=20, blank=True)
    to_state = models.CharField(_("to state"), max_length=20, blank=True)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        verbose_name = _("election event")
        verbose_name_plural = _("election events")
        ordering: ClassVar[list[str]] = ["election", "at", "id"]

    def __str__(self) -> str:
        return f"{self.election_id} {self.action}"
