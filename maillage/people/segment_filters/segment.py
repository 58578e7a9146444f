"""The people of another saved segment, compiled in place ("in one of these segments",
"outside these segments")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.people.models import Segment
from maillage.people.segment_filters.base import (
    CompileContext,
    DescribeContext,
    Item,
    SegmentError,
    SegmentFilter,
    register,
)

MAX_DEPTH = 8


@register
class SavedSegment(SegmentFilter):
    field = "segment"
    order = 200
    # "Outside these segments" is a negated filter, "in one of them" an OR group of filters.
    form_takes_negated_and_groups = True

    def q(self, flt: Item, ctx: CompileContext) -> Q:
        try:
            segment_id = int(flt.get("id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise SegmentError(
                _("Le filtre « segment » demande l'identifiant d'un segment.")
            ) from None
        if segment_id in ctx.stack:
            raise SegmentError(
                _(
                    "Un segment ne peut pas se contenir lui-même"
                    " (directement ou par un autre segment)."
                )
            )
        if len(ctx.stack) >= MAX_DEPTH:
            raise SegmentError(_("Trop de segments imbriqués."))
        definition = (
            Segment.objects.filter(pk=segment_id).values_list("definition", flat=True).first()
        )
        if definition is None:
            raise SegmentError(_("Le segment n°%(id)s n'existe pas.") % {"id": segment_id})
        return ctx.group_q(definition, (*ctx.stack, segment_id))

    def describe(self, flt: Item, ctx: DescribeContext) -> str:
        name = ctx.segment_names.get(flt.get("id"))  # type: ignore[arg-type]
        if name is None:
            return str(_("segment n°%(id)s (supprimé)") % {"id": flt.get("id")})
        return str(_("dans le segment « %(name)s »") % {"name": name})

    def referenced_segments(self, flt: Item) -> set[int]:
        return {flt["id"]} if isinstance(flt.get("id"), int) else set()

    def form_fields(self, *, segment_id: int | None) -> dict[str, forms.Field]:
        others = Segment.objects.order_by("name")
        if segment_id:
            others = others.exclude(pk=segment_id)
        return {
            name: forms.ModelMultipleChoiceField(
                label=label,
                queryset=others,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            for name, label in (
                ("in_segments", gettext_lazy("Dans l'un de ces segments")),
                ("not_in_segments", gettext_lazy("Hors de ces segments")),
            )
        }

    def from_form(self, data: Mapping[str, Any]) -> list[Item]:
        items: list[Item] = []
        if data.get("in_segments"):
            items.append(
                {
                    "op": "or",
                    "filters": [{"field": "segment", "id": s.pk} for s in data["in_segments"]],
                }
            )
        for segment in data.get("not_in_segments") or []:
            items.append({"field": "segment", "id": segment.pk, "negate": True})
        return items

    def to_form(self, item: Item, fields: dict[str, Any]) -> bool:
        if "op" in item or "filters" in item:  # only "in one of these segments" is a group
            members = item.get("filters")
            if (
                item.get("negate")
                or item.get("op") != "or"
                or not isinstance(members, list)
                or not members
                or not all(
                    isinstance(m, dict) and set(m) == {"field", "id"} and m["field"] == "segment"
                    for m in members
                )
            ):
                return False
            return self.put(fields, "in_segments", [m["id"] for m in members])
        if item.get("negate"):
            if not isinstance(item.get("id"), int):
                return False
            fields.setdefault("not_in_segments", []).append(item["id"])
            return True
        return set(item) == {"field", "id"} and self.put(fields, "in_segments", [item["id"]])

    def to_form_done(self, fields: dict[str, Any]) -> bool:
        # A segment it names is gone: the checkboxes would drop it silently, the JSON keeps it.
        named = {*fields.get("in_segments", []), *fields.get("not_in_segments", [])}
        return not named or Segment.objects.filter(pk__in=named).count() == len(named)
