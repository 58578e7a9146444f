"""Rate limits for public forms (sign-up, password reset, 2FA codes), on top of django-ratelimit.

Login attempts are limited separately by django-axes (per address and IP). With several web
processes, set REDIS_URL so that every process counts in the same cache.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited


def ratelimit(
    *, key: str, limit: int, period: int
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Allow `limit` POSTs per `period` seconds per client IP; answer 429 with a readable page past it."""
    rate = f"{limit}/{period}s"

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if is_ratelimited(
                request,
                group=f"maillage.{key}",
                key="ip",
                rate=rate,
                method=["POST"],
                increment=True,
            ):
                return render(
                    request,
                    "errors/error.html",
                    {
                        "status": 429,
                        "message": _("Trop de tentatives. Réessayez dans quelques minutes."),
                    },
                    status=429,
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
