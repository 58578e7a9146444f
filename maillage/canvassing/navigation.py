"""Navigation entries of canvassing (each shown only from the role that can use the page)."""

from django.utils.translation import gettext_lazy as _

from maillage.core.navigation import NavItem
from maillage.core.roles import Role

NAV_ITEMS = [
    # The doorstep app: the turfs handed to the user, opened on a phone.
    NavItem(_("Porte-à-porte"), "canvassing:doorstep_home", Role.VOLUNTEER, order=30, icon="⌂"),
    NavItem(
        _("Avancement terrain"),
        "canvassing:doorstep_progress",
        Role.TEAM_LEADER,
        order=31,
        icon="▦",
    ),
    NavItem(
        _("Persuasion par secteur"),
        "canvassing:doorstep_persuasion",
        Role.STAFF,
        order=32,
        icon="⇄",
    ),
]
