"""Where a person votes: commune, polling station, constituency (the codes kept on Person)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy

from maillage.people.segment_filters.base import (
    CodesFilter,
    CompileContext,
    Item,
    codes_of,
    register,
)


class _PlaceFilter(CodesFilter):
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
