"""HTML drawn once and filled per request (core.html, #17): what each slot prints."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import SimpleTestCase
from django.urls import reverse, set_script_prefix
from django.utils import translation
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from maillage.core import html as module
from maillage.core.html import fill_slots
from maillage.core.pagination import NextPage, Total, pagination_html, total_html


class FillSlotsTestCase(SimpleTestCase):
    parts = ("<p>", "value", "</p>")

    def test_it_escapes_a_plain_value(self) -> None:
        for value in ("<b>\"&'", 42, None, gettext_lazy("Personnes"), "\xa0"):
            with self.subTest(value=value):
                filled = fill_slots(self.parts, {"value": value})
                self.assertEqual(filled, f"<p>{conditional_escape(value)}</p>")

    def test_it_prints_safe_html_as_it_is(self) -> None:
        """The rows of a table, a total or a pagination filled before: escaping them again
        would print their tags as text."""
        rows = mark_safe("<tr><td>A &amp; B</td></tr>")  # noqa: S308 - a literal
        self.assertEqual(fill_slots(self.parts, {"value": rows}), f"<p>{rows}</p>")
        filled_before = fill_slots(self.parts, {"value": "<i>"})
        self.assertEqual(
            fill_slots(self.parts, {"value": filled_before}), "<p><p>&lt;i&gt;</p></p>"
        )


class DrawnOnceTestCase(SimpleTestCase):
    """Each printed as its template prints it, for inputs that change its shape in turn: a
    fragment kept under too small a key, or a value drawn in rather than filled, fails."""

    def setUp(self) -> None:
        module._fragments.clear()

    def test_the_total_prints_what_core_total_html_prints(self) -> None:
        totals = [Total(n, "exact") for n in (0, 1, 2, 21, 1234, 10_000)]
        totals += [Total(10_000, "more_than"), Total(1_000_000, "about"), Total(1, "about")]
        for language in ("fr", "en"):
            for total in totals:
                with self.subTest(language=language, total=total), translation.override(language):
                    direct = render_to_string("core/_total.html", {"total": total})
                    # The template file's closing line break, which the page prints itself.
                    self.assertEqual(f"{total_html(total)}\n", direct)

    def test_the_pagination_prints_what_its_templates_print(self) -> None:
        rows = list(range(120))
        pages: list[Any] = []
        for number in (1, 2, 3, 4):  # first, middle, last, beyond the last
            pages.append(NextPage(lambda offset, limit: rows[offset : offset + limit], number, 50))
            pages.append(Paginator(rows, 50).get_page(number))
        pages += [NextPage(lambda offset, limit: [], 1, 50), Paginator([], 50).get_page(1)]
        for language in ("fr", "en"):
            for query in ("", "q=%3Cb%3E&sort=-age", '<b>"&'):
                for page in pages:
                    template = (
                        "core/_next_pagination.html"
                        if isinstance(page, NextPage)
                        else "core/_pagination.html"
                    )
                    with (
                        self.subTest(language=language, query=query, page=(template, page.number)),
                        translation.override(language),
                    ):
                        direct = render_to_string(template, {"page": page, "query": query})
                        self.assertEqual(pagination_html(page, query=query), direct)


class IdUrlTestCase(SimpleTestCase):
    """`id_url` answers what `reverse(viewname, args=[pk])` answers, under any URL prefix."""

    VIEWS = (
        "people:person_detail",
        "people:person_consent",
        "people:person_interaction",
        "people:person_sar",
        "people:person_erase",
    )

    def test_the_same_url_as_reverse_for_each_view_and_id(self) -> None:
        for viewname in self.VIEWS:
            for pk in (1, 42, 10**12):
                with self.subTest(viewname=viewname, pk=pk):
                    self.assertEqual(module.id_url(viewname, pk), reverse(viewname, args=[pk]))

    def test_under_another_url_prefix(self) -> None:
        before = module.id_url("people:person_detail", 7)
        set_script_prefix("/campagne/")
        try:
            self.assertEqual(module.id_url("people:person_detail", 7), f"/campagne{before}")
            self.assertEqual(
                module.id_url("people:person_detail", 7), reverse("people:person_detail", args=[7])
            )
        finally:
            set_script_prefix("/")
        self.assertEqual(module.id_url("people:person_detail", 7), before)

    def test_an_id_is_printed_as_a_number(self) -> None:
        self.assertEqual(
            module.id_url("people:person_detail", "0012"),  # type: ignore[arg-type]
            reverse("people:person_detail", args=[12]),
        )
