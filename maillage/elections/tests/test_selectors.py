"""The known figures of the 2024 and 2017 legislative elections, reproduced from the official files."""

from __future__ import annotations

from maillage.core.errors import NotFound, PermissionDenied
from maillage.core.tests.base import BaseTestCase
from maillage.elections import selectors
from maillage.elections.models import AreaResult, Election, Level
from maillage.elections.selectors import (
    CloseRacePages,
    RaceFilters,
    close_race_counts,
    close_race_list,
    race_rows,
)
from maillage.elections.services import election_refresh_final_flags, results_import
from maillage.elections.tests import helpers
from maillage.people.tests.helpers import make_person


class Legislatives2024Tests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        results_import(path=helpers.LG2024_T1, election_slug="legislatives-2024")
        results_import(path=helpers.LG2024_T2, election_slug="legislatives-2024")
        cls.election = Election.objects.get(slug="legislatives-2024")

    def races(self, **filters: object) -> list[AreaResult]:
        return list(close_race_list(election=self.election, filters=RaceFilters(**filters)))  # type: ignore[arg-type]

    def test_it_has_577_constituencies_76_decided_in_round_one_and_501_second_rounds(self) -> None:
        constituencies = AreaResult.objects.filter(election=self.election, level="constituency")
        self.assertEqual(constituencies.filter(round_number=1).count(), 577)
        self.assertEqual(
            constituencies.filter(round_number=1, margin_votes__isnull=False).count(), 76
        )
        self.assertEqual(constituencies.filter(round_number=2).count(), 501)
        self.assertEqual(constituencies.filter(is_final=True).count(), 577)

    def test_109_second_rounds_have_a_gap_under_5_percent_of_cast_votes(self) -> None:
        self.assertEqual(len(self.races(round="2", max_gap=5)), 109)
        self.assertEqual(len(self.races(round="final", max_gap=5)), 109)

    def test_24_winners_have_a_margin_under_1_percent(self) -> None:
        races = self.races(max_margin=1)
        self.assertEqual(len(races), 24)
        self.assertTrue(
            all(race.margin_votes is not None and race.margin_pct < 1 for race in races)
        )

    def test_the_closest_race_is_ardeche_3e_won_by_35_votes_in_a_three_way_runoff(self) -> None:
        closest = race_rows(self.races(max_margin=1))[0]
        self.assertEqual((closest.code, closest.margin_votes, closest.gap_votes), ("0703", 35, 35))
        self.assertEqual(
            (closest.winner.full_name, closest.winner.votes, closest.winner.elected),
            ("Fabrice BRUN", 20414, True),
        )
        self.assertEqual(
            (closest.runner_up.full_name, closest.runner_up.votes), ("Cyrille GRANGIER", 20379)
        )
        self.assertAlmostEqual(closest.gap_pct, 35 * 100 / 58918)

    def test_the_base_can_be_voters_instead_of_cast_votes(self) -> None:
        on_voters = race_rows(self.races(max_margin=1, base="votants"))
        self.assertAlmostEqual(on_voters[0].gap_pct, 35 * 100 / 60042)
        # More voters than cast ballots: a share of voters is smaller, so at least as many races qualify.
        self.assertGreaterEqual(len(on_voters), 24)

    def test_counts_under_each_threshold_come_from_one_query(self) -> None:
        with self.assertNumQueries(1):
            counts = close_race_counts(election=self.election, filters=RaceFilters())
        self.assertEqual((counts["total"], counts["decided"]), (577, 577))
        self.assertEqual(
            [(row["threshold"], row["gap"], row["margin"]) for row in counts["rows"]][:3],
            [(1, 24, 24), (2, 49, 49), (5, 109, 109)],
        )

    def test_counts_are_kept_until_the_results_change(self) -> None:
        counts = close_race_counts(election=self.election, filters=RaceFilters())
        with self.assertNumQueries(0):
            again = close_race_counts(election=self.election, filters=RaceFilters())
        self.assertEqual(again, counts)
        with self.assertNumQueries(1):  # another level: counted, and kept apart
            close_race_counts(election=self.election, filters=RaceFilters(level=Level.DEPARTMENT))
        # An import ends by refreshing the final flags, which names a new version of the
        # results: the next view counts again and sees what changed.
        AreaResult.objects.filter(election=self.election, level=Level.CONSTITUENCY).update(
            gap_votes=0
        )
        election_refresh_final_flags(election=self.election)
        with self.assertNumQueries(1):
            fresh = close_race_counts(election=self.election, filters=RaceFilters())
        self.assertEqual(fresh["rows"][0]["gap"], fresh["total"])
        self.assertNotEqual(fresh["rows"][0]["gap"], counts["rows"][0]["gap"])

    def test_pages_of_races_are_kept_until_the_results_change(self) -> None:
        def first_page(election):  # type: ignore[no-untyped-def]
            pages = CloseRacePages(election=election, filters=RaceFilters(max_gap=5), user=None)
            return pages.count(), pages[0:50]

        count, rows = first_page(self.election)
        self.assertEqual(count, 109)
        self.assertEqual(
            [row.code for row in rows][:2],
            [
                row.code
                for row in race_rows(
                    close_race_list(election=self.election, filters=RaceFilters(max_gap=5))[:2]
                )
            ],
        )
        with self.assertNumQueries(0):
            self.assertEqual(first_page(self.election), (count, rows))
        # Another threshold is another list, read and kept apart.
        with self.assertNumQueries(3):  # the count, the page, its candidates
            CloseRacePages(election=self.election, filters=RaceFilters(max_gap=1), user=None)[0:50]
            CloseRacePages(
                election=self.election, filters=RaceFilters(max_gap=1), user=None
            ).count()
        # An import names a new version of the results: the next view reads them again.
        AreaResult.objects.filter(election=self.election, level=Level.CONSTITUENCY).update(
            gap_votes=0
        )
        election_refresh_final_flags(election=self.election)
        fresh_count, fresh_rows = first_page(self.election)
        self.assertEqual(fresh_count, 577)
        self.assertEqual({row.gap_votes for row in fresh_rows}, {0})

    def test_first_round_gaps_rank_by_votes_not_ballot_order(self) -> None:
        ardeche = AreaResult.objects.get(election=self.election, code="0703", round_number=1)
        self.assertEqual(
            (ardeche.top_votes, ardeche.runner_up_votes, ardeche.gap_votes), (18328, 16239, 2089)
        )
        self.assertIsNone(ardeche.margin_votes)
        self.assertFalse(ardeche.is_final)
        ranks = list(ardeche.candidates.order_by("rank").values_list("last_name", flat=True)[:3])
        self.assertEqual(ranks, ["GRANGIER", "PALLOT", "BRUN"])

    def test_a_single_candidate_round_has_all_cast_votes_as_its_gap(self) -> None:
        lone = AreaResult.objects.get(election=self.election, round_number=2, candidate_count=1)
        self.assertEqual((lone.gap_votes, lone.margin_votes), (lone.top_votes, lone.top_votes))

    def test_four_way_second_rounds_are_kept_whole(self) -> None:
        self.assertEqual(
            AreaResult.objects.filter(
                election=self.election, round_number=2, candidate_count=4
            ).count(),
            2,
        )
        self.assertEqual(
            AreaResult.objects.filter(
                election=self.election, round_number=2, candidate_count=3
            ).count(),
            89,
        )

    def test_abstention_potential_is_registered_minus_voters(self) -> None:
        ardeche = AreaResult.objects.get(election=self.election, code="0703", round_number=2)
        self.assertEqual(ardeche.abstentions, 81011 - 60042)
        biggest = self.races(sort="abstention")[0]
        self.assertEqual(
            biggest.abstentions,
            max(
                AreaResult.objects.filter(election=self.election, is_final=True).values_list(
                    "abstentions", flat=True
                )
            ),
        )

    def test_the_area_page_selector_returns_both_rounds(self) -> None:
        rounds = selectors.area_rounds(election=self.election, level="constituency", code="0703")
        self.assertEqual([area.round_number for area in rounds], [1, 2])
        with self.assertRaises(NotFound):
            selectors.area_rounds(election=self.election, level="constituency", code="0799")


