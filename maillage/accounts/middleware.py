"""Two-factor gate: a user with a confirmed TOTP device must enter a code after the password,
and (in production) an admin without one must set one up before going anywhere else.

Whether the user has a device is read once at login and kept in the session, so ordinary
requests cost no query here.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from maillage.core.roles import Role

SESSION_KEY = "maillage_totp_required"

_ALWAYS_ALLOWED_PREFIXES = ("/static/", "/i18n/", "/accounts/logout/", "/accounts/2fa/")


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
            if request.session.get(SESSION_KEY) and not user.is_verified():
                return redirect(
                    f"{reverse('accounts:two_factor_verify')}?next={request.get_full_path()}"
                )
            if (
                settings.MAILLAGE_REQUIRE_2FA_FOR_ADMINS
                and user.role >= Role.ADMIN
                and not request.session.get(SESSION_KEY)
            ):
                return redirect("accounts:two_factor_setup")
        return self.get_response(request)
