"""The bar as drawn: everyday entries stay on it, a role's other pages fold into sections."""

from __future__ import annotations

from maillage.accounts.models import User
from maillage.core.navigation import navigation_for, navigation_menu
from maillage.core.roles import Role
from maillage.core.tests.base import BaseTestCase


def _drawn(role: Role, path: str = "") -> list[tuple[str, list[str]]]:
    menu = navigation_menu(navigation_for(User(role=role), path))
    return [
        (str(entry["label"]), [str(sub["label"]) for sub in entry.get("group_entries", [])])  # type: ignore[attr-defined]
        for entry in menu
    ]


class NavigationMenuTestCase(BaseTestCase):
    def test_staff_pages_fold_into_sections_placed_where_their_first_entry_was(self) -> None:
        drawn = _drawn(Role.STAFF)
        names = [label for label, _ in drawn]
        self.assertEqual(names[:4], ["Tableau de bord", "Personnes", "Segments", "Fichier"])
        sections = {label: items for label, items in drawn if items}
        self.assertEqual(set(sections), {"Fichier", "Pilotage", "Administration"})
        self.assertIn("Imports", sections["Fichier"])
        self.assertIn("Journal d'audit", sections["Administration"])
        self.assertNotIn("Imports", names)  # folded, not twice
        every = [item for _, items in drawn for item in items] + [n for n, i in drawn if not i]
        self.assertEqual(
            sorted(every), sorted(str(e["label"]) for e in navigation_for(User(role=Role.STAFF)))
        )

    def test_a_section_with_one_entry_for_a_role_stays_on_the_bar(self) -> None:
        # A team leader's only "Pilotage" page is the field progress: no menu of one.
        drawn = _drawn(Role.TEAM_LEADER)
        self.assertIn(("Avancement terrain", []), drawn)
        self.assertFalse(any(items for _, items in drawn))

    def test_the_section_of_the_current_page_is_marked(self) -> None:
        menu = navigation_menu(navigation_for(User(role=Role.STAFF), "/audit/"))
        admin = next(entry for entry in menu if str(entry["label"]) == "Administration")
        self.assertTrue(admin["active"])
        files = next(entry for entry in menu if str(entry["label"]) == "Fichier")
        self.assertFalse(files["active"])


class DrawnMenuTestCase(BaseTestCase):
    """The menu's HTML is made once per role, language and current entry, then reused: each
    page still gets the menu of its reader's role, in their language, with its own page marked."""

    def nav(self, path: str, **extra: str) -> str:
        html = self.client.get(path, **extra).content.decode()
        return html[html.index('data-testid="main-nav"') : html.index("</nav>")]

    def test_each_role_language_and_page_gets_its_own_menu(self) -> None:
        self.login(self.owner)
        people = self.nav("/people/")
        self.assertIn('href="/people/" aria-current="page"', people)
        self.assertIn("Journal d&#x27;audit", people)
        segments = self.nav("/people/segments/")
        self.assertIn('href="/people/segments/" aria-current="page"', segments)
        self.assertNotIn('href="/people/" aria-current="page"', segments)
        self.assertIn('href="/people/" aria-current="page"', self.nav("/people/"))
        self.client.cookies["django_language"] = "en"
        english = self.nav("/people/")
        self.assertIn("Dashboard", english)
        self.assertNotIn("Tableau de bord", english)
        self.client.cookies["django_language"] = "fr"
        self.assertIn("Tableau de bord", self.nav("/people/"))
        self.login(self.teammate)
        volunteer = self.nav("/people/")
        self.assertNotIn("audit", volunteer)
        self.assertIn('href="/people/" aria-current="page"', volunteer)


def test_the_page_header_draws_without_the_context_processors() -> None:
    """base.html rendered from a plain context (no request, no context processors): the header
    falls back to an anonymous visitor's, not to an error."""
    from django.template import Context, engines

    page = engines["django"].engine.from_string(
        '{% extends "base.html" %}{% block content %}<p>Corps</p>{% endblock %}'
    )
    html = page.render(Context({}))
    assert 'class="topbar"' in html
    assert "/accounts/login/" in html
    assert "<p>Corps</p>" in html
