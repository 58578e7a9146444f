"""The follow-up lists, recent contact per channel and the contact cap, as segment filters
(so "undecided to revisit, not knocked in 30 days, within the cap" is one saved segment)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.people.models import Channel, Interaction
from maillage.people.segment_filters.base import (
    CompileContext,
    DescribeContext,
    Item,
    SegmentError,
    SegmentFilter,
    register,
)
from maillage.people.selectors.contact_cap import over_contact_cap_q
from maillage.people.selectors.followup import FOLLOWUP_KINDS, followup_q


@register
class Followup(SegmentFilter):
    """In one follow-up list (`kind`: revisit, phone_pool, inform_by_email, no_further_contact,
    retry_not_home), by the campaign's follow-up rules."""

    field = "followup"
    order = 95

    def q(self, flt: Item, ctx: CompileContext) -> Q:
        kind = flt.get("kind")
        if kind not in FOLLOWUP_KINDS:
            raise SegmentError(_("Liste de suivi inconnue : %(kind)s.") % {"kind": kind})
        return followup_q(str(kind))

    def describe(self, flt: Item, ctx: DescribeContext) -> str:
        label = FOLLOWUP_KINDS.get(str(flt.get("kind")), flt.get("kind"))
        return str(_("suivi : %(kind)s") % {"kind": label})

    def form_fields(self, *, segment_id: int | None) -> dict[str, forms.Field]:
        return {
            "followup": forms.ChoiceField(
                label=gettext_lazy("Liste de suivi"),
                choices=[("", gettext_lazy("Indifférent")), *FOLLOWUP_KINDS.items()],
                required=False,
            )
        }

    def from_form(self, data: Mapping[str, Any]) -> list[Item]:
        kind = data.get("followup")
        return [{"field": "followup", "kind": kind}] if kind else []

    def to_form(self, item: Item, fields: dict[str, Any]) -> bool:
        return self.put(fields, "followup", item.get("kind"))


def _days(flt: Item) -> int:
    days = flt.get("days")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3650:
        raise SegmentError(_("Un nombre de jours va de 1 à 3650."))
    return days


@register
class ContactedWithinDays(SegmentFilter):
    """Contacted in the last `days` days, on `channel` when given (any channel otherwise)."""

    field = "contacted_within_days"
    order = 105

    def q(self, flt: Item, ctx: CompileContext) -> Q:
        since = timezone.now() - timedelta(days=_days(flt))
        attempts = Interaction.objects.filter(person_id=OuterRef("pk"), occurred_at__gte=since)
        channel = flt.get("channel")
        if channel:
            if channel not in Channel.values:
                raise SegmentError(_("Canal inconnu : %(channel)s.") % {"channel": channel})
            attempts = attempts.filter(channel=channel)
        return Q(Exists(attempts))

    def describe(self, flt: Item, ctx: DescribeContext) -> str:
        channel = flt.get("channel")
        if channel:
            return str(
                _("contacté·e par %(channel)s dans les %(days)s derniers jours")
                % {"channel": dict(Channel.choices).get(channel, channel), "days": flt.get("days")}
            )
        return str(_("contacté·e dans les %(days)s derniers jours") % {"days": flt.get("days")})

    def form_fields(self, *, segment_id: int | None) -> dict[str, forms.Field]:
        return {
            "contacted_days": forms.IntegerField(
                label=gettext_lazy("Contacté dans les derniers (jours)"),
                min_value=1,
                max_value=3650,
                required=False,
            ),
            "contacted_channel": forms.ChoiceField(
                label=gettext_lazy("par"),
                choices=[("", gettext_lazy("tout canal")), *Channel.choices],
                required=False,
            ),
        }

    def from_form(self, data: Mapping[str, Any]) -> list[Item]:
        if not data.get("contacted_days"):
            if data.get("contacted_channel"):
                raise SegmentError(_("Indiquez le nombre de jours du contact récent."))
            return []
        item: Item = {"field": "contacted_within_days", "days": data["contacted_days"]}
        if data.get("contacted_channel"):
            item["channel"] = data["contacted_channel"]
        return [item]

    def to_form(self, item: Item, fields: dict[str, Any]) -> bool:
        if item.get("channel") and not self.put(fields, "contacted_channel", item["channel"]):
            return False
        return self.put(fields, "contacted_days", item.get("days"))


@register
class NotOverContactCap(SegmentFilter):
    """Below the campaign's contact cap (N attempts in D days, all channels)."""

    field = "not_over_contact_cap"
    order = 125

    def q(self, flt: Item, ctx: CompileContext) -> Q:
        return ~over_contact_cap_q()

    def describe(self, flt: Item, ctx: DescribeContext) -> str:
        return str(_("sous le plafond de contacts"))

    def form_fields(self, *, segment_id: int | None) -> dict[str, forms.Field]:
        return {
            "not_over_cap": forms.BooleanField(
                label=gettext_lazy("Sous le plafond de contacts"), required=False
            )
        }

    def from_form(self, data: Mapping[str, Any]) -> list[Item]:
        return [{"field": "not_over_contact_cap"}] if data.get("not_over_cap") else []

    def to_form(self, item: Item, fields: dict[str, Any]) -> bool:
        return self.put(fields, "not_over_cap", True)
