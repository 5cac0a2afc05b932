"""Application configuration of ``participation``."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    """Configure the ``participation`` app."""

    name = "participation"
    verbose_name = _("Public consultations")
