"""Template context shared by every page: navigation filtered by role."""

from django.http import HttpRequest

from maillage.core.navigation import navigation_for
from maillage.core.roles import Role, role_of


def navigation(request: HttpRequest) -> dict[str, object]:
    return {
        "nav_items": navigation_for(request.user, request.path),
        "user_role_level": role_of(request.user),
        "Role": Role,
    }


def csp_nonce(request: HttpRequest) -> dict[str, object]:
    """`{{ csp_nonce }}` for the rare inline block that cannot move to a static file."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
