"""A caller on a phone takes three calls in a row with the script, schedules a call-back and
marks one "do not call"; the lead's supervision page shows the counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from maillage.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from maillage.core.roles import Role
from maillage.core.tests.browser import ConsoleWatch, assert_accessible, browser_login, screenshot
from maillage.people.models import Interaction, SuppressionEntry
from maillage.phonebank.models import QueueEntry
from maillage.phonebank.services import call_campaign_set_status
from maillage.phonebank.tests.helpers import make_callable, make_campaign
from maillage.surveys.services import choice_add, question_add, script_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALL_DAY = "00:00-23:59"


def test_a_caller_takes_three_calls_and_the_lead_sees_them(page, desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    if datetime.now(ZoneInfo("Europe/Paris")).weekday() == 6:
        pytest.skip("no calling hours on Sunday, by design: run on another day")
    lead = UserFactory(email="lea@example.org", full_name="Léa Lead", role=Role.STAFF)
    caller = UserFactory(email="cal@example.org", full_name="Cali Caller", role=Role.VOLUNTEER)
    make_callable(4, birth_year=1985)
    script = script_create(actor=lead, name="Relance du soir")
    vote = question_add(actor=lead, script=script, text="Irez-vous voter dimanche ?", kind="choice")
    question_add(actor=lead, script=script, text="Pour qui pensez-vous voter ?", kind="support")
    topic = question_add(
        actor=lead, script=script, text="Quel sujet compte pour vous ?", kind="text"
    )
    choice_add(actor=lead, question=vote, label="Oui")
    choice_add(actor=lead, question=vote, label="Non", next_question_id=topic.pk)
    campaign = make_campaign(
        actor=lead, callers=[caller], script=script, weekday_hours=ALL_DAY, saturday_hours=ALL_DAY
    )
    call_campaign_set_status(actor=lead, campaign=campaign, status="running")

    watch = ConsoleWatch(page)
    browser_login(page, live_server, "cal@example.org", DEFAULT_PASSWORD)
    page.locator("#main-menu summary").click()  # the phone's menu is folded
    page.get_by_test_id("main-nav").get_by_role("link", name="Appels").click()
    page.get_by_role("link", name="Appeler").click()
    page.get_by_test_id("start-calling").click()

    # Call 1: the script branches; a conversation with a support level.
    screen = page.get_by_test_id("caller-screen")
    screen.wait_for()
    assert page.get_by_test_id("dial-link").get_attribute("href").startswith("tel:+33")
    second, third = page.get_by_test_id("question-2"), page.get_by_test_id("question-3")
    # The page's script (caller.js, deferred) hides the questions not reached yet: wait for it.
    expect(second).to_be_hidden()
    expect(third).to_be_hidden()
    page.get_by_test_id("question-1").get_by_label("Non").check()
    expect(second).to_be_hidden()
    expect(third).to_be_visible()  # "Non" skips to the topic question
    page.get_by_test_id("question-1").get_by_label("Oui").check()
    expect(second).to_be_visible()
    second.get_by_label("Indécis").check()
    page.get_by_test_id("results").get_by_label("Conversation").check()
    screenshot(page, "phonebank-caller")
    assert_accessible(page)
    first_name = page.get_by_test_id("person-name").inner_text()
    page.get_by_test_id("save-next").click()

    # Call 2: call back tomorrow evening.
    page.wait_for_url(f"{live_server.url}/phonebank/{campaign.pk}/call/*/")
    assert page.get_by_test_id("person-name").inner_text() != first_name
    callback = page.get_by_label("Rappeler le")
    expect(callback).to_be_hidden()
    page.get_by_test_id("results").get_by_label("Rappeler à…").check()
    tomorrow = (datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=1)).replace(
        hour=18, minute=0
    )
    callback.fill(tomorrow.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_test_id("save-next").click()

    # Call 3: do not call again.
    page.wait_for_url(f"{live_server.url}/phonebank/{campaign.pk}/call/*/")
    page.get_by_test_id("results").get_by_label("Ne plus appeler").check()
    page.get_by_role("button", name="Enregistrer et arrêter").click()
    page.wait_for_url(f"{live_server.url}/phonebank/{campaign.pk}/")
    assert watch.problems == []

    assert Interaction.objects.filter(channel="phone", source_id=campaign.pk).count() == 3
    assert Interaction.objects.filter(result="talked", support_level=3).count() == 1
    assert QueueEntry.objects.filter(callback_user=caller, state="waiting").count() == 1
    assert SuppressionEntry.objects.filter(scope="phone").count() == 1

    browser_login(desktop_page, live_server, "lea@example.org", DEFAULT_PASSWORD)
    desktop_page.goto(f"{live_server.url}/phonebank/{campaign.pk}/supervise/")
    assert desktop_page.get_by_test_id("calls-done").inner_text() == "3"
    assert desktop_page.get_by_test_id("callbacks-count").inner_text() == "1"
    assert (
        desktop_page.get_by_test_id("remaining").inner_text() == "2"
    )  # the call-back and one more
    assert desktop_page.get_by_test_id("contact-rate").inner_text() == "33 %"
    results = desktop_page.get_by_test_id("results").inner_text()
    assert "Conversation" in results and "Ne plus appeler" in results and "Rappeler" in results
    assert "Cali Caller" in desktop_page.get_by_test_id("callers").inner_text()
    screenshot(desktop_page, "phonebank-supervision")
    assert_accessible(desktop_page)
