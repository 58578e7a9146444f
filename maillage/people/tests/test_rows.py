"""The people tables' rows print what the template filters they replace printed (#17)."""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.template.defaultfilters import pprint, truncatechars
from django.template.defaultfilters import urlencode as urlencode_filter
from django.template.loader import render_to_string
from django.test import SimpleTestCase
from django.utils import timezone, translation

from maillage.core import html as html_module
from maillage.core.pagination import NextPage, Total
from maillage.people.models import Segment, SupportLevel
from maillage.people.selectors.rows import (
    person_list_html,
    person_rows,
    person_table_rows,
    segment_page_html,
    segment_table_rows,
    truncate,
)


class RowsTests(SimpleTestCase):
    def test_truncate_prints_what_truncatechars_printed(self) -> None:
        for text in ("", "DUPONT", "x" * 60, "x" * 61, "Élise-Marie " * 9, "ÀÉÎÕÜ" * 20):
            for length in (1, 2, 60, 80):
                with self.subTest(text=text, length=length):
                    self.assertEqual(truncate(text, length), truncatechars(text, length))

    def test_a_row_holds_the_cells_of_the_table(self) -> None:
        year = timezone.localdate().year
        person = {
            "pk": 7,
            "birth_name": "MARTIN",
            "usage_name": "",
            "first_names": "Camille",
            "birth_year": year - 40,
            "address_number": "12",
            "address_street": "rue de la République",
            "commune_name": "Marseille",
            "polling_station_code": "13055_0001",
            "current_support": SupportLevel.LEANING_AGAINST,
        }
        [row] = person_rows([person])
        self.assertEqual(row["url"], "/people/7/")
        self.assertEqual(row["name"], "MARTIN Camille")
        self.assertEqual(row["age"], 40)
        self.assertEqual(row["address"], "12 rue de la République, Marseille")
        self.assertEqual((row["support"], row["support_class"]), ("Plutôt contre", "badge bad"))
        bare = {**person, "usage_name": "DURAND", "birth_year": None, "address_number": ""}
        bare.update(address_street="", commune_name="", current_support=None)
        [row] = person_rows([bare])
        self.assertEqual((row["name"], row["age"], row["address"]), ("DURAND Camille", "", ""))
        self.assertEqual((row["support"], row["support_class"]), ("", ""))


def _people(count: int) -> list[dict[str, Any]]:
    """`count` people as person_rows reads them, their names and addresses holding HTML's
    special characters."""
    year = timezone.localdate().year
    return [
        {
            "pk": n,
            "birth_name": f'<b>"NOM&{n}',
            "usage_name": "",
            "first_names": "Camille 'Cam'",
            "birth_year": year - 20 - n if n % 3 else None,
            "address_number": str(n),
            "address_street": "rue <de> la République",
            "commune_name": "Marseille",
            "polling_station_code": f"13055_{n:04d}",
            "current_support": SupportLevel.FOR if n % 2 else None,
        }
        for n in range(1, count + 1)
    ]


PEOPLE = _people(120)
QUERIES = ["", '<b>"&']  # no search, then one with HTML's special characters
SORTS = ["name", "-name", "age", "station", "support"]


def _query_strings(q: str, sort: str) -> tuple[str, str]:
    """The pagination's and the sort links' query strings, as the views make them."""
    kept = {"q": q} if q else {}
    return urlencode({**kept, "sort": sort}), urlencode(kept)


def _direct(template: str, context: dict[str, Any], *, total: Total, page: Any, query: str) -> str:
    """`template` rendered directly, its total and pagination from their own templates."""
    pagination = (
        "core/_next_pagination.html" if isinstance(page, NextPage) else "core/_pagination.html"
    )
    return render_to_string(
        template,
        {
            **context,
            # Less the template file's closing line break, which the page prints itself.
            "total_text": render_to_string("core/_total.html", {"total": total}).removesuffix("\n"),
            "pagination": render_to_string(pagination, {"page": page, "query": query}),
        },
    )


