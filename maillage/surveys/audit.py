"""How the script editor's audit rows read (found by `core.audit`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.core.audit import AuditDescriber
from maillage.core.models import AuditLogEntry

Action = AuditLogEntry.Action

# What changed inside a script, in words (the keys its services write in `changes`).
_EDITS = {
    "question_added": gettext_lazy("question ajoutée"),
    "question_changed": gettext_lazy("question modifiée"),
    "question_moved": gettext_lazy("question déplacée"),
    "question_deleted": gettext_lazy("question supprimée"),
    "choice_added": gettext_lazy("réponse ajoutée"),
    "choice_changed": gettext_lazy("réponse modifiée"),
    "choice_deleted": gettext_lazy("réponse supprimée"),
}


def _script(entry: AuditLogEntry, context: Any) -> str | None:
    changes = entry.changes or {}
    name = entry.target_label or f"#{entry.target_id}"
    if entry.action == Action.CREATE:
        return _("Création du script « %(name)s »") % {"name": name}
    if entry.action == Action.DELETE:
        return _("Suppression du script « %(name)s »") % {"name": name}
    edits = [f"{_EDITS[key]} « {value} »" for key, value in changes.items() if key in _EDITS]
    if edits:
        return _("Script « %(name)s » : %(edits)s") % {"name": name, "edits": " ; ".join(edits)}
    return None  # name, description or state: the generic wording lists the fields


AUDIT_DESCRIBERS = [AuditDescriber("surveys.script", _script)]
