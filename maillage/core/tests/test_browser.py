"""The page shell in a real browser (Debian's Chromium through Playwright)."""

from __future__ import annotations

import pytest

from maillage.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from maillage.core.models import AuditLogEntry
from maillage.core.roles import Role
from maillage.core.services import audit_log_record
from maillage.core.tests.browser import browser_login, open_nav_section, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_volunteer_on_a_phone_sees_only_volunteer_navigation(page, live_server) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="victor@example.org", full_name="Victor Bénévole", role=Role.VOLUNTEER)
    browser_login(page, live_server, "victor@example.org", DEFAULT_PASSWORD)
    assert page.viewport_size == {"width": 390, "height": 844}
    assert page.get_by_test_id("role").inner_text() == "Bénévole / militant·e"
    # The menu folds on a phone: open it, then read what it offers.
    page.get_by_text("Menu").click()
    links = page.get_by_test_id("main-nav").get_by_role("link").all_inner_texts()
    assert any("Tableau de bord" in link for link in links)
    assert not any(
        "Journal d'audit" in link or "Comptes" in link or "Invitations" in link for link in links
    )
    # Nothing is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "volunteer-dashboard-phone")
    page.goto(f"{live_server.url}/audit/")
    assert "Accès refusé" in page.content()


def test_staff_log_in_and_reach_the_audit_log(desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    staff = UserFactory(email="samir@example.org", full_name="Samir Staff", role=Role.STAFF)
    volunteer = UserFactory(
        email="vera@example.org", full_name="Véra Volontaire", role=Role.VOLUNTEER
    )
    audit_log_record(
        actor=staff,
        action=AuditLogEntry.Action.ROLE_CHANGE,
        target=volunteer,
        changes={"role": ["Sympathisant", "Bénévole"]},
    )
    page = desktop_page
    browser_login(page, live_server, "samir@example.org", DEFAULT_PASSWORD)
    screenshot(page, "staff-dashboard")
    open_nav_section(page, "Administration")
    page.get_by_test_id("main-nav").get_by_role("link", name="Journal d'audit").click()
    page.wait_for_url(f"{live_server.url}/audit/")
    table = page.get_by_test_id("audit-table")
    assert "changement de rôle" in table.inner_text()
    assert "Véra Volontaire" in table.inner_text()
    # Filter by action through the form, as staff would.
    page.get_by_label("Action").select_option("login")
    page.get_by_role("button", name="Filtrer").click()
    assert "changement de rôle" not in page.get_by_test_id("audit-table").inner_text()
    assert "connexion" in page.get_by_test_id("audit-table").inner_text()
    screenshot(page, "audit-log")


def test_the_language_switch_shows_the_site_in_english(desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    page = desktop_page
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("button", name="EN").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Join the campaign" in page.content()
    screenshot(page, "home")
