"""Contact history and reachability: the last interaction, who was not contacted since a date,
who may be reached on a channel, whose email bounced."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.people.models import Channel, ContactStatus, EmailAddress, Interaction
from maillage.people.segment_filters.base import (
    CompileContext,
    DescribeContext,
    Item,
    SegmentError,
    SegmentFilter,
    date_of,
    day_words,
    iso_or_none,
    register,
    start_of,
)
from maillage.people.selectors.people import reachable_q


def _date_field(label: Any) -> forms.Field:
    return forms.DateField(
        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


@register
class LastInteraction(SegmentFilter):
    """Had an interaction matching every key given (`channel`, `result`, `since`, `until`,
    dates inclusive)."""

    compiles_once = True

    field = "last_interaction"
    order = 100

    def q(self, flt: Item, ctx: CompileContext) -> Q:
        interactions = Interaction.objects.filter(person_id=OuterRef("pk"))
        channel, result = flt.get("channel"), flt.get("result")
        if channel:
            if channel not in Channel.values:
                raise SegmentError(_("Canal inconnu : %(channel)s.") % {"channel": channel})
            interactions = interactions.filter(channel=channel)
        if result:
            if result not in Interaction.Result.values:
                raise SegmentError(_("Résultat inconnu : %(result)s.") % {"result": result})
            interactions = interactions.filter(result=result)
        since, until = date_of(flt, "since"), date_of(flt, "until")
        if since and until and since > until:
            raise SegmentError(_("La période du dernier contact finit avant de commencer."))
        if since:
            interactions = interactions.filter(occurred_at__gte=start_of(since))
        if until:
            interactions = interactions.filter(occurred_at__lt=start_of(until) + timedelta(days=1))
        return Q(Exists(interactions))

    def describe(self, flt: Item, ctx: DescribeContext) -> str:
        text = str(_("contacté·e"))
        if flt.get("channel"):
            channel = dict(Channel.choices).get(flt["channel"], flt["channel"])
            text += " " + str(_("par %(channel)s") % {"channel": channel})
        if flt.get("result"):
            result = dict(Interaction.Result.choices).get(flt["result"], flt["result"])
            text += " " + str(_("avec le résultat « %(result)s »") % {"result": result})
        if flt.get("since"):
            text += " " + str(_("depuis le %(day)s") % {"day": day_words(flt["since"])})
        if flt.get("until"):
            text += " " + str(_("jusqu'au %(day)s") % {"day": day_words(flt["until"])})
        return text

    def form_fields(self, *, segment_id: int | None) -> dict[str, forms.Field]:
        return {
            "last_channel": forms.ChoiceField(
                label=gettext_lazy("Contacté par"),
                choices=[("", gettext_lazy("Indifférent")), *Channel.choices],
                required=False,
            ),
            "last_result": forms.ChoiceField(
                label=gettext_lazy("Avec le résultat"),
                choices=[("", gettext_lazy("Indifférent")), *Interaction.Result.choices],
                required=False,
            ),
            "last_since": _date_field(gettext_lazy("Depuis le")),
        }

    def from_form(self, data: Mapping[str, Any]) -> list[Item]:
        if not (data.get("last_channel") or data.get("last_result") or data.get("last_since")):
            return []
        return [
            {
                "field": "last_interaction",
                "channel": data.get("last_channel") or None,
                "result": data.get("last_result") or None,
                "since": iso_or_none(data.get("last_since")),
                "until": None,
            }
        ]

    def to_form(self, item: Item, fields: dict[str, Any]) -> bool:
        if item.get("until") or "last_channel" in fields:  # the builder has no "until"
            return False
        given = {
            "last_channel": item.get("channel"),
            "last_result": item.get("result"),
            "last_since": item.get("since"),
        }
        if not any(given.values()):
            return False
        fields.update({k: v for k, v in given.items() if v})
        fields.setdefault("last_channel", "")  # marks the filter as taken
        return True


# The channels of the `reachable` filter, as the builder offers them and a description says them.
REACHABLE_LABELS = {
    "email": gettext_lazy("par e-mail"),
    "sms": gettext_lazy("par SMS"),
    "phone": gettext_lazy("par téléphone"),
}


@register
class Reachable(SegmentFilter):
    """A usable address for the channel (not bounced or invalid; a mobile for SMS) and consent
    in force on it (see `selectors.people.reachable_q`)."""

    compiles_once = True

    field = "reachable"
    order = 110

    def q(self, flt: Item, ctx: CompileContext) -> Q:
        channel = flt.get("channel")
        if channel not in REACHABLE_LABELS:
            raise SegmentError(_("Le filtre « joignable » attend le canal email, sms ou phone."))
        return reachable_q(channel)

    def describe(self, flt: Item, ctx: DescribeContext) -> str:
        channel = flt.get("channel")
        return str(
            _("joignable avec consentement %(channel)s")
            % {"channel": REACHABLE_LABELS.get(channel, channel)}  # type: ignore[arg-type]
        )

    def form_fields(self, *, segment_id: int | None) -> dict[str, forms.Field]:
        return {
            "reachable": forms.ChoiceField(
                label=gettext_lazy("Joignable avec consentement"),
                choices=[("", gettext_lazy("Indifférent")), *REACHABLE_LABELS.items()],
                required=False,
            )
        }

    def from_form(self, data: Mapping[str, Any]) -> list[Item]:
        return (
            [{"field": "reachable", "channel": data["reachable"]}] if data.get("reachable") else []
        )

    def to_form(self, item: Item, fields: dict[str, Any]) -> bool:
        return self.put(fields, "reachable", item.get("channel"))


@register
class EmailBounced(SegmentFilter):
    """Has at least one email address whose last send bounced (`{"field": "email_bounced"}`,
    no keys): the people to ask for a new address, or to leave out of a mailing's count."""

    compiles_once = True

    field = "email_bounced"
    order = 115

    def q(self, flt: Item, ctx: CompileContext) -> Q:
        bounced = EmailAddress.objects.filter(
            person_id=OuterRef("pk"), status=ContactStatus.BOUNCED
        )
        return Q(Exists(bounced))

    def describe(self, flt: Item, ctx: DescribeContext) -> str:
        return str(_("a une adresse e-mail en échec"))

    def form_fields(self, *, segment_id: int | None) -> dict[str, forms.Field]:
        return {
            "email_bounced": forms.BooleanField(
                label=gettext_lazy("A une adresse e-mail en échec"), required=False
            )
        }

    def from_form(self, data: Mapping[str, Any]) -> list[Item]:
        return [{"field": "email_bounced"}] if data.get("email_bounced") else []

    def to_form(self, item: Item, fields: dict[str, Any]) -> bool:
        return set(item) == {"field"} and self.put(fields, "email_bounced", True)


@register
class NotContactedSince(SegmentFilter):
    """Never contacted, or last contacted before `date`."""

    compiles_once = True

    field = "not_contacted_since"
    order = 120

    def q(self, flt: Item, ctx: CompileContext) -> Q:
        day = date_of(flt, "date", required=True)
        assert day is not None
        return Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lt=start_of(day))

    def describe(self, flt: Item, ctx: DescribeContext) -> str:
        return str(_("pas contacté·e depuis le %(day)s") % {"day": day_words(flt.get("date"))})

    def form_fields(self, *, segment_id: int | None) -> dict[str, forms.Field]:
        return {"not_contacted_since": _date_field(gettext_lazy("Pas contacté depuis le"))}

    def from_form(self, data: Mapping[str, Any]) -> list[Item]:
        day = iso_or_none(data.get("not_contacted_since"))
        return [{"field": "not_contacted_since", "date": day}] if day else []

    def to_form(self, item: Item, fields: dict[str, Any]) -> bool:
        return self.put(fields, "not_contacted_since", item.get("date"))
