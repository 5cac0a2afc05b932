"""Application configuration of ``tally``."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TallyConfig(AppConfig):
    """Configure the ``tally`` app."""

    name = "tally"
    verbose_name = _("Tally and election record")
