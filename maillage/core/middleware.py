"""Turns an ApplicationError that escaped a view into a readable page, never a traceback."""

from __future__ import annotations

from collections.abc import Callable

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
