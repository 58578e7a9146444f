"""The forum's demo: every page it feeds has something to show, and it loads once."""

from __future__ import annotations

import io

from django.urls import reverse

from maillage.core.tests.base import BaseTestCase
from maillage.forum import demo
from maillage.forum.models import Appeal, Contribution, ModerationAction, Synthesis, Theme


class DemoTests(BaseTestCase):
    def test_the_demo_fills_the_forum_and_is_idempotent(self) -> None:
        demo.load_demo(stdout=io.StringIO(), small=True)
        demo.load_demo(stdout=io.StringIO(), small=True)
        self.assertEqual(Theme.objects.count(), 4)
        self.assertEqual(Contribution.objects.count(), 120)
        self.assertTrue(ModerationAction.objects.filter(kind="auto_hide").exists())
        self.assertTrue(ModerationAction.objects.filter(kind="restore").exists())
        self.assertEqual(Appeal.objects.get().state, Appeal.State.OVERTURNED)
        synthesis = Synthesis.objects.get()
        self.assertIsNotNone(synthesis.published_at)
        self.assertEqual(self.client.get(reverse("forum:log")).status_code, 200)
        theme = Theme.objects.first()
        assert theme is not None
        response = self.client.get(reverse("forum:theme", args=[theme.slug]))
        self.assertEqual(len(response.context["items"]), 30)
