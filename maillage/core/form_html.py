"""A form printed through `core/_form.html`, the blank ones rendered once per process (#17).

Each widget of a form renders through the form renderer's templates (a select includes one
template per option), which costs a contact sheet more CPU than the rest of its page. A blank
form whose fields are the same on every page (no per-request choices or initial values in its
visible fields) is rendered once per class, prefix and language; its hidden fields, which may
carry a per-form value (InteractionForm's fresh `client_uuid`), are rendered on every call.
A bound form (errors, entered values) is rendered afresh, unless its caller names what its
rendering depends on (`rendered_from`: a filter form's query string and choices).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from django import forms
from django.template.loader import render_to_string
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from maillage.core.html import fill_slots

_blank_visible: dict[tuple[type[forms.BaseForm], str | None, str | None], str] = {}
# Bound forms by what their rendering depends on (`rendered_from`), least recently used first:
# a filter form's data comes from the query string, so the cache is bounded.
_bound: OrderedDict[tuple[object, ...], str] = OrderedDict()
BOUND_FORMS_KEPT = 256


def form_html(
    form: forms.BaseForm,
    *,
    same_for_everyone: bool = False,
    rendered_from: tuple[object, ...] | None = None,
) -> SafeString:
    """`core/_form.html` for `form`. `same_for_everyone`: the caller vouches that the form's
    visible fields render the same for every user and page when it is blank. `rendered_from`:
    the caller vouches that the form, bound or not, renders the same for the same values (its
    data and its choices; a filter form with no per-user field): it is rendered once per
    process for those values and the language."""
    if rendered_from is not None:
        bound_key = (type(form), form.prefix, get_language(), rendered_from)
        html = _bound.get(bound_key)
        if html is None:
            html = render_to_string("core/_form.html", {"form": form})
            _bound[bound_key] = html
            if len(_bound) > BOUND_FORMS_KEPT:
                _bound.popitem(last=False)
        else:
            _bound.move_to_end(bound_key)
        return SafeString(html)
    if not same_for_everyone or form.is_bound:
        return SafeString(render_to_string("core/_form.html", {"form": form}))
    key = (type(form), form.prefix, get_language())
    visible = _blank_visible.get(key)
    if visible is None:
        visible = _blank_visible[key] = render_to_string(
            "core/_form.html", {"form": form, "visible_only": True}
        )
    hidden = format_html_join("", "{}", ((field,) for field in form.hidden_fields()))
    return SafeString(hidden + SafeString(visible))


# Blank forms drawn once, as parts: even items HTML, odd items the name of a fresh field.
_blank_forms: dict[tuple[object, ...], tuple[str, ...]] = {}


def blank_form_html(
    form_class: type[forms.BaseForm],
    *,
    prefix: str | None = None,
    fresh: dict[str, Callable[[], object]] | None = None,
) -> SafeString:
    """What `form_html(form_class(prefix=prefix), same_for_everyone=True)` prints, without
    making the form on each call (a form copies every field when made: on a contact sheet,
    more CPU than its queries). Drawn once per class, prefix and language.

    `fresh`: hidden fields whose initial value must be new for each form printed (the
    interaction form's `client_uuid`), each with the function that makes one. The value the
    first form got marks where it goes; each call puts a new one there."""
    fresh = fresh or {}
    key = (form_class, prefix, get_language(), tuple(fresh))
    parts = _blank_forms.get(key)
    if parts is None:
        form = form_class(prefix=prefix)
        drawn = str(form_html(form, same_for_everyone=True))
        pieces: list[str] = [drawn]
        for name in fresh:
            marker = str(form[name].value())
            if not marker or drawn.count(marker) != 1:
                raise ValueError(f"{form_class.__name__}.{name}: no unique value to replace")
            last = pieces.pop()
            before, after = last.split(marker)
            pieces.extend([before, name, after])
        parts = _blank_forms[key] = tuple(pieces)
    return fill_slots(parts, {name: make() for name, make in fresh.items()})
