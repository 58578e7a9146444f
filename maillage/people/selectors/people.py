"""Reads of people: the one scoping selector, permission-checked loads, quick search and area counts.

Every list of people starts from `people_visible_to(user=...)`, so a volunteer can never reach
a person outside the lists assigned to them, whatever page or export asks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.core.cache import cache
from django.db.models import Count, Exists, F, OrderBy, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User, Zone
from maillage.core.compiled import (
    compiled_count_for_user,
    compiled_for_user,
    compiled_instances_behind,
    compiled_instances_for_user,
    compiled_instances_together,
    compiled_rows_for_user,
)
from maillage.core.db import Bytewise, NotByIndex
from maillage.core.errors import NotFound
from maillage.core.models import AuditLogEntry
from maillage.core.pagination import (
    COUNT_CAP,
    Total,
    bounded_total,
    kept_for_user,
    total_of_capped_count,
)
from maillage.core.roles import Role, role_of
from maillage.people.assignment_sources import assignment_sources
from maillage.people.models import (
    Consent,
    ContactStatus,
    EmailAddress,
    Interaction,
    Person,
    PersonList,
    PhoneNumber,
    Tag,
)
from maillage.people.normalise import fold, normalise_email, normalise_phone
from maillage.people.selectors.rows import ROW_FIELDS

AREA_FIELDS = {
    "commune": "commune_code",
    "polling_station": "polling_station_code",
    "constituency": "constituency_code",
    "department": "department_code",
}

AREA_COUNTS_SECONDS = 300

# Bounced and invalid addresses cannot carry a message; unverified ones still may.
USABLE_STATUSES = [ContactStatus.UNVERIFIED, ContactStatus.VERIFIED]


def person_list_assignments(user: User) -> QuerySet[Any]:
    """Ids of the people on a PersonList assigned to the user or to one of the user's teams.

    It starts from the assignments and walks the membership table by its (list, person) index,
    so its cost follows the user's scope, not the size of the database."""
    Membership = PersonList.members.through
    by_user = PersonList.assigned_users.through.objects.filter(user_id=user.pk).values(
        "personlist_id"
    )
    by_team = PersonList.assigned_teams.through.objects.filter(team__members=user.pk).values(
        "personlist_id"
    )
    # One IN over a UNION, not an OR of two INs: SQLite then always searches the (list, person)
    # index instead of possibly scanning the membership table. UNION ALL: the IN keeps each
    # list once anyway, and a UNION's own de-duplication is work for nothing (see below).
    return Membership.objects.filter(personlist_id__in=by_user.union(by_team, all=True)).values(
        "person_id"
    )


def assigned_people_ids(*, user: User) -> QuerySet[Any]:
    """Ids of the people assigned to the user: their lists, and whatever other apps assign
    (turfs, phone-bank claims) through `maillage.people.assignment_sources`.

    Used as `pk IN (...)` only, so a person on two lists may come twice: SQLite builds the ids
    once and looks people up by primary key; PostgreSQL plans a semi-join (a person on two
    lists is still one row). Hence UNION ALL: a UNION's de-duplication sized its hash table on
    the planner's guess for every source (8,168 rows, 409 kB a view for a 150-person list at
    1 M people), and the IN de-duplicates again; without it a volunteer's page of the list took
    0.37 ms in PostgreSQL instead of 0.44."""
    ids = person_list_assignments(user)
    others = [source(user) for source in assignment_sources().values()]
    return ids.union(*others, all=True) if others else ids


def _sources_key() -> tuple[tuple[str, int], ...]:
    """Part of every compiled scope's key: the assignment sources registered (tests add some)."""
    return tuple((name, id(source)) for name, source in assignment_sources().items())


def assigned_people_sql(*, user: User) -> RawSQL:
    """`assigned_people_ids` as SQL ready for `pk__in`, compiled once per process and day
    (`core.compiled`: building and compiling that UNION cost the ORM about 5 ms a request).

    Sources must therefore depend on the user's id and on today's date only (not on other
    attributes of the user): a test compares the compiled scope with the querysets."""
    sql, params = compiled_for_user(
        key=("scope", _sources_key()),
        user=user,
        build=lambda placeholder: assigned_people_ids(user=placeholder),
    )
    return RawSQL(sql, params)  # noqa: S611 - Django's compilation, values bound (core.compiled)


