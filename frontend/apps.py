"""Application configuration of ``frontend``."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FrontendConfig(AppConfig):
    """Configure the ``frontend`` app."""

    name = "frontend"
    verbose_name = _("Site and browser pages")
