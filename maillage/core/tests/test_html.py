"""HTML drawn once and filled per request (core.html, #17): what each slot prints."""

from __future__ import annotations

from django.test import SimpleTestCase
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from maillage.core.html import fill_slots


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
