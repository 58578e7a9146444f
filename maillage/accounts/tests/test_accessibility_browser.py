"""axe-core over the shell's pages in a real browser: public pages, both dashboards, the
profile and the audit log carry no serious or critical accessibility violation."""

from __future__ import annotations

import pytest

from maillage.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from maillage.core.roles import Role
from maillage.core.tests.browser import axe_violations, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_public_pages_have_no_serious_accessibility_violation(desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    page = desktop_page
    violations: list[str] = []
    for path in ("/", "/accounts/login/", "/accounts/signup/"):
        page.goto(live_server.url + path)
        violations += axe_violations(page)
    assert not violations, "\n".join(violations)


def test_a_volunteers_pages_have_no_serious_accessibility_violation(page, live_server) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="victor@example.org", full_name="Victor Bénévole", role=Role.VOLUNTEER)
    browser_login(page, live_server, "victor@example.org", DEFAULT_PASSWORD)
    violations = axe_violations(page)
    page.goto(f"{live_server.url}/accounts/profile/")
    violations += axe_violations(page)
    assert not violations, "\n".join(violations)


def test_staff_pages_have_no_serious_accessibility_violation(desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="samir@example.org", full_name="Samir Staff", role=Role.STAFF)
    page = desktop_page
    browser_login(page, live_server, "samir@example.org", DEFAULT_PASSWORD)
    violations = axe_violations(page)
    for path in ("/audit/", "/accounts/profile/"):
        page.goto(live_server.url + path)
        violations += axe_violations(page)
    assert not violations, "\n".join(violations)


def test_the_check_reports_what_it_is_meant_to_catch(desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    """The sweep above is worth something only if axe really runs under the page's CSP."""
    page = desktop_page
    page.goto(live_server.url + "/accounts/login/")
    page.evaluate(
        """() => {
          const main = document.querySelector('main');
          main.insertAdjacentHTML('beforeend',
            '<img src="/static/core/favicon.svg"><input type="text" aria-describedby="id_x_helptext">');
        }"""
    )
    violations = "\n".join(axe_violations(page))
    assert "image-alt (critical)" in violations
    assert 'aria-describedby="id_x_helptext"' in violations
