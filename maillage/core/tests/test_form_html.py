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


class KeyedForm(forms.Form):
    """A form with a fresh hidden key per form printed, as the interaction form has."""

    note = forms.CharField(label="Note", required=False)
    key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        import uuid

        self.initial["key"] = uuid.uuid4()


class BlankFormTests(SimpleTestCase):
    def setUp(self) -> None:
        module._blank_forms.clear()
        module._blank_visible.clear()

    def test_it_prints_what_the_form_prints_with_a_new_key_each_time(self) -> None:
        import re
        import uuid

        first = str(module.blank_form_html(KeyedForm, fresh={"key": uuid.uuid4}))
        second = str(module.blank_form_html(KeyedForm, fresh={"key": uuid.uuid4}))
        keys = [re.search(r'name="key" value="([^"]+)"', html).group(1) for html in (first, second)]  # type: ignore[union-attr]
        self.assertNotEqual(keys[0], keys[1])
        made = KeyedForm()
        expected = str(form_html(made, same_for_everyone=True)).replace(
            str(made.initial["key"]), keys[0]
        )
        self.assertEqual(first, expected)
        self.assertIn('id="id_note"', first)

    def test_each_language_and_prefix_has_its_own(self) -> None:
        with translation.override("en"):
            english = str(module.blank_form_html(FilterFormBlank, prefix="a"))
        self.assertIn('name="a-place"', english)
        self.assertIn('name="b-place"', str(module.blank_form_html(FilterFormBlank, prefix="b")))
        self.assertEqual(len(module._blank_forms), 2)

    def test_a_fresh_field_needs_a_value_to_replace(self) -> None:
        with self.assertRaises(ValueError):
            module.blank_form_html(FilterFormBlank, fresh={"place": lambda: "x"})


class FilterFormBlank(forms.Form):
    place = forms.CharField(label="Lieu", required=False)
