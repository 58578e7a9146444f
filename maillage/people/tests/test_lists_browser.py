"""Staff make a list from a segment and give it to a volunteer, who then sees its people."""

from __future__ import annotations

import pytest

from maillage.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from maillage.core.roles import Role
from maillage.core.tests.browser import browser_login, open_nav_section, screenshot
from maillage.people.models import Segment
from maillage.people.tests.helpers import make_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_assign_a_list_and_the_volunteer_sees_its_people(desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="sara@example.org", full_name="Sara Staff", role=Role.STAFF)
    UserFactory(email="vic@example.org", full_name="Vic Bénévole", role=Role.VOLUNTEER)
    for n in range(3):
        make_person(birth_name=f"TROIS{n}", polling_station_code="13055_0003")
    make_person(birth_name="AILLEURS", polling_station_code="13055_0009")
    Segment.objects.create(
        name="Bureau 3",
        definition={
            "op": "and",
            "filters": [{"field": "polling_station", "values": ["13055_0003"]}],
        },
    )
    page = desktop_page
    browser_login(page, live_server, "sara@example.org", DEFAULT_PASSWORD)
    open_nav_section(page, "Fichier")
    page.get_by_test_id("main-nav").get_by_role("link", name="Listes").click()
    page.get_by_role("link", name="Nouvelle liste").click()
    page.get_by_label("Nom de la liste").fill("Tractage bureau 3")
    page.get_by_label("À partir d'un segment").select_option(label="Bureau 3")
    page.get_by_role("button", name="Créer la liste").click()
    page.wait_for_url(f"{live_server.url}/people/lists/*/")
    assert "3 personnes" in page.get_by_test_id("list-size").inner_text()
    assert "Personne pour l'instant." in page.get_by_test_id("list-assignees").inner_text()

    page.get_by_label("Bénévoles").select_option(label="Vic Bénévole (vic@example.org)")
    page.get_by_role("button", name="Attribuer la liste").click()
    page.wait_for_selector("text=Liste attribuée.")
    assert "Vic Bénévole" in page.get_by_test_id("list-assignees").inner_text()
    screenshot(page, "list-detail")
    page.get_by_role("link", name="Toutes les listes").first.click()
    row = page.get_by_test_id("list-table").locator("tbody tr").first
    assert "Tractage bureau 3" in row.inner_text() and "Vic Bénévole" in row.inner_text()

    page.context.clear_cookies()
    browser_login(page, live_server, "vic@example.org", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/people/")
    people = page.get_by_test_id("person-table").inner_text()
    assert "TROIS0" in people and "TROIS2" in people and "AILLEURS" not in people

    # Taken back: the volunteer no longer sees them.
    page.context.clear_cookies()
    browser_login(page, live_server, "sara@example.org", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/people/lists/")
    page.get_by_role("link", name="Tractage bureau 3").click()
    page.get_by_role("button", name="Retirer la liste à Vic Bénévole").click()
    page.wait_for_selector("text=ne reçoit plus cette liste")
    page.context.clear_cookies()
    browser_login(page, live_server, "vic@example.org", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/people/")
    assert "TROIS0" not in page.get_by_test_id("person-table").inner_text()