def _zone_codes(user: User) -> list[str]:
    return sorted(Zone.objects.filter(users=user).exclude(code="").values_list("code", flat=True))


def people_visible_to(*, user: User) -> QuerySet[Person]:
    """The people this user may see. Lazy for everyone but organisers, whose zone codes are read
    first (one small query); the lists are a subquery.

    Below staff the scope is read from the user's assignments (lists now), never by testing
    every person: see docs/operations.md for the index each branch uses."""
    level = role_of(user)
    if level >= Role.STAFF:
        return Person.objects.all()
    if level < Role.VOLUNTEER:
        return Person.objects.none()
    if level < Role.ORGANISER:
        return Person.objects.filter(pk__in=assigned_people_sql(user=user))
    ids = assigned_people_ids(user=user)
    if level >= Role.ORGANISER:
        # An organiser's zone code may name a commune, a department or a constituency. One
        # UNION of index lookups (each code column has its index), not an OR over every person:
        # PostgreSQL cannot turn an OR of IN-subqueries into index scans.
        # The codes are read first (one small query) and sent as values,
        # so the planner sees them: with a subquery it must guess, and a campaign whose people
        # all share one department would make it guess "half the table" and scan it.
        codes = _zone_codes(user)
        if codes:
            ids = ids.union(
                *(
                    Person.objects.filter(**{f"{field}__in": codes}).values("pk")
                    for field in ("commune_code", "department_code", "constituency_code")
                )
            )
    return Person.objects.filter(pk__in=ids)


def _person_not_found() -> NotFound:
    # The same answer whether the person does not exist or is outside the user's scope: the user
    # may not learn that they exist.
    return NotFound(_("Cette personne n'existe pas ou ne vous est pas accessible."))


def _person_by_pk(user: User, person_pk: int) -> QuerySet[Person]:
    return people_visible_to(user=user).filter(pk=person_pk)


def access_person(*, user: User, person_id: int | str) -> Person:
    """Load one person the user may see; NotFound otherwise (the user may not know it exists)."""
    try:
        pk = int(person_id)
    except (TypeError, ValueError):
        raise _person_not_found() from None
    if _scope_compiles(user):
        found = compiled_instances_for_user(
            key=("person-by-pk", _sources_key()), user=user, build=_person_by_pk, value=pk
        )
        person = found[0] if found else None
    else:
        person = people_visible_to(user=user).filter(pk=pk).first()
    if person is None:
        raise _person_not_found()
    return person


@dataclass(frozen=True)
class PersonSheetRows:
    """What a contact sheet shows beside the person: their interactions (newest first, each
    with its `actor` loaded), addresses, numbers, consents and tags, and the people of their
    household the user may see (at most 20)."""

    interactions: list[Interaction]
    emails: list[EmailAddress]
    phones: list[PhoneNumber]
    consents: list[Consent]
    tags: list[Tag]
    household: list[Person]


def _household_of(user: User, person_pk: int) -> QuerySet[Person]:
    # No key when the person has none: `household_key = NULL` finds nobody, where "" would
    # find everyone without a household.
    key = Person.objects.filter(pk=person_pk).exclude(household_key="").values("household_key")[:1]
    return (
        people_visible_to(user=user)
        .filter(household_key=Subquery(key))
        .exclude(pk=person_pk)
        .order_by("birth_year", "first_names")[:20]
    )


def _interactions_of(user: User, person_pk: int) -> QuerySet[Interaction]:
    return Interaction.objects.filter(person_id=person_pk).order_by("-occurred_at", "-id")


def _actors_of(user: User, person_pk: int) -> QuerySet[User]:
    return User.objects.filter(
        pk__in=Interaction.objects.filter(person_id=person_pk).values("actor_id")
    )


