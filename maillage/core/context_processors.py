"""Template context shared by every page: navigation filtered by role, the page shell's links."""

from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse

from maillage.core.navigation import navigation_for, navigation_menu
from maillage.core.roles import Role, role_of

# The links and static files of base.html, by the name the template reads (`shell.<name>`).
SHELL_URLS = {
    "home": "core:home",
    "dashboard": "core:dashboard",
    "login": "accounts:login",
    "logout": "accounts:logout",
    "profile": "accounts:profile",
    "set_language": "set_language",
}
SHELL_STATIC = {
    "favicon": "core/favicon.svg",
    "css": "core/maillage.css",
    "htmx": "vendor/htmx/htmx.min.js",
    "shell_js": "core/shell.js",
}


@lru_cache(maxsize=16)
def _shell(script_prefix: str, urlconf: str) -> dict[str, str]:
    """Reversed and looked up in the static manifest once per URL prefix and URLconf, rather
    than by ten `{% url %}` and `{% static %}` tags on every page."""
    links = {name: reverse(view, urlconf=urlconf) for name, view in SHELL_URLS.items()}
    links.update({name: static(path) for name, path in SHELL_STATIC.items()})
    return links


def navigation(request: HttpRequest) -> dict[str, object]:
    return {
        "nav_menu": navigation_menu(navigation_for(request.user, request.path)),
        "user_role_level": role_of(request.user),
        "Role": Role,
        "shell": _shell(get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF),
    }


def csp_nonce(request: HttpRequest) -> dict[str, object]:
    """`{{ csp_nonce }}` for the rare inline block that cannot move to a static file."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
