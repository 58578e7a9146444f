"""The one segment engine: a definition (JSON) compiled to one QuerySet of people.

This module walks groups (and/or, negation); what each filter means lives in its class in the
filter registry (`maillage.people.segment_filters`). Every filter becomes a condition on Person
itself (a column or an EXISTS subquery), never a join, so OR-ing two segments counts a person
once and the count, the list page and the CSV export all come from the same query. Definitions
are described in docs/segments.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, cast

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.compiled import (
    CompiledRead,
    compiled_count_read,
    compiled_lookup,
    compiled_reads_together,
    compiled_rows_read,
)
from maillage.core.errors import NotFound
from maillage.core.memo import remember
from maillage.core.roles import Role, has_role
from maillage.people.models import EmailAddress, Person, PhoneNumber, Segment, SupportLevel
from maillage.people.segment_filters.base import (
    CompileContext,
    DescribeContext,
    SegmentError,
    is_group,
    segment_filter,
)
from maillage.people.selectors.people import (
    SORT_MATCHES_BELOW,
    people_visible_to,
    sort_people,
    support_visible_to,
)
from maillage.people.selectors.rows import ROW_FIELDS

__all__ = ["SegmentError"]  # where views and services have always found it


def _filter_q(flt: Any, ctx: CompileContext) -> Q:
    if not isinstance(flt, dict):
        raise SegmentError(_("Chaque filtre est un objet JSON."))
    if is_group(flt):
        q = _group_q(flt, stack=ctx.stack, today=ctx.today)
    else:
        handler = segment_filter(flt.get("field"))
        if handler is None:
            raise SegmentError(_("Filtre inconnu : « %(field)s ».") % {"field": flt.get("field")})
        q = handler.q(flt, ctx)
    return ~q if flt.get("negate") else q


def _group_q(group: Any, *, stack: tuple[int, ...], today: date) -> Q:
    if not isinstance(group, dict):
        raise SegmentError(_("Une définition de segment est un objet JSON."))
    op = group.get("op", "and")
    if op not in ("and", "or"):
        raise SegmentError(_("Opérateur inconnu : « %(op)s » (and ou or).") % {"op": op})
    filters = group.get("filters", [])
    if not isinstance(filters, list):
        raise SegmentError(_("« filters » est une liste."))
    ctx = CompileContext(
        today=today,
        stack=stack,
        group_q=lambda definition, inner: _group_q(definition, stack=inner, today=today),
    )
    q = Q()
    for flt in filters:
        part = _filter_q(flt, ctx)
        q = (q & part) if op == "and" else (q | part)
    if not filters and op == "or":
        return Q(pk__in=[])  # an empty OR matches nobody, like an empty ANY
    return q


def segment_q(
    *, definition: dict[str, Any], segment_id: int | None = None, today: date | None = None
) -> Q:
    """Compile a definition to a Q on Person; raises SegmentError with a readable message."""
    stack = (segment_id,) if segment_id else ()
    return _group_q(definition, stack=stack, today=today or timezone.localdate())


def segment_definition_validate(
    *, definition: dict[str, Any], segment_id: int | None = None
) -> None:
    segment_q(definition=definition, segment_id=segment_id)


def segment_queryset(
    *, user: User, definition: dict[str, Any], segment_id: int | None = None
) -> QuerySet[Person]:
    """The people of a segment that this user may see: one QuerySet, no query run yet (only
    referenced segments' definitions are read while compiling)."""
    return people_visible_to(user=user).filter(
        segment_q(definition=definition, segment_id=segment_id)
    )


def segment_count(*, user: User, definition: dict[str, Any], segment_id: int | None = None) -> int:
    return segment_queryset(user=user, definition=definition, segment_id=segment_id).count()


def segment_list(*, user: User) -> QuerySet[Segment]:
    """The segments this user may open (see `access_segment`)."""
    if not has_role(user, Role.ORGANISER):
        return Segment.objects.none()
    segments = Segment.objects.select_related("created_by").order_by("name")
    if not support_visible_to(user=user):
        segments = segments.exclude(pk__in=segment_ids_using_support())
    return segments


# The columns a segment's page shows (and sorts on), so its rows load nothing else.
SEGMENT_PAGE_COLUMNS = (
    "pk",
    "birth_name",
    "usage_name",
    "first_names",
    "birth_year",
    "birth_month",
    "birth_day",
    "polling_station_code",
    "current_support",
    "commune_name",
    "search_name",
)


def segment_compiles_once(definition: Any) -> bool:
    """Whether every filter of a definition (in every group, negated or not) declares
    `compiles_once`: its SQL then depends on the definition and the day only, never on a
    database read (a referenced segment, the contact policy) or on the time of day."""
    if not isinstance(definition, dict):
        return False
    if is_group(definition):
        filters = definition.get("filters", [])
        return isinstance(filters, list) and all(segment_compiles_once(f) for f in filters)
    handler = segment_filter(definition.get("field"))
    return handler is not None and handler.compiles_once


def _definition_key(segment: Segment) -> tuple[Any, ...]:
    """What a compiled segment query is keyed on: the segment, and its definition itself (a
    bulk update may change it without touching `updated_at`)."""
    text = json.dumps(segment.definition, sort_keys=True, default=str)
    return (segment.pk, hashlib.sha256(text.encode()).hexdigest())


# Whether each segment's last count in this process chose the sort key's index
# (SORT_MATCHES_BELOW or more): its next view reads its count and its first rows in one round
# trip by that plan, and reads the rows again only if the count has crossed the line since.
_LARGE_LAST_TIME: dict[tuple[Any, ...], bool] = {}
_LARGE_KEPT = 256


def segment_page_rows(
    *, user: User, segment: Segment, sort: str, first_page: tuple[int, int] | None = None
) -> tuple[int, QuerySet[Any] | Callable[[int, int], list[dict[str, Any]]]]:
    """A segment page's exact count and its rows (`ROW_FIELDS`, for `RowsByBounds` or a
    Paginator): for staff on a segment whose filters all compile once
    (`segment_compiles_once`), both through SQL compiled once per process, day, role and
    definition (core.compiled), else through the ORM on each view. A small segment is sorted
    as found (`sort_people(..., matches=n)`). `first_page`, the (offset, limit) the page will
    most likely ask for: its rows are read with the count, in one round trip on PostgreSQL,
    by the plan the segment's last count chose."""
    if not (has_role(user, Role.STAFF) and segment_compiles_once(segment.definition)):
        people = segment_people(user=user, segment=segment, sort=sort)
        matches = people.count()
        return matches, sort_people(people, sort, matches=matches).values(*ROW_FIELDS)
    key = ("segment-page", *_definition_key(segment))

    def scoped(placeholder: User) -> QuerySet[Person]:
        return segment_queryset(
            user=placeholder, definition=segment.definition, segment_id=segment.pk
        )

    def by_index(placeholder: User) -> QuerySet[Any]:
        return sort_people(scoped(placeholder), sort).values(*ROW_FIELDS)

    def as_found(placeholder: User, offset: int, limit: int) -> QuerySet[Any]:
        # Sorted as found, in two steps: the page's ids first, sorting only the sort key and
        # the id (which a segment's index may hold, `person_station_support_idx`: then no row
        # outside the page is read), then those rows, in the same order. A page's bounds are
        # part of Django's SQL, so each page is compiled apart (most views are of page one).
        page_ids = sort_people(scoped(placeholder), sort, matches=0).values("pk")
        page = Person.objects.filter(pk__in=page_ids[offset : offset + limit])
        return sort_people(page, sort, matches=0).values(*ROW_FIELDS)

    def page_read(large: bool, offset: int, limit: int) -> CompiledRead:
        if large:
            return compiled_rows_read(
                key=(*key, sort, "by-index"), user=user, build=by_index, offset=offset, limit=limit
            )
        return compiled_rows_read(
            key=(*key, sort, "as-found", offset, limit),
            user=user,
            build=lambda placeholder: as_found(placeholder, offset, limit),
        )

    count = compiled_count_read(key=(*key, "count"), user=user, build=scoped, cap=None)
    guess = _LARGE_LAST_TIME.get(key)
    prefetched: tuple[bool, int, int, list[dict[str, Any]]] | None = None
    if guess is None or first_page is None or first_page[1] <= 0:
        (matches,) = compiled_reads_together([count])
    else:
        matches, rows = compiled_reads_together([count, page_read(guess, *first_page)])
        prefetched = (guess, *first_page, rows)
    large = matches >= SORT_MATCHES_BELOW
    remember(_LARGE_LAST_TIME, key, large, limit=_LARGE_KEPT)

    def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
        if limit <= 0:  # an empty slice compiles to no SQL at all
            return []
        if prefetched is not None:
            plan, first_offset, first_limit, rows = prefetched
            # The last page asks for what is left, fewer rows than a page: the same rows.
            if (plan, first_offset) == (large, offset) and limit <= first_limit:
                return rows[:limit]
        (rows,) = compiled_reads_together([page_read(large, offset, limit)])
        return cast(list[dict[str, Any]], rows)

    return matches, fetch


def segment_people(*, user: User, segment: Segment, sort: str) -> QuerySet[Person]:
    """The people of a saved segment for its page, sorted (see `sort_people`; once the page has
    counted them, `sort_people(people, sort, matches=count)` sorts a small segment as found)."""
    people = segment_queryset(user=user, definition=segment.definition, segment_id=segment.pk)
    return sort_people(people, sort).only(*SEGMENT_PAGE_COLUMNS)


def people_with_age(people: Any) -> list[tuple[Person, int | None]]:
    """Each person with their age in the calendar year, as the age filter counts it."""
    year = timezone.localdate().year
    return [(p, year - p.birth_year if p.birth_year else None) for p in people]


def segments_described(segments: Any) -> list[tuple[Segment, str]]:
    """Each segment with its definition in words; one query for the names they refer to."""
    segments = list(segments)
    names = segment_names_referenced(*(s.definition for s in segments))
    return [(s, segment_definition_describe(s.definition, segment_names=names)) for s in segments]


# Filters that select by support level: a segment using one, even through another segment,
# lists people by political opinion, so only roles that may see support open it.
SUPPORT_FIELDS = frozenset({"support", "support_change"})


def _uses_support(definition: Any, definitions: dict[int, Any], seen: frozenset[int]) -> bool:
    if not isinstance(definition, dict):
        return False
    if not is_group(definition):
        if definition.get("field") in SUPPORT_FIELDS:
            return True
        return any(
            _uses_support(definitions.get(pk), definitions, seen | {pk})
            for pk in segment_referenced_ids(definition) - seen
        )
    filters = definition.get("filters")
    return any(
        _uses_support(item, definitions, seen)
        for item in (filters if isinstance(filters, list) else [])
    )


def segment_ids_using_support() -> set[int]:
    """Ids of the segments that select by support, directly or through another (one query)."""
    definitions = dict(Segment.objects.values_list("pk", "definition"))
    return {pk for pk, d in definitions.items() if _uses_support(d, definitions, frozenset({pk}))}


# A segment id no row has: where the id goes in `access_segment`'s compiled lookup.
_NO_SEGMENT = -7_340_021_979


def access_segment(*, user: User, segment_id: int | str) -> Segment:
    """Organisers and above open segments (their people come from `people_visible_to`, so an
    organiser sees the segment's people in their zones); below staff, not those selecting by
    support (`support_visible_to`)."""
    if not has_role(user, Role.ORGANISER):
        raise NotFound(_("Ce segment n'existe pas."))
    # Compiled once (core.compiled): building this query cost the page more than running it.
    segment = (
        compiled_lookup(
            key=("segment",),
            build=lambda pk: Segment.objects.filter(pk=pk),
            placeholder=_NO_SEGMENT,
            value=int(segment_id),
        )
        if str(segment_id).isdigit() and int(segment_id) < 2**63  # a bigint, not an error
        else None
    )
    if segment is None or (
        not support_visible_to(user=user) and segment.pk in segment_ids_using_support()
    ):
        raise NotFound(_("Ce segment n'existe pas."))
    return segment


def segment_referenced_ids(definition: Any) -> set[int]:
    """Ids of the segments a definition names directly (not those they name in turn)."""
    if not isinstance(definition, dict):
        return set()
    if not is_group(definition):
        handler = segment_filter(definition.get("field"))
        return handler.referenced_segments(definition) if handler else set()
    found: set[int] = set()
    filters = definition.get("filters")
    for item in filters if isinstance(filters, list) else []:
        found |= segment_referenced_ids(item)
    return found


def segment_names_referenced(*definitions: dict[str, Any]) -> dict[int, str]:
    """Names of the segments these definitions name directly: one query, none if they name none."""
    referenced: set[int] = set()
    for definition in definitions:
        referenced |= segment_referenced_ids(definition)
    if not referenced:
        return {}
    return dict(Segment.objects.filter(pk__in=referenced).values_list("pk", "name"))


def segment_definition_describe(
    definition: dict[str, Any], *, segment_names: dict[int, str] | None = None
) -> str:
    """A saved definition in words, for the segment's page: staff check what a segment means
    without reading JSON. Segment names come from the caller (one query for all of them)."""
    return _describe(definition, DescribeContext(segment_names=segment_names or {}), top=True)


def _describe(item: Any, ctx: DescribeContext, *, top: bool = False) -> str:
    if not isinstance(item, dict):
        return "?"
    if is_group(item):
        parts = [_describe(f, ctx) for f in item.get("filters", [])]
        if not parts:
            text = str(
                _("tout le monde") if item.get("op", "and") == "and" else _("aucune personne")
            )
        elif len(parts) == 1:
            text = parts[0]
        else:
            joiner = _(" ET ") if item.get("op", "and") == "and" else _(" OU ")
            text = str(joiner).join(parts)
            text = text if top and not item.get("negate") else f"({text})"
    else:
        handler = segment_filter(item.get("field"))
        text = handler.describe(item, ctx) if handler else str(item.get("field"))
    return str(_("NON %(condition)s") % {"condition": text}) if item.get("negate") else text


# -- the CSV export -------------------------------------------------------------------------

_EXPORT_COLUMNS = (
    "pk",
    "birth_name",
    "usage_name",
    "first_names",
    "birth_year",
    "birth_month",
    "birth_day",
    "address_number",
    "address_street",
    "postcode",
    "commune_name",
    "polling_station_code",
    "email",
    "phone",
    "current_support",
)


def segment_export_people(*, user: User, segment: Segment) -> QuerySet[Person]:
    """The people of a segment as exported: the same QuerySet as its count and page, with the
    primary (else first) email and phone, in walking order (polling station, then name)."""
    email = (
        EmailAddress.objects.filter(person_id=OuterRef("pk"))
        .order_by("-is_primary", "id")
        .values("address")[:1]
    )
    phone = (
        PhoneNumber.objects.filter(person_id=OuterRef("pk"))
        .order_by("-is_primary", "id")
        .values("number")[:1]
    )
    return (
        segment_queryset(user=user, definition=segment.definition, segment_id=segment.pk)
        .annotate(email=Subquery(email), phone=Subquery(phone))
        .order_by("polling_station_code", "birth_name", "first_names", "pk")
    )


def segment_export_header() -> list[str]:
    """The export's column names, in the active language. Exports are staff-only (as the
    segment pages are), so the support column is always there."""
    return [
        _("id"),
        _("nom de naissance"),
        _("nom d'usage"),
        _("prénoms"),
        _("naissance"),
        _("adresse"),
        _("code postal"),
        _("commune"),
        _("bureau"),
        _("e-mail"),
        _("téléphone"),
        _("soutien"),
    ]


def segment_export_rows(people: QuerySet[Person]) -> Iterator[list[Any]]:
    """One list of cells per person, matching `segment_export_header`, read in chunks so a
    national segment streams without holding it in memory."""
    labels = dict(SupportLevel.choices)
    for p in people.values(*_EXPORT_COLUMNS).iterator(chunk_size=2000):
        born = (
            f"{p['birth_day'] or 0:02d}/{p['birth_month'] or 0:02d}/{p['birth_year']}"
            if p["birth_year"]
            else ""
        )
        yield [
            p["pk"],
            p["birth_name"],
            p["usage_name"],
            p["first_names"],
            born,
            f"{p['address_number']} {p['address_street']}".strip(),
            p["postcode"],
            p["commune_name"],
            p["polling_station_code"],
            p["email"] or "",
            p["phone"] or "",
            str(labels.get(p["current_support"], "")) if p["current_support"] else "",
        ]
