"""Akismet, against a real HTTP server on 127.0.0.1 that speaks its API: what a post sends,
what each answer does to the post (published, held for review, refused), failing open when the
service is down, slow or confused, and the moderators' corrections reported back."""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from maillage.core.tests.base import BaseTestCase
from maillage.forum import services
from maillage.forum.models import (
    Comment,
    Contribution,
    Level,
    ModerationAction,
    SpamCheck,
    Status,
    Theme,
)
from maillage.forum.services.antispam import spam_checks_forget
from maillage.forum.tests.akismet_server import KEY, akismet_server
from maillage.forum.tests.helpers import member, post, theme

SENDER = {
    "REMOTE_ADDR": "203.0.113.7",
    "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    "HTTP_REFERER": "https://campagne.example.org/forum/",
}


def _said(response) -> str:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


class AkismetTests(BaseTestCase):
    def setUp(self) -> None:
        url, self.server = self.enterContext(akismet_server())
        self.enterContext(
            self.settings(
                FORUM_AKISMET_KEY=KEY,
                FORUM_AKISMET_URL=url,
                FORUM_AKISMET_BLOG="https://campagne.example.org",
                FORUM_AKISMET_TIMEOUT=3,
            )
        )
        self.theme = theme()
        self.charter = services.charter_publish(
            actor=self.owner,
            introduction="",
            clauses=[
                (1, "Respect", "Pas d'insultes."),
                (2, "Sujet", "Restez dans le thème."),
                (3, "Publicité", "Pas de publicité ni de spam."),
            ],
        )
        self.spam_clause = self.charter.clauses.get(number=3)
        # A rater: past the new members' daily limits, which would refuse posts before Akismet.
        self.author = member(Level.RATER, name="Paul Posteur")
        self.login(self.author)

    def _contribute(self, title: str = "Des bancs publics", body: str = "Partout en ville"):  # type: ignore[no-untyped-def]
        return self.client.post(
            reverse("forum:theme", args=[self.theme.slug]),
            {"title": title, "body": body, "website": ""},
            **SENDER,
        )

    def test_a_genuine_post_is_checked_with_the_senders_details_and_published(self) -> None:
        response = self._contribute()
        item = Contribution.objects.get()
        self.assertRedirects(response, reverse("forum:contribution", args=[item.pk]))
        self.assertEqual(_said(response), "Votre contribution est publiée.")
        self.assertEqual(item.status, Status.VISIBLE)
        [request] = self.server.requests
        self.assertEqual(request["path"], f"/{KEY}/1.1/comment-check")
        self.assertTrue(
            str(request["content_type"]).startswith("application/x-www-form-urlencoded")
        )
        self.assertIn("Maillage", str(request["user_agent"]))
        self.assertEqual(
            request["fields"],
            {
                "api_key": KEY,
                "blog": "https://campagne.example.org",
                "blog_charset": "UTF-8",
                "blog_lang": "fr",
                "user_ip": "203.0.113.7",
                "user_agent": SENDER["HTTP_USER_AGENT"],
                "referrer": SENDER["HTTP_REFERER"],
                "comment_type": "forum-post",
                "comment_author": "Paul P.",
                "comment_author_email": self.author.email,
                "comment_content": "Des bancs publics\n\nPartout en ville",
            },
        )
        check = SpamCheck.objects.get()
        self.assertEqual((check.contribution_id, check.verdict), (item.pk, "ham"))
        self.assertEqual(check.user_ip, "203.0.113.7")
        self.assertEqual(Theme.objects.get(pk=self.theme.pk).contribution_count, 1)

    def test_spam_is_held_hidden_for_review_and_logged_citing_the_spam_clause(self) -> None:
        self.server.mode = "spam"
        with self.captureOnCommitCallbacks(execute=True):
            response = self._contribute("Crédit pas cher", "Cliquez ici")
        item = Contribution.objects.get()
        self.assertRedirects(response, reverse("forum:contribution", args=[item.pk]))
        self.assertIn("attend l'examen d'un modérateur", _said(response))
        self.assertEqual((item.status, item.pending_flags), (Status.HIDDEN, 1))
        self.assertEqual(Theme.objects.get(pk=self.theme.pk).contribution_count, 0)
        self.assertEqual(SpamCheck.objects.get().verdict, "spam")
        action = ModerationAction.objects.get()
        self.assertEqual(
            (action.kind, action.actor_id, action.actor_level, action.clause_id),
            ("spam_hold", None, -1, self.spam_clause.pk),
        )
        # The author is told (and may appeal); the item is theirs to see, not the public's.
        [notice] = mail.outbox
        self.assertEqual(notice.to, [self.author.email])
        self.assertIn("anti-spam", notice.body)
        self.assertContains(
            self.client.get(reverse("forum:contribution", args=[item.pk])), "hidden-notice"
        )
        self.client.logout()
        self.assertEqual(
            self.client.get(reverse("forum:contribution", args=[item.pk])).status_code, 404
        )
        self.assertNotContains(
            self.client.get(reverse("forum:theme", args=[self.theme.slug])), "Crédit pas cher"
        )
        log = self.client.get(reverse("forum:log"))
        self.assertContains(log, "retenu par le filtre anti-spam")
        self.assertContains(log, "automatique (anti-spam)")
        self.assertContains(log, "art. 3 (v1)")
        # It waits in the moderators' queue, marked as Akismet's.
        self.login(self.owner)
        queue = self.client.get(reverse("forum:queue"))
        self.assertEqual([c.pk for c in queue.context["contributions"]], [item.pk])
        self.assertContains(queue, 'data-testid="akismet"')

    def test_without_a_spam_clause_the_hold_cites_none(self) -> None:
        services.charter_publish(
            actor=self.owner, introduction="", clauses=[(1, "Respect", "Pas d'insultes.")]
        )
        self.server.mode = "spam"
        self._contribute()
        action = ModerationAction.objects.get()
        self.assertEqual((action.kind, action.clause), ("spam_hold", None))
        self.assertEqual(Contribution.objects.get().status, Status.HIDDEN)

    def test_a_held_comment_is_a_reply_and_stays_out_of_the_thread(self) -> None:
        item = post(member(), self.theme)
        self.server.mode = "spam"
        response = self.client.post(
            reverse("forum:contribution", args=[item.pk]),
            {"body": "Visitez mon site", "website": ""},
            **SENDER,
        )
        self.assertRedirects(response, reverse("forum:contribution", args=[item.pk]))
        self.assertIn("attend l'examen d'un modérateur", _said(response))
        comment = Comment.objects.get()
        self.assertEqual(comment.status, Status.HIDDEN)
        self.assertEqual(self.server.calls("comment-check")[0]["comment_type"], "reply")
        self.assertEqual(
            self.server.calls("comment-check")[0]["comment_content"], "Visitez mon site"
        )
        self.client.logout()
        self.assertNotContains(
            self.client.get(reverse("forum:contribution", args=[item.pk])), "Visitez mon site"
        )

    def test_blatant_spam_is_refused_with_a_clear_message(self) -> None:
        self.server.mode = "discard"
        response = self._contribute("Casino", "Gagnez")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "le filtre anti-spam l&#x27;a reconnu comme indésirable")
        self.assertFalse(Contribution.objects.exists())
        self.assertFalse(SpamCheck.objects.exists())
        self.assertFalse(ModerationAction.objects.exists())

    def test_it_fails_open_when_akismet_errs_is_slow_confused_or_down(self) -> None:
        self.server.delay = 3
        cases = [
            ("error", "HTTP 500"),
            ("garbage", "gave no verdict"),
            ("slow", "timed out"),
        ]
        with self.settings(FORUM_AKISMET_TIMEOUT=0.5):
            for n, (mode, said) in enumerate(cases):
                self.server.mode = mode
                started = time.monotonic()
                with self.assertLogs("maillage.forum.spam", "WARNING") as logs:
                    response = self._contribute(f"Idée {n}", f"Texte {n}")
                self.assertLess(time.monotonic() - started, 2.5)  # the timeout, not the server
                self.assertIn(said, logs.output[0])
                self.assertNotIn(KEY, logs.output[0])
                self.assertEqual(_said(response), "Votre contribution est publiée.")
        self.assertEqual(
            list(Contribution.objects.values_list("status", flat=True)), ["visible"] * 3
        )
        self.assertEqual(set(SpamCheck.objects.values_list("verdict", flat=True)), {"unknown"})
        # Nothing listening at all.
        with (
            self.settings(FORUM_AKISMET_URL="http://127.0.0.1:9/{key}/1.1/"),
            self.assertLogs("maillage.forum.spam", "WARNING") as logs,
        ):
            self._contribute("Idée 9", "Texte 9")
        self.assertIn("comment-check failed", logs.output[0])
        self.assertEqual(Contribution.objects.filter(status=Status.VISIBLE).count(), 4)

    def test_a_wrong_key_is_logged_and_the_post_published(self) -> None:
        with (
            self.settings(FORUM_AKISMET_KEY="wrong-key"),
            self.assertLogs("maillage.forum.spam", "WARNING") as logs,
        ):
            self._contribute()
        self.assertIn("'invalid'", logs.output[0])
        self.assertIn("unable to parse your blog URI", logs.output[0])
        self.assertEqual(self.server.requests[0]["path"], "/wrong-key/1.1/comment-check")
        self.assertEqual(Contribution.objects.get().status, Status.VISIBLE)

    def test_off_without_a_key_for_staff_and_outside_a_web_request(self) -> None:
        with self.settings(FORUM_AKISMET_KEY=""):
            self._contribute("Sans clé", "Rien n'est envoyé")
        self.login(self.owner)
        self._contribute("L'équipe", "Pas vérifiée")
        post(member(), self.theme)  # no request behind it (demo data, imports)
        self.assertEqual(self.server.requests, [])
        self.assertEqual(Contribution.objects.filter(status=Status.VISIBLE).count(), 3)
        self.assertFalse(SpamCheck.objects.exists())

    def _queue(self, item: Contribution, action: str, clause_number: int) -> None:
        self.login(self.owner)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(
                reverse("forum:queue") + "?state=hidden"
                if item.status == Status.HIDDEN
                else reverse("forum:queue") + "?state=pending",
                {
                    "contributions": [item.pk],
                    "action": action,
                    "clause": self.charter.clauses.get(number=clause_number).pk,
                },
            )

    def test_restoring_a_post_akismet_held_reports_a_genuine_post_once(self) -> None:
        self.server.mode = "spam"
        self._contribute("Réunion jeudi", "Venez nombreux")
        item = Contribution.objects.get()
        self._queue(item, "restore", 2)
        item.refresh_from_db()
        self.assertEqual((item.status, item.pending_flags), (Status.VISIBLE, 0))
        [ham] = self.server.calls("submit-ham")
        self.assertEqual(ham["user_ip"], "203.0.113.7")
        self.assertEqual(ham["user_agent"], SENDER["HTTP_USER_AGENT"])
        self.assertEqual(ham["comment_type"], "forum-post")
        self.assertEqual(ham["comment_content"], "Réunion jeudi\n\nVenez nombreux")
        self.assertEqual(ham["comment_author_email"], self.author.email)
        self.assertEqual(
            ham["permalink"], settings.SITE_URL + reverse("forum:contribution", args=[item.pk])
        )
        self.assertTrue(ham["comment_date_gmt"].endswith("+00:00"))
        self.assertEqual(SpamCheck.objects.get().reported, "ham")
        self.assertEqual(self.server.calls("submit-spam"), [])
        # Restored again later: Akismet already knows.
        Contribution.objects.filter(pk=item.pk).update(status=Status.HIDDEN, pending_flags=1)
        item.refresh_from_db()
        self._queue(item, "restore", 2)
        self.assertEqual(len(self.server.calls("submit-ham")), 1)

    def test_hiding_for_the_spam_clause_reports_a_missed_spam(self) -> None:
        self._contribute("Achetez", "Des montres")
        item = Contribution.objects.get()
        Contribution.objects.filter(pk=item.pk).update(pending_flags=1, flag_score=1)
        item.refresh_from_db()
        self._queue(item, "hide", 1)  # another clause: nothing reported
        self.assertEqual(self.server.calls("submit-spam"), [])
        item.refresh_from_db()
        self._queue(item, "restore", 2)  # Akismet had let it through: nothing to report
        self.assertEqual(self.server.calls("submit-ham"), [])
        Contribution.objects.filter(pk=item.pk).update(pending_flags=1, flag_score=1)
        item.refresh_from_db()
        self._queue(item, "hide", 3)
        [reported] = self.server.calls("submit-spam")
        self.assertEqual(reported["user_ip"], "203.0.113.7")
        self.assertEqual(reported["comment_content"], "Achetez\n\nDes montres")
        self.assertEqual(SpamCheck.objects.get().reported, "spam")

    def test_confirming_a_held_post_reports_nothing(self) -> None:
        self.server.mode = "spam"
        self._contribute("Pub", "Encore")
        item = Contribution.objects.get()
        self._queue(item, "hide", 3)
        self.assertEqual(Contribution.objects.get().pending_flags, 0)
        self.assertEqual(self.server.calls("submit-spam") + self.server.calls("submit-ham"), [])

    def test_the_senders_details_are_forgotten_after_the_retention(self) -> None:
        self._contribute()
        SpamCheck.objects.update(created_at=timezone.now() - timedelta(days=31))
        self.assertEqual(spam_checks_forget(now=timezone.now()), {"spam_checks_forgotten": 1})
        check = SpamCheck.objects.get()
        self.assertEqual((check.user_ip, check.user_agent, check.referrer), (None, "", ""))
        self.assertEqual(check.verdict, "ham")
        self.assertEqual(spam_checks_forget(now=timezone.now()), {"spam_checks_forgotten": 0})
