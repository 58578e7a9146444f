"""The demo turfs: one per polling station, three handed out, loaded once."""

from __future__ import annotations

import io

from django.test import TestCase

from maillage.accounts.demo import VOLUNTEER_EMAIL, load_demo_accounts
from maillage.accounts.models import User
from maillage.canvassing import demo
from maillage.canvassing.models import Turf, TurfAssignment
from maillage.canvassing.selectors import turf_list_for
from maillage.people.demo import load_demo as load_people_demo
from maillage.people.selectors.people import people_visible_to


class DemoTests(TestCase):
    def test_it_cuts_a_turf_per_station_and_hands_three_out_once(self) -> None:
        load_demo_accounts()
        load_people_demo(stdout=io.StringIO(), small=True)
        out = io.StringIO()
        demo.load_demo(stdout=out, small=True)
        demo.load_demo(stdout=out, small=True)
        self.assertEqual(Turf.objects.count(), demo.STATIONS)
        self.assertEqual(TurfAssignment.objects.count(), 3)
        volunteer = User.objects.get(email=VOLUNTEER_EMAIL)
        second = User.objects.get(email=demo.SECOND_VOLUNTEER[0])
        turf_1 = Turf.objects.get(name=demo.turf_name(1))
        turf_3 = Turf.objects.get(name=demo.turf_name(3))
        # The volunteer walks bureau 1 and, with the team, bureau 3; the second volunteer
        # bureau 2 and bureau 3 (same team).
        self.assertEqual(set(turf_list_for(user=volunteer)), {turf_1, turf_3})
        self.assertEqual(
            {t.name for t in turf_list_for(user=second)}, {demo.turf_name(2), demo.turf_name(3)}
        )
        visible = people_visible_to(user=second)
        self.assertTrue(visible.filter(polling_station_code="13999_0002").exists())
        self.assertFalse(visible.filter(polling_station_code="13999_0004").exists())
        self.assertGreater(turf_1.door_count, 0)
        self.assertIn("canvassing: 5 turfs", out.getvalue())
