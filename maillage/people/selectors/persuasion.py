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

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

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


@dataclass(frozen=True)
class Row:
    """One interaction of the history, as the pure core reads it."""

    person_id: int
    occurred_at: datetime
    level: int | None
    result: str
    actor_id: int | None
    source: tuple[str, int | None]
    station: str


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
    """The pure core: one pass over rows ordered by person, then time."""
    history = History()
    deltas: list[Counter[int]] = [Counter() for _ in boundaries]
    person: int | None = None
    level: int | None = None
    was_undecided = False
    flipped = False
    for row in rows:
        if row.person_id != person:
            person, level, was_undecided, flipped = row.person_id, None, False, False
        groups = (
            history.overall,
            history.by_station[row.station],
            history.by_actor[row.actor_id],
            history.by_source[row.source],
        )
        if row.result == TALKED and level == UNDECIDED:
            for figures in groups:
                figures.conversations_with_undecided += 1
        if row.level is None:
            continue
        if level is not None and row.level != level:
            for figures in groups:
                figures.transitions[(level, row.level)] += 1
        if row.level in WON and was_undecided and not flipped:
            flipped = True
            for figures in groups:
                figures.flips += 1
        was_undecided = was_undecided or row.level == UNDECIDED
        if row.level != level:
            index = _boundary_index(boundaries, row.occurred_at)
            if index is not None:
                if level is not None:
                    deltas[index][level] -= 1
                deltas[index][row.level] += 1
        level = row.level
    running: Counter[int] = Counter()
    for delta in deltas:
        running.update(delta)
        history.weekly.append(Counter({lvl: running[lvl] for lvl in LEVELS}))
    return history


def _boundary_index(boundaries: list[datetime], at: datetime) -> int | None:
    """The first boundary at or after `at` (a reading counts from the week it was made)."""
    for index, boundary in enumerate(boundaries):
        if at <= boundary:
            return index
    return None


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
    from one ordered read of the readings and conversations (the (person, occurred_at) index)."""
    _staff_only(user)
    boundaries = week_boundaries(now or timezone.now())
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
    stream = (
        Row(
            person_id=r[0],
            occurred_at=r[1],
            level=r[2],
            result=r[3],
            actor_id=r[4],
            source=(r[5], r[6]),
            station=r[7],
        )
        for r in rows.iterator(chunk_size=5000)
    )
    return history_figures(stream, boundaries), boundaries


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
