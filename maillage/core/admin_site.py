"""The Django admin, for superusers who passed two-factor authentication in this session.

The admin writes rows directly, past the services (no audit entry, no scope, no suppression
ledger), so campaign staff and admins work in the application's own pages (lists, users,
imports…) and the admin stays a maintenance window for the few superusers. Signing in goes
through the site's login (rate limit, TOTP step), never the admin's own form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from maillage.core.errors import PermissionDenied


def admin_site_allowed(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Active superuser whose session holds a verified TOTP device (django-otp)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(
        getattr(user, "is_active", False)
        and getattr(user, "is_superuser", False)
        and callable(is_verified)
        and is_verified()
    )


class MaillageAdminSite(admin.AdminSite):
    site_header = _("Maillage — maintenance")
    site_title = _("Maillage — maintenance")

    def has_permission(self, request: HttpRequest) -> bool:
        return admin_site_allowed(request.user)

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:  # type: ignore[override]
        next_url = request.GET.get("next") or reverse("admin:index")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:index")
        if not request.user.is_authenticated:
            return redirect_to_login(next_url)
        if self.has_permission(request):
            return redirect(next_url)
        if getattr(request.user, "is_superuser", False):
            raise PermissionDenied(
                gettext(
                    "Le site d'administration demande la double authentification : "
                    "activez-la depuis votre profil, puis reconnectez-vous."
                )
            )
        raise PermissionDenied(
            gettext(
                "Le site d'administration est réservé à la maintenance. Les listes, comptes et "
                "imports se gèrent depuis les pages de l'application."
            )
        )
