"""The request type of views that need a signed-in user, so services get a `User`, not a maybe."""

from __future__ import annotations

from django.http import HttpRequest

from maillage.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """What a view behind `role_required` receives: the decorator has turned anonymous visitors
    away, so `request.user` is a `User` (django-stubs' documented pattern; a type only)."""

    user: User
