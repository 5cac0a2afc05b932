"""Helpers shared by the ``accounts`` tests (import them absolutely)."""

from django.core.exceptions import ValidationError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct horse battery staple 42"


def reject_all(value: str) -> None:
    """A stand-in national validator that refuses everything."""
    raise ValidationError("Plugged validator says no.", code="plugged")


def accept_all(value: str) -> None:
    """A stand-in national validator that accepts everything."""


def current_code(device: TOTPDevice) -> str:
    """Return the 6-digit code the device's authenticator shows now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def wrong_code(device: TOTPDevice) -> str:
    """Return a 6-digit code that the device does not accept now."""
    accepted = set()
    for offset in (-1, 0, 1):
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, offset)
        accepted.add(f"{totp.token():06d}")
    return next(
        code
        for code in ("000000", "111111", "222222", "333333")
        if code not in accepted
    )
