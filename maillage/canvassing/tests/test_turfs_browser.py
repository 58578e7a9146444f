"""Staff cut a turf and hand it to a volunteer, who opens it, prints it and types the paper
results back in with the keyboard, in Chromium under the enforced CSP."""

from __future__ import annotations

import pytest
from django.test import override_settings

from maillage.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from maillage.canvassing.tests.helpers import resident
from maillage.core.roles import Role
from maillage.core.tests.browser import ConsoleWatch, browser_login, screenshot
from maillage.people.models import Interaction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@override_settings(MAILLAGE_CSP_REPORT_ONLY=False)
def test_a_turf_from_cutting_to_paper_results(desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="sara@example.org", full_name="Sara Staff", role=Role.STAFF)
    UserFactory(email="vic@example.org", full_name="Vic Bénévole", role=Role.VOLUNTEER)
    martin = resident("1", "rue de la Paix", "Apt 2", birth_name="MARTIN")
    resident("1", "rue de la Paix", "Apt 2", birth_name="MARTIN", first_names="Léa")
    durand = resident("2", "rue de la Paix", birth_name="DURAND")
    resident("3", "rue Haute", polling_station_code="13999_0002", birth_name="AILLEURS")
    page = desktop_page
    watch = ConsoleWatch(page)
    browser_login(page, live_server, "sara@example.org", DEFAULT_PASSWORD)
    page.get_by_test_id("main-nav").get_by_role("link", name="Secteurs").click()
    page.get_by_test_id("turf-new").click()
    page.get_by_label("Nom du secteur").fill("Paix")
    page.get_by_label("Bureaux de vote").fill("13999_0001")
    page.get_by_role("button", name="Créer le secteur").click()
    page.wait_for_selector("text=Secteur créé")
    assert "2 portes" in page.get_by_test_id("turf-counts").inner_text()
    page.get_by_label("Bénévoles").select_option(label="Vic Bénévole (vic@example.org)")
    page.get_by_role("button", name="Attribuer le secteur").click()
    page.wait_for_selector("text=Secteur attribué.")
    assert "Vic Bénévole" in page.get_by_test_id("turf-assignees").inner_text()
    screenshot(page, "turf-detail")

    page.context.clear_cookies()
    browser_login(page, live_server, "vic@example.org", DEFAULT_PASSWORD)
    watch.visit(f"{live_server.url}/canvassing/turfs/")
    page.get_by_role("link", name="Paix").click()
    walk = page.get_by_test_id("walk-list").inner_text()
    assert walk.index("côté impair") < walk.index("MARTIN") < walk.index("côté pair")
    assert walk.index("côté pair") < walk.index("DURAND")
    assert "AILLEURS" not in walk
    with page.expect_download() as download:
        page.get_by_test_id("walk-list-pdf").click()
    assert download.value.suggested_filename.endswith(".pdf")

    page.get_by_role("link", name="Saisir les résultats papier").click()
    first = page.locator(f"select[name='p{martin.pk}-result']")
    first.focus()
    page.keyboard.press("2")  # 2 = conversation
    page.keyboard.press("Tab")
    page.keyboard.press("3")  # 3 = undecided
    page.keyboard.press("Tab")
    page.keyboard.type("Rappeler le soir")
    page.locator(f"select[name='p{durand.pk}-result']").focus()
    page.keyboard.press("1")  # 1 = not home
    screenshot(page, "turf-paper-entry")
    page.get_by_test_id("entry-submit").click()
    page.wait_for_selector("text=2 résultats enregistrés")
    results = dict(Interaction.objects.values_list("person_id", "result"))
    assert results == {martin.pk: "talked", durand.pk: "not_home"}
    assert Interaction.objects.get(person=martin).note == "Rappeler le soir"
    assert watch.problems == []


@override_settings(MAILLAGE_CSP_REPORT_ONLY=False)
def test_staff_draw_a_turf_on_the_map(desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    from maillage.canvassing.models import Turf

    UserFactory(email="sara@example.org", full_name="Sara Staff", role=Role.STAFF)
    # Two corners of the area the map opens on (left out by a polygon drawn inside the view),
    # and two people in the middle.
    resident("1", "rue Basse", latitude=43.0, longitude=5.0, birth_name="COINSO")
    resident("3", "rue Basse", latitude=43.1, longitude=5.1, birth_name="COINNE")
    inside = [
        resident("5", "rue Basse", latitude=43.05, longitude=5.05, birth_name="CENTRE"),
        resident("7", "rue Basse", latitude=43.04, longitude=5.06, birth_name="MILIEU"),
    ]
    page = desktop_page
    watch = ConsoleWatch(page)
    browser_login(page, live_server, "sara@example.org", DEFAULT_PASSWORD)
    watch.visit(f"{live_server.url}/canvassing/turfs/new/?kind=polygon")
    drawing = page.locator("#turf-draw-map")
    expect(drawing).to_have_attribute("data-points", "4")
    drawing.scroll_into_view_if_needed()
    box = drawing.bounding_box()
    assert box is not None
    for fx, fy in ((0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8)):
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    expect(page.locator("[data-map-status]")).to_have_text("4 sommet(s)")
    page.get_by_role("button", name="Fermer la zone").click()
    page.get_by_label("Nom du secteur").fill("Centre")
    screenshot(page, "turf-draw")
    page.get_by_role("button", name="Créer le secteur").click()
    page.wait_for_selector("text=Secteur créé")
    turf = Turf.objects.get(name="Centre")
    assert set(turf.members.values_list("person_id", flat=True)) == {p.pk for p in inside}
    expect(page.locator("#turf-map")).to_have_attribute("data-ready", "2")
    assert watch.problems == []
