"""Roles with numeric levels, so every check is a `>=`: "at least organiser".

Kept in core (not accounts) because navigation, decorators and every app's access checks
need them, and dependencies point from accounts to core, never back.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.IntegerChoices):
    SUPPORTER = 10, _("Sympathisant·e / adhérent·e")
    VOLUNTEER = 20, _("Bénévole / militant·e")
    TEAM_LEADER = 30, _("Chef·fe d'équipe")
    ORGANISER = 40, _("Organisateur·rice de territoire")
    STAFF = 50, _("Équipe de campagne")
    ADMIN = 60, _("Administrateur·rice")


def role_of(user: object) -> int:
    """The numeric role of a user, 0 for anonymous visitors."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return int(getattr(user, "role", 0) or 0)


def has_role(user: object, minimum: Role) -> bool:
    return role_of(user) >= minimum
