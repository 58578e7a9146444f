"""Reads of person lists: the staff lists page, one list with its people, who may receive one,
and the people a new list is drawn from (a saved segment or a search)."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from maillage.accounts.models import Team, User
from maillage.core.errors import NotFound
from maillage.core.roles import Role, has_role
from maillage.people.models import Person, PersonList, Segment
from maillage.people.selectors.people import people_visible_to, person_search
from maillage.people.selectors.segments import segment_queryset

# Staff and admins see everyone already; supporters see nobody, whatever they are assigned.
ASSIGNABLE_ROLES = (Role.VOLUNTEER, Role.TEAM_LEADER, Role.ORGANISER)


def _size() -> Coalesce:
    """Members counted in a correlated subquery: one number per list, no join fan-out with the
    assignees, no query per row."""
    Membership = PersonList.members.through
    counts = (
        Membership.objects.filter(personlist_id=OuterRef("pk"))
        .order_by()
        .values("personlist_id")
        .annotate(n=Count("pk"))
        .values("n")  # type: ignore[misc]  # django-stubs does not see the annotation
    )
    return Coalesce(Subquery(counts), 0)


def person_list_index(*, user: User) -> QuerySet[PersonList]:
    """Every list with its size and assignees, newest first (staff only: others get none)."""
    if not has_role(user, Role.STAFF):
        return PersonList.objects.none()
    return (
        PersonList.objects.select_related("created_by")
        .annotate(size=_size())
        .prefetch_related(
            Prefetch("assigned_users", queryset=User.objects.order_by("full_name", "email")),
            Prefetch("assigned_teams", queryset=Team.objects.order_by("name")),
        )
        .order_by("-created_at", "-pk")
    )


def access_person_list(*, user: User, list_id: int | str) -> PersonList:
    """One list with its size, for staff; NotFound otherwise."""
    if not has_role(user, Role.STAFF) or not str(list_id).isdigit():
        raise NotFound(gettext("Cette liste n'existe pas."))
    person_list = person_list_index(user=user).filter(pk=int(list_id)).first()
    if person_list is None:
        raise NotFound(gettext("Cette liste n'existe pas."))
    return person_list


def person_list_members(*, user: User, person_list: PersonList) -> QuerySet[Person]:
    """The list's people that this user may see, in name order."""
    Membership = PersonList.members.through
    # From the list's members to people (the (list, person) index), not a test on every person.
    members = Membership.objects.filter(personlist_id=person_list.pk).values("person_id")
    return (
        people_visible_to(user=user)
        .filter(pk__in=members)
        .order_by("birth_name", "first_names", "pk")
    )


def person_list_assignable_users(*, user: User) -> QuerySet[User]:
    """Active volunteers, team leaders and organisers: those a list changes something for."""
    if not has_role(user, Role.STAFF):
        return User.objects.none()
    return User.objects.filter(is_active=True, role__in=ASSIGNABLE_ROLES).order_by(
        "full_name", "email"
    )


def person_list_assignable_teams(*, user: User) -> QuerySet[Team]:
    if not has_role(user, Role.STAFF):
        return Team.objects.none()
    return Team.objects.order_by("name")


def person_list_source(
    *, user: User, segment: Segment | None = None, query: str = ""
) -> QuerySet[Person]:
    """The people a new list starts with: a saved segment's, or a quick search's (the people
    page's search box), as this user sees them."""
    if segment is not None:
        return segment_queryset(user=user, definition=segment.definition, segment_id=segment.pk)
    return person_search(user=user, query=query)
