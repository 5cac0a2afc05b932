"""System checks of the petitions app."""

import re
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def check_log_seed(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Require ``PETITION_LOG_SEED`` (64 hex digits) to sign petition logs."""
    seed = getattr(settings, "PETITION_LOG_SEED", "")
    if re.fullmatch(r"[0-9a-f]{64}", seed):
        return []
    return [
        Error(
            "PETITION_LOG_SEED is not set to 64 lowercase hex digits.",
            hint=(
                "Set the PETITION_LOG_SEED environment variable to the petition log "
                "key's Ed25519 seed (python -c \"import secrets; "
                'print(secrets.token_hex(32))"); DEBUG=1 uses a public default.'
            ),
            id="petitions.E001",
        )
    ]
