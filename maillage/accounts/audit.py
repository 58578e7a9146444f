"""How the accounts app's audit rows read: sign-ins, sign-ups, roles, invitations and two-factor
changes (found by `core.audit`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from maillage.core.audit import AuditDescriber, audit_value
from maillage.core.models import AuditLogEntry

Action = AuditLogEntry.Action


def _user(entry: AuditLogEntry, context: Any) -> str | None:
    changes = entry.changes or {}
    who = entry.target_label or f"#{entry.target_id}"
    if entry.action == Action.LOGIN:
        return _("Connexion de %(who)s") % {"who": who}
    if entry.action == Action.LOGOUT:
        return _("Déconnexion de %(who)s") % {"who": who}
    if entry.action == Action.LOGIN_FAILED:
        return _("Échec de connexion avec l'adresse « %(who)s »") % {"who": who}
    if entry.action == Action.ROLE_CHANGE:
        old, new = (list(changes.get("role") or []) + [None, None])[:2]
        return _("Rôle de %(who)s : %(old)s → %(new)s") % {
            "who": who,
            "old": audit_value(old),
            "new": audit_value(new),
        }
    if entry.action == Action.CREATE:
        if changes.get("source") == "invitation":
            return _("Compte de %(who)s créé sur invitation") % {"who": who}
        return _("Inscription de %(who)s") % {"who": who}
    if entry.action == Action.UPDATE:
        if changes.get("restarted"):
            return _("Inscription de %(who)s recommencée") % {"who": who}
        if "email_confirmed" in changes:
            return _("Adresse e-mail de %(who)s confirmée") % {"who": who}
        return None
    if entry.action == Action.TWO_FACTOR:
        return _two_factor(changes, who)
    return None


def _two_factor(changes: dict[str, Any], who: str) -> str | None:
    totp = changes.get("totp")
    texts = {
        "setup_started": _("%(who)s commence à activer la double authentification"),
        "enabled": _("Double authentification activée pour %(who)s"),
        "replaced": _("Téléphone de double authentification remplacé pour %(who)s"),
        "disabled": _("Double authentification désactivée pour %(who)s"),
    }
    if totp in texts:
        return texts[totp] % {"who": who}
    codes = changes.get("recovery_codes")
    if codes == "generated":
        return _("Nouveaux codes de secours pour %(who)s") % {"who": who}
    if codes == "used":
        remaining = changes.get("remaining")
        if isinstance(remaining, int):
            return ngettext(
                "Code de secours utilisé par %(who)s (%(count)s restant)",
                "Code de secours utilisé par %(who)s (%(count)s restants)",
                remaining,
            ) % {"who": who, "count": remaining}
        return _("Code de secours utilisé par %(who)s") % {"who": who}
    return None


def _invitation(entry: AuditLogEntry, context: Any) -> str | None:
    if entry.action == Action.INVITE:
        return _("Invitation envoyée à %(email)s comme %(role)s") % {
            "email": entry.target_label,
            "role": audit_value((entry.changes or {}).get("role")),
        }
    return None


AUDIT_DESCRIBERS = [
    AuditDescriber("accounts.user", _user),
    AuditDescriber("accounts.invitation", _invitation),
]
