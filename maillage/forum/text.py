"""Untrusted text to safe HTML: Markdown rendered by markdown-it (raw HTML off), then sanitised
by nh3 with an allow-list, so no script, event handler, style or `javascript:` link survives
whatever the renderer lets through."""

from __future__ import annotations

import hashlib
import re
import unicodedata

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.disable(["image"])

ALLOWED_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
_LINK = re.compile(r"(https?://|www\.)", re.IGNORECASE)


def render_markdown(source: str) -> str:
    html = _md.render(source)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener noreferrer",
        strip_comments=True,
    )


def link_count(source: str) -> int:
    return len(_LINK.findall(source))


def content_hash(title: str, body: str) -> str:
    """The same text, whatever its case, spacing or accents: for duplicate detection."""
    text = unicodedata.normalize("NFKD", f"{title}\n{body}").encode("ascii", "ignore").decode()
    text = re.sub(r"\W+", " ", text.lower()).strip()
    return hashlib.sha256(text.encode()).hexdigest()