class PageContentTestCase(SimpleTestCase):
    """The people list's and a segment's page content, filled from fragments, print what their
    templates print rendered directly, for inputs that change their shape in turn (language,
    sort, search, role, first, middle, last and empty page): a key missing a value, or a value
    drawn in rather than filled, fails."""

    def setUp(self) -> None:
        html_module._fragments.clear()

    def test_the_people_list_prints_what_its_template_prints(self) -> None:
        pages = [NextPage(lambda o, n: PEOPLE[o : o + n], number, 50) for number in (1, 2, 3)]
        pages.append(NextPage(lambda o, n: [], 1, 50))
        for language, staff, q, sort, page in itertools.product(
            ("fr", "en"), (False, True), QUERIES, SORTS, pages
        ):
            rows = person_rows(page.object_list)
            total = (
                Total(len(PEOPLE) if rows else 0, "exact")
                if sort != "station"
                else Total(10_000, "more_than")
            )
            query, sort_query = _query_strings(q, sort)
            with (
                self.subTest(language=language, staff=staff, q=q, sort=sort, page=page.number),
                translation.override(language),
            ):
                direct = _direct(
                    "people/_person_list.html",
                    {
                        "q": q,
                        "q_urlencoded": urlencode_filter(q),
                        "list_link": bool(q) and staff,
                        "sort": sort,
                        "sort_query": sort_query,
                        "show_support": staff,
                        "has_rows": bool(rows),
                        "rows_html": person_table_rows(rows, show_support=staff),
                    },
                    total=total,
                    page=page,
                    query=query,
                )
                filled = person_list_html(
                    rows=rows,
                    page=page,
                    total=total,
                    q=q,
                    sort=sort,
                    query=query,
                    sort_query=sort_query,
                    show_support=staff,
                    can_make_list=staff,
                )
                self.assertEqual(filled, direct)

    def test_a_segment_page_prints_what_its_template_prints(self) -> None:
        definition = {"op": "and", "filters": [{"field": "name", "value": '<b>"&'}]}
        segments = [
            Segment(pk=7, name='Seniors <b>"&', description="", definition=definition),
            Segment(pk=8, name="Jeunes", description='À <i>"relancer"</i> & co', definition={}),
        ]
        pages = [Paginator(PEOPLE, 50).get_page(number) for number in (1, 2, 3)]
        pages.append(Paginator([], 50).get_page(1))
        for language, staff, segment, sort, page in itertools.product(
            ("fr", "en"), (False, True), segments, SORTS, pages
        ):
            rows = person_rows(page.object_list)
            query, sort_query = _query_strings("", sort)
            described = f"Nom contient <b>{segment.name}</b>"
            with (
                self.subTest(language=language, staff=staff, segment=segment.pk, sort=sort),
                translation.override(language),
            ):
                direct = _direct(
                    "people/_segment_detail.html",
                    {
                        "segment_name": segment.name,
                        "has_description": bool(segment.description),
                        "segment_description": segment.description,
                        "can_manage": staff,
                        "export_url": f"/people/segments/{segment.pk}/export/",
                        "edit_url": f"/people/segments/{segment.pk}/edit/",
                        "segment_id": segment.pk,
                        "definition_described": described,
                        "definition": pprint(segment.definition),
                        "sort": sort,
                        "sort_query": sort_query,
                        "show_support": staff,
                        "has_rows": bool(rows),
                        "rows_html": segment_table_rows(rows, show_support=staff),
                    },
                    total=Total(page.paginator.count, "exact"),
                    page=page,
                    query=query,
                )
                filled = segment_page_html(
                    segment=segment,
                    described=described,
                    rows=rows,
                    page=page,
                    sort=sort,
                    query=query,
                    sort_query=sort_query,
                    show_support=staff,
                    can_manage=staff,
                )
                self.assertEqual(filled, direct)
