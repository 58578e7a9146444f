"""Staff build "nurses in the demo commune", write a personalised email, preview it as a
recipient, send it and open the report; then a mobilisation SMS to activists, and the yes
count moving on the page as replies reach the provider callback."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from maillage.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from maillage.core.roles import Role
from maillage.core.tests.browser import browser_login, screenshot
from maillage.messaging.tests.helpers import reachable_person
from maillage.messaging.tests.test_sms import _activist
from maillage.people.models import PersonTag, Tag

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_email_the_nurses_then_mobilise_activists(  # type: ignore[no-untyped-def]
    desktop_page, live_server, smtp_server, settings, tmp_path: Path
) -> None:
    settings.MAILLAGE_SENDER_IDENTITIES = ["Campagne de Vallon <campagne@vallon.test>"]
    settings.MAILLAGE_SMS_PROVIDER = "file"
    settings.MAILLAGE_SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    settings.MAILLAGE_SMS_CALLBACK_TOKEN = "cb-secret"
    settings.MAILLAGE_SMS_QUIET_START = settings.MAILLAGE_SMS_QUIET_END = 0
    settings.MAILLAGE_SMS_QUIET_SUNDAY = settings.MAILLAGE_SMS_QUIET_HOLIDAYS = False
    UserFactory(email="sara@example.org", full_name="Sara Staff", role=Role.STAFF)
    nurse = Tag.objects.create(name="Infirmière", slug="infirmiere", kind=Tag.Kind.PROFESSION)
    nurses = [
        reachable_person(
            f"inf{n}@example.org",
            first_names=name,
            commune_code="13999",
            commune_name="VALLON-SUR-MER",
        )
        for n, name in enumerate(["Inès", "Noémie", "Paul"])
    ]
    refused = reachable_person("nope@example.org", consent=False, commune_code="13999")
    elsewhere = reachable_person("lyon@example.org", commune_code="69123")
    for person in [*nurses, refused, elsewhere]:
        PersonTag.objects.create(person=person, tag=nurse)
    reachable_person("other@example.org", commune_code="13999")  # not a nurse

    page = desktop_page
    browser_login(page, live_server, "sara@example.org", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/people/segments/new/")
    page.get_by_label("Nom", exact=True).fill("Infirmières de la commune démo")
    page.get_by_label("Étiquettes").fill("infirmiere")
    page.get_by_label("Communes (codes INSEE)").fill("13999")
    page.get_by_role("button", name="Enregistrer le segment").click()
    page.wait_for_url(f"{live_server.url}/people/segments/*/")

    page.get_by_test_id("main-nav").get_by_role("link", name="Campagnes").click()
    page.get_by_test_id("email-create").click()
    page.get_by_label("Nom (interne)").fill("Soignants")
    page.get_by_label("Destinataires (segment)").select_option(
        label="Infirmières de la commune démo"
    )
    page.get_by_label("Objet").fill("{{ first_name }}, parlons de l'hôpital")
    page.get_by_label("Message (Markdown)").fill(
        "Bonjour **{{ first_name }}**,\n\nRéunion jeudi à {{ commune }}."
    )
    page.get_by_test_id("email-save").click()
    page.wait_for_url(f"{live_server.url}/messaging/*/")
    expect(page.get_by_test_id("audience-count")).to_have_text("3")
    expect(page.get_by_test_id("excluded-no-consent")).to_have_text("1")
    page.get_by_test_id("preview-person").select_option(index=2)
    # The sample person's preview is replaced by the recipient's (htmx).
    expect(page.get_by_test_id("preview-subject")).to_have_text(
        re.compile(r"^(Inès|Noémie|Paul), parlons de l'hôpital$")
    )
    subject = page.get_by_test_id("preview-subject").inner_text()
    assert subject.split(",")[0] in {"Inès", "Noémie", "Paul"}, subject
    expect(page.get_by_test_id("preview-html").locator("strong")).to_have_text(
        subject.split(",")[0]
    )
    screenshot(page, "messaging-composer")
    page.get_by_test_id("send-now").click()
    page.get_by_test_id("open-report").click()
    expect(page.get_by_test_id("report-sent")).to_have_text("3")
    received = sorted(rcpt for _from, rcpts in smtp_server.envelopes for rcpt in rcpts)
    assert received == ["inf0@example.org", "inf1@example.org", "inf2@example.org"]

    # The mobilisation: activists of the commune, an SMS with the RSVP link, the live count.
    activists = [_activist(f"+3369999000{n}") for n in range(3)]
    page.goto(f"{live_server.url}/messaging/")
    page.get_by_test_id("mobilisation-create").click()
    page.get_by_label("Objet de la mobilisation").fill("Tractage au marché")
    page.locator("#id_place").fill("Place X")
    at = timezone.localtime() + timedelta(hours=5)
    page.get_by_label("Rendez-vous le").fill(at.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Communes (codes INSEE)").fill("13999")
    page.get_by_test_id("mobilisation-save").click()
    page.wait_for_url(f"{live_server.url}/messaging/*/")
    expect(page.get_by_test_id("audience-count")).to_have_text("3")
    expect(page.get_by_test_id("sms-estimate")).to_contain_text("GSM-7")
    page.get_by_test_id("send-now").click()
    expect(page.get_by_test_id("rsvp-yes")).to_have_text("0")
    sent = [json.loads(line) for line in (tmp_path / "sms.jsonl").read_text().splitlines()]
    assert sorted(s["to"] for s in sent) == sorted(p.phones.get().number for p in activists)
    inbound = f"{live_server.url}/messaging/sms/file/inbound/?token=cb-secret"
    page.request.post(inbound, form={"from": "+33699990000", "text": "OUI"})
    expect(page.get_by_test_id("rsvp-yes")).to_have_text("1")
    page.request.post(inbound, form={"from": "+33699990001", "text": "oui !"})
    page.request.post(inbound, form={"from": "+33699990002", "text": "Non"})
    expect(page.get_by_test_id("rsvp-yes")).to_have_text("2")
    expect(page.get_by_test_id("rsvp-no")).to_have_text("1")
    screenshot(page, "messaging-mobilisation")