# The sheet's reads of one person's rows, by name: each is the related manager's own query
# (same filter, same default ordering), compiled once (core.compiled) on the hot path. The
# interactions' actors are read beside them, not joined: one user row for many interactions.
_SHEET_READS: dict[str, Callable[[User, int], QuerySet[Any]]] = {
    "interactions": _interactions_of,
    "actors": _actors_of,
    "emails": lambda user, pk: EmailAddress.objects.filter(person_id=pk),
    "phones": lambda user, pk: PhoneNumber.objects.filter(person_id=pk),
    "consents": lambda user, pk: Consent.objects.filter(person_id=pk).order_by(
        "-recorded_at", "-id"
    ),
    "tags": lambda user, pk: Tag.objects.filter(people=pk),
}


def person_sheet_rows(
    *, user: User, person: Person, inserting: AuditLogEntry | None = None
) -> PersonSheetRows:
    """The contact sheet's related rows. For the roles whose scope compiles
    (`_scope_compiles`), each read is SQL compiled once per process, day and role, the
    person's id bound, and all of them go to the database in one round trip
    (`compiled_instances_together`): through the ORM, building these queries cost the sheet
    more than running them, and one round trip each cost the database more than answering.
    `inserting` (the audit log's unsaved line for opening the sheet) is inserted with them.
    """
    if not _scope_compiles(user):
        if inserting is not None:
            inserting.save(force_insert=True)
        return PersonSheetRows(
            interactions=list(
                person.interactions.select_related("actor").order_by("-occurred_at", "-id")
            ),
            emails=list(person.emails.all()),
            phones=list(person.phones.all()),
            consents=list(person.consents.order_by("-recorded_at", "-id")),
            tags=list(person.tags.all()),
            household=list(household_members(user=user, person=person)[:20]),
        )
    # The audit line's commit does not wait for the disk on PostgreSQL (what SQLite's WAL mode
    # gives every write here): under load that wait cost a sheet more than its eight reads.
    found = compiled_instances_together(
        reads=_sheet_reads(household=bool(person.household_key)),
        user=user,
        value=person.pk,
        inserting=inserting,
        wait_for_disk=False,
    )
    return _sheet_rows(found)


def person_sheet(
    *, user: User, person_id: int, inserting: AuditLogEntry | None = None
) -> tuple[Person, PersonSheetRows]:
    """`access_person` and `person_sheet_rows` together, for opening a contact sheet: the
    person, in the user's scope (NotFound otherwise), and their related rows, with `inserting`
    (the audit line of the opening) inserted only if the person is in scope. For the roles
    whose scope compiles it is one statement on PostgreSQL (`compiled_instances_behind`): the
    person's read had a round trip of its own, then the reads and the audit line another."""
    if not _scope_compiles(user):
        person = access_person(user=user, person_id=person_id)
        return person, person_sheet_rows(user=user, person=person, inserting=inserting)
    found = compiled_instances_behind(
        gate=(("person-by-pk", _sources_key()), _person_by_pk),
        # Whether the person has a household is not known before the statement: the
        # household's read finds nobody when they have none.
        reads=_sheet_reads(household=True),
        user=user,
        value=int(person_id),
        inserting=inserting,
        wait_for_disk=False,
    )
    if found is None:
        raise _person_not_found()
    person, related = found
    return person, _sheet_rows(related)


def _sheet_reads(
    *, household: bool
) -> dict[str, tuple[tuple[Hashable, ...], Callable[[User, int], QuerySet[Any]]]]:
    reads: dict[str, tuple[tuple[Hashable, ...], Callable[[User, int], QuerySet[Any]]]] = {
        name: (("person-sheet", name), build) for name, build in _SHEET_READS.items()
    }
    if household:
        reads["household"] = (("person-sheet-household", _sources_key()), _household_of)
    return reads


def _sheet_rows(found: dict[str, list[Any]]) -> PersonSheetRows:
    actors = {actor.pk: actor for actor in found.pop("actors")}
    for interaction in found["interactions"]:
        # Sets the relation's cache, as select_related would: no query per row.
        interaction.actor = actors.get(interaction.actor_id)  # type: ignore[assignment]
    found.setdefault("household", [])
    return PersonSheetRows(**found)


