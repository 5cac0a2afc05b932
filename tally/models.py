"""The server-side tally: aggregates, trustees' shares, the published record.

* :class:`ElectionTally` holds what the tally task computed from the closed
  board (SPEC §7: the counted set and one aggregate per contest and
  option), then the published ``tally.json``, the record ZIP of SPEC §8
  and the verifier's report on it (SPEC §9).
* :class:`TrusteeShareUpload` is one trustee's file of decryption shares
  (the output of ``python -m tally.trustee decrypt``), stored only after
  every share checked (SPEC §2.3).

No workflow lives here: ``tally.services`` writes these rows.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ballots.models import Election, Trustee


class ElectionTally(models.Model):
    """The tally of one election, from the closed board to the verified record."""

    election = models.OneToOneField(
        Election, on_delete=models.PROTECT, related_name="tally"
    )
    # The closed board the aggregates were computed from (SPEC §7 "board").
    tree_size = models.PositiveIntegerField(_("board size"))
    root_hash = models.CharField(_("board root hash"), max_length=64)
    # Canonical JSON: the counted seqs, and [{"contest_id", "options":
    # [{"option_id", "aggregate"}]}] in manifest order.
    counted_json = models.TextField(_("counted ballots"))
    aggregates_json = models.TextField(_("aggregates"))
    # {seq: reason} of invalid casts and audits, canonical JSON.
    invalid_json = models.TextField(_("invalid entries"), default="{}")
    computed_at = models.DateTimeField(_("computed at"))
    # Filled when t valid shares are in and the record is published.
    tally_json = models.TextField(_("tally.json"), blank=True)
    record_zip = models.BinaryField(_("record ZIP"), blank=True, default=b"")
    record_sha256 = models.CharField(_("record SHA-256"), max_length=64, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # The verifier's report on the published record (SPEC §9).
    verification_json = models.TextField(_("verification report (JSON)"), blank=True)
    verification_text = models.TextField(_("verification report"), blank=True)
    is_verified = models.BooleanField(_("verified"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("election tally")
        verbose_name_plural = _("election tallies")
        ordering: ClassVar[list[str]] = ["-computed_at"]

    def __str__(self) -> str:
        return f"tally of {self.election_id}"

    @property
    def is_published(self) -> bool:
        """Return whether the record is published."""
        return self.published_at is not None


class TrusteeShareUpload(models.Model):
    """One trustee's checked decryption shares of every aggregate (SPEC §2.3)."""

    election = models.ForeignKey(
        Election, on_delete=models.PROTECT, related_name="share_uploads"
    )
    trustee = models.ForeignKey(
        Trustee, on_delete=models.PROTECT, related_name="share_uploads"
    )
    index = models.PositiveSmallIntegerField(_("trustee index"))
    # The trustee tool's file, canonical JSON (votecrypto.tally.TrusteeShares).
    shares_json = models.TextField(_("decryption shares"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("trustee share upload")
        verbose_name_plural = _("trustee share uploads")
        ordering: ClassVar[list[str]] = ["election", "index"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["election", "index"], name="tally_share_upload_index"
            ),
            models.UniqueConstraint(
                fields=["trustee"], name="tally_share_upload_trustee"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.election_id} trustee {self.index}"
