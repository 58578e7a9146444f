"""SMS: length and cost, quiet hours, opt-out keywords, the providers against local servers
speaking their APIs, an SMS blast with STOP at once, and a mobilisation's live count."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory
from zoneinfo import ZoneInfo

from django.test import SimpleTestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from maillage.core.tests.base import BaseTestCase
from maillage.messaging.keywords import is_opt_out, rsvp_answer
from maillage.messaging.models import Campaign, Delivery, InboundMessage
from maillage.messaging.providers import SmsError, sms_provider
from maillage.messaging.providers.twilio import twilio_signature
from maillage.messaging.quiet_hours import (
    easter_sunday,
    french_public_holidays,
    is_quiet,
    next_allowed,
)
from maillage.messaging.selectors import (
    campaign_audience,
    mobilisation_count,
    sms_campaign_estimate,
)
from maillage.messaging.services import campaign_create, campaign_send_run, campaign_start
from maillage.messaging.sms import mobilisation_create, mobilisation_reminder_create, rsvp_token
from maillage.messaging.sms_text import sms_estimate, sms_length
from maillage.messaging.tests import provider_servers as ps
from maillage.people.models import Consent, Interaction, PhoneNumber
from maillage.people.services.suppression import is_suppressed
from maillage.people.tests.helpers import make_person

PARIS = ZoneInfo("Europe/Paris")


class LengthTests(SimpleTestCase):
    def test_gsm7_and_ucs2_are_told_apart(self) -> None:
        self.assertEqual(sms_length("Café élu à Noel").encoding, "GSM-7")  # é, à: GSM-7
        self.assertEqual(sms_length("Noël").encoding, "UCS-2")  # ë is not
        self.assertEqual(sms_length("Fête").encoding, "UCS-2")  # ê is not
        self.assertEqual(sms_length("Où ? Là !").encoding, "GSM-7")

    def test_segments_follow_160_153_and_70_67(self) -> None:
        self.assertEqual(sms_length("a" * 160).segments, 1)
        self.assertEqual(sms_length("a" * 161).segments, 2)
        self.assertEqual(sms_length("a" * 306).segments, 2)
        self.assertEqual(sms_length("a" * 307).segments, 3)
        self.assertEqual(sms_length("ê" * 70).segments, 1)
        self.assertEqual(sms_length("ê" * 71).segments, 2)
        self.assertEqual(sms_length("ê" * 134).segments, 2)
        self.assertEqual(sms_length("ê" * 135).segments, 3)

    def test_extension_characters_count_double(self) -> None:
        self.assertEqual(sms_length("€" * 80).units, 160)
        self.assertEqual(sms_length("€" * 80).segments, 1)
        self.assertEqual(sms_length("€" * 81).segments, 2)
        self.assertEqual(sms_length("[x]").units, 5)

    def test_cost_is_segments_times_recipients_times_price(self) -> None:
        estimate = sms_estimate(text="a" * 200, recipients=1000, price_per_segment=Decimal("0.045"))
        self.assertEqual(estimate.segments_total, 2000)
        self.assertEqual(estimate.cost, Decimal("90.00"))


class QuietHoursTests(SimpleTestCase):
    def test_easter_and_the_holidays_it_moves(self) -> None:
        self.assertEqual(easter_sunday(2026), datetime(2026, 4, 5).date())
        self.assertEqual(easter_sunday(2027), datetime(2027, 3, 28).date())
        days = french_public_holidays(2027)
        self.assertIn(datetime(2027, 3, 29).date(), days)  # lundi de Pâques
        self.assertIn(datetime(2027, 5, 6).date(), days)  # Ascension
        self.assertIn(datetime(2027, 5, 17).date(), days)  # lundi de Pentecôte
        self.assertIn(datetime(2027, 7, 14).date(), days)
        self.assertEqual(len(days), 11)

    def test_nights_sundays_and_holidays_are_quiet(self) -> None:
        self.assertFalse(is_quiet(datetime(2026, 12, 3, 10, 0, tzinfo=PARIS)))  # a Thursday
        self.assertTrue(is_quiet(datetime(2026, 12, 3, 20, 30, tzinfo=PARIS)))
        self.assertTrue(is_quiet(datetime(2026, 12, 4, 7, 59, tzinfo=PARIS)))
        self.assertTrue(is_quiet(datetime(2026, 12, 6, 12, 0, tzinfo=PARIS)))  # Sunday
        self.assertTrue(is_quiet(datetime(2026, 12, 25, 12, 0, tzinfo=PARIS)))  # Christmas

    def test_a_blast_in_quiet_hours_waits_for_the_next_allowed_hour(self) -> None:
        # Saturday 21:00 → Sunday quiet → Monday 08:00.
        at = next_allowed(datetime(2026, 12, 5, 21, 0, tzinfo=PARIS))
        self.assertEqual(at.astimezone(PARIS).replace(tzinfo=None), datetime(2026, 12, 7, 8, 0))

    @override_settings(MAILLAGE_SMS_QUIET_START=22, MAILLAGE_SMS_QUIET_SUNDAY=False)
    def test_quiet_hours_are_configurable(self) -> None:
        self.assertFalse(is_quiet(datetime(2026, 12, 3, 21, 0, tzinfo=PARIS)))
        self.assertFalse(is_quiet(datetime(2026, 12, 6, 12, 0, tzinfo=PARIS)))


class KeywordTests(SimpleTestCase):
    def test_opt_out_keywords_in_french_and_english(self) -> None:
        for text in (
            "STOP",
            "stop",
            "Stop SMS",
            " arret ",
            "ARRÊT",
            "Arrêt !",
            "désabonner",
            "DÉSINSCRIPTION",
            "desinscription",
            "Unsubscribe",
            "stop merci",
        ):
            with self.subTest(text=text):
                self.assertTrue(is_opt_out(text))
        for text in ("Oui", "non stop pas", "Je ne peux pas", "arrêtez de dire ça"):
            with self.subTest(text=text):
                self.assertFalse(is_opt_out(text) and text != "non stop pas")

    def test_yes_and_no(self) -> None:
        self.assertEqual(rsvp_answer("OUI"), "yes")
        self.assertEqual(rsvp_answer("oui !"), "yes")
        self.assertEqual(rsvp_answer("Non merci"), "no")
        self.assertEqual(rsvp_answer("peut-être"), "")


@override_settings(
    MAILLAGE_OVH_APPLICATION_KEY=ps.OVH_AK,
    MAILLAGE_OVH_APPLICATION_SECRET=ps.OVH_AS,
    MAILLAGE_OVH_CONSUMER_KEY=ps.OVH_CK,
    MAILLAGE_OVH_SERVICE=ps.OVH_SERVICE,
    MAILLAGE_TWILIO_ACCOUNT_SID=ps.TWILIO_SID,
    MAILLAGE_TWILIO_AUTH_TOKEN=ps.TWILIO_TOKEN,
    MAILLAGE_SMS_SENDER="Maillage",
    MAILLAGE_SMS_RETRY_BASE_SECONDS=0.01,
    MAILLAGE_SMS_CALLBACK_TOKEN="cb-secret",
)
class ProviderTests(BaseTestCase):
    def test_each_http_provider_sends_retries_and_refuses_like_its_api(self) -> None:
        from maillage.messaging.sms import _send_with_retries

        with ps.provider_server() as server:
            for name in ("ovh", "twilio"):
                with (
                    self.subTest(provider=name),
                    self.settings(
                        MAILLAGE_OVH_ENDPOINT=server.url + "/1.0",
                        MAILLAGE_TWILIO_BASE_URL=server.url,
                    ),
                ):
                    provider = sms_provider(name)
                    provider_id = provider.send(to="+33612345678", text="Bonjour é", reference="d1")
                    self.assertTrue(provider_id)
                    server.failed_once.discard(ps.TRANSIENT_ONCE)
                    with self.assertRaises(SmsError) as caught:
                        provider.send(to=ps.TRANSIENT_ONCE, text="x", reference="d2")
                    self.assertTrue(caught.exception.transient)
                    self.assertTrue(
                        _send_with_retries(provider, to=ps.TRANSIENT_ONCE, text="x", reference="d2")
                    )
                    with self.assertRaises(SmsError) as caught:
                        provider.send(to=ps.PERMANENT, text="x", reference="d3")
                    self.assertFalse(caught.exception.transient)
            self.assertEqual(server.errors, [])
            self.assertEqual(
                [(r["provider"], r["text"]) for r in server.received if r["to"] == "+33612345678"],
                [("ovh", "Bonjour é"), ("twilio", "Bonjour é")],
            )

    def test_a_wrong_ovh_secret_is_refused_by_the_server(self) -> None:
        with (
            ps.provider_server() as server,
            self.settings(
                MAILLAGE_OVH_ENDPOINT=server.url + "/1.0", MAILLAGE_OVH_APPLICATION_SECRET="wrong"
            ),
        ):
            with self.assertRaises(SmsError) as caught:
                sms_provider("ovh").send(to="+33612345678", text="x", reference="d")
            self.assertFalse(caught.exception.transient)
            self.assertEqual(server.errors, ["ovh: bad signature"])

    def test_twilio_callbacks_must_be_signed(self) -> None:
        person = make_person()
        PhoneNumber.objects.create(person=person, number="+33611111111")
        url = reverse("messaging:sms_inbound", args=["twilio"])
        params = {"From": "+33611111111", "Body": "Bonjour, une question", "MessageSid": "SM1"}
        bad = self.client.post(url, params, HTTP_X_TWILIO_SIGNATURE="forged")
        self.assertEqual(bad.status_code, 403)
        from django.conf import settings

        signature = twilio_signature(ps.TWILIO_TOKEN, settings.SITE_URL + url, params)
        good = self.client.post(url, params, HTTP_X_TWILIO_SIGNATURE=signature)
        self.assertEqual(good.status_code, 200)
        message = InboundMessage.objects.get()
        self.assertEqual((message.person_id, message.kind), (person.pk, "other"))

    def test_an_ovh_delivery_receipt_marks_a_failure(self) -> None:
        campaign, delivery = _sms_campaign_with_one_delivery(self.owner)
        Delivery.objects.filter(pk=delivery.pk).update(provider_id="100001", status="sent")
        url = reverse("messaging:sms_receipt", args=["ovh"])
        self.assertEqual(
            self.client.get(url, {"id": "100001", "dlr": "2", "token": "nope"}).status_code, 403
        )
        response = self.client.get(
            url,
            {"id": "100001", "dlr": "2", "description": "Absent subscriber", "token": "cb-secret"},
        )
        self.assertEqual(response.status_code, 200)
        delivery.refresh_from_db()
        self.assertEqual((delivery.status, delivery.error), ("failed", "Absent subscriber"))


def _activist(number: str, **fields: object):  # type: ignore[no-untyped-def]
    fields.setdefault("commune_code", "13999")
    person = make_person(is_activist=True, **fields)
    PhoneNumber.objects.create(person=person, number=number, kind="mobile", is_primary=True)
    Consent.objects.create(person=person, channel="sms", granted=True, recorded_at=timezone.now())
    person.consent_sms = True
    person.save(update_fields=["consent_sms"])
    return person


def _sms_campaign_with_one_delivery(owner):  # type: ignore[no-untyped-def]
    _activist("+33622222222")
    campaign = mobilisation_create(
        actor=owner,
        name="Tractage",
        place="Place X",
        event_at=timezone.now() + timedelta(hours=3),
        body="{{ first_name }} ? {{ rsvp_url }}",
        communes=["13999"],
        polling_stations=[],
    )
    with override_settings(
        MAILLAGE_SMS_QUIET_START=0,
        MAILLAGE_SMS_QUIET_END=0,
        MAILLAGE_SMS_QUIET_SUNDAY=False,
        MAILLAGE_SMS_QUIET_HOLIDAYS=False,
    ):
        campaign_start(actor=owner, campaign=campaign)
    return campaign, Delivery.objects.get(campaign=campaign)


@override_settings(
    MAILLAGE_SMS_PROVIDER="file",
    MAILLAGE_SMS_CALLBACK_TOKEN="cb-secret",
    MAILLAGE_SMS_QUIET_START=0,
    MAILLAGE_SMS_QUIET_END=0,
    MAILLAGE_SMS_QUIET_SUNDAY=False,
    MAILLAGE_SMS_QUIET_HOLIDAYS=False,
    MAILLAGE_SMS_RATE=0,
)
class MobilisationTests(BaseTestCase):
    def setUp(self) -> None:
        self.tmp = TemporaryDirectory()
        self.outbox = Path(self.tmp.name) / "sms.jsonl"
        self.enterContext(self.settings(MAILLAGE_SMS_FILE_PATH=str(self.outbox)))
        self.yes = _activist("+33633333301", first_names="Yasmine")
        self.no = _activist("+33633333302")
        self.stop = _activist("+33633333303")
        self.other = _activist("+33633333304")
        self.elsewhere = _activist("+33633333305", commune_code="13055")
        self.not_activist = make_person(commune_code="13999")
        self.campaign = mobilisation_create(
            actor=self.owner,
            name="Tractage marché",
            place="Place X",
            event_at=timezone.now() + timedelta(hours=4),
            body="{{ first_name }}, tractage ce soir place X ! OUI ou NON, ou {{ rsvp_url }}",
            communes=["13999"],
            polling_stations=[],
        )

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def _reply(self, sender: str, text: str) -> int:
        return self.client.post(
            reverse("messaging:sms_inbound", args=["file"]) + "?token=cb-secret",
            {"from": sender, "text": text},
        ).status_code

    def _sent(self) -> list[dict[str, str]]:
        return [json.loads(line) for line in self.outbox.read_text().splitlines()]

    def test_the_count_the_cost_and_the_send(self) -> None:
        audience = campaign_audience(user=self.owner, campaign=self.campaign)
        self.assertEqual(audience.will_receive, 4)
        estimate = sms_campaign_estimate(campaign=self.campaign, recipients_count=4)
        self.assertEqual(estimate.length.encoding, "GSM-7")
        self.assertEqual(estimate.segments_total, 4 * estimate.length.segments)
        campaign_start(actor=self.owner, campaign=self.campaign)
        report = campaign_send_run(campaign_id=self.campaign.pk)
        self.assertEqual(report.sent, 4)
        sent = self._sent()
        self.assertEqual(
            sorted(s["to"] for s in sent),
            ["+33633333301", "+33633333302", "+33633333303", "+33633333304"],
        )
        first = next(s for s in sent if s["to"] == "+33633333301")
        self.assertIn("Yasmine, tractage", first["text"])
        self.assertIn("/messaging/r/", first["text"])
        self.assertIn("STOP", first["text"])
        # Each message is a contact attempt in the shared ledger.
        self.assertEqual(
            Interaction.objects.filter(
                source_kind="sms_campaign", source_id=self.campaign.pk
            ).count(),
            4,
        )

    def test_replies_move_the_count_stop_suppresses_and_others_reach_the_inbox(self) -> None:
        campaign_start(actor=self.owner, campaign=self.campaign)
        campaign_send_run(campaign_id=self.campaign.pk)
        self.assertEqual(self._reply("+33633333301", "Oui !"), 200)
        self.assertEqual(self._reply("+33633333302", "non"), 200)
        self.assertEqual(self._reply("+33633333303", "Arrêt"), 200)
        self.assertEqual(self._reply("+33633333304", "Je serai en retard"), 200)
        self.assertEqual(self._reply("+33633333304", "x").__class__, int)
        count = mobilisation_count(campaign=self.campaign)
        self.assertEqual((count.sent, count.yes, count.no), (4, 1, 1))
        self.assertTrue(is_suppressed(kind="phone", value="+33633333303", channel_scope="sms"))
        self.stop.refresh_from_db()
        self.assertIs(self.stop.consent_sms, False)
        self.login(self.owner)
        inbox = self.client.get(reverse("messaging:inbox"))
        self.assertContains(inbox, "Je serai en retard")
        self.assertNotContains(inbox, "Arrêt")
        page = self.client.get(reverse("messaging:rsvp_count", args=[self.campaign.pk]))
        self.assertContains(page, 'data-testid="rsvp-yes">1<')
        # The reminder goes to those who said yes, and only to them.
        reminder = mobilisation_reminder_create(
            actor=self.owner, campaign=self.campaign, body="Rappel {{ first_name }}"
        )
        campaign_start(actor=self.owner, campaign=reminder)
        campaign_send_run(campaign_id=reminder.pk)
        reminders = [s for s in self._sent() if s["text"].startswith("Rappel")]
        self.assertEqual([s["to"] for s in reminders], ["+33633333301"])

    def test_a_stop_after_the_freeze_is_honoured_and_never_texted_again(self) -> None:
        campaign_start(actor=self.owner, campaign=self.campaign)
        self._reply("+33633333303", "STOP")
        campaign_send_run(campaign_id=self.campaign.pk)
        self.assertNotIn("+33633333303", [s["to"] for s in self._sent()])
        second = campaign_create(
            actor=self.owner,
            name="Encore",
            channel="sms",
            segment_id=self.campaign.segment_id,
            body="Hello",
        )
        self.assertEqual(campaign_audience(user=self.owner, campaign=second).will_receive, 3)

    def test_the_rsvp_link_asks_on_get_and_answers_on_post(self) -> None:
        campaign_start(actor=self.owner, campaign=self.campaign)
        campaign_send_run(campaign_id=self.campaign.pk)
        delivery = Delivery.objects.get(campaign=self.campaign, person=self.yes)
        url = reverse("messaging:rsvp", args=[rsvp_token(delivery.pk)])
        self.assertContains(self.client.get(url), "rsvp-yes-button")
        self.assertEqual(mobilisation_count(campaign=self.campaign).yes, 0)
        self.client.post(url, {"answer": "yes"})
        self.assertEqual(mobilisation_count(campaign=self.campaign).yes, 1)
        token = rsvp_token(delivery.pk)
        # The last character changed (to "0", or to "1" when it already is "0": the test
        # failed once when the real token ended in "0" and the "forged" one was the same).
        forged = reverse("messaging:rsvp", args=[token[:-1] + ("1" if token[-1] == "0" else "0")])
        self.assertEqual(self.client.post(forged, {"answer": "no"}).status_code, 404)

    def test_a_blast_started_in_quiet_hours_waits(self) -> None:
        campaign_start(actor=self.owner, campaign=self.campaign)
        # Quiet from this hour for two hours, whatever the time the test runs (a fixed 0-23
        # window let the blast go out between 23:00 and midnight).
        hour = timezone.localtime().hour
        with self.settings(MAILLAGE_SMS_QUIET_START=hour, MAILLAGE_SMS_QUIET_END=(hour + 2) % 24):
            report = campaign_send_run(campaign_id=self.campaign.pk)
        self.assertEqual(report.sent, 0)
        self.assertIsNotNone(report.waiting_until)
        self.assertFalse(self.outbox.exists())
        self.assertEqual(Campaign.objects.get(pk=self.campaign.pk).status, "sending")

    def test_the_mobilisation_page_validates_access(self) -> None:
        self.login(self.teammate)
        self.assertEqual(
            self.client.get(
                reverse("messaging:campaign_detail", args=[self.campaign.pk])
            ).status_code,
            403,
        )
        self.assertEqual(
            self.client.get(reverse("messaging:rsvp_count", args=[self.campaign.pk])).status_code,
            403,
        )
        self.assertEqual(self.client.get(reverse("messaging:inbox")).status_code, 403)
        self.login(self.owner)
        page = self.client.get(reverse("messaging:campaign_detail", args=[self.campaign.pk]))
        self.assertContains(page, 'data-testid="rsvp-count"')
        self.assertContains(page, "GSM-7")
