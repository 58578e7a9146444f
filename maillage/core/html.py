"""HTML made in Python for the hot tables (#17): the people list's and the close races' rows;
and template fragments drawn once, then filled per request (the page shell's header, the
people list's and a segment's page content, their pagination).

A 50-row table through the template engine costs a variable node, a lookup and an escape per
cell, which made most of those pages' CPU; their rows are built as one string instead, every
value through `escape` here, and printed by the template as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from functools import lru_cache
from html import escape as _escape
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from maillage.core.memo import remember


def escape(value: object) -> str:
    """`value` as text safe in an element or a quoted attribute: what Django's `escape` (and
    the template's autoescape) prints, the standard library's `html.escape`, without making a
    SafeString of each cell."""
    return _escape(str(value))


# Reversed with this id, then cut around it: no real row has it, and it is digits alone, as the
# ids it stands for.
_ID_STAND_IN = 987654321987


@lru_cache(maxsize=256)
def _id_url_parts(viewname: str, script_prefix: str, urlconf: str) -> tuple[str, str] | None:
    url = reverse(viewname, args=[_ID_STAND_IN], urlconf=urlconf)
    head, found, tail = url.partition(str(_ID_STAND_IN))
    return (head, tail) if found and str(_ID_STAND_IN) not in tail else None


def id_urls(viewname: str) -> Callable[[int], str]:
    """`pk -> reverse(viewname, args=[pk])` for a view whose one argument is an integer id,
    reversed once per view name, URL prefix and URLconf and filled with each `pk`: a reverse()
    costs some 15 µs, and a contact sheet made up to a dozen, a 50-row table fifty."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    parts = _id_url_parts(viewname, get_script_prefix(), urlconf)
    if parts is None:  # an id that shows up elsewhere in the URL: reversed as it is
        return lambda pk: reverse(viewname, args=[pk], urlconf=urlconf)
    head, tail = parts
    return lambda pk: f"{head}{int(pk)}{tail}"


def id_url(viewname: str, pk: int) -> str:
    """`reverse(viewname, args=[pk])`, as `id_urls` makes it."""
    return id_urls(viewname)(pk)


# A fragment's parts by (template, key): even items are HTML as drawn, odd items slot names.
_fragments: dict[tuple[Hashable, ...], tuple[str, ...]] = {}
_SLOT = re.compile("\x00slot:([a-z_]+)\x00")
FRAGMENTS_KEPT = 512  # a bounded cache, whatever URLconfs and languages tests swap in


def slot(name: str) -> str:
    """What a fragment is drawn with where slot `name` goes: for a slot an included template
    reads as an attribute (`{{ page.number }}`), set on a stand-in object in `context`."""
    return f"\x00slot:{name}\x00"


def drawn_in() -> tuple[Hashable, ...]:
    """What every fragment's HTML depends on beyond its own values, for its `key`: the language
    its text is translated into, the URL prefix and URLconf its `{% url %}` are reversed in."""
    return (get_language(), get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


def filled_fragment(
    template_name: str,
    *,
    key: tuple[Hashable, ...],
    context: dict[str, Any],
    slots: dict[str, object],
) -> SafeString:
    """`template_name` drawn through the template engine once per `key`, each call filling in
    its `slots` (escaped here, but for safe HTML: see `fill_slots`).

    For the page shell (#17): its header is the same for every request of one role, language
    and current menu entry, but for a few values (the CSRF token, the user's name, the page's
    path). Drawn once with a marker where each slot goes, it is kept as parts; each request
    joins them with its own values. `key` must name everything in `context` that changes the
    HTML; a slot must be printed as a plain `{{ name }}` (or by `{% csrf_token %}`, or as the
    attribute of a stand-in whose value is `slot(name)`), never filtered or looped over. A slot
    the template also tests (`{% if query %}{{ query }}&amp;{% endif %}`) is given in `context`
    as `slot(name)` or its false value, which wins over the marker, with its truth in `key`.
    """
    full_key = (template_name, *key)
    parts = _fragments.get(full_key)
    if parts is None:
        markers = {name: slot(name) for name in slots}
        drawn = render_to_string(template_name, {**markers, **context})
        parts = remember(_fragments, full_key, tuple(_SLOT.split(drawn)), limit=FRAGMENTS_KEPT)
    return fill_slots(parts, slots)


def fill_slots(parts: tuple[str, ...], values: Mapping[str, object]) -> SafeString:
    """HTML kept as parts (even items HTML, odd items slot names), each slot filled with its
    value escaped: what `filled_fragment` and `form_html.blank_form_html` print.

    A value that is already HTML (it has `__html__`: a SafeString such as a table's rows or a
    fragment filled before) goes in as it is, as the template's autoescape (Django's
    `conditional_escape`) would print it; any other value is escaped."""
    filled = list(parts)
    for position in range(1, len(filled), 2):
        value = values[filled[position]]
        filled[position] = value.__html__() if hasattr(value, "__html__") else escape(value)
    return mark_safe("".join(filled))  # noqa: S308 (HTML drawn once; slots escaped or safe)