@dataclass(frozen=True)
class PeopleInScope:
    """People a user may see, loaded in one query for a batch of writes (a phone's sync of 50
    door results): the batch checks its scope once instead of once per result. Only
    `people_in_scope` makes one, and it remembers whose scope it is."""

    actor_id: int
    people: dict[int, Person]

    def person(self, *, user: User, person_id: int) -> Person:
        if user.pk != self.actor_id:
            raise ValueError("a scope is read by the user it was loaded for")
        person = self.people.get(person_id)
        if person is None:
            raise _person_not_found()
        return person


def people_in_scope(*, user: User, person_ids: Iterable[int]) -> PeopleInScope:
    """The listed people this user may see, in one query (the others are simply absent)."""
    ids = {int(pk) for pk in person_ids}
    people = people_visible_to(user=user).in_bulk(ids) if ids else {}
    return PeopleInScope(actor_id=user.pk, people=people)


def search_name_q(text: str) -> Q:
    """Every word of the query must start a word of the folded name (accent-insensitive prefix)."""
    q = Q()
    for word in fold(text).split():
        q &= Q(search_name__startswith=word) | Q(search_name__contains=f" {word}")
    return q


def person_search(*, user: User, query: str) -> QuerySet[Person]:
    """Quick search by name prefix, email or phone, within the user's scope."""
    people = people_visible_to(user=user)
    text = (query or "").strip()
    if not text:
        return people
    if "@" in text:
        email = normalise_email(text)
        return people.filter(
            Exists(
                EmailAddress.objects.filter(person_id=OuterRef("pk"), address__istartswith=email)
            )
        )
    digits = sum(ch.isdigit() for ch in text)
    if digits >= 6 and digits >= len(text.replace(" ", "")) - 3:
        phone = normalise_phone(text)
        if phone:
            return people.filter(
                Exists(PhoneNumber.objects.filter(person_id=OuterRef("pk"), number=phone))
            )
    if not fold(text):
        return people.none()
    return people.filter(search_name_q(text))


def reachable_q(channel: str) -> Q:
    """Has a usable address for the channel and consent in force. The suppression ledger is
    enforced when consent is recorded or an address added (see services.consent), so a
    suppressed address never carries consent; send time checks the ledger once more."""
    if channel == "email":
        usable = EmailAddress.objects.filter(person_id=OuterRef("pk"), status__in=USABLE_STATUSES)
        return Q(consent_email=True) & Q(Exists(usable))
    phones = PhoneNumber.objects.filter(person_id=OuterRef("pk"), status__in=USABLE_STATUSES)
    if channel == "sms":
        return Q(consent_sms=True) & Q(Exists(phones.filter(kind=PhoneNumber.Kind.MOBILE)))
    if channel == "phone":
        return Q(consent_phone=True) & Q(Exists(phones))
    raise ValueError(channel)


def reachable_any_q() -> Q:
    return reachable_q("email") | reachable_q("sms") | reachable_q("phone")


def people_counts_by_area(
    *, user: User, area_type: str, codes: list[str]
) -> dict[str, dict[str, int]]:
    """Per area code: {"people", "contacts", "reachable", "activists", "canvassed", "doors"}
    in one grouped query, within the user's scope, cached AREA_COUNTS_SECONDS (these are the
    campaign's presence beside election results, not segment counts, which stay exact). "canvassed" (alias "doors", the name the
    elections pages use) counts people with at least one door interaction. Codes with nobody
    are absent."""
    field = AREA_FIELDS.get(area_type)
    if field is None:
        raise ValueError(f"unknown area type {area_type!r}")
    if not codes:
        return {}
    # Counting every person of a constituency on each page view reads a million rows at
    # national scale: the counts are kept AREA_COUNTS_SECONDS, per scope (staff share one).
    scope = "all" if role_of(user) >= Role.STAFF else f"user-{user.pk}"
    digest = hashlib.sha256("\n".join(sorted(codes)).encode()).hexdigest()[:32]
    key = f"maillage:area-counts:{scope}:{area_type}:{digest}"
    cached = cache.get(key)
    if cached is not None:
        return cast(dict[str, dict[str, int]], cached)
    result = _people_counts_by_area(user=user, field=field, codes=codes)
    cache.set(key, result, AREA_COUNTS_SECONDS)
    return result


