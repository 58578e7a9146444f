"""The composer and the campaign page: count before sending, exclusions, preview as a
recipient, a typo caught at save, test send to oneself, the send button, the report."""

from __future__ import annotations

from email.header import decode_header, make_header

import pytest
from django.test import override_settings
from django.urls import reverse

from maillage.core.tests.base import BaseTestCase
from maillage.messaging.models import Campaign
from maillage.messaging.services import campaign_send_run
from maillage.messaging.tests.helpers import reachable_person, segment

SENDER = "Maillage <campagne@localhost>"


@override_settings(MAILLAGE_SENDER_IDENTITIES=[SENDER])
class ComposerTests(BaseTestCase):
    @pytest.fixture(autouse=True)
    def _smtp(self, smtp_server):  # type: ignore[no-untyped-def]
        self.smtp = smtp_server

    def setUp(self) -> None:
        self.person = reachable_person("ines@example.org", first_names="Inès")
        reachable_person("", consent=None)
        self.segment = segment()
        self.login(self.owner)

    def _post(self, body: str) -> object:
        return self.client.post(
            reverse("messaging:email_create"),
            {
                "name": "N",
                "segment": self.segment.pk,
                "sender": SENDER,
                "subject": "Bonjour {{ first_name }}",
                "body": body,
            },
        )

    def test_a_typo_in_a_field_is_refused_at_save(self) -> None:
        response = self._post("Bonjour {{ prenom }}")
        self.assertContains(response, "Champ inconnu")
        self.assertFalse(Campaign.objects.exists())

    def test_the_page_counts_explains_previews_sends_and_reports(self) -> None:
        response = self._post("Bonjour **{{ first_name }}** de {{ commune }}")
        campaign = Campaign.objects.get()
        self.assertRedirects(response, reverse("messaging:campaign_detail", args=[campaign.pk]))
        # session with its user, campaign, segment scope, one aggregate, ledger, preview list
        with self.assertMaxQueries(15):
            page = self.client.get(reverse("messaging:campaign_detail", args=[campaign.pk]))
        self.assertContains(page, 'data-testid="audience-count">1<')
        self.assertContains(page, 'data-testid="excluded-no-address">1<')
        preview = self.client.get(
            reverse("messaging:campaign_preview", args=[campaign.pk]), {"person": self.person.pk}
        )
        self.assertContains(preview, "Bonjour Inès")
        self.assertContains(preview, "<strong>Inès</strong>")
        self.client.post(
            reverse("messaging:campaign_test", args=[campaign.pk]), {"person": self.person.pk}
        )
        self.assertEqual(self.smtp.envelopes[-1][1], [self.owner.email])
        subject = str(make_header(decode_header(self.smtp.messages[-1]["Subject"])))
        self.assertEqual(subject, "[TEST] Bonjour Inès")
        self.client.post(reverse("messaging:campaign_send", args=[campaign.pk]))
        campaign.refresh_from_db()
        self.assertEqual(campaign.status, "sending")
        campaign_send_run(campaign_id=campaign.pk)
        report = self.client.get(reverse("messaging:campaign_report", args=[campaign.pk]))
        self.assertContains(report, 'data-testid="report-sent">1<')

    def test_preview_refuses_a_person_outside_the_audience(self) -> None:
        self._post("Bonjour {{ first_name }}")
        campaign = Campaign.objects.get()
        stranger = reachable_person("x@example.org", first_names="Zorro", commune_code="69123")
        preview = self.client.get(
            reverse("messaging:campaign_preview", args=[campaign.pk]), {"person": stranger.pk}
        )
        self.assertNotContains(preview, "Zorro")
        self.assertContains(preview, "Camille")  # the sample person
