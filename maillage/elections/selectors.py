"""Reads of the elections app: elections, close-race lists, area details, and the join to the campaign.

Gap = votes of the first − votes of the second in a round; winner's margin = the elected
candidate's votes − the best other's, in the round that decided the race. Both are shown in
votes and as a share of a base: `exprimes` (cast ballots, the default, as in the ministry's
percentages) or `votants` (everyone who voted, blank and null ballots included).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, F, FloatField, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Cast, NullIf
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.accounts.selectors import user_zone_codes
from maillage.core.compiled import compiled_rows_for_user
from maillage.core.errors import NotFound, PermissionDenied
from maillage.core.roles import Role, has_role
from maillage.elections.models import AreaResult, CandidateResult, Election, Level, ResultImport
from maillage.people.selectors import people_counts_by_area

BASES = {"exprimes": "cast", "votants": "voters"}
BASE_LABELS = {"exprimes": "exprimés", "votants": "votants"}
ROUND_CHOICES = ("final", "1", "2")
THRESHOLDS = (1, 2, 5, 10)
SORTS: dict[str, tuple[Any, ...]] = {
    "gap": ("gap_pct", "code"),
    "-gap": ("-gap_pct", "code"),
    "gap_votes": ("gap_votes", "code"),
    "margin": (F("margin_pct").asc(nulls_last=True), "code"),
    "-margin": (F("margin_pct").desc(nulls_last=True), "code"),
    "code": ("code",),
    "-code": ("-code",),
    "name": ("name", "code"),
    "abstention": ("-abstentions", "code"),
    "registered": ("-registered", "code"),
}


@dataclass(frozen=True)
class RaceFilters:
    round: str = "final"
    max_gap: float | None = None
    max_margin: float | None = None
    base: str = "exprimes"
    level: str = Level.CONSTITUENCY
    sort: str = ""

    @property
    def base_label(self) -> str:
        return BASE_LABELS[self.base]

    @property
    def effective_sort(self) -> str:
        if self.sort in SORTS:
            return self.sort
        # "Closest first": by margin when only the margin is filtered, by gap otherwise.
        return "margin" if self.max_margin is not None and self.max_gap is None else "gap"


def _require_staff(user: User) -> None:
    if not has_role(user, Role.STAFF):
        raise PermissionDenied(_("Les résultats électoraux sont réservés à l'équipe de campagne."))


def _require_organiser(user: User) -> None:
    if not has_role(user, Role.ORGANISER):
        raise PermissionDenied(
            _(
                "Les cibles électorales sont réservées aux organisateur·rices et à l'équipe de campagne."
            )
        )


def area_scope_q(*, user: User | None) -> Q:
    """The areas whose results this user may target. Staff: all of them. An organiser: the areas
    of their zones, an area being in a zone when its own code, its department or its
    constituency is the zone's official code (a department zone gives its constituencies, a
    constituency zone its communes and bureaux). `user=None` is the command line: everything."""
    if user is None or has_role(user, Role.STAFF):
        return Q()
    _require_organiser(user)
    codes = user_zone_codes(user=user)
    return Q(code__in=codes) | Q(department_code__in=codes) | Q(constituency_code__in=codes)


def election_list(*, user: User) -> QuerySet[Election]:
    _require_organiser(user)
    return Election.objects.annotate(
        area_count=Count(
            "area_results",
            filter=Q(area_results__level=Level.CONSTITUENCY, area_results__is_final=True),
            distinct=True,
        ),
        import_count=Count("imports", distinct=True),
    ).order_by(F("date").desc(nulls_last=True), "slug")


def _election_choices_queryset() -> QuerySet[Election]:
    finals = AreaResult.objects.filter(
        election=OuterRef("pk"), level=Level.CONSTITUENCY, is_final=True
    )
    return Election.objects.annotate(has_results=Exists(finals)).order_by(
        F("date").desc(nulls_last=True), "slug"
    )


_ELECTION_FIELDS = [field.attname for field in Election._meta.concrete_fields]


def election_choices(*, user: User) -> list[Election]:
    """The elections the close-race filter offers, each with `has_results` (final results by
    constituency exist): one index probe an election (`elections_area_final_idx`), where
    `election_list`'s counts read every area row on each view of the page. The query is
    compiled once (core.compiled): building it cost the page more than running it."""
    _require_organiser(user)
    rows = compiled_rows_for_user(
        key=("election-choices",),
        user=user,
        build=lambda _placeholder: _election_choices_queryset().values(
            *_ELECTION_FIELDS, "has_results"
        ),
    )
    elections = []
    for row in rows:
        has_results = row.pop("has_results")
        election = Election.from_db(
            connection.alias, _ELECTION_FIELDS, [row[name] for name in _ELECTION_FIELDS]
        )
        election.has_results = has_results  # type: ignore[attr-defined]
        elections.append(election)
    return elections


def access_election(*, user: User, slug: str) -> Election:
    _require_organiser(user)
    election = Election.objects.filter(slug=slug).first()
    if election is None:
        raise NotFound(_("Aucune élection « %(slug)s ».") % {"slug": slug})
    return election


def election_default(*, user: User) -> Election | None:
    """The latest election with results, which the close-race page opens on."""
    _require_organiser(user)
    return (
        Election.objects.filter(area_results__isnull=False)
        .order_by(F("date").desc(nulls_last=True), "-id")
        .first()
    )


def race_queryset(
    *, election: Election, filters: RaceFilters, user: User | None = None
) -> QuerySet[AreaResult]:
    """Areas of one level in the chosen round, within the user's areas (`area_scope_q`),
    annotated with gap and margin shares (no filters)."""
    base_field = BASES[filters.base]
    queryset = AreaResult.objects.filter(
        area_scope_q(user=user), election=election, level=filters.level
    )
    if filters.round == "final":
        queryset = queryset.filter(is_final=True)
    else:
        queryset = queryset.filter(round_number=int(filters.round))
    base = NullIf(F(base_field), 0)
    return queryset.annotate(
        gap_pct=Cast("gap_votes", FloatField()) * 100.0 / base,
        margin_pct=Cast("margin_votes", FloatField()) * 100.0 / base,
    )


def close_race_list(
    *, election: Election, filters: RaceFilters, user: User | None = None
) -> QuerySet[AreaResult]:
    """The ranked list: areas under the thresholds, closest first, with their top two candidates."""
    queryset = race_queryset(election=election, filters=filters, user=user)
    # Filters on the annotations of race_queryset (django-stubs cannot see those names).
    if filters.max_gap is not None:
        queryset = queryset.filter(**{"gap_pct__lt": filters.max_gap})
    if filters.max_margin is not None:
        queryset = queryset.filter(
            margin_votes__isnull=False, **{"margin_pct__lt": filters.max_margin}
        )
    top_two = CandidateResult.objects.filter(rank__lte=2).order_by("rank")
    return queryset.order_by(*SORTS[filters.effective_sort]).prefetch_related(
        Prefetch("candidates", queryset=top_two, to_attr="top_two")
    )


def close_race_counts(
    *, election: Election, filters: RaceFilters, user: User | None = None
) -> dict[str, Any]:
    """How many areas fall under each usual threshold, by gap and by winner's margin (one query).

    Kept RACE_COUNTS_SECONDS per scope (staff share one), election results version (its
    `updated_at`, touched by every import) and filters: results change only by an import,
    and building this aggregate of 20 filtered counts cost the ORM more than running it."""
    key = _race_cache_key("race-counts", election, filters, user, thresholds=False)
    cached = cache.get(key)
    if cached is not None:
        return cast(dict[str, Any], cached)
    counts = _close_race_counts(election=election, filters=filters, user=user)
    cache.set(key, counts, RACE_COUNTS_SECONDS)
    return counts


# Five minutes, as the campaign's area counts: an organiser's zones may change meanwhile.
RACE_COUNTS_SECONDS = 300


def _race_cache_key(
    kind: str, election: Election, filters: RaceFilters, user: User | None, *, thresholds: bool
) -> str:
    """A cache key for what the close-race page reads of one election's results: per scope
    (staff share one), results version (`updated_at`, touched by every import) and filters."""
    scope = "all" if user is None or has_role(user, Role.STAFF) else f"user-{user.pk}"
    key = (
        f"maillage:{kind}:{scope}:{election.pk}:{election.updated_at.timestamp()}:"
        f"{filters.round}:{filters.base}:{filters.level}"
    )
    if thresholds:
        key += f":{filters.max_gap}:{filters.max_margin}:{filters.effective_sort}"
    return key


class CloseRacePages:
    """The close-race list as `Paginator` reads it: its count and one page's rows (`RaceRow`),
    each kept RACE_COUNTS_SECONDS in the cache under `_race_cache_key`.

    Results change only by an import, which gives the election a new `updated_at` and so new
    keys; reading a page through the ORM (the count, the page, its candidates, 50 rows made
    into RaceRows) was most of the page's cost on every view."""

    def __init__(self, *, election: Election, filters: RaceFilters, user: User | None) -> None:
        self.key = _race_cache_key("race-pages", election, filters, user, thresholds=True)
        self.election, self.filters, self.user = election, filters, user

    @property
    def races(self) -> QuerySet[AreaResult]:
        """The list's queryset, built only when the cache misses."""
        return close_race_list(election=self.election, filters=self.filters, user=self.user)

    def count(self) -> int:
        key = f"{self.key}:count"
        found = cache.get(key)
        if found is None:
            found = self.races.count()
            cache.set(key, found, RACE_COUNTS_SECONDS)
        return int(found)

    def __getitem__(self, bounds: slice) -> list[RaceRow]:
        key = f"{self.key}:rows:{bounds.start}:{bounds.stop}"
        rows = cache.get(key)
        if rows is None:
            rows = race_rows(self.races[bounds])
            cache.set(key, rows, RACE_COUNTS_SECONDS)
        return cast(list[RaceRow], rows)


