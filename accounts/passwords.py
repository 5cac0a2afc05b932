"""Password validators whose messages live in Dauys' own catalogues.

Django's validators are used as they are; only their texts are ours, so
that every citizen page reads fully in English, Russian and Kazakh (Django
ships no Kazakh translation of these messages).
"""

from django.contrib.auth import password_validation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Refuse passwords shorter than ``min_length``."""

    def get_error_message(self) -> str:
        """Return the translated "too short" message."""
        return ngettext(
            "This password is too short: use at least %(min_length)d character.",
            "This password is too short: use at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        """Return the translated length rule."""
        return ngettext(
            "Use at least %(min_length)d character.",
            "Use at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    """Refuse passwords from the list of common passwords."""

    def get_error_message(self) -> str:
        """Return the translated "too common" message."""
        return _("This password is too common: choose a less predictable one.")

    def get_help_text(self) -> str:
        """Return the translated rule."""
        return _("Do not use a commonly used password.")


class NumericPasswordValidator(password_validation.NumericPasswordValidator):
    """Refuse passwords made only of digits."""

    def get_error_message(self) -> str:
        """Return the translated "only digits" message."""
        return _("This password has only digits: add letters or symbols.")

    def get_help_text(self) -> str:
        """Return the translated rule."""
        return _("Do not use only digits.")


class UserAttributeSimilarityValidator(
    password_validation.UserAttributeSimilarityValidator
):
    """Refuse passwords too close to the person's e-mail or name."""

    DEFAULT_USER_ATTRIBUTES = ("email", "full_name")

    def __init__(
        self,
        user_attributes: tuple[str, ...] = DEFAULT_USER_ATTRIBUTES,
        max_similarity: float = 0.7,
    ) -> None:
        """Compare with the e-mail address and full name by default."""
        super().__init__(user_attributes=user_attributes, max_similarity=max_similarity)

    def get_error_message(self) -> str:
        """Return the translated "too similar" message."""
        return _("This password is too similar to your %(verbose_name)s.")

    def get_help_text(self) -> str:
        """Return the translated rule."""
        return _("Do not use a password close to your name or e-mail address.")
