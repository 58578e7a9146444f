"""Forms of the turf pages: cutting a turf (one form per way of cutting), handing it out, and
the paper results typed back in."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.accounts.models import Team, User
from maillage.canvassing.models import Turf
from maillage.core.columns import max_length

_SEPARATORS = re.compile(r"[\s,;]+")


class UserChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} ({obj.email})" if obj.full_name else obj.email


class TurfBaseForm(forms.Form):
    name = forms.CharField(label=_("Nom du secteur"), max_length=max_length(Turf, "name"))
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def split_codes(text: str) -> list[str]:
    return [code for code in _SEPARATORS.split(text or "") if code]


class StationTurfForm(TurfBaseForm):
    stations = forms.CharField(
        label=_("Bureaux de vote"),
        help_text=_("Codes des bureaux séparés par des virgules, par ex. 13999_0003, 13999_0004."),
    )

    def clean_stations(self) -> list[str]:
        codes = split_codes(self.cleaned_data["stations"])
        if not codes:
            raise forms.ValidationError(_("Indiquez au moins un bureau de vote."))
        return codes


class StreetsTurfForm(TurfBaseForm):
    commune_code = forms.CharField(label=_("Commune (code INSEE)"), max_length=10)
    streets = forms.CharField(
        label=_("Rues"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Une rue par ligne, par ex. « rue de la République ». Les abréviations (bd, av) et les accents ne comptent pas."
        ),
    )

    def clean_streets(self) -> list[str]:
        streets = [line.strip() for line in self.cleaned_data["streets"].splitlines()]
        streets = [s for s in streets if s]
        if not streets:
            raise forms.ValidationError(_("Indiquez au moins une rue."))
        return streets


class SegmentTurfForm(TurfBaseForm):
    # The queryset is the user's segments, set in __init__.
    segment: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Segment"), queryset=User.objects.none(), empty_label=_("— choisir —")
    )
    stations = forms.CharField(
        label=_("Limiter aux bureaux de vote"),
        required=False,
        help_text=_("Facultatif : codes des bureaux séparés par des virgules."),
    )

    def __init__(self, *args: Any, segments: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["segment"]).queryset = segments

    def clean_stations(self) -> list[str]:
        return split_codes(self.cleaned_data["stations"])


class PolygonTurfForm(TurfBaseForm):
    geometry = forms.CharField(
        label=_("Zone dessinée (GeoJSON)"),
        widget=forms.HiddenInput(attrs={"data-map-geometry": "1"}),
        error_messages={"required": _("Dessinez la zone sur la carte.")},
    )


class TurfAssignForm(forms.Form):
    users = UserChoiceField(
        label=_("Bénévoles"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Ctrl ou ⌘ pour en choisir plusieurs."),
    )
    teams: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Équipes"), queryset=Team.objects.none(), required=False
    )
    starts_on = forms.DateField(
        label=_("Du"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        required=False,
    )
    ends_on = forms.DateField(
        label=_("Au (inclus)"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        required=False,
        help_text=_("Vide : sans date de fin."),
    )

    def __init__(
        self, *args: Any, users: QuerySet[Any], teams: QuerySet[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["users"]).queryset = users
        cast(forms.ModelChoiceField, self.fields["teams"]).queryset = teams

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not cleaned.get("users") and not cleaned.get("teams"):
            raise forms.ValidationError(_("Choisissez au moins une personne ou une équipe."))
        return cleaned


class PaperEntryHeaderForm(forms.Form):
    """When the paper sheet was walked: every row typed in gets this date and time."""

    walked_on = forms.DateField(
        label=_("Date du passage"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    walked_at = forms.TimeField(
        label=_("Heure"),
        widget=forms.TimeInput(attrs={"type": "time"}),
        required=False,
        help_text=_("Vide : midi."),
    )

    def clean_walked_on(self) -> date:
        walked_on: date = self.cleaned_data["walked_on"]
        if walked_on > timezone.localdate():
            raise forms.ValidationError(_("Le passage ne peut pas être dans le futur."))
        return walked_on

    def occurred_at(self) -> datetime:
        at = self.cleaned_data.get("walked_at") or time(12, 0)
        moment = timezone.make_aware(datetime.combine(self.cleaned_data["walked_on"], at))
        return min(moment, timezone.now())
