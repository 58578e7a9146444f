"""One exception family for the whole project, with one shape: a message a person can read.

Services raise `ApplicationError` (or a subclass) for anything the user can fix; views turn it
into a form error or a flash message; `FriendlyErrorMiddleware` catches any that escape.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    def __init__(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class PermissionDenied(ApplicationError):
    """The acting user may not do this."""


class NotFound(ApplicationError):
    """The object does not exist, or the acting user may not know that it does."""
