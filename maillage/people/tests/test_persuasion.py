"""Persuasion figures on a known fixture: every figure is worked out by hand in the comments."""

from __future__ import annotations

from collections import Counter

from maillage.core.errors import PermissionDenied
from maillage.core.tests.base import BaseTestCase
from maillage.people.models import Interaction, Person
from maillage.people.selectors.persuasion import (
    doors_per_hour,
    support_distribution,
    support_history,
    week_boundaries,
)
from maillage.people.tests.helpers import at, make_person


class PersuasionFixture(BaseTestCase):
    """Five people, two volunteers (V1 = teammate, V2 = outsider), two stations.

    A (st1): 3 door V1 · 3 door V1 · 1 phone V2      -> 2 conversations with undecided, 3→1, flip (V2)
    B (st1): 3 door V1 · not home V1 · 2 door V1 · 1 door V1 -> 1 conversation, 3→2 flip (V1), 2→1
    C (st2): 3 V2 · 4 V2 · 3 V1 · 3 V1                -> 2 conversations (2nd and 4th), 3→4, 4→3
    D (st2): 5 V1                                     -> nothing moves
    E (st2): 1 V2 · 3 V2 · 2 V1 (turf 9)             -> 1 conversation (3rd), 1→3, 3→2 flip (V1)
    Conversations with undecided people: 2 + 1 + 2 + 0 + 1 = 6; flips: A, B, E = 3; 6 / 3 = 2.0.
    """

    def setUp(self) -> None:
        st1, st2 = "13055_0001", "13055_0002"
        self.v1, self.v2 = self.teammate, self.outsider
        a = make_person(polling_station_code=st1)
        b = make_person(polling_station_code=st1)
        c = make_person(polling_station_code=st2)
        d = make_person(polling_station_code=st2)
        e = make_person(polling_station_code=st2)
        self.talk(a, "2026-10-05T10:05", 3, self.v1)
        self.talk(a, "2026-10-12T10:10", 3, self.v1)
        self.talk(a, "2026-10-20T18:00", 1, self.v2, channel="phone")
        self.talk(b, "2026-10-05T10:20", 3, self.v1)
        self.talk(b, "2026-10-12T10:30", None, self.v1, result="not_home")
        self.talk(b, "2026-10-12T11:15", 2, self.v1)
        self.talk(b, "2026-10-26T11:20", 1, self.v1)
        self.talk(c, "2026-10-05T10:40", 3, self.v2)
        self.talk(c, "2026-10-12T10:45", 4, self.v2)
        self.talk(c, "2026-10-19T11:00", 3, self.v1)
        self.talk(c, "2026-10-26T11:30", 3, self.v1)
        self.talk(d, "2026-10-05T10:50", 5, self.v1)
        self.talk(e, "2026-10-05T10:55", 1, self.v2)
        self.talk(e, "2026-10-12T10:58", 3, self.v2)
        self.talk(e, "2026-10-19T11:40", 2, self.v1, source=("turf", 9))

    def talk(self, person, when, level, actor, channel="door", result="talked", source=("", None)):  # type: ignore[no-untyped-def]
        Interaction.objects.create(
            person=person,
            channel=channel,
            result=result,
            support_level=level,
            occurred_at=at(when),
            actor=actor,
            source_kind=source[0],
            source_id=source[1],
        )
        if level is not None:
            Person.objects.filter(pk=person.pk).update(current_support=level)


