"""Where a person votes: commune, polling station, constituency (the codes kept on Person);
whether their address is on the map."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.people.models import GeocodeStatus
from maillage.people.segment_filters.base import (
    CodesFilter,
    CompileContext,
    DescribeContext,
    Item,
    SegmentError,
    SegmentFilter,
    codes_of,
    labels_of,
    register,
    values_of,
)


class _PlaceFilter(CodesFilter):
    compiles_once = True
    column: str

    def q(self, flt: Item, ctx: CompileContext) -> Q:
        return Q(**{f"{self.column}__in": codes_of(flt)})


@register
class Commune(_PlaceFilter):
    """INSEE codes (`13055`, `2A004`)."""

    field = "commune"
    order = 30
    column = "commune_code"
    form_name = "communes"
    label = gettext_lazy("Communes (codes INSEE)")
    help_text = gettext_lazy("Séparés par des virgules, ex. 13055")
    wording = gettext_lazy("commune : %(codes)s")


@register
class PollingStation(_PlaceFilter):
    """`<commune>_<bureau, zero-padded to 4 if numeric>`, e.g. `13055_0003`."""

    field = "polling_station"
    order = 40
    column = "polling_station_code"
    form_name = "polling_stations"
    label = gettext_lazy("Bureaux de vote")
    help_text = gettext_lazy("ex. 13055_0003")
    wording = gettext_lazy("bureau de vote : %(codes)s")


@register
class Constituency(_PlaceFilter):
    """Department + 2-digit number (`1303`, `2A01`, `97101`)."""

    field = "constituency"
    order = 50
    column = "constituency_code"
    form_name = "constituencies"
    label = gettext_lazy("Circonscriptions")
    help_text = gettext_lazy("ex. 1303")
    wording = gettext_lazy("circonscription : %(codes)s")


# A segment's geocoding states, as definitions store them (never renamed once saved).
_GEOCODE_STATES = {
    "found": (Q(geocode_status=GeocodeStatus.FOUND), gettext_lazy("localisée")),
    "not_found": (Q(geocode_status=GeocodeStatus.NOT_FOUND), gettext_lazy("introuvable")),
    "pending": (Q(geocode_status__isnull=True), gettext_lazy("pas encore géocodée")),
}


@register
class Geocoded(SegmentFilter):
    """Where the address stands with the geocoder: `values` among found (has coordinates),
    not_found, pending (never tried). Turfs drawn on a map need the found ones."""

    compiles_once = True

    field = "geocode"
    order = 55

    def _values(self, flt: Item) -> list[str]:
        values = values_of(flt)
        if not values or not all(isinstance(v, str) and v in _GEOCODE_STATES for v in values):
            raise SegmentError(
                _("Géocodage : %(allowed)s.") % {"allowed": ", ".join(_GEOCODE_STATES)}
            )
        return values

    def q(self, flt: Item, ctx: CompileContext) -> Q:
        condition = Q()
        for value in self._values(flt):
            condition |= _GEOCODE_STATES[value][0]
        return condition

    def describe(self, flt: Item, ctx: DescribeContext) -> str:
        words = {key: label for key, (_q, label) in _GEOCODE_STATES.items()}
        return str(_("adresse %(states)s") % {"states": labels_of(flt.get("values"), words)})

    def form_fields(self, *, segment_id: int | None) -> dict[str, forms.Field]:
        return {
            "geocode": forms.MultipleChoiceField(
                label=gettext_lazy("Adresse sur la carte"),
                choices=[(key, label) for key, (_q, label) in _GEOCODE_STATES.items()],
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        }

    def from_form(self, data: Mapping[str, Any]) -> list[Item]:
        values = data.get("geocode")
        return [{"field": "geocode", "values": list(values)}] if values else []

    def to_form(self, item: Item, fields: dict[str, Any]) -> bool:
        return self.put(fields, "geocode", item.get("values"))
