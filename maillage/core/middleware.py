"""Page-wide middleware: readable error pages for ApplicationError, and the Content-Security-Policy."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from maillage.core.errors import ApplicationError, NotFound, PermissionDenied


class FriendlyErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ApplicationError):
            return None
        status = (
            404
            if isinstance(exception, NotFound)
            else 403
            if isinstance(exception, PermissionDenied)
            else 400
        )
        return render(
            request,
            "errors/error.html",
            {"message": exception.message, "status": status},
            status=status,
        )


class CSPNonce:
    """A per-request nonce drawn only when a template prints it, so pages that need none keep
    a header without one (and every nonce in a header was really used by that page)."""

    def __init__(self) -> None:
        self._value = ""

    def __str__(self) -> str:
        if not self._value:
            self._value = secrets.token_urlsafe(18)
        return self._value

    @property
    def used(self) -> bool:
        return bool(self._value)


# Scripts and styles come from our own static files only: no inline script, no eval, no style
# attribute (bar widths are SVG geometry, htmx's indicator style lives in maillage.css). A block
# that must be inline carries the nonce: <script nonce="{{ csp_nonce }}">.
CSP_DIRECTIVES: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def csp_header_value(nonce: CSPNonce | None = None) -> str:
    directives = dict(CSP_DIRECTIVES)
    if nonce is not None and nonce.used:
        for name in ("script-src", "style-src"):
            directives[name] += f" 'nonce-{nonce}'"
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    """Sets Content-Security-Policy on every response (report-only when
    settings.MAILLAGE_CSP_REPORT_ONLY, the DEBUG default, so Django's debug pages, which use
    inline script, still work while the console names every violation)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = CSPNonce()
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        header = (
            "Content-Security-Policy-Report-Only"
            if settings.MAILLAGE_CSP_REPORT_ONLY
            else "Content-Security-Policy"
        )
        if header not in response:
            response[header] = csp_header_value(nonce)
        return response
