"""Demo accounts: one login per role, with a team and a zone. Idempotent."""

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


@transaction.atomic
def load_demo_accounts() -> list[User]:
    department, _ = Zone.objects.get_or_create(
        name="Bouches-du-Rhône", parent=None, defaults={"code": "13"}
    )
    city, _ = Zone.objects.get_or_create(
        name="Marseille", parent=department, defaults={"code": "13055"}
    )
    team, _ = Team.objects.get_or_create(name="Équipe Marseille centre", defaults={"zone": city})
    users = []
    for email, name, role in DEMO_ACCOUNTS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email, password=DEMO_PASSWORD, full_name=name, role=role
            )
        if role <= Role.ORGANISER and role >= Role.VOLUNTEER:
            user.teams.add(team)
            user.zones.add(city)
        users.append(user)
    return users


def load_demo(*, stdout: Any, small: bool = False) -> None:
    """`load_demo`'s entry for accounts: it runs first, as accounts comes first in INSTALLED_APPS."""
    load_demo_accounts()
