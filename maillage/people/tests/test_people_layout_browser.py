"""Layout in a real browser at 390 px (a phone) and 1280 px (a laptop): the people list as
cards on a phone, long words that never widen a page, a header on two rows at most, the
contact sheet's panels side by side with their tops aligned."""

from __future__ import annotations

import pytest
from django.db import connection

from maillage.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from maillage.core.roles import Role
from maillage.core.tests.browser import browser_login, screenshot
from maillage.people.models import SupportLevel
from maillage.people.services.interactions import interaction_record
from maillage.people.tests.helpers import at, make_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE_WIDTH = "document.documentElement.scrollWidth"


def _people() -> None:
    rows = [
        ("ADAM", "", "Sophie", "F", 1961, "12", "rue de la République"),
        ("ADAM", "", "Émilie", "F", 1990, "3", "boulevard Longchamp"),
        ("MARTIN", "BERNARD", "Lucie", "F", 1978, "8", "rue Paradis"),
        ("GARCIA", "", "Jean-Baptiste", "M", 1947, "145", "avenue du Prado"),
        ("NGUYEN", "", "Thi Minh Châu", "F", 2002, "27", "cours Julien"),
    ]
    for birth, usage, first, sex, year, number, street in rows:
        person = make_person(
            birth_name=birth,
            usage_name=usage,
            first_names=first,
            sex=sex,
            birth_year=year,
            address_number=number,
            address_street=street,
            postcode="13006",
            commune_name="Marseille",
        )
        if first in ("Sophie", "Jean-Baptiste"):
            interaction_record(
                actor=None,
                person=person,
                channel="door",
                result="talked",
                support_level=SupportLevel.LEANING_FOR,
                occurred_at=at("2026-02-01T18:00"),
            )


def test_the_people_list_is_a_list_of_cards_on_a_phone(page, live_server) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="sara@example.org", full_name="Sara Staff", role=Role.STAFF)
    _people()
    browser_login(page, live_server, "sara@example.org", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/people/")
    names = page.get_by_test_id("person-link").all_inner_texts()
    # By the name shown, accents ignored: Émilie before Sophie, the married name where it shows.
    assert names[:3] == ["ADAM Émilie", "ADAM Sophie", "BERNARD Lucie"], names
    rows = page.get_by_test_id("person-row")
    assert rows.first.evaluate("row => getComputedStyle(row).display") == "block"
    box = rows.first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert rows.first.inner_text().split("\n")[:3] == [
        "ADAM Émilie",
        "36",
        "3 boulevard Longchamp, Marseille",
    ]
    # Each line of a card says what it is (a label drawn by CSS from `data-label`).
    label = "cell => getComputedStyle(cell, '::before').content"
    assert rows.first.locator("td").nth(1).evaluate(label) == '"Âge : "'
    # The column headers stay as sort links; the address, not sortable, is not one of them.
    assert not page.get_by_role("columnheader", name="Adresse").is_visible()
    assert page.evaluate(PAGE_WIDTH) <= 390
    screenshot(page, "people-list-phone")
    page.get_by_role("link", name="Nom").click()
    page.wait_for_url("**sort=-name")
    assert page.get_by_test_id("person-link").first.inner_text() == "NGUYEN Thi Minh Châu"


def test_a_ten_thousand_character_name_never_widens_a_page(page, desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="sara@example.org", full_name="Sara Staff", role=Role.STAFF)
    # SQLite keeps the 10,000 characters an import gave it (as the issue saw); PostgreSQL's
    # column stops at 150. The notes (a text column) carry a 10,000-character word on both.
    word = "W" * 10_000
    name = word if connection.vendor == "sqlite" else word[:150]
    person = make_person(
        birth_name=name,
        usage_name=name,
        first_names=word[:200],
        birth_place=word[:150],
        address_street=word[:200],
        commune_name=word[:150],
        notes=word,
        sex="F",
    )
    for view, width in ((page, 390), (desktop_page, 1280)):
        browser_login(view, live_server, "sara@example.org", DEFAULT_PASSWORD)
        for url in ("/people/", f"/people/{person.pk}/", "/people/?q=www"):
            view.goto(f"{live_server.url}{url}")
            assert view.evaluate(PAGE_WIDTH) <= width, (url, width, view.evaluate(PAGE_WIDTH))
        # The list cuts the name; the sheet wraps it.
        view.goto(f"{live_server.url}/people/")
        assert len(view.get_by_test_id("person-link").inner_text()) < 130
    # On a laptop the list is still a table: each column under its header.
    headers = desktop_page.get_by_test_id("person-table").locator("th").all()
    cells = desktop_page.get_by_test_id("person-row").first.locator("td").all()
    for header, cell in zip(headers, cells, strict=True):
        top, bottom = header.bounding_box(), cell.bounding_box()
        assert top and bottom and top["x"] == bottom["x"] and top["y"] < bottom["y"], (top, bottom)


def test_the_header_takes_two_rows_at_most_on_a_laptop(desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="ada@example.org", full_name="Ada Admin", role=Role.ADMIN)
    page = desktop_page
    browser_login(page, live_server, "ada@example.org", DEFAULT_PASSWORD)
    # The bar: the everyday entries and the sections' names (their entries fold under them).
    links = page.get_by_test_id("main-nav").locator(":scope > ul > li > a, .nav-group summary")
    assert links.count() >= 10
    tops = {round(box["y"]) for box in (link.bounding_box() for link in links.all()) if box}
    widths = [link.bounding_box()["width"] for link in links.all()]  # type: ignore[index]
    assert len(tops) == 1, (tops, widths, page.locator(".menu nav > ul").bounding_box())
    brand = page.locator(".brand").bounding_box()
    logout = page.get_by_role("button", name="Déconnexion").bounding_box()
    assert brand and logout and abs(brand["y"] - logout["y"]) < 20, (brand, logout)
    header = page.locator("header.topbar").bounding_box()
    assert header is not None and header["height"] <= 100, header
    assert page.evaluate(PAGE_WIDTH) <= 1280


def test_the_contact_sheet_panels_line_up_on_a_laptop(desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="sara@example.org", full_name="Sara Staff", role=Role.STAFF)
    person = make_person(
        birth_name="LEBLANC",
        first_names="Odile",
        sex="F",
        birth_year=1952,
        address_number="8",
        address_street="rue Paradis",
        postcode="13006",
        commune_name="Marseille",
    )
    for day, level in (("01", 3), ("08", 3), ("15", 2)):
        interaction_record(
            actor=None,
            person=person,
            channel="door",
            result="talked",
            support_level=level,
            occurred_at=at(f"2026-03-{day}T10:00"),
        )
    page = desktop_page
    browser_login(page, live_server, "sara@example.org", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/people/{person.pk}/")
    first, second = (p.bounding_box() for p in page.locator(".panels > .panel").all()[:2])
    assert first and second
    assert first["y"] == second["y"] and abs(first["width"] - second["width"]) < 2, (first, second)
    history = page.get_by_test_id("support-history").inner_text()
    assert "Indécis → Plutôt pour" in history and history.count("Indécis") == 2, history
    assert first["height"] == second["height"], (first, second)  # side by side, same height
    assert page.evaluate(PAGE_WIDTH) <= 1280
