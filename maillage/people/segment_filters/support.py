"""Support level (political opinion, GDPR art. 9): the current one, and how it changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.people.models import Interaction, SupportLevel
from maillage.people.segment_filters.base import (
    CompileContext,
    DescribeContext,
    Item,
    SegmentError,
    SegmentFilter,
    labels_of,
    register,
    values_of,
)


def _levels(flt: Item, key: str) -> list[int]:
    values = values_of(flt, key)
    allowed = set(SupportLevel.values)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v in allowed for v in values):
        raise SegmentError(_("Un niveau de soutien va de 1 (pour) à 5 (contre)."))
    return values


def _levels_field(label: Any) -> forms.Field:
    return forms.TypedMultipleChoiceField(
        label=label,
        choices=SupportLevel.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


@register
class Support(SegmentFilter):
    """The current level (the latest one expressed) is one of `values` (1 for … 5 against)."""

    compiles_once = True

    field = "support"
    order = 80

    def q(self, flt: Item, ctx: CompileContext) -> Q:
        return Q(current_support__in=_levels(flt, "values"))

    def describe(self, flt: Item, ctx: DescribeContext) -> str:
        levels = labels_of(flt.get("values"), dict(SupportLevel.choices))
        return str(_("soutien actuel : %(levels)s") % {"levels": levels})

    def form_fields(self, *, segment_id: int | None) -> dict[str, forms.Field]:
        return {"support": _levels_field(gettext_lazy("Soutien actuel"))}

    def from_form(self, data: Mapping[str, Any]) -> list[Item]:
        return (
            [{"field": "support", "values": list(data["support"])}] if data.get("support") else []
        )

    def to_form(self, item: Item, fields: dict[str, Any]) -> bool:
        return self.put(fields, "support", item.get("values"))


@register
class SupportChange(SegmentFilter):
    """Once expressed a level in `from` and is now in `to` ("was undecided, is now for")."""

    compiles_once = True

    field = "support_change"
    order = 90

    def q(self, flt: Item, ctx: CompileContext) -> Q:
        was = Interaction.objects.filter(
            person_id=OuterRef("pk"), support_level__in=_levels(flt, "from")
        )
        return Q(current_support__in=_levels(flt, "to")) & Q(Exists(was))

    def describe(self, flt: Item, ctx: DescribeContext) -> str:
        return str(
            _("était %(before)s, est maintenant %(now)s")
            % {
                "before": labels_of(flt.get("from"), dict(SupportLevel.choices)),
                "now": labels_of(flt.get("to"), dict(SupportLevel.choices)),
            }
        )

    def form_fields(self, *, segment_id: int | None) -> dict[str, forms.Field]:
        return {
            "support_from": _levels_field(gettext_lazy("Était")),
            "support_to": _levels_field(gettext_lazy("Est maintenant")),
        }

    def from_form(self, data: Mapping[str, Any]) -> list[Item]:
        if not (data.get("support_from") or data.get("support_to")):
            return []
        if not (data.get("support_from") and data.get("support_to")):
            raise SegmentError(_("« Était » et « est maintenant » vont ensemble."))
        return [
            {
                "field": "support_change",
                "from": list(data["support_from"]),
                "to": list(data["support_to"]),
            }
        ]

    def to_form(self, item: Item, fields: dict[str, Any]) -> bool:
        return self.put(fields, "support_from", item.get("from")) and self.put(
            fields, "support_to", item.get("to")
        )
