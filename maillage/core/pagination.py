"""Pages of long lists that never count a national-scale result on a page view.

A `NextPage` reads one row more than it shows (LIMIT size + 1): that row says whether a next
page exists, so no COUNT runs to draw "previous / next". The total a page shows comes from
`bounded_total`: an exact count up to `COUNT_CAP` rows (a bounded scan), "more than COUNT_CAP"
beyond, or, for a whole table, the planner's estimate (`table_estimate`). `total_html` and
`pagination_html` print them as core/_total.html and the pagination templates do, without the
template engine on each request.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Literal, TypeVar, cast

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.cache import cache
from django.core.paginator import Page
from django.db import connection
from django.db.models import Model, QuerySet
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext

from maillage.core.html import escape, filled_fragment, slot

COUNT_CAP = 10_000


@dataclass(frozen=True)
class Total:
    value: int
    kind: Literal["exact", "more_than", "about"]


class NextPage:
    """One page of a queryset, with `has_next` known from one extra row (no COUNT).

    `rows`: the queryset, or a function of (offset, limit) giving the rows (a query compiled
    once, `core.compiled.compiled_rows_for_user`)."""

    def __init__(
        self,
        rows: QuerySet[Any] | Callable[[int, int], list[Any]],
        number: object,
        size: int,
    ) -> None:
        try:
            self.number = max(1, int(str(number)))
        except (TypeError, ValueError):
            self.number = 1
        offset = (self.number - 1) * size
        found = (
            list(rows[offset : offset + size + 1])
            if isinstance(rows, QuerySet)
            else rows(offset, size + 1)
        )
        self._has_next = len(found) > size
        self.object_list = found[:size]

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


class RowsByBounds:
    """What Django's Paginator reads of a list whose total is known: its count, and the rows
    of one page from `fetch(offset, limit)` (a query compiled once: `core.compiled`)."""

    def __init__(self, fetch: Callable[[int, int], list[Any]], count: int) -> None:
        self.fetch, self.total = fetch, count

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, bounds: slice) -> list[Any]:
        start = bounds.start or 0
        return self.fetch(start, bounds.stop - start)


def bounded_total(queryset: QuerySet[Any], *, whole_table: bool = False) -> Total:
    """The exact count when it is at most COUNT_CAP (one query that reads at most COUNT_CAP + 1
    rows); beyond, "more than COUNT_CAP", or the table's estimate when the queryset is a whole
    table (`whole_table`), which costs one more query."""
    found = queryset.order_by()[: COUNT_CAP + 1].count()
    return total_of_capped_count(found, model=queryset.model, whole_table=whole_table)


def total_of_capped_count(found: int, *, model: type[Model], whole_table: bool) -> Total:
    """`bounded_total`'s answer for a count of at most COUNT_CAP + 1 rows made elsewhere."""
    if found <= COUNT_CAP:
        return Total(found, "exact")
    if whole_table:
        return Total(max(table_estimate(model), found), "about")
    return Total(COUNT_CAP, "more_than")


def table_estimate(model: type[Model]) -> int:
    """About how many rows a table holds, without counting them on each call.

    PostgreSQL: the planner's row estimate (`pg_class.reltuples`, kept by ANALYZE and
    autovacuum), counting only when the table was never analysed. SQLite has no such
    statistic: an exact count, cached five minutes per process."""
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The table name is the model's own, quoted; the estimate and its fallback in one.
            quoted = connection.ops.quote_name(table)
            sql = f"SELECT CASE WHEN reltuples >= 0 THEN reltuples::bigint ELSE (SELECT COUNT(*) FROM {quoted}) END FROM pg_class WHERE oid = %s::regclass"  # noqa: S608, E501
            cursor.execute(sql, [table])
            return int(cursor.fetchone()[0])
    key = f"maillage:table-estimate:{table}"
    value = cache.get(key)
    if value is None:
        value = model._default_manager.count()
        cache.set(key, value, 300)
    return int(value)


# What one user is shown of their own scope's counts is kept this long (#17: "a cached count
# where one is shown"): what they do themselves clears it at once (`kept_for_user_forget`),
# others' work shows within this time.
KEPT_FOR_USER_SECONDS = 60

T = TypeVar("T")


def _kept_key(kind: str, user_id: int) -> str:
    return f"maillage:kept-for-user:{kind}:{user_id}"


def kept_for_user(*, kind: str, user_id: int, stamp: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, kept KEPT_FOR_USER_SECONDS per user and `kind` in the cache. `stamp` names
    what else the value depends on (the user's role, the day): a value kept under another
    stamp is computed again. For counts shown to one user over their own scope (a volunteer's
    dashboard, their people list's total), never for what must stay exact (segment counts)."""
    key = _kept_key(kind, user_id)
    kept = cache.get(key)
    if kept is not None and kept[0] == stamp:
        return cast(T, kept[1])
    value = compute()
    cache.set(key, (stamp, value), KEPT_FOR_USER_SECONDS)
    return value


def kept_for_user_forget(*, kind: str, user_id: int) -> None:
    """Drop what `kept_for_user` keeps for this user and kind (after they change it)."""
    cache.delete(_kept_key(kind, user_id))


def total_html(total: Total) -> SafeString:
    """What core/_total.html prints for `total` in the current language ("1 234 personnes",
    "environ …", "plus de …"), made per request: its plural form depends on the number, so it
    cannot be drawn once. As `{% blocktranslate %}` does, the translation is printed as it is
    and the number escaped."""
    shown = escape(intcomma(total.value))
    if total.kind == "about":
        text = gettext("environ %(n)s personnes") % {"n": shown}
    elif total.kind == "more_than":
        text = gettext("plus de %(n)s personnes") % {"n": shown}
    else:
        text = ngettext("%(shown)s personne", "%(shown)s personnes", total.value) % {"shown": shown}
    return mark_safe(text)  # noqa: S308 - a translation of ours, its number escaped


def pagination_html(page: NextPage | Page[Any], *, query: str) -> SafeString:
    """A page's "previous / next" links: core/_next_pagination.html for a `NextPage`,
    core/_pagination.html ("Page 2 sur 7") for a Paginator's page; drawn once per language
    and shape (which links, whether `query` is kept), filled with the numbers and `query`."""
    has_previous, has_next = page.has_previous(), page.has_next()
    # What the template reads of `page`, the numbers as slots.
    stand_in = SimpleNamespace(
        has_other_pages=has_previous or has_next,
        has_previous=has_previous,
        has_next=has_next,
        number=slot("number"),
        previous_page_number=slot("previous"),
        next_page_number=slot("next"),
        paginator=SimpleNamespace(num_pages=slot("pages")),
    )
    return filled_fragment(
        "core/_pagination.html" if isinstance(page, Page) else "core/_next_pagination.html",
        key=(get_language(), has_previous, has_next, bool(query)),
        context={"page": stand_in, "query": slot("query") if query else ""},
        slots={
            "query": query,
            "number": page.number,
            "previous": page.number - 1,
            "next": page.number + 1,
            "pages": page.paginator.num_pages if isinstance(page, Page) else "",
        },
    )
