"""Two-factor gate: a user with a confirmed TOTP device must enter a code after the password,
and (in production) an admin without one must set one up before going anywhere else.

Until the code is given, the password alone opens the verify page and logout, nothing else:
not the 2FA pages either, or a stolen password could turn the second factor off or swap in
the thief's phone. Whether the user has a device is read once at login and kept in the session,
so ordinary requests cost no query here; the 2FA pages themselves check the database again.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import LazyObject, empty

from maillage.core.roles import Role

SESSION_KEY = "maillage_totp_required"

_ALWAYS_ALLOWED_PREFIXES = ("/static/", "/i18n/")


def verify_redirect(request: HttpRequest) -> HttpResponse:
    """To the verify page, coming back here (query string included) once the code is given."""
    query = urlencode({"next": request.get_full_path()}, safe="/")
    return redirect(f"{reverse('accounts:two_factor_verify')}?{query}")


def is_verified(request: HttpRequest) -> bool:
    """Whether this session gave a second factor (django-otp's OTPMiddleware says so)."""
    check = getattr(request.user, "is_verified", None)
    return bool(check is not None and check())


@lru_cache(maxsize=16)
def _gate_urls(script_prefix: str, urlconf: str | None) -> tuple[str, str, str]:
    """The verify, logout and setup pages' paths: reversed once per URL prefix and URLconf, not
    three times on every request."""
    return (
        reverse("accounts:two_factor_verify", urlconf=urlconf),
        reverse("accounts:logout", urlconf=urlconf),
        reverse("accounts:two_factor_setup", urlconf=urlconf),
    )


def concrete_user(request_user: Any) -> Any:
    """The user (or anonymous user) behind `request.user`'s lazy proxies, evaluated if need
    be."""
    found = request_user
    while isinstance(found, LazyObject):
        if found._wrapped is empty:
            found._setup()
        found = found._wrapped
    return found


class RequireTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_ALWAYS_ALLOWED_PREFIXES)
        ):
            verify, logout, setup = _gate_urls(get_script_prefix(), get_urlconf())
            if request.session.get(SESSION_KEY):
                if not is_verified(request) and request.path not in (verify, logout):
                    return verify_redirect(request)
            elif (
                settings.MAILLAGE_REQUIRE_2FA_FOR_ADMINS
                and user.role >= Role.ADMIN
                and request.path not in (setup, verify, logout)
            ):
                return redirect("accounts:two_factor_setup")
        if user is not None:
            # Read above, so known: the user itself from here on, not the two lazy proxies
            # the authentication and OTP middlewares wrap it in, through which every
            # `request.user.…` of the page went (4 % of a volunteer's people list).
            request.user = concrete_user(user)
        return self.get_response(request)
