"""NumberFormat prints what the template filters it stands for print, in both languages (#17)."""

from __future__ import annotations

from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat
from django.test import SimpleTestCase
from django.utils import translation

from maillage.core.numbers import NumberFormat

INTEGERS = [0, 7, 999, 1000, 12345, 999999, 1234567, 48_000_000, -1234, -5]
FLOATS = [0.0, 0.125, 0.005, 1.005, 2.675, 12.5, 0.333333, 99.999, 1234.5678, -0.001, -3.14159]


class NumberFormatTests(SimpleTestCase):
    def test_the_same_text_as_intcomma_and_floatformat(self) -> None:
        for language in ("fr", "en"):
            with translation.override(language):
                numbers = NumberFormat()
                for value in INTEGERS:
                    with self.subTest(language=language, value=value):
                        self.assertEqual(numbers.intcomma(value), intcomma(value))
                for value in FLOATS:
                    with self.subTest(language=language, value=value):
                        self.assertEqual(numbers.fixed(value, 2), floatformat(value, 2))
