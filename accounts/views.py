"""Views of the ``accounts`` app: parse, authorise, call a service, render."""

import base64
from typing import Any, cast

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import (
    LoginForm,
    ProfileForm,
    RegistrationForm,
    TotpCodeForm,
    TwoFactorDisableForm,
)
from accounts.identity import mask_identity_number
from accounts.models import User
from accounts.permissions import is_otp_verified, role_required
from accounts.qr import qr_svg_data_uri
from accounts.ratelimit import ratelimit_request, ratelimited_response
from accounts.roles import OFFICIAL, ROLE_LABELS, user_roles
from accounts.selectors import totp_device_for_user, user_has_two_factor
from accounts.services import (
    totp_device_confirm,
    totp_device_start,
    totp_disable,
    totp_verify,
    user_confirm_email,
    user_register,
    user_send_confirmation_email,
    user_update_profile,
)
from accounts.tokens import InvalidTokenError


def _site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _safe_next(request: HttpRequest, default: str) -> str:
    """Return the ``next`` parameter if it stays on this site, else ``default``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return candidate
    return default


def _set_language(response: HttpResponse, language: str) -> None:
    """Make ``language`` the interface language from the next request on."""
    samesite: Any = settings.LANGUAGE_COOKIE_SAMESITE  # a Literal for the stubs
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=samesite,
    )


def _current_user(request: HttpRequest) -> User:
    # Only called behind @login_required, so the user is a real account.
    return cast(User, request.user)


# --------------------------------------------------------------- sign-up


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Show and process the registration form."""
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    if request.method == "POST":
        if not ratelimit_request(request, "register"):
            return ratelimited_response(request)
        form = RegistrationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                user_register(
                    email=data["email"],
                    password=data["password1"],
                    full_name=data["full_name"],
                    identity_number=data["identity_number"],
                    region=data["region"],
                    preferred_language=data["preferred_language"],
                    site_url=_site_url(request),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                response = redirect("accounts:register_done")
                _set_language(response, data["preferred_language"])
                return response
    else:
        form = RegistrationForm()
    return render(request, "accounts/register.html", {"form": form})


@require_GET
def register_done(request: HttpRequest) -> HttpResponse:
    """Tell the person to look for the confirmation e-mail."""
    return render(request, "accounts/register_done.html")


@require_GET
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm an e-mail address from the link in the confirmation e-mail."""
    if not ratelimit_request(request, "confirm"):
        return ratelimited_response(request)
    try:
        user = user_confirm_email(token=token)
    except InvalidTokenError:
        return render(request, "accounts/confirm_email_invalid.html", status=400)
    return render(request, "accounts/confirm_email_done.html", {"confirmed": user})


@login_required
@require_POST
def resend_confirmation(request: HttpRequest) -> HttpResponse:
    """Send a fresh confirmation link to the signed-in user."""
    user = _current_user(request)
    if not ratelimit_request(request, "resend-confirmation"):
        return ratelimited_response(request)
    if user.email_verified_at is not None:
        messages.info(request, _("Your e-mail address is already confirmed."))
    else:
        user_send_confirmation_email(user=user, site_url=_site_url(request))
        messages.success(
            request,
            _("We sent a new confirmation link to %(email)s.") % {"email": user.email},
        )
    return redirect("accounts:profile")


# --------------------------------------------------------------- sign-in


class LoginView(auth_views.LoginView):
    """Sign in with e-mail; switch to the person's preferred language.

    django-axes counts failed attempts per e-mail address and IP address and
    answers with ``accounts/locked_out.html`` (status 429) once locked.
    """

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        _set_language(response, form.get_user().preferred_language)
        return response


class LogoutView(auth_views.LogoutView):
    """Sign out; POST only (Django's ``LogoutView`` refuses GET with 405)."""


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a password reset link (rate-limited per IP address)."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset_body.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not ratelimit_request(request, "password-reset"):
            return ratelimited_response(request)
        return super().post(request, *args, **kwargs)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


# --------------------------------------------------------------- profile


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """Show the account and let the person edit name, region and language."""
    user = _current_user(request)
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                user_update_profile(
                    user=user,
                    full_name=data["full_name"],
                    region=data["region"],
                    preferred_language=data["preferred_language"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                translation.activate(user.preferred_language)
                messages.success(request, _("Your profile was saved."))
                response = redirect("accounts:profile")
                _set_language(response, user.preferred_language)
                return response
    else:
        form = ProfileForm(instance=user)
    context = {
        "form": form,
        "masked_identity_number": mask_identity_number(user.identity_number),
        "role_labels": [ROLE_LABELS[role] for role in sorted(user_roles(user))],
        "has_two_factor": user_has_two_factor(user),
    }
    return render(request, "accounts/profile.html", context)


# --------------------------------------------------------------- 2FA


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Add a TOTP authenticator: show its QR code, confirm with a code."""
    user = _current_user(request)
    next_url = _safe_next(request, reverse("accounts:profile"))
    if user_has_two_factor(user):
        return render(
            request, "accounts/two_factor_enabled.html", {"next_url": next_url}
        )
    if request.method == "POST":
        form = TotpCodeForm(request.POST)
        if form.is_valid():
            try:
                device = totp_device_confirm(user=user, token=form.cleaned_data["code"])
            except ValidationError as error:
                form.add_error("code", error)
            else:
                django_otp.login(request, device)
                # New privileges, new session id (against session fixation).
                request.session.cycle_key()
                messages.success(request, _("Two-factor authentication is now on."))
                return HttpResponseRedirect(next_url)
    else:
        form = TotpCodeForm()
    device = totp_device_start(user=user)
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next_url": next_url,
        "qr_data_uri": qr_svg_data_uri(device.config_url),
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
    }
    return render(request, "accounts/two_factor_setup.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the current TOTP code to unlock pages that need 2FA."""
    user = _current_user(request)
    next_url = _safe_next(request, reverse("accounts:profile"))
    if is_otp_verified(user):
        return HttpResponseRedirect(next_url)
    if totp_device_for_user(user, confirmed=True) is None:
        return HttpResponseRedirect(
            reverse("accounts:two_factor_setup") + "?" + request.GET.urlencode()
        )
    if request.method == "POST":
        form = TotpCodeForm(request.POST)
        if form.is_valid():
            try:
                device = totp_verify(user=user, token=form.cleaned_data["code"])
            except ValidationError as error:
                form.add_error("code", error)
            else:
                django_otp.login(request, device)
                # New privileges, new session id (against session fixation).
                request.session.cycle_key()
                return HttpResponseRedirect(next_url)
    else:
        form = TotpCodeForm()
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "next_url": next_url}
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    """Turn 2FA off after asking for the password."""
    user = _current_user(request)
    if request.method == "POST":
        form = TwoFactorDisableForm(request.POST)
        if form.is_valid():
            try:
                totp_disable(user=user, password=form.cleaned_data["password"])
            except ValidationError as error:
                form.add_error("password", error)
            else:
                request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)
                messages.success(request, _("Two-factor authentication is now off."))
                return redirect("accounts:profile")
    else:
        form = TwoFactorDisableForm()
    return render(
        request,
        "accounts/two_factor_disable.html",
        {"form": form, "has_two_factor": user_has_two_factor(user)},
    )


# --------------------------------------------------------------- desks


@role_required(OFFICIAL)
@require_GET
def official_desk(request: HttpRequest) -> HttpResponse:
    """The official's start page; later features add their links here."""
    return render(request, "accounts/official_desk.html")
