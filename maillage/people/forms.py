"""Forms of the people pages: recording an interaction or a consent, building a segment,
deciding on a duplicate pair. They parse and validate; the services write."""

from __future__ import annotations

import json
import uuid
from typing import Any, cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ImproperlyConfigured
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from maillage.people.models import Channel, Consent, ConsentChannel, Interaction, SupportLevel
from maillage.people.segment_filters.base import (
    SegmentError,
    SegmentFilter,
    is_group,
    segment_filter,
    segment_filters,
)
from maillage.people.selectors.segments import segment_definition_validate


class InteractionForm(forms.Form):
    channel = forms.ChoiceField(label=_("Canal"), choices=Channel.choices, initial=Channel.DOOR)
    result = forms.ChoiceField(
        label=_("Résultat"), choices=Interaction.Result.choices, initial=Interaction.Result.TALKED
    )
    support_level = forms.TypedChoiceField(
        label=_("Soutien exprimé"),
        choices=[("", _("Non exprimé")), *SupportLevel.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    question = forms.CharField(
        label=_("Question pour l'équipe"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # A fresh key per rendered form: a double tap or a retry stores the result once.
            self.initial["client_uuid"] = uuid.uuid4()


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(label=_("Canal"), choices=ConsentChannel.choices)
    granted = forms.TypedChoiceField(
        label=_("Décision"),
        choices=[("1", _("Accordé")), ("0", _("Refusé"))],
        coerce=lambda v: v == "1",
    )
    legal_basis = forms.ChoiceField(
        label=_("Base légale"),
        choices=Consent.LegalBasis.choices,
        initial=Consent.LegalBasis.CONSENT,
    )
    source = forms.CharField(label=_("Source"), max_length=150, initial=_("fiche contact"))


class SegmentBuilderForm(forms.Form):
    """Flat fields for the usual filters, joined by AND or OR; the JSON field takes any
    definition (nested groups, negation) and wins when filled. The flat fields are the filter
    registry's (`maillage.people.segment_filters`), in its order; this form only joins them."""

    name = forms.CharField(label=_("Nom"), max_length=150, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    op = forms.ChoiceField(
        label=_("Combiner les filtres par"),
        choices=[("and", _("ET (tous)")), ("or", _("OU (au moins un)"))],
        initial="and",
    )
    definition_json = forms.CharField(
        label=_("Définition JSON (avancé)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Remplace les champs ci-dessus ; voir docs/segments.md."),
    )

    def __init__(self, *args: Any, segment_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.segment_id = segment_id
        fields = {name: self.fields[name] for name in ("name", "description", "op")}
        for flt in segment_filters():
            for name, field in flt.form_fields(segment_id=segment_id).items():
                if name in fields or name == "definition_json":
                    raise ImproperlyConfigured(
                        f"Segment filter {flt.field!r} reuses the builder field {name!r}."
                    )
                fields[name] = field
        fields["definition_json"] = self.fields["definition_json"]
        self.fields = fields

    def definition(self) -> dict[str, Any]:
        data = self.cleaned_data
        raw = (data.get("definition_json") or "").strip()
        if raw:
            try:
                parsed = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise SegmentError(
                    # Not `exc.msg`: the parser explains in English ("Expecting value").
                    gettext("JSON invalide à la ligne %(line)s, colonne %(column)s.")
                    % {"line": exc.lineno, "column": exc.colno}
                ) from None
            if not isinstance(parsed, dict):
                raise SegmentError(gettext("La définition est un objet JSON."))
            return parsed
        filters: list[dict[str, Any]] = []
        for flt in segment_filters():
            filters.extend(flt.from_form(data))
        return {"op": data.get("op") or "and", "filters": filters}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            try:
                self.compiled = self.definition()
                segment_definition_validate(definition=self.compiled, segment_id=self.segment_id)
            except SegmentError as exc:
                raise forms.ValidationError(exc.message) from None
        return cleaned

    def error_summary(self) -> str:
        """Every error on one line, each field's named: what the live count shows."""
        return " ".join(
            str(error)
            if name == NON_FIELD_ERRORS
            else gettext("%(field)s : %(error)s") % {"field": self[name].label, "error": error}
            for name, errors in self.errors.items()
            for error in errors
        )

    @classmethod
    def initial_from(cls, definition: dict[str, Any]) -> dict[str, Any]:
        """The builder's fields for a saved definition: the flat fields when they can say it
        exactly, else the JSON field (nested groups, negations, date ranges…) so nothing is lost."""
        flat = _flat_fields(definition)
        if flat is not None:
            return flat
        return {
            "definition_json": json.dumps(definition, ensure_ascii=False),
            "op": definition.get("op", "and"),
        }


def _owner(item: dict[str, Any]) -> SegmentFilter | None:
    """The filter an item of the top-level group belongs to; a group belongs to the filter of
    its members when they are all the same filter."""
    if not is_group(item):
        return segment_filter(item.get("field"))
    members = item.get("filters")
    kinds = (
        {m.get("field") for m in members if isinstance(m, dict)}
        if isinstance(members, list)
        else set()
    )
    return segment_filter(kinds.pop()) if len(kinds) == 1 else None


def _flat_fields(definition: dict[str, Any]) -> dict[str, Any] | None:
    """The inverse of `SegmentBuilderForm.definition`, or None when a filter has no flat field
    (or two filters would need the same one): the builder then shows the JSON instead."""
    if definition.get("negate") or definition.get("op", "and") not in ("and", "or"):
        return None
    fields: dict[str, Any] = {"op": definition.get("op", "and")}
    used: dict[str, SegmentFilter] = {}
    for item in definition.get("filters", []):
        if not isinstance(item, dict):
            return None
        owner = _owner(item)
        if owner is None:
            return None
        plain = not item.get("negate") and not is_group(item)
        if not (plain or owner.form_takes_negated_and_groups):
            return None
        if not owner.to_form(item, fields):
            return None
        used[owner.field] = owner
    if not all(owner.to_form_done(fields) for owner in used.values()):
        return None
    fields["definition_json"] = ""
    return fields


class DuplicateDecisionForm(forms.Form):
    keep = forms.TypedChoiceField(
        label=_("Personne à garder"), coerce=int, widget=forms.RadioSelect
    )
    decision = forms.ChoiceField(
        choices=[("merge", _("Fusionner")), ("dismiss", _("Personnes distinctes"))]
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["keep"]).choices = choices
        self.fields["keep"].required = False
