"""How the forum's audit rows read: level changes, moderation actions, charters, themes,
programme texts and syntheses (found by `core.audit`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from maillage.core.audit import AuditDescriber
from maillage.core.models import AuditLogEntry


def _profile(entry: AuditLogEntry, context: Any) -> str | None:
    changes = entry.changes or {}
    level = changes.get("level")
    if isinstance(level, list) and len(level) == 2:
        return _("Niveau de %(member)s sur le forum : %(old)s → %(new)s (%(reason)s)") % {
            "member": entry.target_label,
            "old": level[0],
            "new": level[1],
            "reason": changes.get("reason") or "—",
        }
    if changes.get("moderation_revoked"):
        return _("Droit de modérer retiré à %(member)s (méta-modération)") % {
            "member": entry.target_label
        }
    return None


def _action(entry: AuditLogEntry, context: Any) -> str | None:
    changes = entry.changes or {}
    clause = changes.get("clause")
    return _("Modération du forum (%(kind)s) : « %(label)s », article %(clause)s") % {
        "kind": changes.get("kind") or "",
        "label": entry.target_label,
        "clause": clause if clause is not None else "—",
    }


AUDIT_DESCRIBERS = [
    AuditDescriber("forum.forumprofile", _profile),
    AuditDescriber("forum.moderationaction", _action),
]
