"""The set-based generator: its counters agree with the rows it wrote, and the recount then
separates accurate raters from contrarians."""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from maillage.core.tests.base import BaseTestCase
from maillage.forum.models import Comment, Contribution, ForumProfile, Rating
from maillage.forum.seed import forum_seed
from maillage.forum.services import reputation_recompute
from maillage.forum.tests.helpers import theme


class SeedTests(BaseTestCase):
    def test_counters_match_the_rows_and_accuracy_separates_contrarians(self) -> None:
        report = forum_seed(
            themes=[theme(), theme("Santé")],
            members=60,
            contributions=120,
            ratings=1500,
            long_thread=30,
        )
        self.assertEqual(Rating.objects.count(), report.ratings)
        self.assertGreater(report.ratings, 1000)
        totals = Contribution.objects.aggregate(up=Sum("up"), down=Sum("down"))
        self.assertEqual(totals["up"], Rating.objects.filter(value=1).count())
        self.assertEqual(totals["down"], Rating.objects.filter(value=-1).count())
        self.assertFalse(Rating.objects.filter(user_id=models_author()).exists())
        self.assertEqual(Comment.objects.count(), 30)
        self.assertEqual(ForumProfile.objects.count(), 60)
        reputation_recompute()
        accuracy = ForumProfile.objects.filter(ratings_given__gt=10).aggregate(
            good=Count("pk", filter=Q(ratings_agreed__gt=models_f("ratings_disagreed")))
        )
        self.assertGreater(accuracy["good"], 0)


def models_author():  # type: ignore[no-untyped-def]
    """Ratings by an item's own author: none (as a subquery on the rating's contribution)."""
    from django.db.models import OuterRef, Subquery

    return Subquery(
        Contribution.objects.filter(pk=OuterRef("contribution_id")).values("author_id")[:1]
    )


def models_f(name: str):  # type: ignore[no-untyped-def]
    from django.db.models import F

    return F(name)