def _people_counts_by_area(
    *, user: User, field: str, codes: list[str]
) -> dict[str, dict[str, int]]:
    door = Interaction.objects.filter(person_id=OuterRef("pk"), channel="door")
    rows = (
        people_visible_to(user=user)
        .filter(**{f"{field}__in": list(codes)})
        .order_by()
        .values(field)
        .annotate(
            people=Count("pk"),
            contacts=Count("pk", filter=Q(is_contact=True)),
            reachable=Count("pk", filter=reachable_any_q()),
            activists=Count("pk", filter=Q(is_activist=True)),
            canvassed=Count("pk", filter=Q(Exists(door))),
        )
    )
    result: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = {
            key: int(row[key])
            for key in ("people", "contacts", "reachable", "activists", "canvassed")
        }
        counts["doors"] = counts["canvassed"]
        result[row[field]] = counts
    return result


def household_members(*, user: User, person: Person) -> QuerySet[Person]:
    if not person.household_key:
        return Person.objects.none()
    return (
        people_visible_to(user=user)
        .filter(household_key=person.household_key)
        .exclude(pk=person.pk)
        .order_by("birth_year", "first_names")
    )


def support_visible_to(*, user: User) -> bool:
    """Whether lists, sorts, filters and exports may show or use support levels for this user.

    The one rule for support in bulk: staff and above. Support level is political opinion
    (GDPR article 9); below staff it is seen one person at a time, on the contact sheet, whose
    every view is audited. Sorting or filtering by it would reveal the same thing as showing it.
    """
    return role_of(user) >= Role.STAFF


def person_list_page(
    *, user: User, query: str = "", sort: str = "name", total: Total | None = None
) -> QuerySet[Person]:
    """The people list: scoped, searched, sorted; only the columns the page shows. `total`, the
    page's `person_list_total`, lets a small result be sorted as found (`sort_people`)."""
    matches = total.value if total is not None and total.kind == "exact" else None
    return sort_people(
        person_search(user=user, query=query),
        person_sort_for(user=user, sort=sort),
        matches=matches,
    )


def _scope_compiles(user: User) -> bool:
    """Whether queries over this user's scope can be compiled once (core.compiled): the roles
    whose scope depends on their id and the date only (not an organiser's zones, read from the
    database first)."""
    level = role_of(user)
    return level >= Role.STAFF or Role.VOLUNTEER <= level < Role.ORGANISER


def _list_compiles(user: User, query: str) -> bool:
    """Whether the people list's queries can be compiled once: without a search, over a scope
    that compiles."""
    return not (query or "").strip() and _scope_compiles(user)


def person_list_rows(
    *, user: User, query: str = "", sort: str = "name", total: Total | None = None
) -> QuerySet[Any] | Callable[[int, int], list[dict[str, Any]]]:
    """The people list's rows (`ROW_FIELDS`), for `NextPage`: `person_list_page`'s values, or,
    on the list without a search, the same query compiled once and given (offset, limit)."""
    if not _list_compiles(user, query):
        return person_list_page(user=user, query=query, sort=sort, total=total).values(*ROW_FIELDS)
    sort = person_sort_for(user=user, sort=sort)
    by_index = total is None or total.kind != "exact" or total.value >= SORT_MATCHES_BELOW

    def build(placeholder: User) -> QuerySet[Any]:
        # Sorted as for `total`; whether as found or by index changes the plan, not the order.
        matches = None if by_index else 0
        return sort_people(person_search(user=placeholder, query=""), sort, matches=matches).values(
            *ROW_FIELDS
        )

    def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
        return compiled_rows_for_user(
            key=("person-list-rows", sort, by_index, _sources_key()),
            user=user,
            build=build,
            offset=offset,
            limit=limit,
        )

    return fetch


