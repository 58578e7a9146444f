"""How audit rows read for an organiser: each app says, in `<app>/audit.py`, how its rows read.

An app lists `AUDIT_DESCRIBERS`, one `AuditDescriber` per target type it writes, found like the
navigation entries (core names no feature app). A describer turns a row into one sentence
("Import de five_rows.csv : 2 créées, 3 rejetées"); rows nobody describes fall back to the
action, the object's kind (the model's verbose name) and its label, with `changes` in words.

Why sentences are made when the page is read, not stored when the row is written:
- the log is read in French and in English: a sentence stored at write time would be frozen in
  the language (and the wording) of whoever did the action;
- rows written before a describer existed, or before its wording improved, read the same way,
  with no data migration;
- the row keeps the raw facts (`changes`) an investigation needs, unchanged.
Describers read only the rows; one that needs names from the database (segments referred to by a
definition) loads them once for the whole page in `prepare`, so the page's query count stays
fixed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from maillage.core.models import AuditLogEntry

Describe = Callable[[AuditLogEntry, Any], "str | None"]


@dataclass(frozen=True)
class AuditDescriber:
    """How the rows about one kind of object read.

    `describe(entry, context)` returns the sentence, or None to let the generic wording speak;
    `prepare(entries)` (optional) is called once per page with that type's rows and returns the
    `context` given to every `describe` call (names loaded in one query, say)."""

    target_type: str
    describe: Describe
    prepare: Callable[[Sequence[AuditLogEntry]], Any] | None = None


@dataclass
class AuditLine:
    entry: AuditLogEntry
    sentence: str
    kind: str
    details: list[str] = field(default_factory=list)


@cache
def _describers() -> dict[str, AuditDescriber]:
    found: dict[str, AuditDescriber] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("maillage."):
            continue
        try:
            module = import_module(f"{config.name}.audit")
        except ModuleNotFoundError:
            continue
        for describer in getattr(module, "AUDIT_DESCRIBERS", ()):
            found[describer.target_type] = describer
    return found


def _model(target_type: str) -> Any | None:
    try:
        return apps.get_model(target_type) if "." in target_type else None
    except (LookupError, ValueError):
        return None


def audit_target_kind(target_type: str) -> str:
    """ "import", "segment", "utilisateur"… rather than `people.importjob`."""
    model = _model(target_type)
    return str(model._meta.verbose_name) if model is not None else target_type


def audit_value(value: Any) -> str:
    """A stored value as a person reads it: yes/no, lists joined, nothing shown as a dash."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, list | tuple):
        return ", ".join(audit_value(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key} : {audit_value(item)}" for key, item in value.items())
    return str(value)


def audit_field_name(target_type: str, name: str) -> str:
    """A changed field's verbose name when the model has it, else its code."""
    model = _model(target_type)
    if model is not None:
        try:
            return str(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            pass
    return name.replace("_", " ")


def audit_changes_in_words(entry: AuditLogEntry, *, skip: Iterable[str] = ()) -> list[str]:
    """`changes` as lines: "prénoms : Anne → Anne-Marie" for [old, new] pairs, "source : REU"
    for anything else."""
    lines: list[str] = []
    skipped = set(skip)
    for name, value in (entry.changes or {}).items():
        if name in skipped:
            continue
        label = audit_field_name(entry.target_type, name)
        if isinstance(value, list) and len(value) == 2:
            lines.append(f"{label} : {audit_value(value[0])} → {audit_value(value[1])}")
        else:
            lines.append(f"{label} : {audit_value(value)}")
    return lines


def _generic_sentence(entry: AuditLogEntry) -> str:
    label = entry.target_label or (f"#{entry.target_id}" if entry.target_id else "")
    kind = audit_target_kind(entry.target_type) if entry.target_type else ""
    action = str(entry.get_action_display()).capitalize()
    if kind and label:
        return _("%(action)s : %(kind)s « %(label)s »") % {
            "action": action,
            "kind": kind,
            "label": label,
        }
    return action


def audit_lines(entries: Iterable[AuditLogEntry]) -> list[AuditLine]:
    """Each row of a page with its sentence, its object's kind and (for rows no app describes)
    its values in words."""
    rows = list(entries)
    describers = _describers()
    by_type: dict[str, list[AuditLogEntry]] = defaultdict(list)
    for entry in rows:
        by_type[entry.target_type].append(entry)
    contexts = {
        target_type: describers[target_type].prepare(group)  # type: ignore[misc]
        for target_type, group in by_type.items()
        if target_type in describers and describers[target_type].prepare is not None
    }
    lines: list[AuditLine] = []
    for entry in rows:
        describer = describers.get(entry.target_type)
        sentence = describer.describe(entry, contexts.get(entry.target_type)) if describer else None
        lines.append(
            AuditLine(
                entry=entry,
                sentence=sentence or _generic_sentence(entry),
                kind=audit_target_kind(entry.target_type),
                details=[] if sentence else audit_changes_in_words(entry),
            )
        )
    return lines


def _task_progress(entry: AuditLogEntry, context: Any) -> str | None:
    if entry.action == AuditLogEntry.Action.UPDATE and (entry.changes or {}).get("rerun"):
        return _("Relance de « %(label)s »") % {"label": entry.target_label}
    return None


# Core's own rows (found like every app's, through this module).
AUDIT_DESCRIBERS = [AuditDescriber("core.taskprogress", _task_progress)]
