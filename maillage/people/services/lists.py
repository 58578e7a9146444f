"""Hand-made lists of people assigned to users or teams (they define what volunteers may see)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from maillage.core.models import AuditLogEntry
from maillage.core.services import audit_log_record
from maillage.people.models import PersonList


@transaction.atomic
def person_list_create(
    *,
    actor: Any,
    name: str,
    person_ids: Iterable[int] = (),
    users: Iterable[Any] = (),
    teams: Iterable[Any] = (),
) -> PersonList:
    person_list = PersonList.objects.create(
        name=name, created_by=actor if getattr(actor, "is_authenticated", False) else None
    )
    person_list_add(actor=actor, person_list=person_list, person_ids=person_ids, log=False)
    person_list.assigned_users.add(*users)
    person_list.assigned_teams.add(*teams)
    audit_log_record(actor=actor, action=AuditLogEntry.Action.CREATE, target=person_list)
    return person_list


def person_list_add(
    *, actor: Any, person_list: PersonList, person_ids: Iterable[int], log: bool = True
) -> int:
    """Add members in one bulk insert (duplicates ignored)."""
    Membership = PersonList.members.through
    rows = [
        Membership(personlist_id=person_list.pk, person_id=pk) for pk in dict.fromkeys(person_ids)
    ]
    Membership.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    if log and rows:
        audit_log_record(
            actor=actor,
            action=AuditLogEntry.Action.UPDATE,
            target=person_list,
            changes={"added": len(rows)},
        )
    return len(rows)


@transaction.atomic
def person_list_assign(
    *, actor: Any, person_list: PersonList, users: Iterable[Any] = (), teams: Iterable[Any] = ()
) -> None:
    users, teams = list(users), list(teams)
    person_list.assigned_users.add(*users)
    person_list.assigned_teams.add(*teams)
    audit_log_record(
        actor=actor, action=AuditLogEntry.Action.UPDATE, target=person_list,
        changes={"assigned_users": [u.pk for u in users], "assigned_teams": [t.pk for t in teams]},
    )  # fmt: skip
