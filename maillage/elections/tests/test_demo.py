"""The demo loader: real 2024 results, loaded once."""

from __future__ import annotations

import io

from maillage.core.tests.base import BaseTestCase
from maillage.elections.demo import load_demo
from maillage.elections.models import AreaResult, ResultImport


class DemoTests(BaseTestCase):
    def test_it_loads_the_2024_election_with_its_bureaux_once(self) -> None:
        out = io.StringIO()
        load_demo(stdout=out, small=False)
        self.assertEqual(AreaResult.objects.filter(level="constituency").count(), 577 + 501)
        self.assertEqual(AreaResult.objects.filter(level="polling_station").count(), 402)
        load_demo(stdout=out, small=False)
        self.assertEqual(ResultImport.objects.count(), 4)
        self.assertIn("déjà chargée", out.getvalue())
