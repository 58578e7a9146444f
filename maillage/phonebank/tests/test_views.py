"""The phone-bank pages: access, the caller screen (query count pinned, audited), save and next,
the supervision page."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.urls import reverse
from freezegun import freeze_time

from maillage.core.models import AuditLogEntry
from maillage.core.tests.base import BaseTestCase
from maillage.people.models import Interaction
from maillage.phonebank.models import Call, QueueEntry, Seat
from maillage.phonebank.services import call_campaign_set_status, call_claim_next
from maillage.phonebank.tests.ami_server import FakeAsterisk, running_asterisk
from maillage.phonebank.tests.helpers import IN_HOURS, make_callable, make_campaign
from maillage.surveys.models import Answer
from maillage.surveys.services import choice_add, question_add, script_create


class CallerScreenTests(BaseTestCase):
    def setUp(self) -> None:
        self.people = make_callable(3)
        self.script = script_create(actor=self.owner, name="Script du soir")
        self.q1 = question_add(
            actor=self.owner, script=self.script, text="Irez-vous voter ?", kind="choice"
        )
        self.q2 = question_add(
            actor=self.owner, script=self.script, text="Pour qui ?", kind="support"
        )
        self.yes = choice_add(actor=self.owner, question=self.q1, label="Oui")
        self.no = choice_add(actor=self.owner, question=self.q1, label="Non", ends_script=True)
        self.campaign = make_campaign(actor=self.owner, callers=[self.teammate], script=self.script)
        call_campaign_set_status(actor=self.owner, campaign=self.campaign, status="running")
        self.freezer = freeze_time(IN_HOURS)
        self.freezer.start()
        self.addCleanup(self.freezer.stop)

    def claim(self) -> QueueEntry:
        entry = call_claim_next(caller=self.teammate, campaign=self.campaign)
        assert entry is not None
        return entry

    def test_it_validates_access(self) -> None:
        entry = self.claim()
        url = reverse("phonebank:call_page", args=[self.campaign.pk, entry.pk])
        self.login(self.outsider)
        self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(
            self.client.get(reverse("phonebank:call_start", args=[self.campaign.pk])).status_code,
            404,
        )
        self.assertEqual(
            self.client.get(
                reverse("phonebank:campaign_supervise", args=[self.campaign.pk])
            ).status_code,
            403,
        )
        self.client.logout()
        self.assertEqual(self.client.get(url).status_code, 302)

    def test_start_claims_a_person_and_opens_their_call_page(self) -> None:
        self.login(self.teammate)
        response = self.client.post(reverse("phonebank:call_start", args=[self.campaign.pk]))
        entry = QueueEntry.objects.get(claimed_by=self.teammate)
        self.assertRedirects(
            response, reverse("phonebank:call_page", args=[self.campaign.pk, entry.pk])
        )

    def test_the_caller_page_shows_the_person_the_script_and_a_tel_link(self) -> None:
        entry = self.claim()
        self.login(self.teammate)
        url = reverse("phonebank:call_page", args=[self.campaign.pk, entry.pk])
        # session with its user (1), campaign access (1), held entry (1), script (3), access_person (1),
        # audit row (1), interactions (1), navigation reads nothing more.
        with self.assertNumQueries(9):
            response = self.client.get(url)
        self.assertContains(response, f'href="tel:{entry.phone}"')
        self.assertContains(response, "Irez-vous voter ?")
        self.assertContains(response, entry.person.first_names)
        self.assertTrue(
            AuditLogEntry.objects.filter(
                action="view",
                target_type="people.person",
                target_id=str(entry.person_id),
                actor_id=self.teammate.pk,
            ).exists()
        )

    def test_save_and_next_records_the_call_and_opens_the_next_person(self) -> None:
        entry = self.claim()
        self.login(self.teammate)
        url = reverse("phonebank:call_page", args=[self.campaign.pk, entry.pk])
        support_choice = self.q2.choices.get(support_level=3)
        response = self.client.post(
            url,
            {
                "client_uuid": str(uuid.uuid4()),
                "result": "talked",
                f"q_{self.q1.pk}": str(self.yes.pk),
                f"q_{self.q2.pk}": str(support_choice.pk),
                "note": "Très intéressée par les transports.",
                "then": "next",
            },
        )
        following = QueueEntry.objects.get(claimed_by=self.teammate, state="claimed")
        self.assertRedirects(
            response, reverse("phonebank:call_page", args=[self.campaign.pk, following.pk])
        )
        interaction = Interaction.objects.get(person=entry.person)
        self.assertEqual((interaction.result, interaction.support_level), ("talked", 3))
        self.assertEqual(Answer.objects.filter(interaction=interaction).count(), 2)

    def test_a_call_back_needs_its_time(self) -> None:
        entry = self.claim()
        self.login(self.teammate)
        url = reverse("phonebank:call_page", args=[self.campaign.pk, entry.pk])
        data = {"client_uuid": str(uuid.uuid4()), "result": "call_back", "then": "next"}
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Call.objects.exists())
        later = (IN_HOURS + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        response = self.client.post(url, {**data, "callback_at": later})
        self.assertEqual(response.status_code, 302)
        entry.refresh_from_db()
        self.assertEqual((entry.state, entry.callback_user_id), ("waiting", self.teammate.pk))

    def test_the_supervision_page_shows_the_counts(self) -> None:
        entry = self.claim()
        self.login(self.teammate)
        self.client.post(
            reverse("phonebank:call_page", args=[self.campaign.pk, entry.pk]),
            {"client_uuid": str(uuid.uuid4()), "result": "no_answer", "then": "stop"},
        )
        self.login(self.owner)
        url = reverse("phonebank:campaign_figures", args=[self.campaign.pk])
        # session with its user (1), campaign (1), queue counts (1), results (1), per caller (1),
        # holders (1), recent callers (1).
        with self.assertNumQueries(7):
            response = self.client.get(url)
        self.assertContains(response, "Pas de réponse")
        self.assertContains(response, 'data-testid="calls-done">1<')
        self.assertContains(response, 'data-testid="remaining">3<')
        page = self.client.get(reverse("phonebank:campaign_supervise", args=[self.campaign.pk]))
        self.assertEqual(page.status_code, 200)

    def test_the_lead_pauses_and_resumes(self) -> None:
        self.login(self.owner)
        url = reverse("phonebank:campaign_status", args=[self.campaign.pk])
        self.client.post(url, {"status": "paused"})
        self.campaign.refresh_from_db()
        self.assertEqual(self.campaign.status, "paused")
        self.login(self.teammate)
        response = self.client.post(
            reverse("phonebank:call_start", args=[self.campaign.pk]), follow=True
        )
        self.assertContains(response, "pas en cours")

    def test_the_lead_creates_a_campaign(self) -> None:
        self.login(self.owner)
        response = self.client.post(
            reverse("phonebank:campaign_create"),
            {
                "name": "Relance des indécis",
                "segment": self.campaign.segment_id,
                "script": self.script.pk,
                "max_attempts": 3,
                "weekday_hours": "10:00-13:00,14:00-20:00",
                "saturday_hours": "10:00-12:00",
                "callers": [self.teammate.pk],
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertContains(
            self.client.get(reverse("phonebank:campaign_list")), "Relance des indécis"
        )


class AsteriskDialTests(BaseTestCase):
    """ "Call from my seat": the task speaks AMI to a protocol-level server on 127.0.0.1 and
    fills the call's answered / duration / hang-up cause; a dropped connection fails the call."""

    def setUp(self) -> None:
        make_callable(1)
        self.campaign = make_campaign(actor=self.owner, callers=[self.teammate])
        call_campaign_set_status(actor=self.owner, campaign=self.campaign, status="running")
        # No frozen clock here: asyncio's timeouts read the real one.
        Seat.objects.create(name="Poste 1", channel="PJSIP/101", user=self.teammate)

    def dial(self, scenario: str) -> tuple[Call, FakeAsterisk]:
        entry = call_claim_next(caller=self.teammate, campaign=self.campaign, now=IN_HOURS)
        assert entry is not None
        self.login(self.teammate)
        with running_asterisk(FakeAsterisk(scenario=scenario)) as server:
            with (
                self.settings(
                    MAILLAGE_DIALER="asterisk",
                    MAILLAGE_AMI_PORT=server.port,
                    MAILLAGE_AMI_SECRET="s3cret",
                    MAILLAGE_AMI_TRUNK_PREFIX="0",
                ),
                self.captureOnCommitCallbacks(execute=True),
            ):
                page = self.client.get(
                    reverse("phonebank:call_page", args=[self.campaign.pk, entry.pk])
                )
                self.assertContains(page, 'data-testid="dial"')
                self.assertNotContains(page, "tel:")
                response = self.client.post(
                    reverse("phonebank:call_dial", args=[self.campaign.pk, entry.pk])
                )
            self.assertEqual(response.status_code, 302)
        return Call.objects.get(entry=entry), server

    def test_an_answered_call_is_filled_in(self) -> None:
        call, server = self.dial("answered")
        self.assertEqual(call.dial_status, "answered")
        self.assertTrue(call.answered)
        self.assertEqual(call.hangup_cause, 16)
        self.assertIsNotNone(call.duration)
        originate = next(a for a in server.actions if a["Action"] == "Originate")
        self.assertEqual(originate["Channel"], "PJSIP/101")
        self.assertTrue(originate["Exten"].startswith("0+336"))

    def test_a_busy_line(self) -> None:
        call, _server = self.dial("busy")
        self.assertEqual((call.dial_status, call.answered, call.hangup_cause), ("busy", False, 17))

    def test_a_connection_lost_mid_call_marks_the_call_failed_and_keeps_it(self) -> None:
        call, _server = self.dial("drop")
        self.assertEqual(call.dial_status, "failed")
        self.assertEqual(call.dial_error, "connection lost during the call")
        # The caller still records what happened: the same Call row gets the result.
        self.client.post(
            reverse("phonebank:call_page", args=[self.campaign.pk, call.entry_id]),
            {"client_uuid": str(uuid.uuid4()), "result": "no_answer", "then": "stop"},
        )
        call.refresh_from_db()
        self.assertEqual((call.result, call.dial_status), ("no_answer", "failed"))
        self.assertEqual(Call.objects.count(), 1)
