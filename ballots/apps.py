"""Application configuration of ``ballots``."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BallotsConfig(AppConfig):
    """Configure the ``ballots`` app."""

    name = "ballots"
    verbose_name = _("Secret ballots")

    def ready(self) -> None:
        """Register the system checks."""
        from ballots import checks  # noqa: F401