def _close_race_counts(
    *, election: Election, filters: RaceFilters, user: User | None
) -> dict[str, Any]:
    queryset = race_queryset(election=election, filters=filters, user=user)
    aggregates: dict[str, Any] = {
        "total": Count("pk"),
        "decided": Count("pk", filter=Q(margin_votes__isnull=False)),
    }
    for threshold in THRESHOLDS:
        aggregates[f"gap_{threshold}"] = Count("pk", filter=Q(gap_pct__lt=threshold))
        aggregates[f"margin_{threshold}"] = Count(
            "pk", filter=Q(margin_votes__isnull=False, margin_pct__lt=threshold)
        )
    counts = queryset.aggregate(**aggregates)
    counts["rows"] = [
        {
            "threshold": threshold,
            "gap": counts[f"gap_{threshold}"],
            "margin": counts[f"margin_{threshold}"],
        }
        for threshold in THRESHOLDS
    ]
    return counts


@dataclass(frozen=True)
class RaceCandidate:
    """What a race row prints of one of its top two candidates: plain values, cheap to keep in
    the cache (CloseRacePages), where a model instance is not."""

    full_name: str
    nuance_code: str
    votes: int
    elected: bool

    @classmethod
    def of(cls, candidate: CandidateResult | None) -> RaceCandidate | None:
        if candidate is None:
            return None
        return cls(candidate.full_name, candidate.nuance_code, candidate.votes, candidate.elected)


