"""Signed, expiring tokens for e-mail confirmation links.

A token signs the user's id and current e-mail address with a purpose-
specific salt, so a token for one address stops working once the address
changes and cannot be replayed as any other kind of signed value.
"""

from django.conf import settings
from django.core import signing

EMAIL_CONFIRMATION_SALT = "dauys.accounts.email-confirmation"
DEFAULT_EMAIL_CONFIRMATION_MAX_AGE = 3 * 24 * 3600  # seconds


class InvalidTokenError(Exception):
    """The token is malformed, tampered with, expired or out of date."""


def email_confirmation_max_age() -> int:
    """Return how long (seconds) a confirmation link stays valid."""
    return int(
        getattr(
            settings,
            "ACCOUNTS_EMAIL_CONFIRMATION_MAX_AGE",
            DEFAULT_EMAIL_CONFIRMATION_MAX_AGE,
        )
    )


def email_confirmation_token_make(*, user_id: int, email: str) -> str:
    """Return a URL-safe token confirming ``email`` for user ``user_id``."""
    return signing.dumps({"u": user_id, "e": email}, salt=EMAIL_CONFIRMATION_SALT)


def email_confirmation_token_read(token: str) -> tuple[int, str]:
    """Return ``(user_id, email)`` from a valid token, else raise."""
    try:
        payload = signing.loads(
            token, salt=EMAIL_CONFIRMATION_SALT, max_age=email_confirmation_max_age()
        )
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise InvalidTokenError(str(exc)) from exc
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("u"), int)
        or not isinstance(payload.get("e"), str)
    ):
        raise InvalidTokenError("unexpected payload")
    return payload["u"], payload["e"]
