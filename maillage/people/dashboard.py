"""Dashboard tiles of the people app: who is in scope, who is undecided, who can be reached;
for staff, the duplicate queue and support levels as a small bar chart. Two aggregate queries
for everyone, one more for staff."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from maillage.accounts.models import User
from maillage.core.dashboard import Tile, bars_from_counts
from maillage.core.roles import Role, has_role
from maillage.people.models import DuplicateCandidate, SupportLevel
from maillage.people.selectors.people import (
    people_visible_to,
    reachable_any_q,
    support_visible_to,
)


def dashboard_tiles(user: User) -> list[Tile]:
    if not has_role(user, Role.VOLUNTEER):
        return []
    is_staff = has_role(user, Role.STAFF)
    sees_support = support_visible_to(user=user)
    aggregates: dict[str, Any] = {
        "people": Count("pk"),
        "undecided": Count("pk", filter=Q(current_support=SupportLevel.UNDECIDED)),
        "reachable": Count("pk", filter=reachable_any_q()),
    }
    if sees_support:
        for level in SupportLevel:
            aggregates[f"support_{level.value}"] = Count(
                "pk", filter=Q(current_support=level.value)
            )
    counts = people_visible_to(user=user).aggregate(**aggregates)
    url = reverse("people:person_list")
    tiles = [
        Tile(
            title=_("Personnes"),
            value=counts["people"],
            caption=_("dans votre périmètre"),
            url=url,
            link_label=_("Voir la liste"),
            order=20,
        ),
        Tile(
            title=_("Indécis"),
            value=counts["undecided"],
            caption=_("soutien actuel : indécis"),
            order=21,
        ),
        Tile(
            title=_("Joignables"),
            value=counts["reachable"],
            caption=_("avec coordonnées et consentement"),
            order=22,
        ),
    ]
    if is_staff:
        tiles.append(
            Tile(
                title=_("Doublons"),
                value=DuplicateCandidate.objects.filter(
                    status=DuplicateCandidate.Status.OPEN
                ).count(),
                caption=_("paires à examiner"),
                url=reverse("people:duplicate_list"),
                link_label=_("Examiner"),
                order=23,
            )
        )
    if sees_support:
        tiles.append(
            Tile(
                title=_("Soutien"),
                caption=_("personnes par niveau de soutien"),
                order=24,
                bars=bars_from_counts(
                    [(level.label, counts[f"support_{level.value}"]) for level in SupportLevel]
                ),
            )
        )
    return tiles
