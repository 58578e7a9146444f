"""Navigation entries of the people app (each shown only from the role that can use the page)."""

from django.utils.translation import gettext_lazy as _

from maillage.core.navigation import NavItem
from maillage.core.roles import Role

NAV_ITEMS = [
    NavItem(_("Personnes"), "people:person_list", Role.VOLUNTEER, order=20, icon="☺"),
    # A team leader's own page: organisers work a territory and staff every list, each from
    # their own pages (the team page still opens to them if they lead a team).
    NavItem(
        _("Mon équipe"),
        "people:team_detail",
        Role.TEAM_LEADER,
        order=24,
        icon="⚑",
        max_role=Role.TEAM_LEADER,
    ),
    NavItem(_("Segments"), "people:segment_list", Role.ORGANISER, order=21, icon="◎"),
    NavItem(_("Listes"), "people:list_index", Role.STAFF, order=22, icon="▤", section="data"),
    NavItem(_("Doublons"), "people:duplicate_list", Role.STAFF, order=22, icon="≈", section="data"),
    NavItem(_("Imports"), "people:import_list", Role.STAFF, order=23, icon="⇪", section="data"),
    NavItem(
        _("Questions"), "people:question_list", Role.STAFF, order=25, icon="?", section="campaign"
    ),
    NavItem(
        _("Règles de suivi"),
        "people:contact_policy",
        Role.STAFF,
        order=26,
        icon="↻",
        section="campaign",
    ),
    NavItem(
        _("Persuasion"), "people:persuasion", Role.STAFF, order=27, icon="⇄", section="campaign"
    ),
    NavItem(_("Géocodage"), "people:geocoding", Role.STAFF, order=23, icon="⌖", section="data"),
]
