"""People pages in a real browser: the staff segment builder's live count, a volunteer
recording a door result on a phone, the people list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from maillage.accounts.models import Team
from maillage.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from maillage.core.roles import Role
from maillage.core.tests.browser import browser_login, screenshot
from maillage.people.models import Interaction, SupportLevel
from maillage.people.services.interactions import interaction_record
from maillage.people.tests.helpers import assign, at, make_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_build_a_segment_and_watch_the_count_change(desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="sara@example.org", full_name="Sara Staff", role=Role.STAFF)
    for n in range(6):
        make_person(
            birth_name=f"ANCIEN{n}", birth_year=1940, sex="F", polling_station_code="13055_0003"
        )
    for n in range(4):
        make_person(
            birth_name=f"JEUNE{n}", birth_year=2000, sex="M", polling_station_code="13055_0003"
        )
    page = desktop_page
    browser_login(page, live_server, "sara@example.org", DEFAULT_PASSWORD)
    page.get_by_test_id("main-nav").get_by_role("link", name="Segments").click()
    page.get_by_role("link", name="Nouveau segment").click()
    page.get_by_label("Bureaux de vote").fill("13055_0003")
    page.get_by_label("Bureaux de vote").dispatch_event("change")
    value = page.get_by_test_id("segment-count-value")
    value.wait_for()
    assert value.inner_text() == "10"
    page.get_by_label("Âge minimum").fill("60")
    page.get_by_label("Âge minimum").dispatch_event("change")
    expect(page.get_by_test_id("segment-count-value")).to_have_text("6")
    page.get_by_label("Sexe").select_option("M")
    expect(page.get_by_test_id("segment-count-value")).to_have_text("0")
    page.get_by_label("Sexe").select_option("F")
    expect(page.get_by_test_id("segment-count-value")).to_have_text("6")
    page.get_by_label("Nom", exact=True).fill("Seniors du bureau 3")
    screenshot(page, "segment-builder")
    page.get_by_role("button", name="Enregistrer le segment").click()
    page.wait_for_url(f"{live_server.url}/people/segments/*/")
    assert "6 personnes" in page.get_by_test_id("segment-total").inner_text()
    words = page.get_by_test_id("segment-definition").inner_text()
    assert "60 ans et plus ET Femme ET bureau de vote : 13055_0003" in words, words
    screenshot(page, "segment-detail")
    # Editing opens on the same filters, in the same fields; saving unchanged keeps the segment.
    page.get_by_role("link", name="Modifier").click()
    assert page.get_by_label("Âge minimum").input_value() == "60"
    assert page.get_by_label("Bureaux de vote").input_value() == "13055_0003"
    assert page.get_by_label("Sexe").input_value() == "F"
    assert page.get_by_label("Définition JSON (avancé)").input_value() == ""
    page.get_by_role("button", name="Enregistrer le segment").click()
    page.wait_for_url(f"{live_server.url}/people/segments/*/")
    assert "6 personnes" in page.get_by_test_id("segment-total").inner_text()


def test_staff_search_the_whole_base_for_duplicates(desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="sara@example.org", full_name="Sara Staff", role=Role.STAFF)
    make_person(
        birth_name="DUPONT", first_names="Marie", birth_year=1953, birth_month=3, birth_day=12
    )
    make_person(
        birth_name="DUPOND", first_names="Marie", birth_year=1953, birth_month=3, birth_day=12
    )
    page = desktop_page
    browser_login(page, live_server, "sara@example.org", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/people/duplicates/")
    assert "Aucun doublon à examiner" in page.get_by_test_id("duplicate-table").inner_text()
    page.get_by_test_id("duplicate-search").click()
    page.wait_for_url(f"{live_server.url}/tasks/*/")
    expect(page.get_by_test_id("progress-percent")).to_have_text("100 %")
    assert "1 nouvelle(s) paire(s)" in page.locator(".progress-box").inner_text()
    page.get_by_role("link", name="Voir le résultat").click()
    assert "DUPOND" in page.get_by_test_id("duplicate-table").inner_text()
    screenshot(page, "duplicate-queue")


def test_a_volunteer_on_a_phone_records_a_door_result(page, live_server) -> None:  # type: ignore[no-untyped-def]
    volunteer = UserFactory(email="vic@example.org", full_name="Vic Bénévole", role=Role.VOLUNTEER)
    team = Team.objects.create(name="Porte-à-porte 3e")
    volunteer.teams.add(team)
    person = make_person(
        birth_name="LEBLANC",
        first_names="Odile",
        birth_year=1952,
        address_number="8",
        address_street="rue Paradis",
        postcode="13006",
        commune_name="Marseille",
    )
    neighbour = make_person(
        birth_name="LEBLANC",
        first_names="Marcel",
        birth_year=1950,
        address_number="8",
        address_street="rue Paradis",
        postcode="13006",
    )
    make_person(birth_name="INCONNU")
    assign([person, neighbour], teams=[team])
    interaction_record(
        actor=None,
        person=person,
        channel="phone",
        result="talked",
        support_level=SupportLevel.UNDECIDED,
        occurred_at=at("2026-02-01T18:00"),
    )
    browser_login(page, live_server, "vic@example.org", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/people/")
    assert "INCONNU" not in page.get_by_test_id("person-table").inner_text()
    page.get_by_label("Rechercher (nom, e-mail ou téléphone)").fill("odile")
    page.get_by_role("button", name="Chercher").click()
    screenshot(page, "people-list")
    page.get_by_role("link", name="LEBLANC Odile").click()
    assert "Marcel" in page.content()  # the household
    page.locator("#id_channel").select_option("door")
    page.get_by_label("Résultat").select_option("talked")
    page.get_by_label("Soutien exprimé").select_option(str(SupportLevel.LEANING_FOR))
    page.get_by_label("Note").fill("Intéressée par les transports")
    page.get_by_role("button", name="Enregistrer le résultat").click()
    page.wait_for_selector("text=Résultat enregistré.")
    assert "Plutôt pour" in page.get_by_test_id("current-support").inner_text()
    history = page.get_by_test_id("support-history").inner_text()
    assert "Indécis" in history and "Plutôt pour" in history
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "contact-sheet")
    door = Interaction.objects.get(person=person, channel="door")
    assert (door.actor, door.support_level, door.note) == (
        volunteer,
        SupportLevel.LEANING_FOR,
        "Intéressée par les transports",
    )


def test_the_builder_says_why_an_age_is_refused_and_keeps_its_count_in_view(  # type: ignore[no-untyped-def]
    desktop_page, live_server
) -> None:
    UserFactory(email="sara@example.org", full_name="Sara Staff", role=Role.STAFF)
    for n in range(3):
        make_person(birth_name=f"ANCIEN{n}", birth_year=1940)
    page = desktop_page
    browser_login(page, live_server, "sara@example.org", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/people/segments/new/")
    count = page.get_by_test_id("segment-count")
    for label, value in (("Âge minimum", "-5"), ("Âge maximum", "200")):
        page.get_by_label(label).fill(value)
        page.get_by_label(label).dispatch_event("change")
        # The browser's own range check used to stop the request: the count stayed, silently.
        expect(count).to_contain_text(f"{label} : Un âge va de 0 à 130 ans.")
        page.get_by_label(label).fill("")
    page.get_by_label("Âge maximum").fill("200")
    page.get_by_role("button", name="Enregistrer le segment").click()
    page.wait_for_load_state()
    assert "Un âge va de 0 à 130 ans." in page.get_by_test_id("segment-builder").inner_text()
    # At the bottom of the long form, the live count is still on screen.
    page.get_by_label("Âge maximum").fill("90")
    page.get_by_label("Âge maximum").dispatch_event("change")
    expect(page.get_by_test_id("segment-count-value")).to_have_text("3")
    page.get_by_role("button", name="Enregistrer le segment").scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 0
    box = count.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 900, box
