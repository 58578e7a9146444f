"""Account pages: login (with optional TOTP step), sign-up, email confirmation, password reset,
invitations, roles and two-factor set-up. Each view parses, calls one service, renders."""

from __future__ import annotations

from typing import cast

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from maillage.accounts import selectors, services
from maillage.accounts.backends import PASSWORD_BACKEND
from maillage.accounts.forms import (
    EmailLoginForm,
    InvitationAcceptForm,
    InvitationForm,
    RoleForm,
    SecondFactorForm,
    SignupForm,
    TwoFactorSetupForm,
)
from maillage.accounts.middleware import SESSION_KEY, is_verified, verify_redirect
from maillage.accounts.models import User
from maillage.core.decorators import role_required
from maillage.core.errors import ApplicationError
from maillage.core.ratelimit import ratelimit
from maillage.core.roles import Role


def _me(request: HttpRequest) -> User:
    """The acting user of a view that requires a login (the decorators guarantee it)."""
    return cast(User, request.user)


class LoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@ratelimit(key="signup", limit=10, period=3600)
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The same page whether the address had an account or not (its owner gets an email).
        services.user_signup(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            full_name=form.cleaned_data["full_name"],
        )
        return render(request, "accounts/signup_done.html", {"email": form.cleaned_data["email"]})
    return render(request, "accounts/signup.html", {"form": form})


def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        services.user_confirm_email(token=token)
    except ApplicationError as error:
        return render(
            request, "errors/error.html", {"status": 400, "message": error.message}, status=400
        )
    messages.success(request, _("Adresse confirmée : vous pouvez vous connecter."))
    return redirect("accounts:login")


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = selectors.invitation_by_token(token=token)
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token,
                password=form.cleaned_data["password1"],
                full_name=form.cleaned_data["full_name"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            login(request, user, backend=PASSWORD_BACKEND)
            messages.success(request, _("Bienvenue dans la campagne !"))
            return redirect("core:dashboard")
    return render(
        request, "accounts/accept_invitation.html", {"form": form, "invitation": invitation}
    )


@role_required(Role.STAFF)
def invitations(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST or None, actor=_me(request))
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(actor=_me(request), **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Invitation envoyée à %(email)s.") % {"email": invitation.email}
            )
            return redirect("accounts:invitations")
    page = Paginator(selectors.invitation_list(actor=_me(request)), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/invitations.html", {"form": form, "page": page})


@role_required(Role.STAFF)
def users(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.user_list(actor=_me(request)), 50).get_page(request.GET.get("page"))
    return render(
        request, "accounts/users.html", {"page": page, "role_form": RoleForm(actor=_me(request))}
    )


@require_POST
@role_required(Role.STAFF)
def user_role(request: HttpRequest, user_id: int) -> HttpResponse:
    target = selectors.access_user(actor=_me(request), user_id=user_id)
    form = RoleForm(request.POST, actor=_me(request))
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("accounts:users")
    try:
        services.user_set_role(actor=_me(request), user=target, role=form.cleaned_data["role"])
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Rôle de %(email)s mis à jour.") % {"email": target.email})
    return redirect("accounts:users")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    has_totp = selectors.user_has_confirmed_totp(user=_me(request))
    remaining = selectors.recovery_codes_remaining(user=_me(request)) if has_totp else 0
    return render(
        request,
        "accounts/profile.html",
        {"has_totp": has_totp, "recovery_codes_remaining": remaining},
    )


def _recovery_codes_page(request: HttpRequest, codes: list[str]) -> HttpResponse:
    """The plain codes, shown in this one response (never stored, never cached)."""
    response = render(request, "accounts/two_factor_recovery_codes_done.html", {"codes": codes})
    add_never_cache_headers(response)
    return response


@ratelimit(key="otp", limit=10, period=300)
@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    replacing = selectors.user_has_confirmed_totp(user=user)
    if replacing and not is_verified(request):
        # A session whose flag predates the device (set up in another session).
        return verify_redirect(request)
    device = selectors.totp_device_pending(user=user)
    if device is None or request.method == "GET":
        device = services.totp_device_start(user=user)
    form = TwoFactorSetupForm(request.POST or None, replacing=replacing)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.totp_device_confirm(
                user=user,
                device=device,
                token=form.cleaned_data["token"],
                current_token=form.cleaned_data.get("current_token", ""),
            )
        except ApplicationError as error:
            form.add_error(error.extra.get("field", "token"), error.message)
        else:
            otp_login(request, device)
            update_session_auth_hash(request, user)  # this session stays; the others end
            request.session[SESSION_KEY] = True
            if codes:
                messages.success(request, _("Double authentification activée."))
                return _recovery_codes_page(request, codes)
            messages.success(request, _("Nouvel appareil enregistré."))
            return redirect("accounts:profile")
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#1b1f24")
    return render(
        request,
        "accounts/two_factor_setup.html",
        {"form": form, "qr_svg": qr_svg, "secret": _base32(device), "replacing": replacing},
    )


def _base32(device: TOTPDevice) -> str:
    from base64 import b32encode

    return b32encode(device.bin_key).decode()


@ratelimit(key="otp", limit=10, period=300)
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    form = SecondFactorForm(request.POST or None)
    next_url = request.GET.get("next") or request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if request.method == "POST" and form.is_valid():
        try:
            device = services.two_factor_verify(user=_me(request), token=form.cleaned_data["token"])
        except ApplicationError as error:
            form.add_error("token", error.message)
        else:
            otp_login(request, device)
            request.session[SESSION_KEY] = True
            return redirect(next_url or "core:dashboard")
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": next_url})


def _two_factor_change_allowed(request: HttpRequest) -> HttpResponse | None:
    """None when this session may change the second factor; otherwise where to go instead."""
    if not selectors.user_has_confirmed_totp(user=_me(request)):
        messages.info(request, _("La double authentification n'est pas activée."))
        return redirect("accounts:profile")
    if not is_verified(request):
        return verify_redirect(request)
    return None


@ratelimit(key="otp", limit=10, period=300)
@never_cache
@login_required
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    refused = _two_factor_change_allowed(request)
    if refused is not None:
        return refused
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.two_factor_disable(user=_me(request), token=form.cleaned_data["token"])
        except ApplicationError as error:
            form.add_error("token", error.message)
        else:
            update_session_auth_hash(request, _me(request))  # this session stays
            request.session[SESSION_KEY] = False
            messages.success(request, _("Double authentification désactivée."))
            return redirect("accounts:profile")
    return render(request, "accounts/two_factor_disable.html", {"form": form})


@ratelimit(key="otp", limit=10, period=300)
@never_cache
@login_required
def two_factor_recovery_codes(request: HttpRequest) -> HttpResponse:
    refused = _two_factor_change_allowed(request)
    if refused is not None:
        return refused
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.recovery_codes_generate(
                user=_me(request), token=form.cleaned_data["token"]
            )
        except ApplicationError as error:
            form.add_error("token", error.message)
        else:
            return _recovery_codes_page(request, codes)
    return render(
        request,
        "accounts/two_factor_recovery_codes.html",
        {
            "form": form,
            "recovery_codes_remaining": selectors.recovery_codes_remaining(user=_me(request)),
        },
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset view, with the link built from SITE_URL: Django's own takes the request's
    Host header, which a forged request can point at another site (host-header poisoning)."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)


password_reset = ratelimit(key="password-reset", limit=5, period=3600)(
    PasswordResetView.as_view()  # type: ignore[arg-type]
)
