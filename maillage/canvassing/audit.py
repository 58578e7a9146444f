"""How the canvassing app's audit rows read: turfs cut, handed out, taken back, archived, and
their walk lists printed (an export of personal data)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from maillage.core.audit import AuditDescriber
from maillage.core.models import AuditLogEntry

Action = AuditLogEntry.Action


def _turf(entry: AuditLogEntry, context: Any) -> str | None:
    changes = entry.changes or {}
    name = entry.target_label or f"#{entry.target_id}"
    if entry.action == Action.EXPORT and changes.get("walk_list"):
        doors = changes.get("doors") or [0, 0]
        return _(
            "Impression de la liste de marche du secteur %(name)s (feuille %(sheet)s, portes "
            "%(first)s à %(last)s, personnes : %(people)s)"
        ) % {
            "name": name,
            "sheet": changes.get("sheet", 1),
            "first": doors[0],
            "last": doors[-1],
            "people": changes.get("people", 0),
        }
    if entry.action == Action.CREATE:
        return _("Découpage du secteur %(name)s (personnes : %(people)s, portes : %(doors)s)") % {
            "name": name,
            "people": changes.get("people", 0),
            "doors": changes.get("doors", 0),
        }
    if entry.action == Action.UPDATE and (
        "assigned_users" in changes or "assigned_teams" in changes
    ):
        who = [*changes.get("assigned_users", []), *changes.get("assigned_teams", [])]
        return _("Attribution du secteur %(name)s à %(who)s") % {
            "name": name,
            "who": ", ".join(str(w) for w in who),
        }
    if entry.action == Action.UPDATE and "unassigned" in changes:
        return _("Secteur %(name)s retiré à %(who)s") % {
            "name": name,
            "who": changes["unassigned"],
        }
    if entry.action == Action.UPDATE and "status" in changes:
        return _("Archivage du secteur %(name)s") % {"name": name}
    return None


AUDIT_DESCRIBERS = [AuditDescriber("canvassing.turf", _turf)]