class PersuasionTestCase(PersuasionFixture):
    def test_overall_figures(self) -> None:
        history, _boundaries = support_history(user=self.owner, now=at("2026-11-02T12:00"))
        overall = history.overall
        self.assertEqual(overall.conversations_with_undecided, 6)
        self.assertEqual(overall.flips, 3)
        self.assertEqual(overall.contacts_per_flip, 2.0)
        self.assertEqual(
            dict(overall.transitions),
            {(3, 1): 1, (3, 2): 2, (2, 1): 1, (3, 4): 1, (4, 3): 1, (1, 3): 1},
        )
        # Towards "for": 3→1, 3→2 (twice), 2→1, 4→3; away: 3→4, 1→3; undecided won: 3→1, 3→2 ×2.
        self.assertEqual((overall.gained, overall.lost, overall.undecided_won), (5, 2, 3))

    def test_by_station_actor_and_source(self) -> None:
        history, _boundaries = support_history(user=self.owner, now=at("2026-11-02T12:00"))
        st1, st2 = history.by_station["13055_0001"], history.by_station["13055_0002"]
        # st1: A's two conversations and B's one; flips A and B.
        self.assertEqual((st1.conversations_with_undecided, st1.flips), (3, 2))
        self.assertEqual((st2.conversations_with_undecided, st2.flips), (3, 1))
        v1, v2 = history.by_actor[self.v1.pk], history.by_actor[self.v2.pk]
        # V1 had A#2, B#3, C#4, E#3 with undecided people; V2 had A#3 and C#2.
        self.assertEqual((v1.conversations_with_undecided, v1.flips), (4, 2))
        self.assertEqual((v2.conversations_with_undecided, v2.flips), (2, 1))
        self.assertEqual(v1.contacts_per_flip, 2.0)
        self.assertEqual(dict(v2.transitions), {(3, 1): 1, (3, 4): 1, (1, 3): 1})
        turf = history.by_source[("turf", 9)]
        self.assertEqual((dict(turf.transitions), turf.flips), ({(3, 2): 1}, 1))

    def test_weekly_distribution(self) -> None:
        history, boundaries = support_history(user=self.owner, now=at("2026-11-02T12:00"))
        self.assertEqual(boundaries[-2], at("2026-11-02T00:00"))  # Monday
        by_end = dict(zip(boundaries, history.weekly, strict=True))
        # Week ending Mon 12 Oct 00:00: A 3, B 3, C 3, D 5, E 1.
        self.assertEqual(by_end[at("2026-10-12T00:00")], Counter({3: 3, 5: 1, 1: 1, 2: 0, 4: 0}))
        # Ending 19 Oct: A 3, B 2, C 4, D 5, E 3.
        self.assertEqual(by_end[at("2026-10-19T00:00")], Counter({1: 0, 2: 1, 3: 2, 4: 1, 5: 1}))
        # Now: A 1, B 1, C 3, D 5, E 2 (the same as the people's current levels).
        self.assertEqual(history.weekly[-1], Counter({1: 2, 2: 1, 3: 1, 4: 0, 5: 1}))
        self.assertEqual(support_distribution(user=self.owner), {1: 2, 2: 1, 3: 1, 4: 0, 5: 1})
        self.assertEqual(sum(history.weekly[0].values()), 0)  # 12 weeks back: nobody yet

    def test_doors_per_hour(self) -> None:
        rates = {r.actor_id: r for r in doors_per_hour(user=self.owner)}
        # V1 at the door: 5 Oct 10h (A, B, D), 12 Oct 10h (A, B), 12 Oct 11h (B), 19 Oct 11h
        # (C, E), 26 Oct 11h (B, C): 10 doors in 5 active hours.
        self.assertEqual((rates[self.v1.pk].doors, rates[self.v1.pk].hours), (10, 5))
        self.assertEqual(rates[self.v1.pk].per_hour, 2.0)
        # V2 at the door: 5 Oct 10h (C, E), 12 Oct 10h (C, E): 4 doors in 2 hours (A#3 was a call).
        self.assertEqual((rates[self.v2.pk].doors, rates[self.v2.pk].hours), (4, 2))

    def test_it_is_for_staff_only(self) -> None:
        with self.assertRaises(PermissionDenied):
            support_history(user=self.teammate)
        with self.assertRaises(PermissionDenied):
            doors_per_hour(user=self.teammate)

    def test_week_boundaries(self) -> None:
        ends = week_boundaries(at("2026-12-03T09:00"), weeks=2)
        self.assertEqual(
            ends, [at("2026-11-23T00:00"), at("2026-11-30T00:00"), at("2026-12-03T09:00")]
        )
