"""Writes owned by core: the audit log and task progress records."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import F
from django.utils import timezone

from maillage.core.models import AuditLogEntry, TaskProgress


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def audit_log_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    target_label: str = "",
    changes: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditLogEntry:
    """Record one action. `changes` is {"field": [old, new]} for updates, free-form otherwise."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
        target_label = target_label or str(target)[:255]
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditLogEntry.objects.create(
        actor_id=actor.pk if is_user and actor is not None else None,
        actor_label=(getattr(actor, "email", "") or str(actor))[:254] if is_user else "system",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        target_label=target_label[:255],
        changes=_json_safe(changes or {}),
        ip_address=ip_address,
    )


def task_progress_create(
    *, kind: str, label: str, owner: AbstractBaseUser | AnonymousUser | None = None, total: int = 0
) -> TaskProgress:
    return TaskProgress.objects.create(
        kind=kind,
        label=label[:255],
        owner_id=owner.pk if owner is not None and owner.is_authenticated else None,
        total=total,
    )


def task_progress_start(
    *, progress_id: UUID | str, total: int | None = None, message: str = ""
) -> None:
    fields: dict[str, Any] = {
        "status": TaskProgress.Status.RUNNING,
        "started_at": timezone.now(),
        "message": message[:500],
    }
    if total is not None:
        fields["total"] = total
    TaskProgress.objects.filter(pk=progress_id).update(**fields)


def task_progress_advance(
    *,
    progress_id: UUID | str,
    by: int = 0,
    done: int | None = None,
    total: int | None = None,
    message: str | None = None,
) -> None:
    """Move the bar. Called once per batch, never per row."""
    fields: dict[str, Any] = {}
    if done is not None:
        fields["done"] = done
    elif by:
        fields["done"] = F("done") + by
    if total is not None:
        fields["total"] = total
    if message is not None:
        fields["message"] = message[:500]
    if fields:
        TaskProgress.objects.filter(pk=progress_id).update(**fields)


class TaskProgressChannel:
    """Moves a bar from inside a long transaction (an import that writes as it reads).

    On PostgreSQL the updates go through a connection of their own, in autocommit, so the pages
    polling the bar see them before the work commits. Elsewhere (SQLite has one writer at a
    time) they go through the default connection: use it only outside a transaction there.
    Nothing else may write the progress row inside that transaction (the row lock would make
    the two connections wait for each other)."""

    def __init__(self, progress_id: UUID | str, *, separate: bool) -> None:
        self.progress_id = progress_id
        self._connection = (
            connections.create_connection(DEFAULT_DB_ALIAS)
            if separate and connections[DEFAULT_DB_ALIAS].vendor == "postgresql"
            else None
        )

    def advance(self, *, done: int, message: str | None = None) -> None:
        if self._connection is None:
            task_progress_advance(progress_id=self.progress_id, done=done, message=message)
            return
        assignments: list[str] = ["done = %s"]
        values: list[Any] = [done]
        if message is not None:
            assignments.append("message = %s")
            values.append(message[:500])
        with self._connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {TaskProgress._meta.db_table} SET {', '.join(assignments)} WHERE id = %s",  # noqa: S608 - the model's table and columns
                [*values, self.progress_id],
            )

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def task_progress_finish(
    *, progress_id: UUID | str, result: dict[str, Any] | None = None, message: str = ""
) -> None:
    progress = TaskProgress.objects.get(pk=progress_id)
    progress.status = TaskProgress.Status.SUCCEEDED
    progress.finished_at = timezone.now()
    progress.done = max(progress.done, progress.total)
    progress.result = _json_safe(result or {})
    progress.message = message[:500]
    progress.save(update_fields=["status", "finished_at", "done", "result", "message"])


def task_progress_fail(
    *, progress_id: UUID | str, message: str, result: dict[str, Any] | None = None
) -> None:
    TaskProgress.objects.filter(pk=progress_id).update(
        status=TaskProgress.Status.FAILED,
        finished_at=timezone.now(),
        message=message[:500],
        result=_json_safe(result or {}),
    )
