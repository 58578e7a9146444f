"""Reads owned by core: the audit log and task progress, always checked against the acting user."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from maillage.core.errors import NotFound, PermissionDenied
from maillage.core.models import AuditLogEntry, TaskProgress
from maillage.core.roles import Role, has_role


def audit_log_list(
    *,
    user: AbstractBaseUser | AnonymousUser,
    actor_email: str = "",
    target_type: str = "",
    target_id: str = "",
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditLogEntry]:
    if not has_role(user, Role.STAFF):
        raise PermissionDenied(_("Seule l'équipe de campagne peut lire le journal d'audit."))
    entries = AuditLogEntry.objects.select_related("actor").order_by("-at", "-id")
    if actor_email:
        entries = entries.filter(actor_label__iexact=actor_email.strip())
    if target_type:
        entries = entries.filter(target_type=target_type)
    if target_id:
        entries = entries.filter(target_id=str(target_id).strip())
    if action:
        entries = entries.filter(action=action)
    if since:
        entries = entries.filter(at__date__gte=since)
    if until:
        entries = entries.filter(at__date__lte=until)
    return entries


def access_task_progress(
    *, user: AbstractBaseUser | AnonymousUser, progress_id: UUID | str
) -> TaskProgress:
    """A progress record is visible to whoever started it, and to staff."""
    try:
        progress = TaskProgress.objects.get(pk=progress_id)
    except (TaskProgress.DoesNotExist, ValueError):
        raise NotFound(_("Cette tâche n'existe pas.")) from None
    if progress.owner_id != getattr(user, "pk", None) and not has_role(user, Role.STAFF):
        raise NotFound(_("Cette tâche n'existe pas."))
    return progress
