"""`{% page_header %}`: the page shell's header, drawn once per role, language, URL prefix and
current menu entry, and filled per request with the CSRF token, the page's path and the
user's name (core.html.filled_fragment, #17). Through the template engine on every request it
cost an authenticated page more CPU than its session and user queries."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.utils.safestring import SafeString

from maillage.core.context_processors import navigation
from maillage.core.html import filled_fragment

register = template.Library()


@register.simple_tag(takes_context=True)
def page_header(context: template.Context) -> SafeString:
    user = context.get("user")
    is_authenticated = bool(user is not None and user.is_authenticated)
    request = context.get("request")
    shell: Any = context if "shell_key" in context else navigation(request or HttpRequest())
    # The navigation context processor's key: role, language, URL prefix, URLconf, menu entry.
    shell_key: tuple[Any, ...] = shell["shell_key"]
    key = (is_authenticated, *shell_key)
    return filled_fragment(
        "core/_header.html",
        key=key,
        context={
            "is_authenticated": is_authenticated,
            "shell": shell["shell"],
            "nav_html": shell["nav_html"] if is_authenticated else "",
            "LANGUAGES": settings.LANGUAGES,
            "LANGUAGE_CODE": shell_key[1],
        },
        slots={
            # The same lazy token as the page's own forms: one masking a request.
            "csrf_token": context.get("csrf_token") or "",
            "full_path": request.get_full_path() if request is not None else "",
            "user_email": user.email if is_authenticated else "",  # type: ignore[union-attr]
            "user_short_name": user.short_name if is_authenticated else "",  # type: ignore[union-attr]
        },
    )
