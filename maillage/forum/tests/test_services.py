"""The forum's rules, through its services: ratings, reputation and levels (with a scripted
population), moderation points, flags and auto-hide, appeals, meta-moderation, spam rules,
sanitisation and history."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from maillage.core.audit import audit_lines
from maillage.core.errors import ApplicationError, PermissionDenied
from maillage.core.models import AuditLogEntry
from maillage.core.tests.base import BaseTestCase
from maillage.forum import services
from maillage.forum.models import (
    Appeal,
    Comment,
    Contribution,
    ForumProfile,
    Level,
    ModerationAction,
    PointsDistribution,
    Rating,
    Status,
)
from maillage.forum.ranking import wilson_lower_bound
from maillage.forum.tests.helpers import charter, clause, member, post, theme


class RatingTests(BaseTestCase):
    def setUp(self) -> None:
        self.theme = theme()
        self.author = member()
        self.item = post(self.author, self.theme)

    def test_one_rating_per_person_changeable_and_counted_once(self) -> None:
        rater = member()
        services.rating_set(user=rater, item=self.item, value=1, label="constructive")
        services.rating_set(user=rater, item=self.item, value=-1, label="off_topic")
        self.item.refresh_from_db()
        self.assertEqual((self.item.up, self.item.down, self.item.rating_count), (0, 1, 1))
        self.assertEqual(Rating.objects.filter(user=rater).count(), 1)
        self.assertEqual(Rating.objects.get(user=rater).label, "off_topic")
        self.assertEqual(ForumProfile.objects.get(user=rater).ratings_given, 1)

    def test_the_database_refuses_a_second_rating(self) -> None:
        rater = member()
        Rating.objects.create(user=rater, contribution=self.item, value=1)
        with self.assertRaises(IntegrityError), transaction.atomic():
            Rating.objects.create(user=rater, contribution=self.item, value=-1)

    def test_it_refuses_rating_ones_own(self) -> None:
        with self.assertRaises(PermissionDenied):
            services.rating_set(user=self.author, item=self.item, value=1)

    def test_rating_updates_the_items_rank_only(self) -> None:
        other = post(member(), self.theme)
        other_rank = Contribution.objects.get(pk=other.pk).rank_best
        raters = [member() for _ in range(3)]
        with self.assertNumQueries(15):
            # Rater's profile (1), savepoint (1), own rating read (1), insert (1),
            # ratings_given (1), the item's counters (1), reread (1), ranks (1), author's
            # profile (1), its counters (1), profile_refresh read + save (2), the cached
            # pages' versions of the theme and the item (2), release (1): single rows only,
            # nothing proportional to the theme.
            services.rating_set(user=raters[0], item=self.item, value=1)
        for rater in raters[1:]:
            services.rating_set(user=rater, item=self.item, value=1)
        self.item.refresh_from_db()
        self.assertAlmostEqual(self.item.rank_best, wilson_lower_bound(3, 0))
        self.assertEqual(Contribution.objects.get(pk=other.pk).rank_best, other_rank)

    def test_comments_are_rated_too(self) -> None:
        comment = services.comment_create(author=member(), body="D'accord", contribution=self.item)
        services.rating_set(user=member(), item=comment, value=1)
        comment.refresh_from_db()
        self.assertEqual(comment.up, 1)
        self.assertGreater(comment.rank_best, 0)


class ContentTests(BaseTestCase):
    def setUp(self) -> None:
        self.theme = theme()

    def test_markdown_is_rendered_and_scripts_removed(self) -> None:
        item = post(
            member(),
            self.theme,
            body="**gras** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
        )
        self.assertIn("<strong>gras</strong>", item.body_html)
        # What survives is text (escaped), never a tag, an attribute or a link.
        for bad in ("<script", 'href="javascript', "<img", "<a "):
            self.assertNotIn(bad, item.body_html)

    def test_edits_keep_the_history(self) -> None:
        author = member()
        item = post(author, self.theme, title="Avant", body="Texte avant")
        services.contribution_edit(
            actor=author, contribution=item, title="Après", body="Texte après"
        )
        item.refresh_from_db()
        self.assertEqual(item.title, "Après")
        self.assertEqual([r.title for r in item.revisions.all()], ["Avant"])

    def test_only_the_author_withdraws(self) -> None:
        author = member()
        item = post(author, self.theme)
        with self.assertRaises(PermissionDenied):
            services.contribution_withdraw(actor=member(), contribution=item)
        services.contribution_withdraw(actor=author, contribution=item)
        self.assertEqual(Contribution.objects.get(pk=item.pk).status, Status.WITHDRAWN)
        self.theme.refresh_from_db()
        self.assertEqual(self.theme.contribution_count, 0)

    def test_new_members_have_limits(self) -> None:
        newcomer = member()
        for _ in range(3):
            post(newcomer, self.theme)
        with self.assertRaises(services.SpamRefused):
            post(newcomer, self.theme)
        with self.assertRaises(services.SpamRefused):
            post(member(), self.theme, body="http://a.example http://b.example http://c.example")
        # A rater has no such limit.
        rater = member(Level.RATER)
        for _ in range(4):
            post(rater, self.theme)

    def test_honeypot_and_duplicates_are_refused(self) -> None:
        with self.assertRaises(services.SpamRefused):
            services.contribution_create(
                author=member(), theme=self.theme, title="T", body="B", honeypot="http://spam"
            )
        post(member(), self.theme, title="Même idée", body="Le même texte")
        with self.assertRaises(services.SpamRefused):
            post(member(), self.theme, title="même  IDÉE", body="le même texte!")

    def test_programme_paragraphs_have_their_own_threads(self) -> None:
        text = services.programme_text_publish(
            actor=self.owner, title="Chapitre 1", introduction="", body="Premier.\n\nSecond."
        )
        first, second = text.paragraphs.order_by("position")
        services.comment_create(author=member(), body="Sur le premier", paragraph=first)
        first.refresh_from_db()
        second.refresh_from_db()
        self.assertEqual((first.comment_count, second.comment_count), (1, 0))

    def test_charter_versions_keep_old_clauses(self) -> None:
        v1 = charter(self.owner)
        v2 = services.charter_publish(actor=self.owner, introduction="", clauses=[(1, "Neuf", "x")])
        self.assertEqual((v1.version, v2.version), (1, 2))
        self.assertEqual(v1.clauses.count(), 2)
        with self.assertRaises(PermissionDenied):
            services.charter_publish(actor=member(), introduction="", clauses=[(1, "a", "b")])


class ReputationTests(BaseTestCase):
    def test_being_rated_up_twice_makes_a_rater_audited_and_told(self) -> None:
        author = member()
        item = post(author, theme())
        services.rating_set(user=member(), item=item, value=1)
        self.assertEqual(ForumProfile.objects.get(user=author).level, Level.NEW)
        services.rating_set(user=member(), item=item, value=1)
        profile = ForumProfile.objects.get(user=author)
        self.assertEqual((profile.level, profile.reputation), (Level.RATER, 20))
        entry = AuditLogEntry.objects.get(
            target_type="forum.forumprofile", target_id=str(author.pk)
        )
        self.assertEqual(entry.changes["level"][1], str(Level.RATER.label))
        [line] = audit_lines([entry])
        self.assertIn("nouveau membre → évaluateur", line.sentence)

    def test_a_scripted_population_accurate_raters_rise_a_contrarian_does_not(self) -> None:
        """30 items whose quality is known; 8 honest raters rate by quality, one contrarian always
        against. After the recount the honest ones are flaggers, the contrarian stays new."""
        where = theme()
        authors = [member(Level.RATER) for _ in range(3)]
        items = [post(authors[i % 3], where) for i in range(30)]
        honest = [member() for _ in range(8)]
        contrarian = member(name="Contra Rien")
        for i, item in enumerate(items):
            good = i % 3 != 0
            for rater in honest:
                services.rating_set(user=rater, item=item, value=1 if good else -1)
            services.rating_set(user=contrarian, item=item, value=-1 if good else 1)
        services.reputation_recompute()
        for rater in honest:
            profile = ForumProfile.objects.get(user=rater)
            self.assertEqual(profile.accuracy, 1.0)
            self.assertEqual(profile.reputation, 30 + 30 * 4)
            self.assertEqual(profile.level, Level.FLAGGER)
        profile = ForumProfile.objects.get(user=contrarian)
        self.assertEqual(profile.accuracy, 0.0)
        self.assertLess(profile.reputation, 0)
        self.assertEqual(profile.level, Level.NEW)

    def test_staff_set_a_level_by_hand_audited(self) -> None:
        person = member()
        services.level_set_manual(
            actor=self.owner, user=person, level=Level.MODERATOR, reason="Confiance"
        )
        self.assertEqual(ForumProfile.objects.get(user=person).level, Level.MODERATOR)
        with self.assertRaises(PermissionDenied):
            services.level_set_manual(actor=member(), user=person, level=None, reason="")
        services.level_set_manual(actor=self.owner, user=person, level=None, reason="Retour")
        self.assertEqual(ForumProfile.objects.get(user=person).level, Level.NEW)
        self.assertEqual(
            AuditLogEntry.objects.filter(
                target_type="forum.forumprofile", actor=self.owner
            ).count(),
            2,
        )


class PointsTests(BaseTestCase):
    def _day_with(self, contributions: int, today: datetime | None = None) -> None:
        where = theme()
        author = member(Level.RATER)
        yesterday = (today or timezone.now()) - timedelta(days=1)
        for _ in range(contributions):
            item = post(author, where)
            Contribution.objects.filter(pk=item.pk).update(created_at=yesterday)

    def test_points_scale_with_the_inflow_and_expire(self) -> None:
        raters = [member(Level.RATER) for _ in range(4)]
        target = post(member(), theme())
        for rater in raters:
            services.rating_set(user=rater, item=target, value=1)
        self._day_with(4)
        now = timezone.now()
        services.moderation_points_distribute(now=now)
        small = sum(
            ForumProfile.objects.filter(user__in=raters).values_list("moderation_points", flat=True)
        )
        self.assertEqual(small, 2)  # 4 contributions × 0.5
        # Run again the same day: nothing more.
        services.moderation_points_distribute(now=now)
        self.assertEqual(PointsDistribution.objects.count(), 1)
        # The next day, 20 new contributions; yesterday's points have expired after 3 days.
        PointsDistribution.objects.all().delete()
        Contribution.objects.update(created_at=now - timedelta(days=5))
        later = now + timedelta(days=4)
        self._day_with(20, later)
        Rating.objects.update(created_at=later - timedelta(days=1))
        result = services.moderation_points_distribute(now=later)
        self.assertEqual(result["forum_points_expired"], 2)
        big = sum(
            ForumProfile.objects.filter(user__in=raters).values_list("moderation_points", flat=True)
        )
        self.assertEqual(big, 10)  # 20 × 0.5: more inflow, more points
        self.assertGreater(big, small)


class ModerationTests(BaseTestCase):
    def setUp(self) -> None:
        self.theme = theme()
        self.charter = charter(self.owner)
        self.clause = clause(self.charter)
        self.author = member()
        self.item = post(self.author, self.theme)

    def test_flags_are_weighted_and_hide_past_the_threshold(self) -> None:
        rater = member(Level.RATER, moderation_points=1)
        flagger = member(Level.FLAGGER, moderation_points=1)
        services.flag_create(user=rater, item=self.item, clause=self.clause)
        self.item.refresh_from_db()
        self.assertEqual((self.item.flag_score, self.item.status), (1.0, Status.VISIBLE))
        services.flag_create(user=flagger, item=self.item, clause=self.clause)
        self.item.refresh_from_db()
        self.assertEqual((self.item.flag_score, self.item.status), (3.0, Status.HIDDEN))
        action = ModerationAction.objects.get()
        self.assertEqual(
            (action.kind, action.actor_level, action.clause), ("auto_hide", -1, self.clause)
        )
        self.assertEqual(ForumProfile.objects.get(user=rater).moderation_points, 0)

    def test_past_accuracy_weighs_on_a_flag(self) -> None:
        good = member(Level.FLAGGER, moderation_points=1, flags_upheld=8)
        services.flag_create(user=good, item=self.item, clause=self.clause)
        self.item.refresh_from_db()
        self.assertAlmostEqual(self.item.flag_score, 2 * 2 * 9 / 10)
        self.assertEqual(self.item.status, Status.HIDDEN)

    def test_new_members_and_members_without_points_cannot_flag(self) -> None:
        with self.assertRaises(PermissionDenied):
            services.flag_create(user=member(), item=self.item, clause=self.clause)
        with self.assertRaises(PermissionDenied):
            services.flag_create(user=member(Level.RATER), item=self.item, clause=self.clause)

    def test_restore_rejects_the_flags_and_the_appeal_goes_to_another_moderator(self) -> None:
        mod_a, mod_b = member(), member()
        self.theme.moderators.add(mod_a, mod_b)
        services.moderation_decide(
            actor=mod_a, items=[self.item], kind="hide", clause=self.clause, note="Insulte"
        )
        action = ModerationAction.objects.get(kind="hide")
        self.assertEqual(action.actor_level, Level.NEW)
        with self.assertRaises(PermissionDenied):
            services.appeal_create(author=member(), action=action, text="Pas moi")
        appeal = services.appeal_create(
            author=self.author, action=action, text="Ce n'était pas une insulte"
        )
        self.assertEqual(appeal.assigned_to, mod_b)
        with self.assertRaises(ApplicationError):
            services.appeal_create(author=self.author, action=action, text="Encore")
        with self.assertRaises(PermissionDenied):
            services.appeal_decide(actor=mod_a, appeal=appeal, overturn=True, clause=self.clause)
        services.appeal_decide(
            actor=mod_b, appeal=appeal, overturn=True, clause=self.clause, note="Critique légitime"
        )
        self.item.refresh_from_db()
        self.assertEqual(self.item.status, Status.VISIBLE)
        self.assertEqual(Appeal.objects.get().state, Appeal.State.OVERTURNED)
        self.assertEqual(ModerationAction.objects.filter(kind="restore").count(), 1)

    def test_moderators_only_moderate_their_themes(self) -> None:
        with self.assertRaises(PermissionDenied):
            services.moderation_decide(
                actor=member(Level.MODERATOR), items=[self.item], kind="hide", clause=self.clause
            )
        # A moderator-level member active in the theme moderates it.
        active = member(Level.MODERATOR)
        for _ in range(3):
            post(active, self.theme)
        services.moderation_decide(actor=active, items=[self.item], kind="hide", clause=self.clause)
        self.assertEqual(Contribution.objects.get(pk=self.item.pk).status, Status.HIDDEN)

    def test_bans_have_durations(self) -> None:
        target = member()
        moderator = member(Level.MODERATOR)
        with self.assertRaises(PermissionDenied):
            services.ban_create(actor=moderator, user=target, days=30, clause=self.clause)
        services.ban_create(actor=moderator, user=target, days=3, clause=self.clause)
        with self.assertRaises(PermissionDenied):
            post(target, self.theme)
        ForumProfile.objects.filter(user=target).update(
            banned_until=timezone.now() - timedelta(seconds=1)
        )
        post(target, self.theme)
        self.assertEqual(ModerationAction.objects.filter(kind="ban").count(), 1)

    def test_meta_moderation_removes_the_privilege_of_an_unfair_moderator(self) -> None:
        moderator = member(name="Modé Rateur")
        ForumProfile.objects.filter(user=moderator).update(level=Level.MODERATOR)
        self.theme.moderators.add(moderator)
        items = [post(member(Level.RATER), self.theme) for _ in range(2)]
        for item in items:
            services.moderation_decide(
                actor=moderator, items=[item], kind="hide", clause=self.clause
            )
        judges = [member(Level.FLAGGER) for _ in range(3)]
        actions = list(ModerationAction.objects.filter(actor=moderator))
        for action in actions:
            for judge in judges:
                self.assertIn(action, _sample(judge))
                services.meta_moderation_record(judge=judge, action=action, fair=False)
        profile = ForumProfile.objects.get(user=moderator)
        self.assertTrue(profile.moderation_revoked)
        self.assertFalse(self.theme.moderators.filter(pk=moderator.pk).exists())
        self.assertFalse(services.can_moderate_theme(user=moderator, theme_id=self.theme.pk))
        with self.assertRaises(ApplicationError):
            services.meta_moderation_record(judge=judges[0], action=actions[0], fair=True)
        with self.assertRaises(PermissionDenied):
            services.meta_moderation_record(judge=member(Level.RATER), action=actions[0], fair=True)


def _sample(judge):  # type: ignore[no-untyped-def]
    from maillage.forum.selectors import meta_moderation_sample

    return meta_moderation_sample(user=judge, size=100)


class SynthesisTests(BaseTestCase):
    def test_only_synthesisers_write_and_citations_show(self) -> None:
        where = theme()
        items = [post(member(), where) for _ in range(2)]
        writer = member()
        with self.assertRaises(PermissionDenied):
            services.synthesis_create(
                author=writer,
                theme=where,
                title="S",
                period_start=timezone.localdate(),
                period_end=timezone.localdate(),
                body="x",
                citation_ids=[items[0].pk],
            )
        where.synthesisers.add(writer)
        synthesis = services.synthesis_create(
            author=writer,
            theme=where,
            title="Synthèse de décembre",
            period_start=timezone.localdate(),
            period_end=timezone.localdate(),
            body="Les idées",
            citation_ids=[i.pk for i in items],
        )
        services.synthesis_publish(actor=writer, synthesis=synthesis)
        self.assertEqual(list(items[0].syntheses.all()), [synthesis])
        self.assertIsNotNone(synthesis.published_at)


def test_comment_check_constraint_needs_one_subject(db) -> None:  # type: ignore[no-untyped-def]
    author = member()
    with transaction.atomic():
        try:
            Comment.objects.create(
                author=author, body="x", body_html="x", created_at=timezone.now()
            )
        except IntegrityError:
            return
    raise AssertionError("a comment without a subject was accepted")
