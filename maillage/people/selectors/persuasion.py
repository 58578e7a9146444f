"""Persuasion figures: how support levels are distributed and move, and what it took to move them.

"It takes 14 contacts to change one undecided voter's mind" (the seed): `contacts_per_flip`
measures that figure on the campaign's own history. Everything here reads people's interaction
ledger only, grouped by polling station, by the actor who recorded the result, and by the
generic (source_kind, source_id) reference, so canvassing can show per turf and phone banking
per call campaign without this app importing either.

Definitions (the tests pin them on a fixture):
- a *reading* is an interaction with a support level; a person's level at a time is their
  latest reading before it;
- a *transition* is two successive readings of one person with different levels; it counts
  for the station of the person and for the actor and source of the later reading;
- a *conversation with an undecided person* is a "talked" interaction whose person's level just
  before it was undecided (the conversation that first finds someone undecided is not one);
- a *flip* is an undecided person whose level later became for or leaning for (once per
  person); contacts per flip = conversations with undecided people ÷ flips;
- *doors per hour*: an actor's door attempts ÷ the clock hours in which they recorded any.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.core.cache import cache
from django.db.models import Count, Q
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.errors import PermissionDenied
from maillage.core.roles import Role, role_of
from maillage.people.models import Channel, Interaction, Person, SupportLevel

UNDECIDED = SupportLevel.UNDECIDED.value
WON = (SupportLevel.FOR.value, SupportLevel.LEANING_FOR.value)
TALKED = Interaction.Result.TALKED.value
LEVELS = tuple(SupportLevel.values)
WEEKS = 12
HISTORY_SECONDS = 300
HISTORY_CACHE_KEY = "people:persuasion:history"


# One interaction of the history as the pure core reads it: (person_id, occurred_at, level,
# result, actor_id, source_kind, source_id, polling station code). Plain tuples, not objects:
# the dashboard reads the whole ledger, and the pass costs per row.
Row = tuple[int, datetime, "int | None", str, "int | None", str, "int | None", str]


@dataclass
class Figures:
    """Transitions, conversations with undecided people and flips, for one group (or all)."""

    transitions: Counter[tuple[int, int]] = field(default_factory=Counter)
    conversations_with_undecided: int = 0
    flips: int = 0

    @property
    def contacts_per_flip(self) -> float | None:
        return self.conversations_with_undecided / self.flips if self.flips else None

    @property
    def gained(self) -> int:
        """Transitions towards "for" (to a lower level number)."""
        return sum(n for (before, after), n in self.transitions.items() if after < before)

    @property
    def lost(self) -> int:
        return sum(n for (before, after), n in self.transitions.items() if after > before)

    @property
    def undecided_won(self) -> int:
        return sum(self.transitions[(UNDECIDED, won)] for won in WON)


@dataclass
class History:
    """What one pass over the history yields."""

    overall: Figures = field(default_factory=Figures)
    by_station: dict[str, Figures] = field(default_factory=lambda: defaultdict(Figures))
    by_actor: dict[int | None, Figures] = field(default_factory=lambda: defaultdict(Figures))
    by_source: dict[tuple[str, int | None], Figures] = field(
        default_factory=lambda: defaultdict(Figures)
    )
    # Level counts as of each boundary (the end of each week, then now).
    weekly: list[Counter[int]] = field(default_factory=list)


def week_boundaries(now: datetime, weeks: int = WEEKS) -> list[datetime]:
    """The Mondays 00:00 (local time) that end each of the last `weeks` weeks, then now."""
    local = timezone.localtime(now)
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return [monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks)] + [now]


def history_figures(rows: Iterable[Row], boundaries: list[datetime]) -> History:
    """The pure core: one pass over rows ordered by person, then time. Groups are looked up
    only for the rows that count something (most rows are a first reading or a same level)."""
    history = History()
    deltas = [[0] * (len(LEVELS) + 1) for _ in boundaries]
    last_boundary = boundaries[-1]
    person: int | None = None
    level: int | None = None
    was_undecided = flipped = False
    for person_id, at, new, result, actor_id, kind, source_id, station in rows:
        if person_id != person:
            person, level, was_undecided, flipped = person_id, None, False, False
        if result == TALKED and level == UNDECIDED:
            for figures in _groups(history, station, actor_id, (kind, source_id)):
                figures.conversations_with_undecided += 1
        if new is None or new == level:
            continue
        if level is not None:
            for figures in _groups(history, station, actor_id, (kind, source_id)):
                figures.transitions[(level, new)] += 1
        if new in WON and was_undecided and not flipped:
            flipped = True
            for figures in _groups(history, station, actor_id, (kind, source_id)):
                figures.flips += 1
        if new == UNDECIDED:
            was_undecided = True
        if at <= last_boundary:
            delta = deltas[bisect_left(boundaries, at)]
            if level is not None:
                delta[level] -= 1
            delta[new] += 1
        level = new
    running = [0] * (len(LEVELS) + 1)
    for delta in deltas:
        running = [a + b for a, b in zip(running, delta, strict=True)]
        history.weekly.append(Counter({lvl: running[lvl] for lvl in LEVELS}))
    return history


def _groups(
    history: History, station: str, actor_id: int | None, source: tuple[str, int | None]
) -> tuple[Figures, ...]:
    return (
        history.overall,
        history.by_station[station],
        history.by_actor[actor_id],
        history.by_source[source],
    )


# -- reading the database ----------------------------------------------------------------------


def _staff_only(user: User) -> None:
    if role_of(user) < Role.STAFF:
        raise PermissionDenied(_("Votre rôle ne donne pas accès à cette page."))


def support_distribution(*, user: User) -> dict[int, int]:
    """People per current support level (people with no level known are not counted)."""
    _staff_only(user)
    counts = (
        Person.objects.filter(current_support__isnull=False)
        .values("current_support")
        .annotate(n=Count("id"))
        .order_by()
    )
    found = {row["current_support"]: row["n"] for row in counts}
    return {lvl: found.get(lvl, 0) for lvl in LEVELS}


def support_history(*, user: User, now: datetime | None = None) -> tuple[History, list[datetime]]:
    """Transitions, flips, conversations (overall and by group) and the weekly distribution,
    from one ordered read of the readings and conversations (the (person, occurred_at) index).

    The pass reads the whole ledger (about 20 µs a row, docs/benchmarks.md), so the figures as
    of now are kept HISTORY_SECONDS in the cache: staff opening the dashboard again, or
    several at once, do not each read it again."""
    _staff_only(user)
    if now is None:
        cached = cache.get(HISTORY_CACHE_KEY)
        if cached is not None:
            return cast(tuple[History, list[datetime]], cached)
        result = _support_history(timezone.now())
        cache.set(HISTORY_CACHE_KEY, result, HISTORY_SECONDS)
        return result
    return _support_history(now)


def _support_history(now: datetime) -> tuple[History, list[datetime]]:
    boundaries = week_boundaries(now)
    rows = (
        Interaction.objects.filter(Q(support_level__isnull=False) | Q(result=TALKED))
        .order_by("person_id", "occurred_at", "id")
        .values_list(
            "person_id",
            "occurred_at",
            "support_level",
            "result",
            "actor_id",
            "source_kind",
            "source_id",
            "person__polling_station_code",
        )
    )
    return history_figures(rows.iterator(chunk_size=5000), boundaries), boundaries


@dataclass(frozen=True)
class DoorRate:
    actor_id: int | None
    doors: int
    hours: int

    @property
    def per_hour(self) -> float:
        return self.doors / self.hours if self.hours else 0.0


def doors_per_hour(*, user: User) -> list[DoorRate]:
    """Door attempts per actor per active hour (a clock hour with at least one attempt),
    busiest first. One GROUP BY on (actor, hour)."""
    _staff_only(user)
    per_hour = (
        Interaction.objects.filter(channel=Channel.DOOR)
        .annotate(hour=TruncHour("occurred_at"))
        .values("actor_id", "hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    doors: Counter[int | None] = Counter()
    hours: Counter[int | None] = Counter()
    for row in per_hour:
        doors[row["actor_id"]] += row["n"]
        hours[row["actor_id"]] += 1
    rates = [DoorRate(actor_id=a, doors=doors[a], hours=hours[a]) for a in doors]
    return sorted(rates, key=lambda r: (-r.doors, r.actor_id or 0))


def week_starts(boundaries: list[datetime]) -> list[date]:
    """The first day of the week each weekly boundary closes (for labels)."""
    return [
        timezone.localtime(b - timedelta(seconds=1)).date()
        - timedelta(days=timezone.localtime(b - timedelta(seconds=1)).weekday())
        for b in boundaries
    ]


def actor_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = [i for i in set(ids) if i is not None]
    return {u.pk: u.full_name or u.email for u in User.objects.filter(pk__in=wanted)}


def figures_rows(groups: dict[Any, Figures]) -> list[tuple[Any, Figures]]:
    """Groups with something to show, the most moved first."""
    rows = [
        (key, f) for key, f in groups.items() if f.transitions or f.conversations_with_undecided
    ]
    return sorted(
        rows, key=lambda kv: (-kv[1].gained, -sum(kv[1].transitions.values()), str(kv[0]))
    )
