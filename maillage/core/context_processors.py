"""Template context shared by every page: navigation filtered by role, the page shell's links."""

from functools import lru_cache

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from maillage.core.csrf import csrf_token
from maillage.core.memo import remember
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


# The menu's HTML by (role, language, URL prefix, URLconf, current entry): the same five
# values always draw the same menu, and drawing it through the template engine (two nested
# loops, a dozen lookups an entry) cost an authenticated page more than its own queries.
_nav_html: dict[tuple[object, ...], str] = {}


def _menu_html(menu: list[dict[str, object]], key: tuple[object, ...]) -> str:
    html = _nav_html.get(key)
    if html is None:
        html = remember(
            _nav_html, key, render_to_string("core/_nav.html", {"nav_menu": menu}), limit=512
        )
    return html


def navigation(request: HttpRequest) -> dict[str, object]:
    # An error page made before the authentication middleware ran (a request for a host not
    # in ALLOWED_HOSTS gets its 400 page from CommonMiddleware) has no user: draw it anonymous.
    user = getattr(request, "user", None) or AnonymousUser()
    level = role_of(user)
    prefix, urlconf = get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF
    entries = navigation_for(user, request.path)
    menu = navigation_menu(entries)
    current = next((str(entry["url"]) for entry in entries if entry["active"]), "")
    key = (int(level), get_language(), prefix, urlconf, current)
    return {
        "nav_menu": menu,
        # Made on first use only: pages without the menu (anonymous ones) never draw it.
        "nav_html": SimpleLazyObject(lambda: mark_safe(_menu_html(menu, key))),  # noqa: S308
        "user_role_level": level,
        "Role": Role,
        "shell": _shell(prefix, urlconf),
        # What the page header ({% page_header %}, core/templatetags/shell.py) is drawn for.
        "shell_key": key,
    }


def csrf(request: HttpRequest) -> dict[str, object]:
    """`{{ csrf_token }}` (and `{% csrf_token %}`) masked by `core.csrf.csrf_token`: listed after
    Django's own processor, whose lazy token it replaces unread."""
    return {"csrf_token": SimpleLazyObject(lambda: csrf_token(request))}


def csp_nonce(request: HttpRequest) -> dict[str, object]:
    """`{{ csp_nonce }}` for the rare inline block that cannot move to a static file."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
