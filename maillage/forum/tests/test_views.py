"""The forum's pages: public reads with pinned query counts, writes through forms, access."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maillage.core.tests.base import BaseTestCase
from maillage.forum import services
from maillage.forum.models import (
    Contribution,
    ForumProfile,
    Level,
    ModerationAction,
    Rating,
    Status,
)
from maillage.forum.tests.helpers import charter, clause, member, post, theme


class PublicPageTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.theme = theme("Santé")
        charter(cls.owner)
        cls.items = [post(member(Level.RATER), cls.theme) for _ in range(35)]
        cls.big = cls.items[0]
        commenters = [member(Level.RATER) for _ in range(5)]
        parent = None
        for i in range(40):
            comment = services.comment_create(
                author=commenters[i % 5], body=f"Avis {i}", contribution=cls.big, parent=parent
            )
            parent = comment if i % 3 == 0 else None

    def test_the_theme_page_lists_30_in_best_order_in_three_queries(self) -> None:
        rater = member()
        services.rating_set(user=rater, item=self.items[5], value=1)
        with self.assertNumQueries(3):
            # The theme (1), one page of contributions with their authors' names (1), its
            # published syntheses (1).
            response = self.client.get(reverse("forum:theme", args=[self.theme.slug]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(response.context["items"]), 30)
        self.assertEqual(response.context["items"][0][0].pk, self.items[5].pk)
        self.assertIn("public", response["Cache-Control"])

    def test_anonymous_pages_come_from_the_cache_until_something_changes(self) -> None:
        url = reverse("forum:theme", args=[self.theme.slug])
        self.client.get(url)
        with self.assertNumQueries(1):
            # The theme (its version keys the cached list).
            response = self.client.get(url)
        self.assertContains(response, self.items[-1].title)
        services.rating_set(user=member(), item=self.items[7], value=1)
        with self.assertNumQueries(3):
            response = self.client.get(url)
        self.assertEqual(response.context["items"][0][0].pk, self.items[7].pk)
        page = reverse("forum:contribution", args=[self.big.pk])
        self.client.get(page)
        with CaptureQueriesContext(connection) as reads:
            # The contribution (its version keys the cached thread and the syntheses citing it).
            self.client.get(page)
        self.assertEqual(len(reads), 1)
        # Only the columns the page prints: no account column of the author (a password hash
        # has no business on a public page).
        self.assertNotIn("password", reads[0]["sql"])
        self.assertNotIn("email", reads[0]["sql"])
        services.comment_create(author=member(), body="Un de plus", contribution=self.big)
        self.assertContains(self.client.get(page), "Un de plus")

    def test_every_order_works(self) -> None:
        for order in ("best", "hot", "new", "controversial", "unrated"):
            response = self.client.get(
                reverse("forum:theme", args=[self.theme.slug]) + f"?order={order}"
            )
            self.assertEqual(response.status_code, 200)
            self.assertTrue(response.context["has_next"])

    def test_the_contribution_page_reads_its_thread_in_three_queries(self) -> None:
        with self.assertNumQueries(3):
            # The contribution with theme and author (1), the comments with authors (1), the
            # syntheses citing it (1).
            response = self.client.get(reverse("forum:contribution", args=[self.big.pk]))
        self.assertEqual(len(response.context["thread"]), 40)
        depths = {line.depth for line, _mine in response.context["thread"]}
        self.assertIn(1, depths)

    def test_a_signed_in_members_contribution_page_stays_fixed(self) -> None:
        viewer = member()
        self.login(viewer)
        self.client.get(reverse("forum:contribution", args=[self.big.pk]))
        with self.assertNumQueries(9):
            # Session with its user (1), contribution (1), comments (1), own ratings (1), syntheses
            # (1), charter and its clauses (2), can_moderate: profile and moderators (2).
            self.client.get(reverse("forum:contribution", args=[self.big.pk]))

    def test_hidden_contributions_are_not_public(self) -> None:
        Contribution.objects.filter(pk=self.items[1].pk).update(status=Status.HIDDEN)
        response = self.client.get(reverse("forum:contribution", args=[self.items[1].pk]))
        self.assertEqual(response.status_code, 404)


class WriteTests(BaseTestCase):
    def setUp(self) -> None:
        self.theme = theme()
        self.charter = charter(self.owner)

    def test_a_member_posts_comments_and_rates_through_the_pages(self) -> None:
        author = member()
        self.login(author)
        response = self.client.post(
            reverse("forum:theme", args=[self.theme.slug]),
            {"title": "Des pistes cyclables", "body": "Partout *vite*", "website": ""},
        )
        item = Contribution.objects.get()
        self.assertRedirects(response, reverse("forum:contribution", args=[item.pk]))
        self.assertIn("<em>vite</em>", item.body_html)
        rater = member()
        self.login(rater)
        self.client.post(
            reverse("forum:rate", args=["contribution", item.pk]),
            {"value": "1", "label": "constructive"},
        )
        self.assertEqual(Rating.objects.get().label, "constructive")
        self.client.post(
            reverse("forum:contribution", args=[item.pk]), {"body": "Oui !", "website": ""}
        )
        self.assertEqual(Contribution.objects.get().comment_count, 1)

    def test_the_honeypot_refuses_robots(self) -> None:
        self.login(member())
        response = self.client.post(
            reverse("forum:theme", args=[self.theme.slug]),
            {"title": "Achetez", "body": "Pas cher", "website": "http://spam.example"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Contribution.objects.exists())

    def test_anonymous_visitors_are_sent_to_sign_in(self) -> None:
        response = self.client.post(
            reverse("forum:theme", args=[self.theme.slug]), {"title": "x", "body": "y"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertFalse(Contribution.objects.exists())

    def test_the_queue_and_the_public_log(self) -> None:
        item = post(member(), self.theme)
        flagger = member(Level.FLAGGER, moderation_points=2, flags_upheld=4)
        self.login(flagger)
        self.client.post(
            reverse("forum:flag", args=["contribution", item.pk]),
            {"clause": clause(self.charter).pk},
        )
        self.assertEqual(Contribution.objects.get(pk=item.pk).status, Status.HIDDEN)
        moderator = member()
        self.theme.moderators.add(moderator)
        self.login(moderator)
        response = self.client.get(
            reverse("forum:theme_queue", args=[self.theme.slug]) + "?state=hidden"
        )
        self.assertEqual([c.pk for c in response.context["contributions"]], [item.pk])
        self.client.post(
            reverse("forum:theme_queue", args=[self.theme.slug]) + "?state=hidden",
            {
                "contributions": [item.pk],
                "action": "restore",
                "clause": clause(self.charter, 2).pk,
                "note": "Hors sujet, pas insultant",
            },
        )
        self.assertEqual(Contribution.objects.get(pk=item.pk).status, Status.VISIBLE)
        self.client.logout()
        with self.assertNumQueries(2):
            # The count (1) and one page of actions with clause, charter, contribution, theme (1).
            response = self.client.get(reverse("forum:log"))
        kinds = [a.kind for a in response.context["page"]]
        self.assertEqual(kinds, ["restore", "auto_hide"])
        self.assertContains(response, "art. 2")
        self.assertContains(response, "Hors sujet, pas insultant")

    def test_the_queue_validates_access(self) -> None:
        self.login(member(Level.FLAGGER))
        self.assertEqual(
            self.client.get(reverse("forum:theme_queue", args=[self.theme.slug])).status_code, 404
        )
        self.assertEqual(self.client.get(reverse("forum:queue")).status_code, 404)
        self.login(self.owner)
        self.assertEqual(self.client.get(reverse("forum:queue")).status_code, 200)

    def test_the_level_page_says_what_the_next_level_needs(self) -> None:
        person = member()
        ForumProfile.objects.filter(user=person).update(up_received=1, reputation=10)
        response = self.client.get(reverse("forum:member", args=[person.pk]))
        self.assertEqual(response.context["data"].next_level, Level.RATER)
        self.assertContains(response, "10 / 15")

    def test_staff_set_levels_and_others_cannot(self) -> None:
        person = member()
        self.login(member(Level.FOUNDER))
        response = self.client.post(
            reverse("forum:member_level", args=[person.pk]), {"level": "3", "reason": "x"}
        )
        self.assertEqual(response.status_code, 403)
        self.login(self.owner)
        self.client.post(
            reverse("forum:member_level", args=[person.pk]), {"level": "3", "reason": "Confiance"}
        )
        self.assertEqual(ForumProfile.objects.get(user=person).level, Level.MODERATOR)

    def test_staff_publish_a_charter_a_text_and_create_a_theme(self) -> None:
        self.login(self.owner)
        self.client.post(
            reverse("forum:manage"),
            {
                "form": "charter",
                "charter-introduction": "",
                "charter-clauses": "1. Respect : pas d'insulte\n2. Sujet : rester dans le thème",
            },
        )
        self.assertEqual(self.charter.__class__.objects.count(), 2)
        self.client.post(
            reverse("forum:manage"),
            {
                "form": "programme",
                "programme-title": "Chapitre Santé",
                "programme-body": "Un.\n\nDeux.",
            },
        )
        response = self.client.get(reverse("forum:programme", args=["chapitre-sante"]))
        self.assertEqual(len(response.context["paragraphs"]), 2)
        self.client.post(reverse("forum:manage"), {"form": "theme", "theme-name": "Transports"})
        self.assertEqual(
            self.client.get(reverse("forum:theme", args=["transports"])).status_code, 200
        )
        self.login(member())
        self.assertEqual(self.client.get(reverse("forum:manage")).status_code, 404)


@pytest.mark.django_db
def test_publishing_a_synthesis_emails_the_cited_contributors(
    smtp_server, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    where = theme()
    authors = [member(), member()]
    items = [post(author, where) for author in authors] + [post(authors[0], where)]
    writer = member()
    where.synthesisers.add(writer)
    synthesis = services.synthesis_create(
        author=writer,
        theme=where,
        title="Synthèse de décembre",
        period_start=timezone.localdate(),
        period_end=timezone.localdate(),
        body="Résumé",
        citation_ids=[i.pk for i in items],
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.synthesis_publish(actor=writer, synthesis=synthesis)
    recipients = sorted(rcpt for _from, rcpts in smtp_server.envelopes for rcpt in rcpts)
    assert recipients == sorted(a.email for a in authors)
    assert "Synthèse de décembre" in smtp_server.messages[0].get_payload(decode=True).decode()


@pytest.mark.django_db
def test_a_moderated_author_is_told_what_and_why(
    smtp_server, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from maillage.accounts.tests.factories import UserFactory
    from maillage.core.roles import Role

    staff = UserFactory(role=Role.STAFF)
    text = charter(staff)
    author = member()
    item = post(author, theme())
    with django_capture_on_commit_callbacks(execute=True):
        services.moderation_decide(
            actor=staff, items=[item], kind="hide", clause=clause(text), note="Propos injurieux"
        )
    body = smtp_server.messages[0].get_payload(decode=True).decode()
    assert smtp_server.envelopes[0][1] == [author.email]
    assert "Respect" in body and "Propos injurieux" in body
    assert reverse("forum:appeal", args=[ModerationAction.objects.get().pk]) in body


class SynthesisPageTests(BaseTestCase):
    def test_a_synthesiser_drafts_and_publishes_through_the_pages(self) -> None:
        where = theme()
        cited = post(member(), where)
        writer = member()
        self.login(writer)
        self.assertEqual(
            self.client.get(reverse("forum:synthesis_new", args=[where.slug])).status_code, 404
        )
        where.synthesisers.add(writer)
        self.assertContains(
            self.client.get(reverse("forum:theme", args=[where.slug])), "Écrire une synthèse"
        )
        today = timezone.localdate().isoformat()
        response = self.client.post(
            reverse("forum:synthesis_new", args=[where.slug]),
            {
                "title": "Synthèse",
                "period_start": today,
                "period_end": today,
                "body": "Résumé",
                "citations": str(cited.pk),
            },
        )
        synthesis_url = response["Location"]
        self.client.logout()
        self.assertEqual(self.client.get(synthesis_url).status_code, 404)  # a draft is not public
        self.login(writer)
        self.client.post(synthesis_url + "publier/")
        self.client.logout()
        self.assertContains(
            self.client.get(reverse("forum:contribution", args=[cited.pk])),
            "Citée dans la synthèse",
        )


class LogNameTests(BaseTestCase):
    def test_a_moderator_chooses_to_be_named_in_the_public_log(self) -> None:
        where = theme()
        text = charter(self.owner)
        moderator = member(name="Mona Lisa")
        where.moderators.add(moderator)
        self.login(moderator)
        self.client.post(reverse("forum:me_log_name"), {"show": "1"})
        services.moderation_decide(
            actor=moderator, items=[post(member(), where)], kind="hide", clause=clause(text)
        )
        self.client.logout()
        self.assertContains(self.client.get(reverse("forum:log")), "Mona L.")
