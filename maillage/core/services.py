"""Writes owned by core: the audit log and task progress records."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from importlib import import_module
from pathlib import Path
from typing import Any
from uuid import UUID

from django.apps import apps
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from maillage.core.columns import max_length
from maillage.core.dialect import dialect
from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry, TaskProgress

logger = logging.getLogger(__name__)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def audit_log_entry(
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
    """One action's line, not yet saved: for a page that inserts it with its reads, in their
    round trip (`core.compiled.compiled_instances_together`). `audit_log_record` saves it."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
        target_label = target_label or str(target)[:255]
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditLogEntry(
        actor_id=actor.pk if is_user and actor is not None else None,
        actor_label=(getattr(actor, "email", "") or str(actor))[:254] if is_user else "system",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        target_label=target_label[: max_length(AuditLogEntry, "target_label")],
        changes=_json_safe(changes or {}),
        ip_address=ip_address,
    )


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
    entry = audit_log_entry(
        actor=actor,
        action=action,
        target=target,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        changes=changes,
        ip_address=ip_address,
    )
    entry.save(force_insert=True)
    return entry


def task_progress_create(
    *, kind: str, label: str, owner: AbstractBaseUser | AnonymousUser | None = None, total: int = 0
) -> TaskProgress:
    return TaskProgress.objects.create(
        kind=kind,
        label=label[: max_length(TaskProgress, "label")],
        owner_id=owner.pk if owner is not None and owner.is_authenticated else None,
        total=total,
    )


def task_progress_start(
    *, progress_id: UUID | str, total: int | None = None, message: str = ""
) -> None:
    now = timezone.now()
    fields: dict[str, Any] = {
        "status": TaskProgress.Status.RUNNING,
        "started_at": now,
        "heartbeat_at": now,
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
    """Move the bar (and beat the heart). Called once per batch, never per row."""
    fields: dict[str, Any] = {"heartbeat_at": timezone.now()}
    if done is not None:
        fields["done"] = done
    elif by:
        fields["done"] = F("done") + by
    if total is not None:
        fields["total"] = total
    if message is not None:
        fields["message"] = message[:500]
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
            if separate and dialect(connections[DEFAULT_DB_ALIAS]).concurrent_writers
            else None
        )

    def advance(self, *, done: int, message: str | None = None) -> None:
        if self._connection is None:
            task_progress_advance(progress_id=self.progress_id, done=done, message=message)
            return
        assignments: list[str] = ["done = %s", "heartbeat_at = %s"]
        values: list[Any] = [done, timezone.now()]
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
    progress.message = message[: max_length(TaskProgress, "message")]
    progress.save(update_fields=["status", "finished_at", "done", "result", "message"])


def task_progress_fail(
    *,
    progress_id: UUID | str,
    message: str,
    result: dict[str, Any] | None = None,
    can_rerun: bool = True,
) -> None:
    """`can_rerun=False` when running again cannot help (the work consumed its input)."""
    fields: dict[str, Any] = {} if can_rerun else {"rerun": {}}
    TaskProgress.objects.filter(pk=progress_id).update(
        status=TaskProgress.Status.FAILED,
        finished_at=timezone.now(),
        message=message[: max_length(TaskProgress, "message")],
        result=_json_safe(result or {}),
        **fields,
    )


# Crashed work and running it again ------------------------------------------------------------


def stale_message() -> str:
    return _(
        "Interrompu : le processus qui faisait ce travail s'est arrêté sans finir "
        "(plus de signe de vie depuis %(minutes)s min). Relancez-le."
    ) % {"minutes": max(1, round(settings.MAILLAGE_TASK_STALE_SECONDS / 60))}


def task_progress_reap() -> int:
    """Mark failed the running work whose process is gone (no heartbeat for the threshold).

    One indexed read when nothing is stale (the usual case, run by every progress page and by
    the worker); the write happens only when something is. On SQLite, a write blocked by an
    import's long transaction means that import's process is alive: the check waits for a
    later call. Each app may react in `<app>.tasks.on_task_progress_stale(progress_ids=…)`
    (an import marks its job failed)."""
    cutoff = timezone.now() - timedelta(seconds=settings.MAILLAGE_TASK_STALE_SECONDS)
    stale = TaskProgress.objects.filter(status=TaskProgress.Status.RUNNING, heartbeat_at__lt=cutoff)
    ids = list(stale.values_list("pk", flat=True)[:1000])
    if not ids:
        return 0
    message = stale_message()
    try:
        with transaction.atomic():
            count = stale.filter(pk__in=ids).update(
                status=TaskProgress.Status.FAILED, finished_at=timezone.now(), message=message
            )
            for hook in _app_hooks("on_task_progress_stale"):
                hook(progress_ids=ids, message=message)
    except DatabaseError:
        logger.warning("stale task check postponed: the database is busy", exc_info=True)
        return 0
    if count:
        logger.warning("%s task(s) marked failed: no heartbeat since %s", count, cutoff)
    return count


