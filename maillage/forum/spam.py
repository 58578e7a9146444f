"""A client of Akismet's REST API (https://akismet.com/developers/), the forum's optional spam
filter: `comment-check` for a new post, `submit-spam` and `submit-ham` for the moderators'
corrections.

Off unless `FORUM_AKISMET_KEY` is set. Every call is a form-encoded POST to
`FORUM_AKISMET_URL` (`https://{key}.rest.akismet.com/1.1/` by default: the key in the host, as
Akismet's 1.1 API takes it; the key is also sent as `api_key`, which its current endpoint
`https://rest.akismet.com/1.1/` reads) followed by the method's name.

`comment-check` answers `true` (spam) or `false`; with `true`, the header
`X-akismet-pro-tip: discard` marks blatant spam that need not even be kept. Anything else (a
timeout, a refused connection, a 5xx, `invalid` for a bad key) is `Verdict.UNKNOWN`: the caller
publishes the post (fail open) and a warning is logged, never a traceback.

Pure: no model. What a check sends is the `Visitor` (the request's IP address, browser and
referrer) and the `Post` (its type, author, text, language).
"""

from __future__ import annotations

import http.client
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings

logger = logging.getLogger(__name__)

# Akismet asks clients to name themselves ("Application/version | Plugin/version").
USER_AGENT = "Maillage/0.1 | maillage-akismet/1.0"
# The comment types Akismet knows for forums: a new topic and a reply in it.
FORUM_POST = "forum-post"
REPLY = "reply"
# The answer submit-spam and submit-ham give when they took the report.
_THANKS = "Thanks for making the web a better place."
# An answer longer than this is not Akismet's: read no further.
_MAX_ANSWER = 4096


class Verdict(StrEnum):
    HAM = "ham"  # "false": publish
    SPAM = "spam"  # "true": hold for a moderator
    DISCARD = "discard"  # "true" with the pro-tip "discard": refuse
    UNKNOWN = "unknown"  # no usable answer: publish (fail open)


@dataclass(frozen=True)
class Visitor:
    """Who sent the post, as the web request saw them."""

    ip: str
    user_agent: str = ""
    referrer: str = ""


@dataclass(frozen=True)
class Post:
    comment_type: str  # FORUM_POST or REPLY
    author_name: str
    author_email: str
    content: str
    language: str = ""
    permalink: str = ""
    # ISO 8601, for reports on posts already made (Akismet compares it with its own records).
    date_gmt: str = ""


def enabled() -> bool:
    return bool(settings.FORUM_AKISMET_KEY)


def _endpoint(method: str) -> str:
    key = urllib.parse.quote(settings.FORUM_AKISMET_KEY, safe="")
    base = settings.FORUM_AKISMET_URL.replace("{key}", key)
    return base.rstrip("/") + "/" + method


def _fields(visitor: Visitor, post: Post) -> dict[str, str]:
    fields = {
        "api_key": settings.FORUM_AKISMET_KEY,
        "blog": settings.FORUM_AKISMET_BLOG or settings.SITE_URL,
        "blog_charset": "UTF-8",
        "blog_lang": post.language,
        "user_ip": visitor.ip,
        "user_agent": visitor.user_agent,
        "referrer": visitor.referrer,
        "permalink": post.permalink,
        "comment_type": post.comment_type,
        "comment_author": post.author_name,
        "comment_author_email": post.author_email,
        "comment_content": post.content,
        "comment_date_gmt": post.date_gmt,
    }
    return {name: value for name, value in fields.items() if value}


class AkismetUnavailable(Exception):
    """No usable answer (the message says why, without the key)."""


def _call(method: str, fields: dict[str, str]) -> tuple[str, http.client.HTTPMessage]:
    request = urllib.request.Request(  # noqa: S310 - an http(s) URL checked by the settings
        _endpoint(method),
        data=urllib.parse.urlencode(fields).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "User-Agent": USER_AGENT,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(  # noqa: S310 - see above
            request, timeout=settings.FORUM_AKISMET_TIMEOUT
        ) as response:
            body = response.read(_MAX_ANSWER).decode("utf-8", "replace").strip()
            return body, response.headers
    except urllib.error.HTTPError as error:
        raise AkismetUnavailable(f"HTTP {error.code}") from None
    except urllib.error.URLError as error:
        raise AkismetUnavailable(str(error.reason)) from None
    except (TimeoutError, OSError, http.client.HTTPException, ValueError) as error:
        raise AkismetUnavailable(
            type(error).__name__ + (f": {error}" if str(error) else "")
        ) from None


def comment_check(*, visitor: Visitor, post: Post) -> Verdict:
    """Akismet's verdict on a new post; `Verdict.UNKNOWN` (logged) when it gave none."""
    try:
        body, headers = _call("comment-check", _fields(visitor, post))
    except AkismetUnavailable as error:
        logger.warning("Akismet comment-check failed (%s): the post is published.", error)
        return Verdict.UNKNOWN
    if body == "true":
        if (headers.get("X-akismet-pro-tip") or "").strip().lower() == "discard":
            return Verdict.DISCARD
        return Verdict.SPAM
    if body == "false":
        return Verdict.HAM
    logger.warning(
        "Akismet comment-check gave no verdict (%r%s): the post is published.",
        body[:80],
        f", {headers.get('X-akismet-debug-help')}" if headers.get("X-akismet-debug-help") else "",
    )
    return Verdict.UNKNOWN


def submit(*, spam: bool, visitor: Visitor, post: Post) -> bool:
    """Tell Akismet it missed a spam (`submit-spam`) or held a genuine post (`submit-ham`).
    True when Akismet took the report; a failure is logged."""
    method = "submit-spam" if spam else "submit-ham"
    try:
        body, _headers = _call(method, _fields(visitor, post))
    except AkismetUnavailable as error:
        logger.warning("Akismet %s failed (%s).", method, error)
        return False
    if body != _THANKS:
        logger.warning("Akismet %s gave an unexpected answer (%r).", method, body[:80])
        return False
    return True
