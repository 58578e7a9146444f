"""Reads of the duplicate review queue (staff only)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from maillage.core.errors import NotFound
from maillage.core.roles import Role, has_role
from maillage.people.models import DuplicateCandidate


def duplicate_list(
    *, user: Any, status: str = DuplicateCandidate.Status.OPEN
) -> QuerySet[DuplicateCandidate]:
    if not has_role(user, Role.STAFF):
        return DuplicateCandidate.objects.none()
    return (
        DuplicateCandidate.objects.filter(status=status)
        .select_related("first", "second")
        .order_by("-score", "id")
    )


def access_duplicate(*, user: Any, candidate_id: int | str) -> DuplicateCandidate:
    candidate = (
        duplicate_list(user=user, status=DuplicateCandidate.Status.OPEN)
        .filter(pk=candidate_id)
        .first()
        if str(candidate_id).isdigit()
        else None
    )
    if candidate is None:
        raise NotFound("Cette paire n'existe pas ou a déjà été traitée.")
    return candidate
