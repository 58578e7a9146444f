"""A form printed through `core/_form.html`, the blank ones rendered once per process (#17).

Each widget of a form renders through the form renderer's templates (a select includes one
template per option), which costs a contact sheet more CPU than the rest of its page. A blank
form whose fields are the same on every page (no per-request choices or initial values in its
visible fields) is rendered once per class, prefix and language; its hidden fields, which may
carry a per-form value (InteractionForm's fresh `client_uuid`), are rendered on every call.
A bound form (errors, entered values) is always rendered afresh.
"""

from __future__ import annotations

from django import forms
from django.template.loader import render_to_string
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language

_blank_visible: dict[tuple[type[forms.BaseForm], str | None, str | None], str] = {}


def form_html(form: forms.BaseForm, *, same_for_everyone: bool = False) -> SafeString:
    """`core/_form.html` for `form`. `same_for_everyone`: the caller vouches that the form's
    visible fields render the same for every user and page when it is blank."""
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