@dataclass
class RaceRow:
    """One race as printed by `close_races` and written to the CSV export."""

    code: str
    name: str
    round_number: int
    winner: RaceCandidate | None
    runner_up: RaceCandidate | None
    gap_votes: int
    gap_pct: float | None
    margin_votes: int | None
    margin_pct: float | None
    registered: int
    voters: int
    cast: int
    abstentions: int


def race_rows(areas: Any) -> list[RaceRow]:
    rows = []
    for area in areas:
        top_two = getattr(area, "top_two", None)
        if top_two is None:
            top_two = list(area.candidates.filter(rank__lte=2).order_by("rank"))
        rows.append(
            RaceRow(
                code=area.code,
                name=area.name,
                round_number=area.round_number,
                winner=RaceCandidate.of(top_two[0] if top_two else None),
                runner_up=RaceCandidate.of(top_two[1] if len(top_two) > 1 else None),
                gap_votes=area.gap_votes,
                gap_pct=area.gap_pct,
                margin_votes=area.margin_votes,
                margin_pct=area.margin_pct,
                registered=area.registered,
                voters=area.voters,
                cast=area.cast,
                abstentions=area.abstentions,
            )
        )
    return rows


CSV_HEADER = [
    "code",
    "zone",
    "tour",
    "premier",
    "nuance premier",
    "voix premier",
    "second",
    "nuance second",
    "voix second",
    "écart (voix)",
    "écart (%)",
    "marge de l'élu·e (voix)",
    "marge de l'élu·e (%)",
    "base des %",
    "inscrits",
    "votants",
    "exprimés",
    "abstentions",
]