def person_list_total(*, user: User, query: str = "") -> Total:
    """How many people the people list shows, bounded: exact up to COUNT_CAP; beyond, the
    table's estimate for staff without a search (they see everyone), "more than" otherwise."""
    whole_table = role_of(user) >= Role.STAFF and not (query or "").strip()
    if _list_compiles(user, query):

        def count() -> int:
            return compiled_count_for_user(
                key=("person-list-total", _sources_key()),
                user=user,
                build=lambda placeholder: person_search(user=placeholder, query=""),
                cap=COUNT_CAP,
            )

        # Below staff, the total of one's own scope is kept a minute (#17 allows "a cached
        # count where one is shown"; the rows are read on each view): on PostgreSQL, counting
        # the scope was a third of the page's time in the database.
        found = (
            count()
            if whole_table
            else kept_for_user(
                kind="person-list-total",
                user_id=user.pk,
                stamp=(role_of(user), str(timezone.localdate()), tuple(assignment_sources())),
                compute=count,
            )
        )
        return total_of_capped_count(found, model=Person, whole_table=whole_table)
    return bounded_total(person_search(user=user, query=query), whole_table=whole_table)


# Unknown support last in both directions, the same on SQLite (NULL smallest) and PostgreSQL.
_SUPPORT_ASC = F("current_support").asc(nulls_last=True)
_SUPPORT_DESC = F("current_support").desc(nulls_last=True)

# By the name the list shows (usage name, else birth name, then first names), folded: the key and
# the byte order are the same on both databases, and `person_sort_name_idx` serves them.
_NAME_ASC = Bytewise(F("sort_name")).asc()
_NAME_DESC = Bytewise(F("sort_name")).desc()

SORTS: dict[str, tuple[Any, ...]] = {
    "name": (_NAME_ASC, "pk"),
    "-name": (_NAME_DESC, "-pk"),
    "age": ("-birth_year", "pk"),
    "-age": ("birth_year", "pk"),
    "station": ("polling_station_code", "roll_number", "pk"),
    "-station": ("-polling_station_code", "-roll_number", "-pk"),
    "support": (_SUPPORT_ASC, "pk"),
    "-support": (_SUPPORT_DESC, "pk"),
}
SUPPORT_SORTS = frozenset({"support", "-support"})


def person_sort_for(*, user: User, sort: str) -> str:
    """The sort this user gets: a known one, never a support sort below staff (then by name)."""
    if sort not in SORTS or (sort in SUPPORT_SORTS and not support_visible_to(user=user)):
        return "name"
    return sort


# Up to this many matching rows, a sorted page is made by sorting the matches rather than by
# walking the sort key's index (see `NotByIndex`): sorting 20,000 rows costs a few
# milliseconds, walking past a million that do not match costs hundreds.
SORT_MATCHES_BELOW = 20_000


def _not_by_index(key: Any) -> OrderBy:
    if isinstance(key, str):
        name = key.removeprefix("-")
        return OrderBy(NotByIndex(F(name)), descending=key.startswith("-"))
    return OrderBy(
        NotByIndex(key.expression),
        descending=key.descending,
        nulls_first=key.nulls_first,
        nulls_last=key.nulls_last,
    )


def sort_people(
    people: QuerySet[Person], sort: str, *, matches: int | None = None
) -> QuerySet[Person]:
    """Order people by a key of SORTS (by name when unknown). It checks no role: a page open to
    roles below staff takes the key from `person_sort_for` (as `person_list_page` does).

    `matches`: how many people the queryset holds, when the page has counted them; a small set
    is sorted as found instead of by walking the sort key's index (`SORT_MATCHES_BELOW`). The
    order is the same; only the plan changes. The primary key, the last key of every sort,
    is left as it is."""
    keys = SORTS.get(sort, SORTS["name"])
    if matches is not None and matches < SORT_MATCHES_BELOW:
        keys = tuple(key if key in ("pk", "-pk") else _not_by_index(key) for key in keys)
    return people.order_by(*keys)
