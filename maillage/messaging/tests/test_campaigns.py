"""Audience, freeze, send through a real SMTP server, ledger at send time, crash-resume,
unsubscribe (RFC 8058) and ESP webhooks."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from maillage.core.tests.base import BaseTestCase
from maillage.messaging.models import Campaign, Delivery
from maillage.messaging.selectors import campaign_audience, campaign_report
from maillage.messaging.services import (
    campaign_cancel,
    campaign_create,
    campaign_send_run,
    campaign_start,
    delivery_event_record,
    unsubscribe_token,
)
from maillage.messaging.tests.helpers import reachable_person, segment
from maillage.people.models import ContactStatus, EmailAddress, SuppressionEntry
from maillage.people.services.suppression import is_suppressed, suppression_add

SENDER = "Maillage <campagne@localhost>"


@override_settings(MAILLAGE_SENDER_IDENTITIES=[SENDER], MAILLAGE_MESSAGING_LEASE_SECONDS=60)
class CampaignTests(BaseTestCase):
    @pytest.fixture(autouse=True)
    def _smtp(self, smtp_server):  # type: ignore[no-untyped-def]
        self.smtp = smtp_server

    def setUp(self) -> None:
        self.ok = [reachable_person(f"ok{i}@example.org", first_names=f"Ok{i}") for i in range(5)]
        self.no_email = reachable_person("", consent=None)
        self.no_consent = reachable_person("nc@example.org", consent=False)
        self.never_asked = reachable_person("na@example.org", consent=None)
        self.bounced = reachable_person("b@example.org", status=ContactStatus.BOUNCED)
        self.opted_out = reachable_person("out@example.org")
        suppression_add(kind="email", value="out@example.org", scope="email")
        self.elsewhere = reachable_person("lyon@example.org", commune_code="69123")
        self.segment = segment()

    def _campaign(self, body: str = "Bonjour {{ first_name }}") -> Campaign:
        return campaign_create(
            actor=self.owner,
            name="Test",
            channel="email",
            segment_id=self.segment.pk,
            sender=SENDER,
            subject="Pour {{ first_name }}",
            body=body,
        )

    def test_the_audience_says_who_is_left_out_and_why(self) -> None:
        audience = campaign_audience(user=self.owner, campaign=self._campaign())
        self.assertEqual(audience.total, 10)
        self.assertEqual(audience.no_address, 1)
        self.assertEqual(audience.bounced, 1)
        self.assertEqual(audience.no_consent, 2)
        self.assertEqual(audience.suppressed, 1)
        self.assertEqual(audience.will_receive, 5)

    def test_it_sends_once_to_each_reachable_person_with_rfc8058_headers(self) -> None:
        campaign = self._campaign()
        campaign_start(actor=self.owner, campaign=campaign)
        self.assertEqual(Delivery.objects.filter(campaign=campaign).count(), 6)
        report = campaign_send_run(campaign_id=campaign.pk, batch=2)
        self.assertEqual((report.sent, report.suppressed, report.failed), (5, 1, 0))
        received = sorted(rcpt for _from, rcpts in self.smtp.envelopes for rcpt in rcpts)
        self.assertEqual(received, sorted(f"ok{i}@example.org" for i in range(5)))
        message = self.smtp.messages[0]
        self.assertEqual(message["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        self.assertRegex(
            " ".join(message["List-Unsubscribe"].split()), r"^<http://.+/messaging/u/.+/>$"
        )
        self.assertTrue(str(message["Subject"]).startswith("Pour Ok"))
        parts = {
            p.get_content_type(): p.get_payload(decode=True).decode()
            for p in message.walk()
            if not p.is_multipart()
        }
        self.assertIn("Bonjour Ok", parts["text/plain"])
        self.assertIn("Se désinscrire", parts["text/html"])
        campaign.refresh_from_db()
        self.assertEqual(campaign.status, Campaign.Status.SENT)
        again = campaign_send_run(campaign_id=campaign.pk)
        self.assertEqual(again.sent, 0)
        self.assertEqual(len(self.smtp.envelopes), 5)

    def test_an_opt_out_after_the_freeze_is_honoured_at_send_time(self) -> None:
        campaign = self._campaign()
        campaign_start(actor=self.owner, campaign=campaign)
        suppression_add(kind="email", value="OK3@example.org", scope="email")
        campaign_send_run(campaign_id=campaign.pk)
        received = {rcpt for _from, rcpts in self.smtp.envelopes for rcpt in rcpts}
        self.assertNotIn("ok3@example.org", received)
        self.assertEqual(len(received), 4)
        self.assertEqual(
            Delivery.objects.get(campaign=campaign, address="ok3@example.org").status,
            Delivery.Status.SUPPRESSED,
        )

    def test_a_crashed_worker_is_resumed_with_no_one_skipped(self) -> None:
        campaign = self._campaign()
        campaign_start(actor=self.owner, campaign=campaign)
        campaign_send_run(campaign_id=campaign.pk, batch=2, max_batches=1)
        # The worker "dies" mid-batch: its next batch is claimed (sending) and its lease kept.
        ids = list(
            Delivery.objects.filter(campaign=campaign, status="queued")
            .order_by("id")
            .values_list("id", flat=True)[:2]
        )
        Delivery.objects.filter(id__in=ids).update(status="sending")
        Campaign.objects.filter(pk=campaign.pk).update(worker="dead", heartbeat_at=timezone.now())
        # A live lease: a second worker leaves the campaign alone.
        self.assertEqual(campaign_send_run(campaign_id=campaign.pk).batches, 0)
        Campaign.objects.filter(pk=campaign.pk).update(
            heartbeat_at=timezone.now() - timedelta(minutes=5)
        )
        report = campaign_send_run(campaign_id=campaign.pk, batch=2)
        self.assertEqual(report.requeued, 2)
        received = sorted(rcpt for _from, rcpts in self.smtp.envelopes for rcpt in rcpts)
        self.assertEqual(received, sorted(f"ok{i}@example.org" for i in range(5)))
        self.assertFalse(
            Delivery.objects.filter(campaign=campaign, status__in=["queued", "sending"]).exists()
        )

    def test_the_housekeeping_resumes_a_send_whose_worker_died(self) -> None:
        from maillage.core.models import TaskProgress
        from maillage.core.services import task_progress_reap

        campaign = self._campaign()
        campaign_start(actor=self.owner, campaign=campaign)
        campaign.refresh_from_db()
        long_ago = timezone.now() - timedelta(hours=1)
        TaskProgress.objects.filter(pk=campaign.progress_id).update(
            status="running", heartbeat_at=long_ago
        )
        Delivery.objects.filter(campaign=campaign).update(status="sending")
        Campaign.objects.filter(pk=campaign.pk).update(worker="dead", heartbeat_at=long_ago)
        self.assertEqual(task_progress_reap(), 1)
        received = sorted(rcpt for _from, rcpts in self.smtp.envelopes for rcpt in rcpts)
        self.assertEqual(received, sorted(f"ok{i}@example.org" for i in range(5)))
        self.assertEqual(Campaign.objects.get(pk=campaign.pk).status, "sent")

    def test_a_cancelled_campaign_stops_before_its_next_batch(self) -> None:
        campaign = self._campaign()
        campaign_start(actor=self.owner, campaign=campaign)
        campaign_send_run(campaign_id=campaign.pk, batch=2, max_batches=1)
        campaign_cancel(actor=self.owner, campaign=campaign)
        campaign_send_run(campaign_id=campaign.pk, batch=2)
        self.assertEqual(len(self.smtp.envelopes), 2)
        self.assertEqual(campaign_report(campaign=campaign).counts["queued"], 4)

    def test_a_refused_recipient_is_a_failure_with_its_reason(self) -> None:
        reachable_person("refuse@example.org")

        async def handle_RCPT(server, session, envelope, address, options):  # type: ignore[no-untyped-def]
            if address.startswith("refuse"):
                return "550 5.1.1 No such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        self.smtp.handle_RCPT = handle_RCPT  # type: ignore[attr-defined]
        campaign = self._campaign()
        campaign_start(actor=self.owner, campaign=campaign)
        campaign_send_run(campaign_id=campaign.pk)
        report = campaign_report(campaign=campaign)
        self.assertEqual(report.counts["failed"], 1)
        self.assertIn("550", report.failures[0]["error"])
        self.assertEqual(report.counts["sent"], 5)

    def test_unsubscribe_get_only_asks_and_post_records_at_once(self) -> None:
        campaign = self._campaign()
        campaign_start(actor=self.owner, campaign=campaign)
        delivery = Delivery.objects.filter(campaign=campaign, address="ok1@example.org").get()
        url = reverse("messaging:unsubscribe", args=[unsubscribe_token(delivery.pk)])
        page = self.client.get(url)
        self.assertContains(page, "unsubscribe-confirm")
        self.assertFalse(
            is_suppressed(kind="email", value="ok1@example.org", channel_scope="email")
        )
        # The mailbox provider's one-click POST: no session, no CSRF token (RFC 8058).
        client = self.client_class(enforce_csrf_checks=True)
        done = client.post(url, {"List-Unsubscribe": "One-Click"})
        self.assertContains(done, "unsubscribe-done")
        self.assertTrue(is_suppressed(kind="email", value="ok1@example.org", channel_scope="email"))
        person = delivery.person
        person.refresh_from_db()
        self.assertIs(person.consent_email, False)
        campaign_send_run(campaign_id=campaign.pk)
        received = {rcpt for _from, rcpts in self.smtp.envelopes for rcpt in rcpts}
        self.assertNotIn("ok1@example.org", received)
        self.assertEqual(campaign_report(campaign=campaign).unsubscribed, 1)

    def test_a_forged_unsubscribe_link_changes_nothing(self) -> None:
        before = SuppressionEntry.objects.count()
        response = self.client.post(reverse("messaging:unsubscribe", args=["1:forged"]))
        self.assertEqual(response.status_code, 404)
        self.assertEqual(SuppressionEntry.objects.count(), before)

    @override_settings(RATELIMIT_ENABLE=True)
    def test_unsubscribe_posts_are_rate_limited(self) -> None:
        url = reverse("messaging:unsubscribe", args=["1:forged"])
        codes = {self.client.post(url).status_code for _ in range(35)}
        self.assertIn(429, codes)

    def test_a_bounce_marks_the_address_and_a_complaint_suppresses_it(self) -> None:
        campaign = self._campaign()
        campaign_start(actor=self.owner, campaign=campaign)
        campaign_send_run(campaign_id=campaign.pk)
        first, second = Delivery.objects.filter(campaign=campaign, status="sent").order_by("id")[:2]
        delivery_event_record(
            event_type="bounced", recipient=first.address, metadata={"delivery_id": str(first.pk)}
        )
        delivery_event_record(
            event_type="complained",
            recipient=second.address,
            metadata={"delivery_id": str(second.pk)},
        )
        self.assertEqual(
            EmailAddress.objects.get(address=first.address).status, ContactStatus.BOUNCED
        )
        self.assertTrue(is_suppressed(kind="email", value=second.address, channel_scope="email"))
        report = campaign_report(campaign=campaign)
        self.assertEqual((report.counts["bounced"], report.counts["complained"]), (1, 1))

    def test_a_scheduled_campaign_starts_when_due_and_not_once_cancelled(self) -> None:
        from maillage.messaging.services import campaign_schedule
        from maillage.messaging.tasks import campaign_start_task

        campaign = self._campaign()
        at = timezone.now() + timedelta(hours=1)
        campaign_schedule(actor=self.owner, campaign=campaign, at=at)
        self.assertEqual((campaign.status, campaign.scheduled_at), ("scheduled", at))
        # Woken too early (the time was moved): nothing happens.
        self.assertEqual(
            campaign_start_task.call(campaign_id=campaign.pk, actor_id=self.owner.pk),
            {"started": False},
        )
        Campaign.objects.filter(pk=campaign.pk).update(
            scheduled_at=timezone.now() - timedelta(seconds=1)
        )
        self.assertEqual(
            campaign_start_task.call(campaign_id=campaign.pk, actor_id=self.owner.pk),
            {"started": True},
        )
        self.assertEqual(Campaign.objects.get(pk=campaign.pk).status, "sending")
        other = self._campaign()
        campaign_schedule(actor=self.owner, campaign=other, at=at)
        campaign_cancel(actor=self.owner, campaign=other)
        Campaign.objects.filter(pk=other.pk).update(
            scheduled_at=timezone.now() - timedelta(seconds=1)
        )
        self.assertEqual(
            campaign_start_task.call(campaign_id=other.pk, actor_id=self.owner.pk),
            {"started": False},
        )
        self.assertFalse(Delivery.objects.filter(campaign=other).exists())

    def test_people_at_the_contact_cap_are_left_out_and_each_send_counts(self) -> None:
        from maillage.people.models import Interaction

        for _ in range(3):
            Interaction.objects.create(
                person=self.ok[0], channel="door", result="not_home", occurred_at=timezone.now()
            )
        campaign = self._campaign()
        self.assertEqual(campaign_audience(user=self.owner, campaign=campaign).capped, 1)
        campaign_start(actor=self.owner, campaign=campaign)
        # Reached by phone meanwhile: the cap is checked again at send time.
        for _ in range(3):
            Interaction.objects.create(
                person=self.ok[1], channel="phone", result="no_answer", occurred_at=timezone.now()
            )
        campaign_send_run(campaign_id=campaign.pk)
        received = {rcpt for _from, rcpts in self.smtp.envelopes for rcpt in rcpts}
        self.assertEqual(received, {"ok2@example.org", "ok3@example.org", "ok4@example.org"})
        self.assertEqual(campaign_report(campaign=campaign).counts["capped"], 1)
        self.assertEqual(
            Interaction.objects.filter(
                source_kind="email_campaign", source_id=campaign.pk, result="sent"
            ).count(),
            3,
        )

    def test_it_validates_access(self) -> None:
        campaign = self._campaign()
        self.login(self.teammate)
        for name in ("campaign_detail", "campaign_report", "email_edit"):
            response = self.client.get(reverse(f"messaging:{name}", args=[campaign.pk]))
            self.assertEqual(response.status_code, 403)
        self.assertEqual(
            self.client.post(reverse("messaging:campaign_send", args=[campaign.pk])).status_code,
            403,
        )
        self.assertEqual(Campaign.objects.get(pk=campaign.pk).status, "draft")


@override_settings(
    MAILLAGE_SENDER_IDENTITIES=[SENDER],
    ANYMAIL={"WEBHOOK_SECRET": "hook:s3cret"},
)
class WebhookTests(BaseTestCase):
    """The ESPs' documented webhook payloads, POSTed to anymail's URLs with basic auth."""

    def setUp(self) -> None:
        reachable_person("ok@example.org")
        campaign = campaign_create(
            actor=self.owner,
            name="W",
            channel="email",
            segment_id=segment().pk,
            sender=SENDER,
            subject="s",
            body="b",
        )
        campaign_start(actor=self.owner, campaign=campaign)
        self.delivery = Delivery.objects.get(campaign=campaign)
        self.auth = "Basic " + base64.b64encode(b"hook:s3cret").decode()

    def _post(self, esp: str, payload: object) -> int:
        return self.client.post(
            f"/messaging/anymail/{esp}/tracking/",
            data=json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION=self.auth,
        ).status_code

    def test_a_brevo_hard_bounce_marks_the_address_bounced(self) -> None:
        # https://developers.brevo.com/docs/transactional-webhooks ("hard_bounce")
        payload = {
            "event": "hard_bounce",
            "email": "ok@example.org",
            "id": 1,
            "date": "2026-12-03 07:00:00",
            "ts": 1796281200,
            "message-id": "<d1.x@maillage.invalid>",
            "ts_event": 1796281200,
            "subject": "s",
            "X-Mailin-custom": json.dumps({"delivery_id": str(self.delivery.pk)}),
            "reason": "550 5.1.1 user unknown",
        }
        self.assertEqual(self._post("brevo", payload), 200)
        self.assertEqual(EmailAddress.objects.get(address="ok@example.org").status, "bounced")
        self.delivery.refresh_from_db()
        self.assertEqual(self.delivery.status, Delivery.Status.BOUNCED)
        self.assertIn("user unknown", self.delivery.error)

    def test_a_mailjet_spam_complaint_suppresses_the_address(self) -> None:
        # https://dev.mailjet.com/email/guides/webhooks/ ("spam" event)
        payload = [
            {
                "event": "spam",
                "time": 1796281200,
                "MessageID": 19421777396190490,
                "Message_GUID": "1ab23cd4-e567-8901-2345-6789f0gh1i2j",
                "email": "ok@example.org",
                "mj_campaign_id": 0,
                "mj_contact_id": 1,
                "customcampaign": "",
                "CustomID": "",
                "Payload": json.dumps({"delivery_id": str(self.delivery.pk)}),
                "source": "JMRPP",
            }
        ]
        self.assertEqual(self._post("mailjet", payload), 200)
        self.assertTrue(is_suppressed(kind="email", value="ok@example.org", channel_scope="email"))
        self.delivery.refresh_from_db()
        self.assertEqual(self.delivery.status, Delivery.Status.COMPLAINED)

    def test_a_webhook_without_the_secret_is_refused(self) -> None:
        self.auth = "Basic " + base64.b64encode(b"hook:wrong").decode()
        self.assertEqual(
            self._post("brevo", {"event": "hard_bounce", "email": "ok@example.org"}), 400
        )
        self.assertEqual(EmailAddress.objects.get(address="ok@example.org").status, "unverified")
