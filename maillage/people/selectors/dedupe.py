"""Reads of the duplicate review queue (staff only)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.errors import NotFound
from maillage.core.models import TaskProgress
from maillage.core.roles import Role, has_role
from maillage.people.models import DuplicateCandidate


def duplicate_list(
    *, user: User, status: str = DuplicateCandidate.Status.OPEN
) -> QuerySet[DuplicateCandidate]:
    if not has_role(user, Role.STAFF):
        return DuplicateCandidate.objects.none()
    return (
        DuplicateCandidate.objects.filter(status=status)
        .select_related("first", "second")
        .order_by("-score", "id")
    )


def access_duplicate(*, user: User, candidate_id: int | str) -> DuplicateCandidate:
    candidate = (
        duplicate_list(user=user, status=DuplicateCandidate.Status.OPEN)
        .filter(pk=candidate_id)
        .first()
        if str(candidate_id).isdigit()
        else None
    )
    if candidate is None:
        raise NotFound(_("Cette paire n'existe pas ou a déjà été traitée."))
    return candidate


# The whole-table search runs as a task (`people.tasks.duplicates_search_task`) whose progress
# record has this kind.
SEARCH_KIND = "dedupe"
# A search still "running" after this long died with its worker: a new one may start.
SEARCH_STALE_AFTER = timedelta(hours=2)


def duplicates_search_in_progress() -> TaskProgress | None:
    """The whole-table search waiting or running now, if any."""
    return (
        TaskProgress.objects.filter(
            kind=SEARCH_KIND,
            status__in=[TaskProgress.Status.PENDING, TaskProgress.Status.RUNNING],
            created_at__gte=timezone.now() - SEARCH_STALE_AFTER,
        )
        .order_by("-created_at")
        .first()
    )


def duplicates_search_latest(*, user: User) -> TaskProgress | None:
    """The last whole-table search, for the duplicates page (staff only)."""
    if not has_role(user, Role.STAFF):
        return None
    return TaskProgress.objects.filter(kind=SEARCH_KIND).order_by("-created_at").first()
