"""The rows of the 50-row people tables (the people list, a segment's people), built once here,
and those two pages' content around them.

A table row rendered by the template engine costs a variable lookup per cell, a filter call per
`truncatechars` (each one a translation lookup for its ellipsis) and a model instance per
person; here a page reads plain values (`ROW_FIELDS`) and each row is a dict of ready strings,
so the template only prints them (#17). The content around the rows (headings, search form,
table head, links) is drawn once per language and shape and filled per request
(`core.html.filled_fragment`): through the template engine it still cost these pages a sixth
of their time.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from django.core.paginator import Page
from django.template.defaultfilters import pprint
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from maillage.core.html import drawn_in, escape, filled_fragment, id_url, id_urls
from maillage.core.pagination import NextPage, Total, pagination_html, total_html
from maillage.people.models import Segment, SupportLevel

# What a row shows, read with `.values(*ROW_FIELDS)`.
ROW_FIELDS = (
    "pk",
    "birth_name",
    "usage_name",
    "first_names",
    "birth_year",
    "address_number",
    "address_street",
    "commune_name",
    "polling_station_code",
    "current_support",
)

_BADGE_CLASS = {
    SupportLevel.FOR: "badge ok",
    SupportLevel.LEANING_FOR: "badge ok",
    SupportLevel.UNDECIDED: "badge warn",
    SupportLevel.LEANING_AGAINST: "badge bad",
    SupportLevel.AGAINST: "badge bad",
}


def truncate(text: str, length: int) -> str:
    """What `|truncatechars:length` prints: at most `length` characters, the last one "…"."""
    return text if len(text) <= length else text[: length - 1] + "…"


@lru_cache(maxsize=16)
def _support_labels(language: str | None) -> dict[int, str]:
    """Each support level's label in `language` (the current one, passed to key the cache)."""
    return {level.value: str(level.label) for level in SupportLevel}


def person_rows(people: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each person (a dict of ROW_FIELDS) as the strings a table row prints: `url`, `name`
    (usage or birth name, first names), `age` in the calendar year (as segments count it),
    `address`, `station`, `support` (its label, "" when unknown) and `support_class`."""
    year = timezone.localdate().year
    person_url = id_urls("people:person_detail")
    labels = _support_labels(get_language())
    rows = []
    for person in people:
        street, commune = person["address_street"], person["commune_name"]
        address = ""
        if street or commune:
            address = f"{person['address_number']} {truncate(street, 80)}".strip()
            if commune:
                address = f"{address}, {truncate(commune, 60)}"
        support = person["current_support"]
        rows.append(
            {
                "pk": person["pk"],
                "url": person_url(person["pk"]),
                "name": f"{truncate(person['usage_name'] or person['birth_name'], 60)} "
                f"{truncate(person['first_names'], 60)}",
                "birth_name": person["birth_name"],
                "age": year - person["birth_year"] if person["birth_year"] else "",
                "address": address,
                "station": person["polling_station_code"],
                "support": labels.get(support, ""),
                "support_class": _BADGE_CLASS.get(support, ""),
            }
        )
    return rows


def person_table_rows(rows: list[dict[str, Any]], *, show_support: bool) -> SafeString:
    """The people list's table rows (`<tr>` … `</tr>`) from `person_rows`, every value escaped.

    Printed by the template as one string: through the template engine, fifty rows of five
    cells were most of the page's rendering time (a variable node, a lookup and an escape per
    cell). On a phone each row is a card whose cells name themselves (`data-label`)."""

    age, address, station, support = (
        escape(label) for label in (_("Âge"), _("Adresse"), _("Bureau"), _("Soutien"))
    )
    html = []
    for row in rows:
        support_cell = ""
        if show_support:
            badge = (
                f'<span class="{escape(row["support_class"])}">{escape(row["support"])}</span>'
                if row["support"]
                else ""
            )
            support_cell = f'<td class="code" data-label="{support}">{badge}</td>'
        html.append(
            f'<tr data-testid="person-row"><td class="card-title"><a href="{escape(row["url"])}"'
            f' data-testid="person-link">{escape(row["name"])}</a></td>'
            f'<td class="num" data-label="{age}">{escape(row["age"])}</td>'
            f'<td data-label="{address}">{escape(row["address"])}</td>'
            f'<td class="code" data-label="{station}">{escape(row["station"])}</td>'
            f"{support_cell}</tr>\n"
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped


def segment_table_rows(rows: list[dict[str, Any]], *, show_support: bool) -> SafeString:
    """A segment page's table rows from `person_rows`, every value escaped (see
    `person_table_rows`): name and link, age, polling station, and support for those who may
    see it."""
    html = []
    for row in rows:
        support = f"<td>{escape(row['support'])}</td>" if show_support else ""
        html.append(
            f'<tr><td><a href="{escape(row["url"])}">{escape(row["name"])}</a></td>'
            f'<td class="num">{escape(row["age"])}</td><td>{escape(row["station"])}</td>'
            f"{support}</tr>\n"
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped


def person_list_html(
    *,
    rows: list[dict[str, Any]],
    page: NextPage,
    total: Total,
    q: str,
    sort: str,
    query: str,
    sort_query: str,
    show_support: bool,
    can_make_list: bool,
) -> SafeString:
    """The people list's content (people/_person_list.html): `rows` of `page` (from
    `person_rows`), the `total`, the search `q`, the `sort` and the query strings that keep
    them in the sort links (`sort_query`) and the pagination (`query`). `can_make_list`: the
    user may make a call list of a search (staff)."""
    shape = {
        "sort": sort,
        "show_support": show_support,
        "has_rows": bool(rows),
        "list_link": bool(q) and can_make_list,
    }
    return filled_fragment(
        "people/_person_list.html",
        key=(*drawn_in(), *shape.values()),
        context=shape,
        slots={
            "q": q,
            # What `|urlencode` printed (Python's quote, "/" kept).
            "q_urlencoded": quote(q) if shape["list_link"] else "",
            "sort_query": sort_query,
            "total_text": total_html(total),
            "rows_html": person_table_rows(rows, show_support=show_support),
            "pagination": pagination_html(page, query=query),
        },
    )


def segment_page_html(
    *,
    segment: Segment,
    described: str,
    rows: list[dict[str, Any]],
    page: Page[Any],
    sort: str,
    query: str,
    sort_query: str,
    show_support: bool,
    can_manage: bool,
) -> SafeString:
    """A segment's page content (people/_segment_detail.html): its name, note, definition
    (`described` in words, and as JSON), `rows` of `page` (from `person_rows`) with the
    exact count, the sort links and pagination (as in `person_list_html`); the export, edit
    and call-list links for those who `can_manage` it."""
    shape = {
        "sort": sort,
        "show_support": show_support,
        "has_rows": bool(rows),
        "has_description": bool(segment.description),
        "can_manage": can_manage,
    }
    return filled_fragment(
        "people/_segment_detail.html",
        key=(*drawn_in(), *shape.values()),
        context=shape,
        slots={
            "segment_name": segment.name,
            "segment_description": segment.description,
            "segment_id": segment.pk,
            "export_url": id_url("people:segment_export", segment.pk) if can_manage else "",
            "edit_url": id_url("people:segment_edit", segment.pk) if can_manage else "",
            "definition_described": described,
            "definition": pprint(segment.definition),
            "total_text": total_html(Total(page.paginator.count, "exact")),
            "sort_query": sort_query,
            "rows_html": segment_table_rows(rows, show_support=show_support),
            "pagination": pagination_html(page, query=query),
        },
    )
