"""The CSRF token a page prints: Django's `get_token`, its mask drawn from one read of the
system's random source instead of 32 (#17).

Django masks the cookie's secret with a fresh 32-character mask on every page (BREACH), drawn
by `get_random_string`: 32 calls of `secrets.choice`, each its own `os.urandom`. That was 27 µs
of a page, 1 % of a volunteer's people list. Here the mask comes from one `token_bytes`, each
byte below 248 (4 × 62) kept, so every character is as likely as with `secrets.choice`, and
the cipher is Django's (`mask + (secret + mask) mod 62`, character by character):
CsrfViewMiddleware checks these tokens as its own. Without a valid secret in the request (no
middleware ran, a first visit), Django's `get_token` makes and sets one, as it always does."""

from __future__ import annotations

import secrets

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token

_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}
_SIZE = len(CSRF_ALLOWED_CHARS)
# A byte from this value up would make the first characters likelier than the others.
_BELOW = 256 - 256 % _SIZE


def _mask_indexes(length: int) -> list[int]:
    picked: list[int] = []
    while len(picked) < length:  # 8 spare bytes: 3 % of bytes are dropped, on average
        picked += [byte % _SIZE for byte in secrets.token_bytes(length + 8) if byte < _BELOW]
    return picked[:length]


def csrf_token(request: HttpRequest) -> str:
    """What `django.middleware.csrf.get_token(request)` answers: the secret of the request's
    CSRF cookie masked afresh, and the cookie flagged to be sent again."""
    secret = request.META.get("CSRF_COOKIE")
    if (
        not isinstance(secret, str)
        or len(secret) != CSRF_SECRET_LENGTH
        or not all(char in _INDEX for char in secret)
    ):
        return get_token(request)
    # As get_token does: the cookie is used, so it is set again (its expiry renewed).
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _mask_indexes(CSRF_SECRET_LENGTH)
    cipher = "".join(
        CSRF_ALLOWED_CHARS[(_INDEX[char] + offset) % _SIZE]
        for char, offset in zip(secret, mask, strict=True)
    )
    return "".join(CSRF_ALLOWED_CHARS[offset] for offset in mask) + cipher
