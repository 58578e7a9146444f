"""How the elections app's audit rows read: elections created, result files imported, close
races exported (found by `core.audit`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from maillage.core.audit import AuditDescriber
from maillage.core.models import AuditLogEntry

Action = AuditLogEntry.Action


def _count(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _election(entry: AuditLogEntry, context: Any) -> str | None:
    changes = entry.changes or {}
    name = entry.target_label
    if entry.action == Action.CREATE:
        return _("Création de l'élection « %(name)s »") % {"name": name}
    if entry.action == Action.IMPORT:
        areas, warnings = _count(changes.get("areas")), _count(changes.get("warnings"))
        rounds = changes.get("rounds") or []
        return _(
            "Import des résultats %(file)s dans « %(name)s » : %(areas)s, tour %(rounds)s, %(warnings)s"
        ) % {
            "file": changes.get("file") or "",
            "name": name,
            "areas": ngettext("%(count)s zone", "%(count)s zones", areas) % {"count": areas},
            "rounds": " et ".join(str(r) for r in rounds) if isinstance(rounds, list) else rounds,
            "warnings": ngettext("%(count)s avertissement", "%(count)s avertissements", warnings)
            % {"count": warnings},
        }
    if entry.action == Action.EXPORT and changes.get("export") == "close_races":
        rows = _count(changes.get("rows"))
        return ngettext(
            "Export CSV des courses serrées de « %(name)s » (%(count)s ligne)",
            "Export CSV des courses serrées de « %(name)s » (%(count)s lignes)",
            rows,
        ) % {"name": name, "count": rows}
    return None


AUDIT_DESCRIBERS = [AuditDescriber("elections.election", _election)]
