"""The demo campaign in a real browser: each demo login sees its own navigation and its own
people (#12 "what a campaign sees"). The small demo is loaded once for all the roles."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from maillage.accounts.demo import DEMO_PASSWORD
from maillage.core.tests.browser import browser_login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# In the page's order: the sections' entries sit where the section does (Fichier, Pilotage,
# Administration fold on a wide screen).
STAFF_NAV = [
    "Tableau de bord",
    "Personnes",
    "Segments",
    *["Doublons", "Listes", "Géocodage", "Imports", "Résultats électoraux"],
    *["Questions", "Règles de suivi", "Persuasion", "Scripts", "Avancement terrain"],
    "Persuasion par secteur",
    "Appels",
    "Secteurs",
    "Campagnes",
    "Cibles électorales",
    "Forum participatif",
    *["Comptes", "Invitations", "Journal d'audit"],
]
FIELD_NAV = ["Appels", "Secteurs", "Porte-à-porte"]  # phone bank, turfs, the doorstep app
# (login, navigation in order, people in scope as the dashboard counts them)
ROLES = [
    ("admin@demo.maillage.fr", STAFF_NAV, 512),
    ("staff@demo.maillage.fr", STAFF_NAV, 512),
    (
        "organisatrice@demo.maillage.fr",
        [
            "Tableau de bord",
            "Personnes",
            "Segments",
            *FIELD_NAV,
            "Avancement terrain",
            "Cibles électorales",
            "Forum participatif",
        ],
        500,
    ),
    (
        "chef@demo.maillage.fr",
        [
            "Tableau de bord",
            "Personnes",
            "Mon équipe",
            *FIELD_NAV,
            "Avancement terrain",
            "Forum participatif",
        ],
        287,  # the team's list, her own list to hand out and the team's turf
    ),
    (
        "benevole@demo.maillage.fr",
        ["Tableau de bord", "Personnes", *FIELD_NAV, "Forum participatif"],
        187,  # the team's list and turf, his own turf (the same bureau as the list)
    ),
    ("sympathisant@demo.maillage.fr", ["Tableau de bord", "Forum participatif"], None),
]


def _navigation(page) -> list[str]:  # type: ignore[no-untyped-def]
    # The label follows the icon's span; read it whether the phone menu is folded or not.
    return (
        page.get_by_test_id("main-nav")
        .locator("a")
        .evaluate_all("links => links.map(link => link.lastChild.textContent.trim())")
    )


def _tile(page, title: str):  # type: ignore[no-untyped-def]
    return page.locator("article.tile").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    )


def test_each_demo_role_sees_its_own_navigation_and_people(  # type: ignore[no-untyped-def]
    desktop_page, live_server, settings, tmp_path
) -> None:
    settings.MAILLAGE_UPLOAD_DIR = tmp_path
    call_command("load_demo", "--small", stdout=io.StringIO())
    page = desktop_page
    for email, navigation, people in ROLES:
        page.context.clear_cookies()
        browser_login(page, live_server, email, DEMO_PASSWORD)
        assert _navigation(page) == navigation, email
        if people is None:
            assert _tile(page, "Personnes").count() == 0
        else:
            assert _tile(page, "Personnes").locator(".tile-value").inner_text() == str(people)
        # Support in bulk (an undecided count) only for the roles that may see support.
        assert (_tile(page, "Indécis").count() == 1) == (navigation == STAFF_NAV), email

    # The organiser: her department's close races, the demo commune's one counting its people.
    page.context.clear_cookies()
    browser_login(page, live_server, "organisatrice@demo.maillage.fr", DEMO_PASSWORD)
    page.get_by_test_id("main-nav").get_by_role("link", name="Cibles électorales").click()
    rows = page.get_by_test_id("race-table").locator("tbody tr")
    assert rows.count() == 16  # the constituencies of Bouches-du-Rhône
    vallon = rows.filter(has_text="Bouches-du-Rhône 11e circonscription")
    assert vallon.locator("td").last.inner_text().startswith("500 /")
    screenshot(page, "organiser-targets")
    page.get_by_test_id("main-nav").get_by_role("link", name="Segments").click()
    segments = page.get_by_test_id("segment-table").inner_text()
    assert "Seniors du bureau 3" in segments
    assert "Indécis avec téléphone" not in segments  # selects by support: staff only

    # The team leader: her team's list and how far it has got.
    page.context.clear_cookies()
    browser_login(page, live_server, "chef@demo.maillage.fr", DEMO_PASSWORD)
    page.get_by_test_id("main-nav").get_by_role("link", name="Mon équipe").click()
    lists = page.get_by_test_id("team-lists").inner_text()
    assert "Démo — porte-à-porte bureau 1" in lists and "24" in lists
    assert "Victor Bénévole" in page.get_by_test_id("team-members").inner_text()
    screenshot(page, "team-leader-team")

    # The volunteer: his list on the dashboard, and nobody else on the people page.
    page.context.clear_cookies()
    browser_login(page, live_server, "benevole@demo.maillage.fr", DEMO_PASSWORD)
    assert "Démo — porte-à-porte bureau 1" in _tile(page, "Mes listes").inner_text()
    page.goto(f"{live_server.url}/people/?q=ROUSSEL")  # an online sign-up in Lyon
    assert "ROUSSEL" not in page.get_by_test_id("person-table").inner_text()
