"""Every main page under the enforced Content-Security-Policy, in a real browser: no violation,
no console error. It crosses apps on purpose: the policy is one header for the whole site."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from maillage.accounts.models import Team
from maillage.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from maillage.core.roles import Role
from maillage.core.tests.browser import ConsoleWatch, browser_login
from maillage.elections.services import results_import
from maillage.elections.tests import helpers as election_helpers
from maillage.people.models import SupportLevel
from maillage.people.services.interactions import interaction_record
from maillage.people.tests.helpers import assign, at, make_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIGNUPS = "Nom;Prénom;Email\nMARTIN;Camille;camille@example.org\nDURAND;Jean;jean@example.org\n"


def _log_in_as(watch: ConsoleWatch, live_server, email: str) -> None:  # type: ignore[no-untyped-def]
    watch.page.context.clear_cookies()
    browser_login(watch.page, live_server, email, DEFAULT_PASSWORD)
    watch.settle()


def test_the_watch_reports_an_inline_script_the_policy_blocks(desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    # The check below is only worth something if it can fail: an inline script is refused.
    watch = ConsoleWatch(desktop_page)
    watch.visit(live_server.url + "/")
    desktop_page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ran = true'; document.body.append(s); }"
    )
    watch.settle()
    assert desktop_page.evaluate("window.ran === undefined")
    assert any("securitypolicyviolation: script-src" in p for p in watch.problems), watch.problems


def test_every_main_page_runs_under_the_policy_without_a_violation(
    desktop_page, live_server, tmp_path, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.MAILLAGE_UPLOAD_DIR = tmp_path
    url = live_server.url
    team = Team.objects.create(name="Porte-à-porte 3e")
    users = {
        role: UserFactory(email=f"{role.name.lower()}@example.org", role=role)
        for role in (Role.VOLUNTEER, Role.TEAM_LEADER, Role.ORGANISER, Role.STAFF, Role.ADMIN)
    }
    users[Role.VOLUNTEER].teams.add(team)
    odile = make_person(birth_name="LEBLANC", first_names="Odile", birth_year=1952)
    make_person(
        birth_name="DUPONT", first_names="Marie", birth_year=1953, birth_month=3, birth_day=12
    )
    make_person(
        birth_name="DUPOND", first_names="Marie", birth_year=1953, birth_month=3, birth_day=12
    )
    assign([odile], teams=[team])
    interaction_record(
        actor=None,
        person=odile,
        channel="phone",
        result="talked",
        support_level=SupportLevel.UNDECIDED,
        occurred_at=at("2026-02-01T18:00"),
    )
    results_import(path=election_helpers.LG2024_T2, election_slug="legislatives-2024")
    page = desktop_page
    watch = ConsoleWatch(page)

    # Visitors.
    for path in ("/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        watch.visit(url + path)

    # Each role's dashboard; a volunteer's people list and contact sheet.
    for role in (Role.VOLUNTEER, Role.TEAM_LEADER, Role.ORGANISER, Role.ADMIN):
        _log_in_as(watch, live_server, users[role].email)
        watch.visit(f"{url}/dashboard/")
        if role == Role.VOLUNTEER:
            watch.visit(f"{url}/people/")
            watch.visit(f"{url}/people/{odile.pk}/")

    # Staff: people, segments (the builder's live count is htmx), imports, duplicates, elections,
    # audit, accounts.
    _log_in_as(watch, live_server, users[Role.STAFF].email)
    for path in ("/dashboard/", "/people/", f"/people/{odile.pk}/", "/people/segments/"):
        watch.visit(url + path)
    watch.visit(f"{url}/people/segments/new/")
    page.get_by_label("Bureaux de vote").fill("13055_0001")
    page.get_by_label("Bureaux de vote").dispatch_event("change")
    page.get_by_test_id("segment-count-value").wait_for()
    page.get_by_label("Nom", exact=True).fill("Bureau 1")
    page.get_by_role("button", name="Enregistrer le segment").click()
    page.wait_for_url(f"{url}/people/segments/*/")
    watch.settle()

    watch.visit(f"{url}/people/lists/")
    watch.visit(f"{url}/people/lists/new/")
    page.get_by_label("Nom de la liste").fill("Bureau 1")
    page.get_by_label("À partir d'un segment").select_option(label="Bureau 1")
    page.get_by_role("button", name="Créer la liste").click()
    page.wait_for_url(f"{url}/people/lists/*/")
    page.get_by_label("Équipes").select_option(label="Porte-à-porte 3e")
    page.get_by_role("button", name="Attribuer la liste").click()
    page.wait_for_selector("text=Liste attribuée.")
    watch.settle()

    watch.visit(f"{url}/people/imports/")
    upload = tmp_path / "inscriptions.csv"
    upload.write_text(SIGNUPS, encoding="utf-8")
    page.get_by_label("Fichier (CSV ou XLSX)").set_input_files(str(upload))
    page.get_by_label("Source").fill("Inscriptions")
    page.get_by_role("button", name="Envoyer et associer les colonnes").click()
    page.wait_for_selector("[data-testid=mapping]")
    watch.settle()
    page.get_by_role("button", name="Lancer l'import").click()
    page.wait_for_selector("[data-testid=summary]")
    watch.settle()

    watch.visit(f"{url}/people/duplicates/")
    page.get_by_test_id("duplicate-search").click()
    page.wait_for_url(f"{url}/tasks/*/")
    watch.settle()

    watch.visit(f"{url}/elections/")
    watch.visit(f"{url}/elections/upload/")
    watch.visit(f"{url}/elections/close-races/")
    page.get_by_test_id("race-table").locator("tbody tr a").first.click()
    page.get_by_test_id("candidates-2").wait_for()
    watch.settle()
    for path in (
        "/audit/",
        "/accounts/profile/",
        "/accounts/2fa/setup/",
        "/accounts/users/",
        "/accounts/invitations/",
    ):
        watch.visit(url + path)

    # The admin, for a superuser who passed 2FA (Django's own templates under our policy).
    superuser = UserFactory(email="root@example.org", role=Role.ADMIN, is_superuser=True)
    _log_in_as(watch, live_server, superuser.email)
    page.goto(f"{url}/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=superuser, confirmed=False)
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    page.locator("input[name=token]").fill(f"{code:06d}")
    page.get_by_role("button", name="Confirmer").click()
    page.wait_for_selector("text=Double authentification activée.")
    watch.settle()
    for path in ("/admin/", "/admin/people/person/", "/admin/people/personlist/"):
        watch.visit(url + path)

    assert watch.problems == []
