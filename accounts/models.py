"""Accounts: citizens, officials and the regions they live in."""

import secrets
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

SIGNER_SECRET_BYTES = 32


def new_signer_secret() -> bytes:
    """Return 32 fresh random bytes for petition signature commitments."""
    return secrets.token_bytes(SIGNER_SECRET_BYTES)


class Language(models.TextChoices):
    """The interface languages (mirrors ``settings.LANGUAGES``)."""

    EN = "en", _("English")
    RU = "ru", _("Russian")
    KK = "kk", _("Kazakh")


class Region(models.Model):
    """An administrative unit of Kazakhstan (oblys, city or district)."""

    class Kind(models.TextChoices):
        REGION = "region", _("Region")
        CITY = "city", _("City of republican significance")
        DISTRICT = "district", _("District")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_ru = models.CharField(_("name (Russian)"), max_length=100)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.REGION
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    population = models.PositiveIntegerField(
        _("population"), null=True, blank=True, help_text=_("Approximate.")
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering: ClassVar = ["sort_order", "name_en"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """Return the name in the active language (English as fallback)."""
        language = (get_language() or "en").split("-")[0]
        return str(getattr(self, f"name_{language}", "") or self.name_en)


class DauysUserManager(UserManager["User"]):
    """Manager for users who sign in with their e-mail address."""

    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """Return the e-mail address lower-cased, the one form stored."""
        return (email or "").strip().lower()

    def get_by_natural_key(self, username: str | None) -> "User":
        """Find a user by e-mail, ignoring case."""
        return self.get(email__iexact=self.normalize_email(username))

    def _create_user_object(  # type: ignore[override, unused-ignore]
        self, email: str, password: str | None, **extra_fields: Any
    ) -> "User":
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.password = ""
        user.set_password(password)
        return user

    def _create_user(  # type: ignore[override, unused-ignore]
        self, email: str, password: str | None, **extra_fields: Any
    ) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self._create_user_object(email, password, **extra_fields)
        user.save(using=self._db)
        return user

    def create_user(  # type: ignore[override, unused-ignore]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> "User":
        """Create and save a user with the given e-mail and password."""
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(  # type: ignore[override, unused-ignore]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> "User":
        """Create and save a superuser with the given e-mail and password."""
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if extra_fields["is_staff"] is not True:
            raise ValueError("Superuser must have is_staff=True.")
        if extra_fields["is_superuser"] is not True:
            raise ValueError("Superuser must have is_superuser=True.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person with an account; signs in with e-mail.

    ``identity_number`` is unique, so one person has at most one account
    (staff accounts made with ``createsuperuser`` may leave it empty).
    ``signer_secret`` keys the person's petition signature commitments and
    is never shown.
    """

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)
    email_verified_at = models.DateTimeField(
        _("e-mail verified at"), null=True, blank=True
    )
    full_name = models.CharField(_("full name"), max_length=200)
    identity_number = models.CharField(
        _("identity number"), max_length=32, blank=True, default=""
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=Language.choices,
        default=Language.EN,
    )
    signer_secret = models.BinaryField(
        _("signer secret"),
        max_length=SIGNER_SECRET_BYTES,
        default=new_signer_secret,
        editable=False,
    )

    objects: ClassVar[DauysUserManager] = DauysUserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints: ClassVar = [
            models.UniqueConstraint(
                Lower("email"), name="accounts_user_email_ci_unique"
            ),
            # Unique when present; staff accounts may have none ("").
            models.UniqueConstraint(
                fields=["identity_number"],
                condition=~models.Q(identity_number=""),
                name="accounts_user_identity_number_unique",
            ),
        ]
        permissions: ClassVar = [
            ("participate", _("Can take part: comment, sign, vote")),
            ("moderate_content", _("Can moderate user content")),
            ("manage_consultations", _("Can manage consultations")),
            ("manage_petitions", _("Can manage petitions")),
            ("manage_elections", _("Can manage elections")),
            ("act_as_trustee", _("Can act as an election trustee")),
            ("audit_records", _("Can audit published records")),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = DauysUserManager.normalize_email(self.email)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_email_verified(self) -> bool:
        """Return whether the person has confirmed their e-mail address."""
        return self.email_verified_at is not None
