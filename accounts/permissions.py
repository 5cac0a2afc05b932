"""Permission predicates and the ``role_required`` view guard.

Predicates take a user (possibly anonymous) and return a bool; views and
other apps should use them instead of testing groups or flags directly.

``role_required(role)`` guards a function view; ``RoleRequiredMixin`` (with
``required_role``) guards a class-based view.  For a request it:

1. sends anonymous users to the sign-in page (``next`` = this page);
2. answers 403 with ``accounts/forbidden.html`` if the user lacks the role;
3. for roles in ``TWO_FACTOR_ROLES`` (moderator, official, trustee): sends a
   user without a confirmed TOTP device to the 2FA set-up page, and a user
   whose session is not OTP-verified to the 2FA verification page, both
   with ``next``.
"""

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from accounts.roles import (
    AUDITOR,
    CITIZEN,
    MODERATOR,
    OFFICIAL,
    ROLE_LABELS,
    ROLES,
    TRUSTEE,
    TWO_FACTOR_ROLES,
    user_has_role,
)
from accounts.selectors import user_has_two_factor

AnyUser = AbstractBaseUser | AnonymousUser
ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


def is_email_verified(user: AnyUser) -> bool:
    """Return whether the user is signed in with a confirmed e-mail address."""
    return bool(
        user.is_authenticated and getattr(user, "email_verified_at", None) is not None
    )


def is_otp_verified(user: AnyUser) -> bool:
    """Return whether this request's session passed TOTP verification.

    ``OTPMiddleware`` sets ``user.is_verified``; without it, never verified.
    """
    is_verified = getattr(user, "is_verified", None)
    return bool(user.is_authenticated and callable(is_verified) and is_verified())


def requires_two_factor(role: str) -> bool:
    """Return whether pages for ``role`` need a TOTP-verified session."""
    return role in TWO_FACTOR_ROLES


def can_participate(user: AnyUser) -> bool:
    """Return whether the user may comment, sign petitions and vote."""
    return is_email_verified(user) and user_has_role(user, CITIZEN)


def can_moderate(user: AnyUser) -> bool:
    """Return whether the user may moderate content (moderators, officials)."""
    return user_has_role(user, MODERATOR) or user_has_role(user, OFFICIAL)


def can_manage(user: AnyUser) -> bool:
    """Return whether the user may manage consultations, petitions, elections."""
    return user_has_role(user, OFFICIAL)


def can_act_as_trustee(user: AnyUser) -> bool:
    """Return whether the user may act as an election trustee."""
    return user_has_role(user, TRUSTEE)


def can_audit(user: AnyUser) -> bool:
    """Return whether the user may audit published records."""
    return user_has_role(user, AUDITOR)


def _redirect_with_next(url_name: str, request: HttpRequest) -> HttpResponseRedirect:
    query = urlencode({"next": request.get_full_path()})
    return HttpResponseRedirect(f"{reverse(url_name)}?{query}")


def check_role(request: HttpRequest, role: str) -> HttpResponse | None:
    """Return the response that stops ``request`` for ``role``, or ``None``.

    ``None`` means the request may proceed.  Shared by the decorator and the
    mixin; usable directly in views that decide on the role at run time.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not user_has_role(user, role):
        return render(
            request,
            "accounts/forbidden.html",
            {"role": role, "role_label": ROLE_LABELS[role]},
            status=403,
        )
    if requires_two_factor(role) and not is_otp_verified(user):
        if not user_has_two_factor(user):
            return _redirect_with_next("accounts:two_factor_setup", request)
        return _redirect_with_next("accounts:two_factor_verify", request)
    return None


def role_required(role: str) -> Callable[[ViewFunc], ViewFunc]:
    """Decorate a function view so only holders of ``role`` reach it."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def decorator(view: ViewFunc) -> ViewFunc:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            denied = check_role(request, role)
            if denied is not None:
                return denied
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


class RoleRequiredMixin:
    """Class-based view mixin: set ``required_role``; see ``role_required``."""

    required_role: str = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        denied = check_role(request, self.required_role)
        if denied is not None:
            return denied
        response: HttpResponse = super().dispatch(  # type: ignore[misc]
            request, *args, **kwargs
        )
        return response
