"""Hand-made lists of people assigned to users or teams (they define what volunteers may see).

Staff create a list from a saved segment or a search, then assign it to volunteers, team
leaders, organisers or teams; `people_visible_to` lets each of them see the list's people.
Every creation and every (un)assignment is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from maillage.accounts.models import Team, User
from maillage.core.errors import ApplicationError, PermissionDenied
from maillage.core.models import AuditLogEntry
from maillage.core.roles import Role, has_role
from maillage.core.services import audit_log_record
from maillage.people.models import Person, PersonList
from maillage.people.selectors.lists import ASSIGNABLE_ROLES

NAME_MAX_LENGTH = PersonList._meta.get_field("name").max_length or 150


def _check_actor(actor: User) -> None:
    """Staff manage lists; `None` stands for the system (a management command, the demo)."""
    if actor is not None and not has_role(actor, Role.STAFF):
        raise PermissionDenied(_("Seule l'équipe de campagne gère les listes."))


def _batches(values: Iterable[int], size: int) -> Iterator[list[int]]:
    iterator = iter(values)
    while batch := list(islice(iterator, size)):
        yield batch


def _member_count(person_list: PersonList) -> int:
    return PersonList.members.through.objects.filter(personlist_id=person_list.pk).count()


@transaction.atomic
def person_list_create(
    *,
    actor: User,
    name: str,
    people: QuerySet[Person] | None = None,
    person_ids: Iterable[int] = (),
    users: Iterable[User] = (),
    teams: Iterable[Team] = (),
) -> PersonList:
    """A new list holding `people` (a QuerySet, copied in one INSERT … SELECT) and/or
    `person_ids`: a snapshot, later changes to a segment do not move it."""
    _check_actor(actor)
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Donnez un nom à la liste."))
    if len(name) > NAME_MAX_LENGTH:
        raise ApplicationError(
            _("Le nom de la liste dépasse %(max)d caractères.") % {"max": NAME_MAX_LENGTH}
        )
    person_list = PersonList.objects.create(
        name=name, created_by=actor if getattr(actor, "is_authenticated", False) else None
    )
    if people is not None:
        person_list_add_people(actor=actor, person_list=person_list, people=people, log=False)
    person_list_add(actor=actor, person_list=person_list, person_ids=person_ids, log=False)
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.CREATE,
        target=person_list,
        changes={"members": _member_count(person_list)},
    )
    users, teams = list(users), list(teams)
    if users or teams:
        person_list_assign(actor=actor, person_list=person_list, users=users, teams=teams)
    return person_list


def person_list_add_people(
    *, actor: User, person_list: PersonList, people: QuerySet[Person], log: bool = True
) -> int:
    """Add the people of a QuerySet in one set-based statement (no row comes back to Python,
    so a segment of a million people costs one query); those already in the list are skipped."""
    _check_actor(actor)
    Membership = PersonList.members.through
    table = connection.ops.quote_name(Membership._meta.db_table)
    already = Membership.objects.filter(personlist_id=person_list.pk).values("person_id")
    try:
        sql, params = (
            people.exclude(pk__in=already)
            .order_by()
            .values(member_id=F("pk"))  # an explicit column name for the outer SELECT
            .distinct()
            .query.sql_with_params()
        )
    except EmptyResultSet:  # Person.objects.none(): nobody to add
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (personlist_id, person_id) SELECT %s, chosen.member_id FROM ({sql}) chosen",  # noqa: S608 (table name from the model, values as parameters)
            [person_list.pk, *params],
        )
        added = max(cursor.rowcount, 0)
    if log and added:
        audit_log_record(
            actor=actor,
            action=AuditLogEntry.Action.UPDATE,
            target=person_list,
            changes={"added": added},
        )
    return added


def person_list_add(
    *, actor: User, person_list: PersonList, person_ids: Iterable[int], log: bool = True
) -> int:
    """Add members by id in bulk inserts of 1,000 (ids already there are ignored)."""
    _check_actor(actor)
    Membership = PersonList.members.through
    before: int | None = None  # counted only once there is something to add
    for batch in _batches(person_ids, 1000):
        if before is None:
            before = _member_count(person_list)
        Membership.objects.bulk_create(
            [Membership(personlist_id=person_list.pk, person_id=pk) for pk in batch],
            ignore_conflicts=True,
        )
    if before is None:
        return 0
    added = _member_count(person_list) - before
    if log and added:
        audit_log_record(
            actor=actor,
            action=AuditLogEntry.Action.UPDATE,
            target=person_list,
            changes={"added": added},
        )
    return added


def _check_assignable(users: list[Any]) -> None:
    for user in users:
        if not user.is_active or user.role not in ASSIGNABLE_ROLES:
            raise ApplicationError(
                _(
                    "%(user)s ne peut pas recevoir de liste : seuls les comptes actifs de "
                    "bénévole, chef·fe d'équipe ou organisateur·rice en reçoivent."
                )
                % {"user": user}
            )


@transaction.atomic
def person_list_assign(
    *, actor: User, person_list: PersonList, users: Iterable[User] = (), teams: Iterable[Team] = ()
) -> None:
    """Assign the list to users and teams (those already assigned are left as they are)."""
    _check_actor(actor)
    users, teams = list(users), list(teams)
    if not users and not teams:
        raise ApplicationError(_("Choisissez au moins une personne ou une équipe."))
    _check_assignable(users)
    have_users = set(person_list.assigned_users.values_list("pk", flat=True))
    have_teams = set(person_list.assigned_teams.values_list("pk", flat=True))
    new_users = [u for u in users if u.pk not in have_users]
    new_teams = [t for t in teams if t.pk not in have_teams]
    if not new_users and not new_teams:
        return
    person_list.assigned_users.add(*new_users)
    person_list.assigned_teams.add(*new_teams)
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.UPDATE,
        target=person_list,
        changes={
            "assigned_users": [u.email for u in new_users],
            "assigned_teams": [t.name for t in new_teams],
        },
    )


@transaction.atomic
def person_list_unassign(
    *, actor: User, person_list: PersonList, users: Iterable[User] = (), teams: Iterable[Team] = ()
) -> None:
    """Take the list back from users and teams: they stop seeing its people at once."""
    _check_actor(actor)
    users, teams = list(users), list(teams)
    have_users = set(person_list.assigned_users.values_list("pk", flat=True))
    have_teams = set(person_list.assigned_teams.values_list("pk", flat=True))
    gone_users = [u for u in users if u.pk in have_users]
    gone_teams = [t for t in teams if t.pk in have_teams]
    if not gone_users and not gone_teams:
        raise ApplicationError(_("Cette liste n'est pas attribuée à cette personne ou équipe."))
    person_list.assigned_users.remove(*gone_users)
    person_list.assigned_teams.remove(*gone_teams)
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.UPDATE,
        target=person_list,
        changes={
            "unassigned_users": [u.email for u in gone_users],
            "unassigned_teams": [t.name for t in gone_teams],
        },
    )
