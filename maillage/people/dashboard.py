"""Dashboard tiles of the people app: who is in scope and who can be reached; for the roles
that may see support (`support_visible_to`), who is undecided and support levels as a small
bar chart; for staff, the duplicate queue. Two aggregate queries
for everyone, one more for staff."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, Q, QuerySet, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.accounts.models import User
from maillage.core.compiled import compiled_rows_for_user
from maillage.core.dashboard import Bar, Tile, bars_from_counts
from maillage.core.pagination import kept_for_user, kept_for_user_forget
from maillage.core.roles import Role, has_role, role_of
from maillage.people.models import DuplicateCandidate, SupportLevel
from maillage.people.selectors.people import (
    people_visible_to,
    reachable_any_q,
    support_visible_to,
)
from maillage.people.selectors.teams import assigned_list_counts


def _scope_aggregates(sees_support: bool) -> dict[str, Any]:
    aggregates: dict[str, Any] = {
        "people": Count("pk"),
        "reachable": Count("pk", filter=reachable_any_q()),
    }
    if sees_support:
        # Support is political opinion (GDPR art. 9): over a small list a count points at
        # people, so aggregates follow the same rule as lists and exports.
        aggregates["undecided"] = Count("pk", filter=Q(current_support=SupportLevel.UNDECIDED))
        for level in SupportLevel:
            aggregates[f"support_{level.value}"] = Count(
                "pk", filter=Q(current_support=level.value)
            )
    return aggregates


def _counts_in_scope(*, user: User, sees_support: bool) -> dict[str, int]:
    """The tiles' counts over the user's scope, in one query. Below organiser the query is the
    same for everyone but the user's id: compiled once per process and day (core.compiled),
    as building it (the scope's UNION, the reachability EXISTS) cost more than running it."""
    if role_of(user) >= Role.ORGANISER:
        return people_visible_to(user=user).aggregate(**_scope_aggregates(sees_support))

    def build(placeholder: User) -> QuerySet[Any]:
        aggregates = _scope_aggregates(sees_support)
        # The aggregate as a queryset: grouped by a constant, which Django leaves out of the
        # GROUP BY, so it is one row over the whole scope, as .aggregate() would give.
        return (
            people_visible_to(user=placeholder)
            .annotate(_whole_scope=Value(1, output_field=IntegerField()))
            .values("_whole_scope")
            .annotate(**aggregates)
            .values(*aggregates)
        )

    (row,) = compiled_rows_for_user(key=("dashboard-counts", sees_support), user=user, build=build)
    return row


def dashboard_counts_forget(*, user_id: int) -> None:
    """Drop a user's kept dashboard counts (after they record a result)."""
    kept_for_user_forget(kind="dashboard-counts", user_id=user_id)


def _volunteer_counts(
    user: User, sees_support: bool
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """The scope's counts and the assigned lists' progress, kept a minute per user below staff
    (`kept_for_user`, checked against their role, the support rule and the day). Staff's
    counts cover the whole file and are counted on each view."""
    return kept_for_user(
        kind="dashboard-counts",
        user_id=user.pk,
        stamp=(role_of(user), sees_support, str(timezone.localdate())),
        compute=lambda: (
            _counts_in_scope(user=user, sees_support=sees_support),
            assigned_list_counts(user=user),
        ),
    )


def dashboard_tiles(user: User) -> list[Tile]:
    if not has_role(user, Role.VOLUNTEER):
        return []
    is_staff = has_role(user, Role.STAFF)
    sees_support = support_visible_to(user=user)
    if is_staff:
        counts = _counts_in_scope(user=user, sees_support=sees_support)
        lists: list[dict[str, Any]] = []
    else:
        counts, lists = _volunteer_counts(user, sees_support)
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
            title=_("Joignables"),
            value=counts["reachable"],
            caption=_("avec coordonnées et consentement"),
            order=22,
        ),
    ]
    if sees_support:
        tiles.append(
            Tile(
                title=_("Indécis"),
                value=counts["undecided"],
                caption=_("soutien actuel : indécis"),
                order=21,
            )
        )
    # Staff follow every list from their own pages (`lists` is empty); below, one's own work
    # comes first.
    if lists:
        leader = has_role(user, Role.TEAM_LEADER)
        tiles.append(
            Tile(
                title=_("Mes listes"),
                value=len(lists),
                caption=_("personnes contactées depuis la création de chaque liste"),
                url=reverse("people:team_detail") if leader else url,
                link_label=_("Suivre mon équipe") if leader else _("Voir mes personnes"),
                order=19,
                bars=[
                    Bar(
                        label=row["name"],
                        value=row["contacted"],
                        percent=round(row["contacted"] * 100 / row["people"])
                        if row["people"]
                        else 0,
                    )
                    for row in lists
                ],
            )
        )
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
