"""How the people app's audit rows read: imports, segments and their exports, contact sheets,
lists and duplicates (found by `core.audit`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from maillage.core.audit import AuditDescriber, audit_changes_in_words
from maillage.core.models import AuditLogEntry
from maillage.people.models import Consent, ConsentChannel
from maillage.people.selectors.segments import (
    segment_definition_describe,
    segment_names_referenced,
)

Action = AuditLogEntry.Action

# The import's counts in the order an organiser wants them, each with its words.
_IMPORT_COUNTS = (
    ("created", lambda n: ngettext("%(count)s créée", "%(count)s créées", n)),
    ("updated", lambda n: ngettext("%(count)s mise à jour", "%(count)s mises à jour", n)),
    ("merged", lambda n: ngettext("%(count)s fusionnée", "%(count)s fusionnées", n)),
    ("unchanged", lambda n: ngettext("%(count)s inchangée", "%(count)s inchangées", n)),
    ("rejected", lambda n: ngettext("%(count)s rejetée", "%(count)s rejetées", n)),
    (
        "suppressed",
        lambda n: ngettext(
            "%(count)s sur la liste d'opposition", "%(count)s sur la liste d'opposition", n
        ),
    ),
    ("removed", lambda n: ngettext("%(count)s retirée", "%(count)s retirées", n)),
)


def _count(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _import(entry: AuditLogEntry, context: Any) -> str | None:
    changes = entry.changes or {}
    name = entry.target_label or f"#{entry.target_id}"
    if entry.action == Action.IMPORT and changes.get("rerun"):
        return _("Relance de l'import de %(name)s") % {"name": name}
    if entry.action == Action.IMPORT:
        counts = [
            words(_count(changes.get(key))) % {"count": _count(changes.get(key))}
            for key, words in _IMPORT_COUNTS
            if _count(changes.get(key))
        ]
        counted = ", ".join(counts) or _("aucune ligne")
        if changes.get("dry_run"):
            return _("Essai à blanc de l'import de %(name)s : %(counts)s (rien enregistré)") % {
                "name": name,
                "counts": counted,
            }
        return _("Import de %(name)s : %(counts)s") % {"name": name, "counts": counted}
    if entry.action == Action.EXPORT and changes.get("export") == "rejected_rows":
        rows = _count(changes.get("rows"))
        return ngettext(
            "Téléchargement de la %(count)s ligne rejetée de l'import de %(name)s",
            "Téléchargement des %(count)s lignes rejetées de l'import de %(name)s",
            rows,
        ) % {"count": rows, "name": name}
    return None


def _segment_names(entries: Sequence[AuditLogEntry]) -> dict[int, str]:
    definitions = [
        definition
        for entry in entries
        for definition in _definitions(entry.changes or {})
        if isinstance(definition, dict)
    ]
    try:
        return segment_names_referenced(*definitions)
    except (TypeError, ValueError, AttributeError):
        return {}


def _definitions(changes: dict[str, Any]) -> list[Any]:
    value = changes.get("definition")
    if isinstance(value, list):
        return value
    return [value] if value is not None else []


def _in_words(definition: Any, names: dict[int, str] | None) -> str:
    if not isinstance(definition, dict):
        return "?"
    try:
        return segment_definition_describe(definition, segment_names=names or {})
    except (TypeError, ValueError, AttributeError, KeyError):
        return "?"


def _segment(entry: AuditLogEntry, names: dict[int, str] | None) -> str | None:
    changes = entry.changes or {}
    name = entry.target_label
    if entry.action == Action.EXPORT:
        rows = _count(changes.get("rows"))
        words = _in_words(changes.get("definition"), names)
        if name:
            return ngettext(
                "Export CSV du segment « %(name)s » (%(count)s personne) : %(definition)s",
                "Export CSV du segment « %(name)s » (%(count)s personnes) : %(definition)s",
                rows,
            ) % {"name": name, "count": rows, "definition": words}
        return ngettext(
            "Export CSV d'une sélection non enregistrée (%(count)s personne) : %(definition)s",
            "Export CSV d'une sélection non enregistrée (%(count)s personnes) : %(definition)s",
            rows,
        ) % {"count": rows, "definition": words}
    if entry.action == Action.CREATE:
        return _("Création du segment « %(name)s » : %(definition)s") % {
            "name": name,
            "definition": _in_words(changes.get("definition"), names),
        }
    if entry.action == Action.UPDATE:
        parts = []
        old_name, new_name = (changes.get("name") or [None, None])[:2]
        if old_name != new_name:
            parts.append(_("renommé « %(old)s »") % {"old": old_name})
        old, new = (changes.get("definition") or [None, None])[:2]
        if old != new:
            parts.append(
                _("avant : %(old)s ; après : %(new)s")
                % {"old": _in_words(old, names), "new": _in_words(new, names)}
            )
        return _("Modification du segment « %(name)s »%(parts)s") % {
            "name": name,
            "parts": (" — " + " ; ".join(parts)) if parts else "",
        }
    return None


def _sheet(entry: AuditLogEntry) -> str:
    return _("fiche %(label)s") % {"label": entry.target_label or f"#{entry.target_id}"}


def _person(entry: AuditLogEntry, context: Any) -> str | None:
    changes = entry.changes or {}
    sheet = _sheet(entry)
    if entry.action == Action.VIEW:
        return _("Consultation de la %(sheet)s") % {"sheet": sheet}
    if entry.action == Action.CREATE:
        return _("Création de la %(sheet)s (source : %(source)s)") % {
            "sheet": sheet,
            "source": changes.get("source") or "—",
        }
    if entry.action == Action.UPDATE and "question_answered" in changes:
        if changes.get("emailed"):
            return _("Réponse à une question de la %(sheet)s, envoyée par e-mail") % {
                "sheet": sheet
            }
        return _("Réponse à une question de la %(sheet)s") % {"sheet": sheet}
    if entry.action == Action.UPDATE:
        return _("Modification de la %(sheet)s : %(fields)s") % {
            "sheet": sheet,
            "fields": " ; ".join(audit_changes_in_words(entry)),
        }
    if entry.action == Action.CONSENT_CHANGE:
        channel = str(changes.get("channel") or "")
        channel_label = dict(ConsentChannel.choices).get(channel, channel)
        basis = dict(Consent.LegalBasis.choices).get(str(changes.get("legal_basis") or ""), "")
        text = (
            _("Consentement %(channel)s accordé pour la %(sheet)s")
            if changes.get("granted")
            else _("Consentement %(channel)s retiré pour la %(sheet)s")
        ) % {"channel": channel_label, "sheet": sheet}
        extra = [str(basis)] if basis else []
        if changes.get("source"):
            extra.append(_("source : %(source)s") % {"source": changes["source"]})
        return f"{text} ({', '.join(extra)})" if extra else text
    if entry.action == Action.MERGE:
        return _("Fiche #%(merged)s fusionnée dans la %(sheet)s") % {
            "merged": changes.get("merged_id", "?"),
            "sheet": sheet,
        }
    if entry.action == Action.EXPORT and changes.get("export") == "subject_access":
        return _("Export des données de la %(sheet)s (droit d'accès)") % {"sheet": sheet}
    if entry.action == Action.ERASURE:
        deleted = changes.get("deleted") or {}
        total = sum(_count(value) for value in deleted.values()) if isinstance(deleted, dict) else 0
        return ngettext(
            "Effacement de la %(sheet)s (%(count)s élément supprimé)",
            "Effacement de la %(sheet)s (%(count)s éléments supprimés)",
            total,
        ) % {"sheet": sheet, "count": total}
    return None


def _names(values: Any) -> str:
    """Who a list went to: e-mails and team names (older rows kept ids: shown as such)."""
    return ", ".join(str(value) for value in values or [])


def _person_list(entry: AuditLogEntry, context: Any) -> str | None:
    changes = entry.changes or {}
    name = entry.target_label
    if entry.action == Action.CREATE:
        members = _count(changes.get("members"))
        if "members" not in changes:
            return _("Création de la liste « %(name)s »") % {"name": name}
        return ngettext(
            "Création de la liste « %(name)s » (%(count)s personne)",
            "Création de la liste « %(name)s » (%(count)s personnes)",
            members,
        ) % {"name": name, "count": members}
    if entry.action != Action.UPDATE:
        return None
    if "added" in changes:
        added = _count(changes.get("added"))
        return ngettext(
            "%(count)s personne ajoutée à la liste « %(name)s »",
            "%(count)s personnes ajoutées à la liste « %(name)s »",
            added,
        ) % {"count": added, "name": name}
    for prefix, words in (
        ("assigned", _("Liste « %(name)s » confiée à %(who)s")),
        ("unassigned", _("Liste « %(name)s » reprise à %(who)s")),
    ):
        users, teams = changes.get(f"{prefix}_users"), changes.get(f"{prefix}_teams")
        if users is None and teams is None:
            continue
        who = [_names(users)] if users else []
        if teams:
            who.append(_("équipe(s) %(teams)s") % {"teams": _names(teams)})
        return words % {"name": name, "who": ", ".join(who) or "—"}
    return None


def _duplicate(entry: AuditLogEntry, context: Any) -> str | None:
    if entry.action == Action.UPDATE and (entry.changes or {}).get("status") == "dismissed":
        return _("Paire de doublons #%(id)s écartée (ce ne sont pas les mêmes personnes)") % {
            "id": entry.target_id
        }
    return None


def _policy(entry: AuditLogEntry, context: Any) -> str | None:
    return _("Règles de suivi modifiées : %(fields)s") % {
        "fields": ", ".join(sorted(entry.changes or {})) or "—"
    }


AUDIT_DESCRIBERS = [
    AuditDescriber("people.contactpolicy", _policy),
    AuditDescriber("people.importjob", _import),
    AuditDescriber("people.segment", _segment, prepare=_segment_names),
    AuditDescriber("people.person", _person),
    AuditDescriber("people.personlist", _person_list),
    AuditDescriber("people.duplicatecandidate", _duplicate),
]
