"""Dashboard tile: how many close races the latest imported election has in the user's areas
(organisers: their zones; staff: everywhere)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from maillage.accounts.models import User
from maillage.core.dashboard import Tile
from maillage.core.roles import Role, has_role
from maillage.elections import selectors


def dashboard_tiles(user: User) -> list[Tile]:
    if not has_role(user, Role.ORGANISER):
        return []
    election = selectors.election_default(user=user)
    if election is None:
        return []
    counts = selectors.close_race_counts(
        election=election, filters=selectors.RaceFilters(), user=user
    )
    return [
        Tile(
            title=_("Cibles électorales"),
            value=counts["gap_5"],
            caption=_("courses à moins de 5 %% d'écart (%(name)s)") % {"name": election.name},
            url=f"{reverse('elections:close_races')}?election={election.slug}&max_gap=5",
            link_label=_("Voir les courses serrées"),
            order=300,
        )
    ]
