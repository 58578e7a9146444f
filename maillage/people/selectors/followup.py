"""The follow-up lists (ContactPolicy's rules, the seed's defaults): who to revisit at the door,
who goes to the phone-banking pool, who is only informed by email, who is left alone, and who
was not home and is tried again.

Each kind is a `Q` on Person, so turfs, call lists and audiences use them as filters, and the
`followup` segment filter offers the same kinds."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from maillage.people.models import Channel, ContactPolicy, Interaction
from maillage.people.selectors.contact_cap import contact_policy
from maillage.people.selectors.people import reachable_q

Result = Interaction.Result

FOLLOWUP_KINDS = {
    "revisit": _("à revoir en porte-à-porte"),
    "phone_pool": _("à appeler"),
    "inform_by_email": _("à informer par e-mail"),
    "no_further_contact": _("à ne plus démarcher"),
    "retry_not_home": _("absent·e, à repasser"),
}

# Door results after which the door is tried again (the person was not reached).
RETRY_RESULTS = (Result.NOT_HOME.value, Result.COME_BACK_LATER.value, Result.INACCESSIBLE.value)
# Results that settle the door: nobody goes back after them.
SETTLED_RESULTS = (
    Result.TALKED.value,
    Result.REFUSED.value,
    Result.MOVED.value,
    Result.DECEASED.value,
    Result.WRONG_ADDRESS.value,
    Result.DO_NOT_CONTACT.value,
)


def followup_q(kind: str, *, policy: ContactPolicy | None = None) -> Q:
    """A Q on Person for one follow-up kind (see FOLLOWUP_KINDS); ValueError on an unknown one."""
    policy = policy or contact_policy()
    left_alone = Q(current_support__in=policy.no_contact_levels)
    if kind == "revisit":
        return Q(current_support__in=policy.revisit_levels) & ~left_alone
    if kind == "phone_pool":
        return Q(current_support__in=policy.revisit_levels) & ~left_alone & reachable_q("phone")
    if kind == "inform_by_email":
        return Q(current_support__in=policy.inform_levels) & reachable_q("email")
    if kind == "no_further_contact":
        return left_alone
    if kind == "retry_not_home":
        return _retry_not_home(policy)
    raise ValueError(kind)


def _retry_not_home(policy: ContactPolicy) -> Q:
    """Not reached at the door fewer than N times, and never reached since (no settling
    result on any channel)."""
    door_misses = Interaction.objects.filter(channel=Channel.DOOR, result__in=RETRY_RESULTS)
    too_many = (
        door_misses.filter(result=Result.NOT_HOME)
        .values("person_id")
        .annotate(misses=Count("id"))
        .filter(misses__gte=policy.not_home_retries)
        .values("person_id")
    )
    settled = Interaction.objects.filter(person_id=OuterRef("pk"), result__in=SETTLED_RESULTS)
    return (
        Q(Exists(door_misses.filter(person_id=OuterRef("pk"))))
        & ~Q(Exists(settled))
        & ~Q(pk__in=too_many)
    )
