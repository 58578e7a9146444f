"""The page shell's navigation: each app lists its entries in `<app>/navigation.py`.

An entry shows only to users whose role is at least `min_role`, so a volunteer never sees a
link to a page that would refuse them; `max_role` keeps a role's own page (a team leader's
team) out of the menus of the roles above, which have their own way to the same work.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from maillage.core.roles import Role, role_of


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    min_role: int
    order: int = 100
    icon: str = ""
    max_role: int | None = None
    # The menu the entry folds into on wide screens (a key of SECTIONS); "" = always on the bar.
    section: str = ""


# Staff have some twenty pages: the everyday ones stay on the bar, the rest fold into three
# menus, so the header keeps to one line of navigation. Keys, not labels, so that apps agree.
SECTIONS: dict[str, str | Promise] = {
    "data": pgettext_lazy("menu section: the campaign's records of people", "Fichier"),
    "campaign": _("Pilotage"),
    "admin": _("Administration"),
}


@cache
def _all_items() -> tuple[NavItem, ...]:
    items: list[NavItem] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("maillage."):
            continue
        try:
            module = import_module(f"{config.name}.navigation")
        except ModuleNotFoundError:
            continue
        items.extend(getattr(module, "NAV_ITEMS", ()))
    return tuple(sorted(items, key=lambda item: (item.order, str(item.label))))


@lru_cache(maxsize=64)
def _entries_for(
    level: int, script_prefix: str, urlconf: str
) -> tuple[tuple[str | Promise, str, str, str], ...]:
    """(label, url, icon, section) of the entries a role sees, reversed once per role, URL prefix and
    URLconf rather than on every page (labels stay lazy: they translate when the page renders)."""
    entries = []
    for item in _all_items():
        if level < item.min_role or (item.max_role is not None and level > item.max_role):
            continue
        try:
            url = reverse(item.url_name, urlconf=urlconf)
        except NoReverseMatch:
            continue
        entries.append((item.label, url, item.icon, item.section))
    return tuple(entries)


def navigation_for(user: object, current_path: str = "") -> list[dict[str, object]]:
    entries: list[dict[str, object]] = [
        {"label": label, "url": url, "icon": icon, "section": section, "active": False}
        for label, url, icon, section in _entries_for(
            role_of(user), get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF
        )
    ]
    # Only the entry with the longest URL that prefixes the path is current, so
    # /people/segments/ lights "Segments", not "Personnes" too.
    matching = [
        entry
        for entry in entries
        if current_path.startswith(str(entry["url"])) and entry["url"] != "/"
    ]
    if matching:
        max(matching, key=lambda entry: len(str(entry["url"])))["active"] = True
    return entries


def navigation_menu(entries: list[dict[str, object]]) -> list[dict[str, object]]:
    """The bar as it is drawn: entries without a section, and one menu per section holding two
    entries or more, at the place of its first entry (a single entry stays on the bar)."""
    by_section: dict[str, list[dict[str, object]]] = {}
    for entry in entries:
        if entry["section"]:
            by_section.setdefault(str(entry["section"]), []).append(entry)
    menu: list[dict[str, object]] = []
    placed: set[str] = set()
    for entry in entries:
        key = str(entry["section"])
        if not key or len(by_section[key]) < 2:
            menu.append(entry)
        elif key not in placed:
            placed.add(key)
            items = by_section[key]
            menu.append(
                {
                    "label": SECTIONS.get(key, key),
                    "group_entries": items,
                    "active": any(item["active"] for item in items),
                }
            )
    return menu


NAV_ITEMS = [
    NavItem(_("Tableau de bord"), "core:dashboard", Role.SUPPORTER, order=0, icon="⌂"),
    NavItem(
        _("Journal d'audit"), "core:audit_log", Role.STAFF, order=900, icon="≡", section="admin"
    ),
]