def race_csv_rows(rows: list[RaceRow], *, base: str) -> list[list[str]]:
    def pct(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}".replace(".", ",")

    out = []
    for row in rows:
        out.append(
            [
                row.code,
                row.name,
                str(row.round_number),
                row.winner.full_name if row.winner else "",
                row.winner.nuance_code if row.winner else "",
                str(row.winner.votes) if row.winner else "",
                row.runner_up.full_name if row.runner_up else "",
                row.runner_up.nuance_code if row.runner_up else "",
                str(row.runner_up.votes) if row.runner_up else "",
                str(row.gap_votes),
                pct(row.gap_pct),
                "" if row.margin_votes is None else str(row.margin_votes),
                pct(row.margin_pct),
                BASE_LABELS[base],
                str(row.registered),
                str(row.voters),
                str(row.cast),
                str(row.abstentions),
            ]
        )
    return out


def area_rounds(
    *, election: Election, level: str, code: str, user: User | None = None
) -> list[AreaResult]:
    """Every round of one area in the user's areas, candidates ranked by votes (two queries)."""
    areas = list(
        AreaResult.objects.filter(
            area_scope_q(user=user), election=election, level=level, code=code
        )
        .order_by("round_number")
        .prefetch_related(Prefetch("candidates", queryset=CandidateResult.objects.order_by("rank")))
    )
    if not areas:
        raise NotFound(
            _("Aucun résultat pour la zone « %(code)s » dans cette élection.") % {"code": code}
        )
    return areas


def area_sub_areas(
    *, election: Election, constituency_code: str, user: User | None = None
) -> QuerySet[AreaResult]:
    """Bureaux and communes imported for a constituency (finer targeting inside a race)."""
    return AreaResult.objects.filter(
        area_scope_q(user=user),
        election=election,
        constituency_code=constituency_code,
        level__in=[Level.POLLING_STATION, Level.COMMUNE],
        is_final=True,
    ).order_by("level", "code")


def import_list(*, election: Election) -> QuerySet[ResultImport]:
    return ResultImport.objects.filter(election=election).select_related("imported_by")


def access_result_import(*, user: User, import_id: int) -> ResultImport:
    _require_staff(user)
    record = ResultImport.objects.select_related("election").filter(pk=import_id).first()
    if record is None:
        raise NotFound(_("Import introuvable."))
    return record


PRESENCE_KEYS = ("people", "contacts", "reachable", "activists", "doors")


def campaign_presence_by_area(
    *, user: User, area_type: str, codes: list[str]
) -> dict[str, dict[str, int]]:
    """What the campaign already has in each area, from `people.selectors.people_counts_by_area`
    (people, reachable contacts, activists, doors knocked; scoped by the user). Codes are in the
    canonical forms of `territory.codes`; an area people has nothing for counts zero.
    """
    if not codes:
        return {}
    counts = people_counts_by_area(user=user, area_type=area_type, codes=list(codes))
    return {
        code: {key: int(counts.get(code, {}).get(key, 0) or 0) for key in PRESENCE_KEYS}
        for code in codes
    }
