"""Demo accounts: one login per role, each with the territory or team its job needs. Idempotent.

The demo campaign works in Vallon-sur-Mer, a fictional commune (INSEE code 13999) placed in a
real close race, the 11th constituency of Bouches-du-Rhône (won by 271 votes in 2024), so the
targeting page shows the campaign's people against the official results:

- the organiser covers the department (her people, segments and targets are its own);
- the team leader leads the Vallon-sur-Mer team and holds a list still to hand out;
- the volunteer is in that team and sees the team's walk list, nothing else.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from maillage.accounts.models import Team, User, Zone
from maillage.core.roles import Role

DEMO_PASSWORD = "maillage-demo"  # noqa: S105 - printed on purpose: demo only, never in production

DEMO_ACCOUNTS = [
    ("admin@demo.maillage.fr", "Alice Admin", Role.ADMIN),
    ("staff@demo.maillage.fr", "Samir Staff", Role.STAFF),
    ("organisatrice@demo.maillage.fr", "Odile Organisatrice", Role.ORGANISER),
    ("chef@demo.maillage.fr", "Chloé Cheffe", Role.TEAM_LEADER),
    ("benevole@demo.maillage.fr", "Victor Bénévole", Role.VOLUNTEER),
    ("sympathisant@demo.maillage.fr", "Sophie Sympathisante", Role.SUPPORTER),
]
ORGANISER_EMAIL = "organisatrice@demo.maillage.fr"
TEAM_LEADER_EMAIL = "chef@demo.maillage.fr"
VOLUNTEER_EMAIL = "benevole@demo.maillage.fr"

# (name, official code): department > constituency > commune, the codes people carry.
DEPARTMENT = ("Bouches-du-Rhône", "13")
CONSTITUENCY = ("11e circonscription", "1311")
COMMUNE = ("Vallon-sur-Mer", "13999")
TEAM_NAME = "Équipe Vallon-sur-Mer"
# What earlier versions of the demo made (a Marseille team and zone that matched no data).
_OLD_TEAM, _OLD_ZONE = "Équipe Marseille centre", "Marseille"


@transaction.atomic
def load_demo_accounts() -> list[User]:
    department, _ = Zone.objects.get_or_create(
        name=DEPARTMENT[0], parent=None, defaults={"code": DEPARTMENT[1]}
    )
    constituency, _ = Zone.objects.get_or_create(
        name=CONSTITUENCY[0], parent=department, defaults={"code": CONSTITUENCY[1]}
    )
    commune, _ = Zone.objects.get_or_create(
        name=COMMUNE[0], parent=constituency, defaults={"code": COMMUNE[1]}
    )
    team, _ = Team.objects.get_or_create(name=TEAM_NAME, defaults={"zone": commune})
    Team.objects.filter(name=_OLD_TEAM).delete()
    Zone.objects.filter(
        name=_OLD_ZONE, code="13055", parent=department, children__isnull=True
    ).delete()
    users = []
    for email, name, role in DEMO_ACCOUNTS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email, password=DEMO_PASSWORD, full_name=name, role=role
            )
        if email == ORGANISER_EMAIL:
            user.zones.set([department])
        elif email in (TEAM_LEADER_EMAIL, VOLUNTEER_EMAIL):
            user.teams.set([team])
            user.zones.set([commune])
        users.append(user)
    return users


def load_demo(*, stdout: Any, small: bool = False) -> None:
    """`load_demo`'s entry for accounts: it runs first, as accounts comes first in INSTALLED_APPS."""
    load_demo_accounts()
