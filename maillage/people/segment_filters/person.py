"""Who a person is: age, sex, roles, tags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.people.models import ROLE_LABELS, PersonTag, Sex
from maillage.people.normalise import fold
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
from maillage.people.services.persons import tag_slug

MAX_AGE = 130
ROLES = tuple(ROLE_LABELS)


@register
class Age(SegmentFilter):
    """Age in the calendar year (current year − birth year), as on the roll, where many birth
    dates are a year alone; it keeps the filter a range on the indexed `birth_year`."""

    compiles_once = True

    field = "age"
    order = 10

    def q(self, flt: Item, ctx: CompileContext) -> Q:
        low, high = flt.get("min"), flt.get("max")
        for bound in (low, high):
            if bound is not None and (
                not isinstance(bound, int) or isinstance(bound, bool) or not 0 <= bound <= MAX_AGE
            ):
                raise SegmentError(_("Un âge est un nombre entier entre 0 et 130."))
        if low is None and high is None:
            raise SegmentError(_("Le filtre d'âge demande un minimum, un maximum ou les deux."))
        if low is not None and high is not None and low > high:
            raise SegmentError(
                _("Tranche d'âge impossible : de %(min)s à %(max)s ans.")
                % {"min": low, "max": high}
            )
        q = Q(birth_year__isnull=False)
        if low is not None:
            q &= Q(birth_year__lte=ctx.today.year - low)
        if high is not None:
            q &= Q(birth_year__gte=ctx.today.year - high)
        return q

    def describe(self, flt: Item, ctx: DescribeContext) -> str:
        low, high = flt.get("min"), flt.get("max")
        if low is not None and high is not None:
            return str(_("de %(min)s à %(max)s ans") % {"min": low, "max": high})
        if low is not None:
            return str(_("%(min)s ans et plus") % {"min": low})
        return str(_("%(max)s ans et moins") % {"max": high})

    def form_fields(self, *, segment_id: int | None) -> dict[str, forms.Field]:
        # The builder's form has `novalidate`: the browser's own range check would stop the live
        # count without a word, so the server says it, naming the field.
        errors = {
            "min_value": gettext_lazy("Un âge va de 0 à 130 ans."),
            "max_value": gettext_lazy("Un âge va de 0 à 130 ans."),
        }
        return {
            name: forms.IntegerField(
                label=label, min_value=0, max_value=MAX_AGE, required=False, error_messages=errors
            )
            for name, label in (
                ("age_min", gettext_lazy("Âge minimum")),
                ("age_max", gettext_lazy("Âge maximum")),
            )
        }

    def from_form(self, data: Mapping[str, Any]) -> list[Item]:
        if data.get("age_min") is None and data.get("age_max") is None:
            return []
        return [{"field": "age", "min": data.get("age_min"), "max": data.get("age_max")}]

    def to_form(self, item: Item, fields: dict[str, Any]) -> bool:
        if (item.get("min") is None and item.get("max") is None) or "age_min" in fields:
            return False
        fields["age_min"], fields["age_max"] = item.get("min"), item.get("max")
        return True


@register
class SexFilter(SegmentFilter):
    compiles_once = True
    field = "sex"
    order = 20

    def q(self, flt: Item, ctx: CompileContext) -> Q:
        value = flt.get("value")
        if value not in (Sex.FEMALE, Sex.MALE):
            raise SegmentError(_("Le filtre de sexe attend « F » ou « M »."))
        return Q(sex=value)

    def describe(self, flt: Item, ctx: DescribeContext) -> str:
        sex = str(flt.get("value"))
        return str(dict(Sex.choices).get(sex, sex))

    def form_fields(self, *, segment_id: int | None) -> dict[str, forms.Field]:
        return {
            "sex": forms.ChoiceField(
                label=gettext_lazy("Sexe"),
                choices=[
                    ("", gettext_lazy("Indifférent")),
                    (Sex.FEMALE, gettext_lazy("Femme")),
                    (Sex.MALE, gettext_lazy("Homme")),
                ],
                required=False,
            )
        }

    def from_form(self, data: Mapping[str, Any]) -> list[Item]:
        return [{"field": "sex", "value": data["sex"]}] if data.get("sex") else []

    def to_form(self, item: Item, fields: dict[str, Any]) -> bool:
        return self.put(fields, "sex", item.get("value"))


@register
class Tag(CodesFilter):
    """Any of these tags; values are folded the way slugs are made, so `Infirmière` works."""

    compiles_once = True

    field = "tag"
    order = 60
    form_name = "tags"
    label = gettext_lazy("Étiquettes")
    help_text = gettext_lazy("ex. infirmiere")
    wording = gettext_lazy("étiquette : %(codes)s")

    def q(self, flt: Item, ctx: CompileContext) -> Q:
        tagged = PersonTag.objects.filter(
            person_id=OuterRef("pk"),
            tag__slug__in=[fold(v).replace(" ", "-") for v in codes_of(flt)],
        )
        return Q(Exists(tagged))

    def codes_from_form(self, codes: list[str]) -> list[str]:
        return [tag_slug(code) for code in codes]


@register
class Role(SegmentFilter):
    """Any of these roles (voter, contact, sympathiser, member, activist, volunteer)."""

    compiles_once = True

    field = "role"
    order = 70

    def q(self, flt: Item, ctx: CompileContext) -> Q:
        roles = values_of(flt)
        unknown = [r for r in roles if r not in ROLES]
        if unknown:
            raise SegmentError(
                _("Rôle inconnu : %(roles)s.") % {"roles": ", ".join(map(str, unknown))}
            )
        q = Q()
        for role in roles:
            q |= Q(**{f"is_{role}": True})
        return q

    def describe(self, flt: Item, ctx: DescribeContext) -> str:
        return str(_("rôle : %(roles)s") % {"roles": labels_of(flt.get("values"), ROLE_LABELS)})

    def form_fields(self, *, segment_id: int | None) -> dict[str, forms.Field]:
        return {
            "roles": forms.MultipleChoiceField(
                label=gettext_lazy("Rôles (au moins un)"),
                choices=list(ROLE_LABELS.items()),
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        }

    def from_form(self, data: Mapping[str, Any]) -> list[Item]:
        return [{"field": "role", "values": list(data["roles"])}] if data.get("roles") else []

    def to_form(self, item: Item, fields: dict[str, Any]) -> bool:
        return self.put(fields, "roles", item.get("values"))
