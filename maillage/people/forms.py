"""Forms of the people pages: recording an interaction or a consent, building a segment,
deciding on a duplicate pair. They parse and validate; the services write."""

from __future__ import annotations

import json
import uuid
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from maillage.people.models import (
    ROLE_LABELS,
    Channel,
    Consent,
    ConsentChannel,
    Interaction,
    Segment,
    Sex,
    SupportLevel,
)
from maillage.people.selectors.segments import (
    REACHABLE_LABELS,
    SegmentError,
    segment_definition_validate,
)
from maillage.people.services.persons import tag_slug


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


def _codes(text: str) -> list[str]:
    return [
        part.strip()
        for part in text.replace(";", ",").replace("\n", ",").split(",")
        if part.strip()
    ]


class SegmentBuilderForm(forms.Form):
    """Flat fields for the usual filters, joined by AND or OR; the JSON field takes any
    definition (nested groups, negation) and wins when filled."""

    name = forms.CharField(label=_("Nom"), max_length=150, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    op = forms.ChoiceField(
        label=_("Combiner les filtres par"),
        choices=[("and", _("ET (tous)")), ("or", _("OU (au moins un)"))],
        initial="and",
    )
    age_min = forms.IntegerField(label=_("Âge minimum"), min_value=0, max_value=130, required=False)
    age_max = forms.IntegerField(label=_("Âge maximum"), min_value=0, max_value=130, required=False)
    sex = forms.ChoiceField(
        label=_("Sexe"),
        choices=[("", _("Indifférent")), (Sex.FEMALE, _("Femme")), (Sex.MALE, _("Homme"))],
        required=False,
    )
    communes = forms.CharField(
        label=_("Communes (codes INSEE)"),
        required=False,
        help_text=_("Séparés par des virgules, ex. 13055"),
    )
    polling_stations = forms.CharField(
        label=_("Bureaux de vote"), required=False, help_text=_("ex. 13055_0003")
    )
    constituencies = forms.CharField(
        label=_("Circonscriptions"), required=False, help_text=_("ex. 1303")
    )
    tags = forms.CharField(label=_("Étiquettes"), required=False, help_text=_("ex. infirmiere"))
    roles = forms.MultipleChoiceField(
        label=_("Rôles (au moins un)"),
        choices=list(ROLE_LABELS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    support = forms.TypedMultipleChoiceField(
        label=_("Soutien actuel"),
        choices=SupportLevel.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    support_from = forms.TypedMultipleChoiceField(
        label=_("Était"),
        choices=SupportLevel.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    support_to = forms.TypedMultipleChoiceField(
        label=_("Est maintenant"),
        choices=SupportLevel.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    last_channel = forms.ChoiceField(
        label=_("Contacté par"), choices=[("", _("Indifférent")), *Channel.choices], required=False
    )
    last_result = forms.ChoiceField(
        label=_("Avec le résultat"),
        choices=[("", _("Indifférent")), *Interaction.Result.choices],
        required=False,
    )
    last_since = forms.DateField(
        label=_("Depuis le"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reachable = forms.ChoiceField(
        label=_("Joignable avec consentement"),
        choices=[
            ("", _("Indifférent")),
            *REACHABLE_LABELS.items(),
        ],
        required=False,
    )
    not_contacted_since = forms.DateField(
        label=_("Pas contacté depuis le"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    in_segments = forms.ModelMultipleChoiceField(
        label=_("Dans l'un de ces segments"),
        queryset=Segment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    not_in_segments = forms.ModelMultipleChoiceField(
        label=_("Hors de ces segments"),
        queryset=Segment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
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
        others = Segment.objects.order_by("name")
        if segment_id:
            others = others.exclude(pk=segment_id)
        cast(forms.ModelMultipleChoiceField, self.fields["in_segments"]).queryset = others
        cast(forms.ModelMultipleChoiceField, self.fields["not_in_segments"]).queryset = others

    def definition(self) -> dict[str, Any]:
        data = self.cleaned_data
        raw = (data.get("definition_json") or "").strip()
        if raw:
            try:
                parsed = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise SegmentError(f"JSON invalide : {exc.msg} (ligne {exc.lineno}).") from None
            if not isinstance(parsed, dict):
                raise SegmentError("La définition est un objet JSON.")
            return parsed
        filters: list[dict[str, Any]] = []
        if data.get("age_min") is not None or data.get("age_max") is not None:
            filters.append({"field": "age", "min": data.get("age_min"), "max": data.get("age_max")})
        if data.get("sex"):
            filters.append({"field": "sex", "value": data["sex"]})
        for key, field in (
            ("communes", "commune"),
            ("polling_stations", "polling_station"),
            ("constituencies", "constituency"),
        ):
            if _codes(data.get(key) or ""):
                filters.append({"field": field, "values": _codes(data[key])})
        if _codes(data.get("tags") or ""):
            filters.append({"field": "tag", "values": [tag_slug(t) for t in _codes(data["tags"])]})
        if data.get("roles"):
            filters.append({"field": "role", "values": list(data["roles"])})
        if data.get("support"):
            filters.append({"field": "support", "values": list(data["support"])})
        if data.get("support_from") or data.get("support_to"):
            if not (data.get("support_from") and data.get("support_to")):
                raise SegmentError("« Était » et « est maintenant » vont ensemble.")
            filters.append(
                {
                    "field": "support_change",
                    "from": list(data["support_from"]),
                    "to": list(data["support_to"]),
                }
            )
        if data.get("last_channel") or data.get("last_result") or data.get("last_since"):
            filters.append(
                {
                    "field": "last_interaction",
                    "channel": data.get("last_channel") or None,
                    "result": data.get("last_result") or None,
                    "since": data["last_since"].isoformat() if data.get("last_since") else None,
                    "until": None,
                }
            )
        if data.get("reachable"):
            filters.append({"field": "reachable", "channel": data["reachable"]})
        if data.get("not_contacted_since"):
            filters.append(
                {"field": "not_contacted_since", "date": data["not_contacted_since"].isoformat()}
            )
        if data.get("in_segments"):
            filters.append(
                {
                    "op": "or",
                    "filters": [{"field": "segment", "id": s.pk} for s in data["in_segments"]],
                }
            )
        for segment in data.get("not_in_segments") or []:
            filters.append({"field": "segment", "id": segment.pk, "negate": True})
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

    @classmethod
    def initial_from(cls, definition: dict[str, Any]) -> dict[str, Any]:
        """The builder's fields for a saved definition: the flat fields when they can say it
        exactly, else the JSON field (nested groups, negations, date ranges…) so nothing is lost."""
        flat = _flat_fields(definition)
        if flat is not None:
            named = {*flat.get("in_segments", []), *flat.get("not_in_segments", [])}
            # A segment it names is gone: the checkboxes would drop it silently, the JSON keeps it.
            if not named or Segment.objects.filter(pk__in=named).count() == len(named):
                return flat
        return {
            "definition_json": json.dumps(definition, ensure_ascii=False),
            "op": definition.get("op", "and"),
        }


# One flat field per filter of the top-level group: what `SegmentBuilderForm.definition` writes.
# Filters held by one key, and the flat field that holds it.
_ONE_KEY_FIELDS = {
    "sex": ("sex", "value"),
    "role": ("roles", "values"),
    "support": ("support", "values"),
    "reachable": ("reachable", "channel"),
    "not_contacted_since": ("not_contacted_since", "date"),
}
_CODE_FIELDS = {
    "commune": "communes",
    "polling_station": "polling_stations",
    "constituency": "constituencies",
    "tag": "tags",
}


def _flat_fields(definition: dict[str, Any]) -> dict[str, Any] | None:
    """The inverse of `SegmentBuilderForm.definition`, or None when a filter has no flat field
    (or two filters would need the same one): the builder then shows the JSON instead."""
    if definition.get("negate") or definition.get("op", "and") not in ("and", "or"):
        return None
    fields: dict[str, Any] = {"op": definition.get("op", "and")}
    not_in: list[int] = []

    def put(name: str, value: Any) -> bool:
        if name in fields or value in (None, "", []):
            return False
        fields[name] = value
        return True

    for item in definition.get("filters", []):
        if not isinstance(item, dict):
            return None
        field = item.get("field")
        if field == "segment" and item.get("negate") and isinstance(item.get("id"), int):
            not_in.append(item["id"])
            continue
        if item.get("negate"):
            return None
        if "op" in item:  # only "in one of these segments" is a group the flat form writes
            members = item.get("filters", [])
            if (
                item["op"] != "or"
                or not members
                or not all(
                    isinstance(m, dict) and set(m) == {"field", "id"} and m["field"] == "segment"
                    for m in members
                )
            ):
                return None
            if not put("in_segments", [m["id"] for m in members]):
                return None
        elif field == "segment" and set(item) == {"field", "id"}:
            if not put("in_segments", [item["id"]]):
                return None
        elif field == "age":
            if (item.get("min") is None and item.get("max") is None) or "age_min" in fields:
                return None
            fields["age_min"], fields["age_max"] = item.get("min"), item.get("max")
        elif field in _ONE_KEY_FIELDS:
            name, key = _ONE_KEY_FIELDS[field]
            if not put(name, item.get(key)):
                return None
        elif field in _CODE_FIELDS:
            values = item.get("values")
            if not isinstance(values, list) or any("," in str(v) for v in values):
                return None
            if not put(_CODE_FIELDS[field], ", ".join(str(v) for v in values)):
                return None
        elif field == "support_change":
            if not put("support_from", item.get("from")) or not put("support_to", item.get("to")):
                return None
        elif field == "last_interaction":
            if item.get("until") or "last_channel" in fields:
                return None
            given = {
                "last_channel": item.get("channel"),
                "last_result": item.get("result"),
                "last_since": item.get("since"),
            }
            if not any(given.values()):
                return None
            fields.update({k: v for k, v in given.items() if v})
            fields.setdefault("last_channel", "")  # marks the filter as taken
        else:
            return None
    if not_in:
        fields["not_in_segments"] = not_in
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
