"""The close-races page in a real browser: staff filter to under 1 % and find Ardèche 3e first."""

from __future__ import annotations

import pytest

from maillage.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from maillage.core.roles import Role
from maillage.core.tests.browser import axe_violations, browser_login, open_nav_section, screenshot
from maillage.elections.services import results_import
from maillage.elections.tests import helpers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_filter_close_races_under_one_percent_and_see_ardeche_first(
    desktop_page, live_server
) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="samir@example.org", full_name="Samir Staff", role=Role.STAFF)
    results_import(path=helpers.LG2024_T1, election_slug="legislatives-2024")
    results_import(path=helpers.LG2024_T2, election_slug="legislatives-2024")
    page = desktop_page
    browser_login(page, live_server, "samir@example.org", DEFAULT_PASSWORD)
    page.get_by_test_id("main-nav").get_by_role("link", name="Cibles électorales").click()
    page.wait_for_url(f"{live_server.url}/elections/close-races/")
    page.get_by_label("Marge de l'élu·e < (%)").fill("1")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url("**max_margin=1**")
    table = page.get_by_test_id("race-table")
    first_row = table.locator("tbody tr").first
    assert "Ardèche 3e circonscription" in first_row.inner_text()
    assert "35 voix" in first_row.inner_text()
    assert "24 courses" in page.content()
    assert "exprimés" in page.get_by_test_id("race-base").inner_text()
    assert page.get_by_test_id("race-chart").locator(".bar-row").count() == 20
    screenshot(page, "close-races")
    # The area page shows both rounds.
    first_row.get_by_role("link", name="Ardèche 3e circonscription").click()
    assert page.get_by_test_id("round-1").is_visible()
    assert "BRUN" in page.get_by_test_id("candidates-2").inner_text()
    screenshot(page, "election-area")


def test_close_races_fit_a_phone(page, live_server) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="samir@example.org", full_name="Samir Staff", role=Role.STAFF)
    results_import(path=helpers.LG2024_T2, election_slug="legislatives-2024")
    browser_login(page, live_server, "samir@example.org", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/elections/close-races/?max_gap=1")
    assert (
        "Ardèche 3e circonscription"
        in page.get_by_test_id("race-table").locator("tbody tr").first.inner_text()
    )
    # The wide table scrolls inside its frame; the page itself does not.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_staff_upload_a_results_file_and_read_its_report(desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="samir@example.org", full_name="Samir Staff", role=Role.STAFF)
    page = desktop_page
    browser_login(page, live_server, "samir@example.org", DEFAULT_PASSWORD)
    open_nav_section(page, "Fichier")
    page.get_by_test_id("main-nav").get_by_role("link", name="Résultats électoraux").click()
    assert "Aucune élection importée" in page.get_by_test_id("election-table").inner_text()
    page.get_by_role("link", name="Importer un fichier de résultats").click()
    page.get_by_label("Fichier de résultats").set_input_files(str(helpers.LG2024_T2))
    page.get_by_label("… ou nouvelle élection (identifiant)").fill("legislatives-2024")
    page.get_by_role("button", name="Importer").click()
    # Tasks run inline in tests: the progress page is already finished and links to the report.
    assert page.get_by_test_id("progress-status").inner_text() == "terminé"
    page.get_by_role("link", name="Voir le résultat").click()
    assert (
        "Essonne 3e circonscription (9103)" in page.get_by_test_id("import-warnings").inner_text()
    )
    page.get_by_role("link", name="Voir les courses serrées").click()
    assert (
        "Ardèche 3e circonscription"
        in page.get_by_test_id("race-table").locator("tbody tr").first.inner_text()
    )


def test_election_pages_have_no_serious_accessibility_violation(desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="samir@example.org", full_name="Samir Staff", role=Role.STAFF)
    results_import(path=helpers.LG2024_T1, election_slug="legislatives-2024")
    page = desktop_page
    browser_login(page, live_server, "samir@example.org", DEFAULT_PASSWORD)
    violations: list[str] = []
    for path in ("/elections/close-races/", "/elections/upload/"):
        page.goto(live_server.url + path)
        violations += axe_violations(page)
    assert not violations, "\n".join(violations)
