"""Bans through the pages: the form on the member's page (moderators 1, 3 or 7 days, staff up to
without limit), lifting by staff, the public log, the notice to the member, and what a banned
member can no longer do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from maillage.accounts.tests.factories import UserFactory
from maillage.core.roles import Role
from maillage.core.tests.base import BaseTestCase
from maillage.forum.models import Comment, Contribution, ForumProfile, Level, ModerationAction
from maillage.forum.tests.helpers import charter, clause, member, post, theme


def _said(response) -> str:  # type: ignore[no-untyped-def]
    """The last flash message of a redirected POST (earlier unread ones pile up before it)."""
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


class BanPageTests(BaseTestCase):
    def setUp(self) -> None:
        self.theme = theme()
        self.charter = charter(self.owner)
        self.clause = clause(self.charter)
        self.target = member(name="Bruno Bavard")
        self.url = reverse("forum:member_ban", args=[self.target.pk])

    def _ban(self, duration: str, note: str = "Insultes répétées", **extra: object):  # type: ignore[no-untyped-def]
        data = {"ban-duration": duration, "ban-clause": self.clause.pk, "ban-note": note}
        data.update({f"ban-{k}": v for k, v in extra.items()})
        return self.client.post(self.url, data)

    def _profile(self) -> ForumProfile:
        return ForumProfile.objects.get(user=self.target)

    def test_a_moderator_bans_for_a_week_at_most(self) -> None:
        moderator = member(Level.MODERATOR)
        self.login(moderator)
        page = self.client.get(reverse("forum:member", args=[self.target.pk]))
        self.assertEqual(
            [value for value, _label in page.context["ban_form"].fields["duration"].choices],
            ["1", "3", "7"],
        )
        self.assertContains(page, 'data-testid="ban-form"')
        self.assertIsNone(page.context["lift_form"])

        for refused in ("30", "365", "forever", "0"):
            response = self._ban(refused)
            self.assertRedirects(response, reverse("forum:member", args=[self.target.pk]))
            self.assertEqual(_said(response), "Vous ne pouvez pas bannir pour cette durée.")
        self.assertFalse(ModerationAction.objects.exists())
        self.assertIsNone(self._profile().banned_until)

        before = timezone.now()
        response = self._ban("7")
        self.assertRedirects(response, reverse("forum:member", args=[self.target.pk]))
        self.assertIn("Bruno B. est banni·e du forum (7 jours)", _said(response))
        profile = self._profile()
        self.assertFalse(profile.banned_forever)
        assert profile.banned_until is not None
        self.assertAlmostEqual(
            (profile.banned_until - before).total_seconds(),
            timedelta(days=7).total_seconds(),
            delta=60,
        )
        action = ModerationAction.objects.get()
        self.assertEqual(
            (action.kind, action.target_user_id, action.actor_id, action.clause_id),
            ("ban", self.target.pk, moderator.pk, self.clause.pk),
        )
        self.assertEqual(action.actor_level, Level.MODERATOR)
        self.assertTrue(action.note.startswith("7 jours, jusqu'au "))
        self.assertTrue(action.note.endswith("Insultes répétées"))
        # The member's page now says until when, to the moderator.
        page = self.client.get(reverse("forum:member", args=[self.target.pk]))
        self.assertContains(page, "Banni·e du forum jusqu'au")
        self.assertContains(page, "Bannir à nouveau")

    def test_a_moderator_does_not_shorten_a_running_ban(self) -> None:
        self.login(self.owner)
        self._ban("forever")
        self.login(member(Level.MODERATOR))
        response = self._ban("1")
        self.assertIn("déjà banni plus longtemps", _said(response))
        self.assertTrue(self._profile().banned_forever)
        self.assertEqual(ModerationAction.objects.count(), 1)

    def test_staff_ban_without_limit_and_lift_the_ban(self) -> None:
        self.login(self.owner)
        page = self.client.get(reverse("forum:member", args=[self.target.pk]))
        self.assertEqual(
            [value for value, _label in page.context["ban_form"].fields["duration"].choices],
            ["1", "3", "7", "30", "365", "forever"],
        )
        self._ban("forever", note="Spam en série")
        profile = self._profile()
        self.assertTrue(profile.banned_forever)
        self.assertIsNone(profile.banned_until)
        page = self.client.get(reverse("forum:member", args=[self.target.pk]))
        self.assertContains(page, "Banni·e du forum sans limite de durée.")
        self.assertContains(page, 'data-testid="ban-lift-form"')
        self.assertEqual(ModerationAction.objects.get().actor_level, 9)

        lift = reverse("forum:member_ban_lift", args=[self.target.pk])
        response = self.client.post(lift, {"lift-clause": "", "lift-note": "x"})
        self.assertEqual(_said(response), "Choisissez l'article de la charte que vous citez.")
        self.assertTrue(self._profile().banned_forever)
        response = self.client.post(
            lift, {"lift-clause": clause(self.charter, 2).pk, "lift-note": "Appel entendu"}
        )
        self.assertEqual(_said(response), "Bannissement levé.")
        profile = self._profile()
        self.assertFalse(profile.banned_forever)
        self.assertIsNone(profile.banned_until)
        self.assertEqual(
            list(ModerationAction.objects.values_list("kind", flat=True)), ["unban", "ban"]
        )
        page = self.client.get(reverse("forum:member", args=[self.target.pk]))
        self.assertNotContains(page, 'data-testid="ban"')
        self.assertIsNone(page.context["lift_form"])
        # Lifting again: nothing to lift, said plainly.
        response = self.client.post(lift, {"lift-clause": self.clause.pk})
        self.assertEqual(_said(response), "Ce membre n'est pas banni.")

    def test_staff_ban_for_a_year(self) -> None:
        self.login(self.owner)
        self._ban("365")
        until = self._profile().banned_until
        assert until is not None
        self.assertGreater(until, timezone.now() + timedelta(days=364))

    def test_members_without_the_privilege_are_refused(self) -> None:
        for user in (
            member(),
            member(Level.FLAGGER),
            member(Level.MODERATOR, moderation_revoked=True),
        ):
            self.login(user)
            page = self.client.get(reverse("forum:member", args=[self.target.pk]))
            self.assertIsNone(page.context["ban_form"])
            self.assertNotContains(page, 'data-testid="ban-form"')
            self.assertEqual(self._ban("1").status_code, 403)
        # A moderator may not lift; staff only.
        self.login(member(Level.MODERATOR))
        lift = reverse("forum:member_ban_lift", args=[self.target.pk])
        self.assertEqual(self.client.post(lift, {"lift-clause": self.clause.pk}).status_code, 403)
        self.assertFalse(ModerationAction.objects.exists())
        self.assertIsNone(self._profile().banned_until)

    def test_post_only_signed_in_a_clause_cited_and_staff_never_banned(self) -> None:
        self.client.logout()
        response = self._ban("1")
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("accounts:login"), response["Location"])
        moderator = member(Level.MODERATOR)
        self.login(moderator)
        self.assertEqual(self.client.get(self.url).status_code, 405)
        response = self.client.post(self.url, {"ban-duration": "1", "ban-clause": ""})
        self.assertEqual(_said(response), "Choisissez l'article de la charte que vous citez.")
        # Staff accounts and oneself: no form, and the service refuses.
        staff_page = self.client.get(reverse("forum:member", args=[self.owner.pk]))
        if staff_page.status_code == 200:
            self.assertIsNone(staff_page.context["ban_form"])
        self.assertIsNone(
            self.client.get(reverse("forum:member", args=[moderator.pk])).context["ban_form"]
        )
        response = self.client.post(
            reverse("forum:member_ban", args=[moderator.pk]),
            {"ban-duration": "1", "ban-clause": self.clause.pk},
        )
        self.assertEqual(_said(response), "Ce compte ne peut pas être banni.")
        self.assertEqual(
            self.client.post(reverse("forum:member_ban", args=[999999])).status_code, 404
        )
        self.assertFalse(ModerationAction.objects.exists())

    def test_the_ban_is_in_the_public_log_without_the_members_name(self) -> None:
        self.login(member(Level.MODERATOR))
        self._ban("3", note="Menaces")
        self.client.logout()
        response = self.client.get(reverse("forum:log") + "?kind=ban")
        self.assertEqual([a.kind for a in response.context["page"]], ["ban"])
        self.assertContains(response, "bannissement")
        self.assertContains(response, "art. 1 (v1)")
        self.assertContains(response, "Menaces")
        self.assertNotContains(response, "Bruno")
        # Visitors and other members do not see whether someone is banned on their page.
        page = self.client.get(reverse("forum:member", args=[self.target.pk]))
        self.assertNotContains(page, 'data-testid="ban"')

    def test_a_banned_member_cannot_post_comment_or_rate_through_the_pages(self) -> None:
        item = post(member(), self.theme)
        self.login(self.owner)
        self._ban("30")
        self.login(self.target)
        page = self.client.get(reverse("forum:member", args=[self.target.pk]))
        self.assertContains(page, "Banni·e du forum jusqu'au")
        action = ModerationAction.objects.get()
        self.assertContains(page, reverse("forum:appeal", args=[action.pk]))
        self.assertIsNone(page.context["ban_form"])

        response = self.client.post(
            reverse("forum:theme", args=[self.theme.slug]),
            {"title": "Encore moi", "body": "Je reviens", "website": ""},
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Votre compte est suspendu sur le forum.")
        self.assertFalse(Contribution.objects.filter(author=self.target).exists())
        response = self.client.post(
            reverse("forum:contribution", args=[item.pk]), {"body": "Réponse", "website": ""}
        )
        self.assertContains(response, "Votre compte est suspendu sur le forum.")
        self.assertFalse(Comment.objects.exists())
        response = self.client.post(
            reverse("forum:rate", args=["contribution", item.pk]), {"value": "1"}
        )
        self.assertEqual(_said(response), "Votre compte est suspendu sur le forum.")

        # The ban runs out: the member posts again.
        ForumProfile.objects.filter(user=self.target).update(
            banned_until=timezone.now() - timedelta(seconds=1)
        )
        self.client.post(
            reverse("forum:theme", args=[self.theme.slug]),
            {"title": "De retour", "body": "Calmement", "website": ""},
        )
        self.assertTrue(Contribution.objects.filter(author=self.target).exists())

    def test_the_queue_links_each_author_to_their_page(self) -> None:
        item = post(self.target, self.theme)
        Contribution.objects.filter(pk=item.pk).update(pending_flags=1, flag_score=1)
        self.login(self.owner)
        response = self.client.get(reverse("forum:queue"))
        self.assertContains(response, reverse("forum:member", args=[self.target.pk]))


@pytest.mark.django_db
def test_the_banned_member_is_told_until_when_why_and_how_to_appeal(
    smtp_server, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    staff = UserFactory(role=Role.STAFF)
    text = charter(staff)
    target = member()
    moderator = member(Level.MODERATOR)
    client = Client()
    client.force_login(moderator, backend="maillage.accounts.backends.AccountBackend")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("forum:member_ban", args=[target.pk]),
            {"ban-duration": "3", "ban-clause": clause(text).pk, "ban-note": "Propos injurieux"},
        )
    assert smtp_server.envelopes[0][1] == [target.email]
    message = smtp_server.messages[0]
    assert "bannissement" in message["Subject"]
    body = message.get_payload(decode=True).decode()
    action = ModerationAction.objects.get(kind="ban")
    assert "Respect" in body and "Propos injurieux" in body and "3 jours, jusqu'au" in body
    assert reverse("forum:appeal", args=[action.pk]) in body
