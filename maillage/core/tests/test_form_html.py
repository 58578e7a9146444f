"""Forms printed through core/_form.html, some rendered once per process (#17)."""

from __future__ import annotations

from django import forms
from django.test import SimpleTestCase
from django.utils import translation

from maillage.core import form_html as module
from maillage.core.form_html import form_html


class FilterForm(forms.Form):
    place = forms.ChoiceField(label="Lieu", required=False)
    share = forms.DecimalField(label="Part", required=False, max_value=100)

    def __init__(self, *args, places: list[tuple[str, str]], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = places  # type: ignore[attr-defined]


def _html(data: dict[str, str], places: list[tuple[str, str]]) -> str:
    form = FilterForm(data, places=places)
    form.is_valid()
    return str(
        form_html(
            form,
            rendered_from=(tuple(sorted(data.items())), tuple(places)),
        )
    )


class RenderedFromTestCase(SimpleTestCase):
    def setUp(self) -> None:
        module._bound.clear()

    def test_the_same_values_print_the_same_form_once(self) -> None:
        places = [("mrs", "Marseille"), ("lyo", "Lyon")]
        first = _html({"place": "lyo", "share": "5"}, places)
        self.assertIn('<option value="lyo" selected>Lyon</option>', first)
        self.assertIn('value="5"', first)
        self.assertEqual(len(module._bound), 1)
        self.assertEqual(_html({"place": "lyo", "share": "5"}, places), first)
        self.assertEqual(len(module._bound), 1)

    def test_other_data_choices_errors_or_language_print_their_own(self) -> None:
        places = [("mrs", "Marseille")]
        plain = _html({"place": "mrs", "share": "5"}, places)
        self.assertIn('value="5"', _html({"place": "mrs", "share": "5"}, places))
        self.assertIn('value="7"', _html({"place": "mrs", "share": "7"}, places))
        self.assertIn("Nice", _html({"place": "mrs", "share": "5"}, [*places, ("nce", "Nice")]))
        wrong = _html({"place": "mrs", "share": "500"}, places)
        self.assertNotEqual(wrong, plain)
        self.assertIn("100", wrong)  # the error names the maximum
        with translation.override("en"):
            english = _html({"place": "mrs", "share": "500"}, places)
        self.assertIn("less than or equal to 100", english)
        self.assertEqual(len(module._bound), 5)

    def test_the_cache_keeps_the_most_recently_used_forms(self) -> None:
        places = [("mrs", "Marseille")]
        for n in range(module.BOUND_FORMS_KEPT + 10):
            _html({"place": "mrs", "share": str(n)}, places)
        self.assertEqual(len(module._bound), module.BOUND_FORMS_KEPT)
