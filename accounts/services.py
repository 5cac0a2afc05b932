"""Writes for the ``accounts`` app: registration, confirmation, profile, 2FA.

Registration creates an account that can sign in but cannot take part yet:
the ``citizen`` role (and with it the ``participate`` permission) is granted
only when the e-mail address is confirmed.
"""

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.identity import validate_identity_number
from accounts.models import DauysUserManager, Language, Region, User
from accounts.roles import CITIZEN, assign_role
from accounts.tasks import (
    accounts_send_confirmation_email as accounts_send_confirmation_email_task,
)
from accounts.tokens import (
    InvalidTokenError,
    email_confirmation_max_age,
    email_confirmation_token_make,
    email_confirmation_token_read,
)

EMAIL_TAKEN = _("An account with this e-mail address already exists.")
IDENTITY_NUMBER_TAKEN = _(
    "An account with this identity number already exists. One person may "
    "have only one account: sign in, or reset your password if you forgot it."
)
WRONG_PASSWORD = _("The password is not correct.")
WRONG_TOTP_CODE = _(
    "That code is not correct or has expired. Enter the current 6-digit code "
    "from your authenticator app."
)
TOTP_DEVICE_NAME = "default"


def user_create(
    *,
    email: str,
    password: str | None,
    full_name: str,
    identity_number: str,
    region: Region | None,
    preferred_language: str,
    email_verified: bool = False,
) -> User:
    """Create a user; raise ``ValidationError`` on a duplicate e-mail or IIN.

    Uniqueness is left to the database constraints rather than checked
    first: two simultaneous registrations with the same identity number both
    pass any prior check, and only the unique index stops the second.  The
    ``IntegrityError`` is caught inside a savepoint and then attributed to
    the field that clashed.
    """
    email = DauysUserManager.normalize_email(email)
    if identity_number:
        validate_identity_number(identity_number)
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email,
                password=password,
                full_name=full_name,
                identity_number=identity_number,
                region=region,
                preferred_language=preferred_language,
                email_verified_at=timezone.now() if email_verified else None,
            )
    except IntegrityError as exc:
        errors: dict[str, ValidationError] = {}
        if User.objects.filter(email__iexact=email).exists():
            errors["email"] = ValidationError(EMAIL_TAKEN, code="email_taken")
        if (
            identity_number
            and User.objects.filter(identity_number=identity_number).exists()
        ):
            errors["identity_number"] = ValidationError(
                IDENTITY_NUMBER_TAKEN, code="identity_number_taken"
            )
        if not errors:
            raise
        raise ValidationError(errors) from exc


def user_register(
    *,
    email: str,
    password: str,
    full_name: str,
    identity_number: str,
    region: Region | None,
    preferred_language: str,
    site_url: str,
) -> User:
    """Register a person and e-mail them a confirmation link (on commit).

    ``site_url`` is the scheme and host the link points to, for example
    ``https://dauys.kz``.
    """
    with transaction.atomic():
        user = user_create(
            email=email,
            password=password,
            full_name=full_name,
            identity_number=identity_number,
            region=region,
            preferred_language=preferred_language,
        )
        user_send_confirmation_email(user=user, site_url=site_url)
    return user


def user_send_confirmation_email(*, user: User, site_url: str) -> None:
    """Queue the confirmation e-mail for ``user`` once the transaction commits."""
    user_id = user.pk
    transaction.on_commit(
        lambda: accounts_send_confirmation_email_task.delay(user_id, site_url)
    )


def confirmation_email_send(*, user: User, site_url: str) -> None:
    """Send the confirmation e-mail now, in the user's preferred language."""
    token = email_confirmation_token_make(user_id=user.pk, email=user.email)
    context = {
        "user": user,
        "confirm_url": site_url.rstrip("/")
        + reverse("accounts:confirm_email", kwargs={"token": token}),
        "site_url": site_url,
        "valid_days": max(1, email_confirmation_max_age() // 86400),
    }
    with translation.override(user.preferred_language):
        subject = render_to_string("accounts/email/confirm_email_subject.txt", context)
        body = render_to_string("accounts/email/confirm_email_body.txt", context)
    send_mail(
        subject=" ".join(subject.split()),
        message=body,
        from_email=None,
        recipient_list=[user.email],
    )


def user_confirm_email(*, token: str) -> User:
    """Mark the e-mail address in ``token`` verified and grant ``citizen``.

    Idempotent: confirming twice keeps the first ``email_verified_at``.
    Raise ``InvalidTokenError`` if the token is bad, expired, or for an address
    the account no longer has; nothing is changed then.
    """
    user_id, email = email_confirmation_token_read(token)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None or user.email != email:
            raise InvalidTokenError("no such user or e-mail address changed")
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
        assign_role(user=user, role=CITIZEN)
    return user


def user_update_profile(
    *, user: User, full_name: str, region: Region | None, preferred_language: str
) -> User:
    """Update the fields a person may change themselves."""
    if preferred_language not in Language.values:
        raise ValidationError(
            {"preferred_language": _("Choose one of the offered languages.")}
        )
    user.full_name = full_name
    user.region = region
    user.preferred_language = preferred_language
    user.save(update_fields=["full_name", "region", "preferred_language"])
    return user


def user_check_password(*, user: User, password: str) -> None:
    """Raise ``ValidationError`` unless ``password`` is the user's password."""
    if not user.check_password(password):
        raise ValidationError(WRONG_PASSWORD, code="wrong_password")


# --------------------------------------------------------------- TOTP


@transaction.atomic
def totp_device_start(*, user: User) -> TOTPDevice:
    """Return the user's unconfirmed TOTP device, creating one if needed.

    Reusing the pending device keeps the QR code stable when the set-up page
    is reloaded, so a code from an already-scanned secret still works.
    """
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("id")
        .first()
    )
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=TOTP_DEVICE_NAME, confirmed=False
        )
    return device


def totp_device_confirm(*, user: User, token: str) -> TOTPDevice:
    """Confirm the pending device with a code from the authenticator.

    Raise ``ValidationError`` if there is no pending device or the code is
    wrong.  Other devices of the user are removed: one authenticator each.
    The error is raised after the transaction commits, so django-otp's
    failure throttling is kept rather than rolled back.
    """
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("id")
            .first()
        )
        verified = device is not None and device.verify_token(token)
        if verified and device is not None:
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
    if not verified or device is None:
        raise ValidationError(WRONG_TOTP_CODE, code="wrong_totp_code")
    return device


@transaction.atomic
def totp_device_create_confirmed(*, user: User) -> TOTPDevice:
    """Give the user a confirmed TOTP device (demo data, admin tooling)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=TOTP_DEVICE_NAME, confirmed=True
        )
    return device


def totp_verify(*, user: User, token: str) -> TOTPDevice:
    """Return the confirmed device that accepts ``token``, or raise.

    The device row is locked while verifying, so one code cannot be used
    twice by concurrent requests; failures are throttled by django-otp.
    """
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("id")
            .first()
        )
        verified = device is not None and device.verify_token(token)
    if not verified or device is None:
        raise ValidationError(WRONG_TOTP_CODE, code="wrong_totp_code")
    return device


@transaction.atomic
def totp_disable(*, user: User, password: str) -> int:
    """Remove all the user's TOTP devices after checking the password.

    Return how many devices were removed.
    """
    user_check_password(user=user, password=password)
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    return int(deleted)


def totp_current_code(device: TOTPDevice) -> str:
    """Return the device's current code (demo output only)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