class Legislatives2017Tests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        results_import(path=helpers.LG2017_T1, election_slug="legislatives-2017")
        results_import(path=helpers.LG2017_T2, election_slug="legislatives-2017")
        cls.election = Election.objects.get(slug="legislatives-2017")

    def races(self, **filters: object) -> list[AreaResult]:
        return list(close_race_list(election=self.election, filters=RaceFilters(**filters)))  # type: ignore[arg-type]

    def test_98_second_rounds_have_a_gap_under_5_percent(self) -> None:
        self.assertEqual(len(self.races(round="2", max_gap=5)), 98)

    def test_99_final_rounds_do_counting_wallis_and_futuna_won_in_round_one(self) -> None:
        races = self.races(max_gap=5)
        self.assertEqual(len(races), 99)
        wallis = next(race for race in races if race.code == "98601")
        self.assertEqual(wallis.round_number, 1)
        self.assertAlmostEqual(wallis.gap_pct, 4.1, delta=0.05)

    def test_19_winners_have_a_margin_under_1_percent_the_closest_loiret_4e_by_8_votes(
        self,
    ) -> None:
        rows = race_rows(self.races(max_margin=1))
        self.assertEqual(len(rows), 19)
        self.assertEqual((rows[0].code, rows[0].margin_votes), ("4504", 8))
        self.assertTrue(rows[0].winner.elected)

    def test_four_seats_were_won_in_round_one(self) -> None:
        decided = AreaResult.objects.filter(
            election=self.election, round_number=1, margin_votes__isnull=False
        )
        self.assertEqual(decided.count(), 4)


class AccessAndPresenceTests(BaseTestCase):
    def test_volunteers_cannot_read_election_results(self) -> None:
        with self.assertRaises(PermissionDenied):
            selectors.election_list(user=self.teammate)
        with self.assertRaises(PermissionDenied):
            selectors.access_election(user=self.outsider, slug="x")
        with self.assertRaises(NotFound):
            selectors.access_election(user=self.owner, slug="x")

    def test_campaign_presence_counts_the_people_app_rows_with_zero_for_empty_areas(self) -> None:
        make_person(constituency_code="0703", is_contact=True, is_activist=True)
        make_person(constituency_code="0703")
        presence = selectors.campaign_presence_by_area(
            user=self.owner, area_type="constituency", codes=["0703", "2105"]
        )
        self.assertEqual(presence["0703"]["people"], 2)
        self.assertEqual(presence["0703"]["activists"], 1)
        self.assertEqual(
            presence["2105"],
            {"people": 0, "contacts": 0, "reachable": 0, "activists": 0, "doors": 0},
        )
