"""Application configuration of ``petitions``."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    """Configure the ``petitions`` app."""

    name = "petitions"
    verbose_name = _("Petitions")

    def ready(self) -> None:
        """Register the system checks."""
        from petitions import checks  # noqa: F401
