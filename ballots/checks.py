"""System checks of the ballots app."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

MIN_SECRET_LENGTH = 32


@register()
def check_board_key_secret(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """Require ``BOARD_KEY_SECRET`` (at least 32 characters) to sign board heads."""
    if len(getattr(settings, "BOARD_KEY_SECRET", "")) >= MIN_SECRET_LENGTH:
        return []
    return [
        Error(
            "BOARD_KEY_SECRET is not set (at least 32 characters).",
            hint=(
                "Set the BOARD_KEY_SECRET environment variable to a long random "
                'secret (python -c "import secrets; print(secrets.token_hex(32))"); '
                "each election's board key is derived from it. DEBUG=1 uses a "
                "public default."
            ),
            id="ballots.E001",
        )
    ]