def _app_hooks(name: str) -> list[Any]:
    """The function `name` of each Maillage app's `tasks` module that defines one (core names no
    feature app, as with dashboard tiles)."""
    hooks = []
    for config in apps.get_app_configs():
        if not config.name.startswith("maillage."):
            continue
        try:
            module = import_module(f"{config.name}.tasks")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.tasks":
                raise  # a tasks module that exists but is broken must not be skipped silently
            continue
        hook = getattr(module, name, None)
        if hook is not None:
            hooks.append(hook)
    return hooks


def task_progress_reset(*, progress_id: UUID | str) -> bool:
    """Failed work back to waiting (a compare-and-swap: False when it was not failed)."""
    return bool(
        TaskProgress.objects.filter(pk=progress_id, status=TaskProgress.Status.FAILED).update(
            status=TaskProgress.Status.PENDING,
            done=0,
            message="",
            result={},
            started_at=None,
            finished_at=None,
            heartbeat_at=None,
        )
    )


def task_progress_enqueue(*, progress: TaskProgress, task: Any, **kwargs: Any) -> None:
    """Enqueue `task(**kwargs)` and remember how, so a crashed run can be run again."""
    progress.rerun = {"task": task.module_path, "kwargs": _json_safe(kwargs)}
    progress.save(update_fields=["rerun"])
    task.enqueue(**kwargs)


def task_progress_rerun(*, actor: AbstractBaseUser | AnonymousUser, progress: TaskProgress) -> None:
    """Run failed work again with the arguments it was enqueued with (same progress record)."""
    path = str(progress.rerun.get("task") or "")
    # Only a Maillage task: the recipe is ours, but a row is no place to trust a code path.
    if not path.startswith("maillage.") or not task_progress_reset(progress_id=progress.pk):
        raise ApplicationError(_("Ce travail ne peut pas être relancé."))
    task = import_string(path)
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.UPDATE,
        target=progress,
        target_label=progress.label,
        changes={"rerun": path},
    )
    task.enqueue(**progress.rerun.get("kwargs", {}))


@contextmanager
def task_progress_alive(progress_id: UUID | str | None) -> Iterator[None]:
    """Beat the heart of a progress record from a thread while the work runs, so one long step
    (a set-based write of millions of rows) does not look like a dead process. The thread has
    its own database connection; a beat that cannot be written (SQLite busy) is skipped."""
    if not progress_id:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.MAILLAGE_TASK_HEARTBEAT_SECONDS):
                with suppress(DatabaseError):
                    TaskProgress.objects.filter(
                        pk=progress_id, status=TaskProgress.Status.RUNNING
                    ).update(heartbeat_at=timezone.now())
        finally:
            connections.close_all()

    thread = threading.Thread(target=beat, name=f"heartbeat-{progress_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


# Retention --------------------------------------------------------------------------------------


def upload_files_purge(*, cutoff: Any) -> int:
    """Delete every file under the upload folder last written before `cutoff`: uploads whose
    import never ran or crashed, rejected-row files, election results files. The apps' own
    `retention_purge` hooks run first and say on their jobs which file went and why."""
    root = Path(settings.MAILLAGE_UPLOAD_DIR)
    if not root.is_dir():
        return 0
    limit = cutoff.timestamp()
    deleted = 0
    for path in root.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime < limit:
                path.unlink()
                deleted += 1
        except FileNotFoundError:
            continue
    return deleted


def task_results_prune(*, cutoff: Any) -> int:
    """Task results of the database backend (arguments, return values, tracebacks) finished
    before `cutoff` are deleted: they may quote the data the task worked on."""
    if not apps.is_installed("django_tasks_db"):
        return 0
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    deleted, _counts = (
        DBTaskResult.objects.exclude(status=TaskResultStatus.READY)
        .filter(enqueued_at__lt=cutoff)
        .delete()
    )
    return deleted


def housekeeping_run(*, now: Any = None) -> dict[str, int]:
    """The periodic upkeep: crashed work marked failed; expired files, task results and
    sessions deleted.

    Run by the worker every `MAILLAGE_HOUSEKEEPING_MINUTES` (see `core.tasks.housekeeping`) and
    by `maillage housekeeping`; safe to run at any time and as often as wanted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.MAILLAGE_UPLOAD_RETENTION_DAYS)
    counts = {"stale_tasks": task_progress_reap()}
    for hook in _app_hooks("retention_purge"):
        for key, value in hook(cutoff=cutoff).items():
            counts[key] = counts.get(key, 0) + value
    # Periodic work of the apps (the forum's daily moderation points, say): `periodic_upkeep`.
    for hook in _app_hooks("periodic_upkeep"):
        for key, value in hook(now=now).items():
            counts[key] = counts.get(key, 0) + value
    counts["expired_files"] = upload_files_purge(cutoff=cutoff)
    counts["task_results"] = task_results_prune(cutoff=cutoff)
    # Expired sessions (who was signed in, flash messages) are otherwise kept for ever.
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return counts
