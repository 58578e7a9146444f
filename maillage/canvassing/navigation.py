"""Navigation entries of the canvassing app (each shown only from the role that can use the page)."""

from django.utils.translation import gettext_lazy as _

from maillage.core.navigation import NavItem
from maillage.core.roles import Role

NAV_ITEMS = [
    # Volunteers see the turfs handed to them; organisers and staff cut and hand them out.
    NavItem(_("Secteurs"), "canvassing:turf_list", Role.VOLUNTEER, order=30, icon="⌖"),
    # The doorstep app: the turfs handed to the user, opened on a phone, offline too.
    # Staff cut and hand out turfs from "Secteurs"; the doorstep app is for those who knock
    # (staff can still open it), and leaving it off their bar keeps the header on one line.
    NavItem(
        _("Porte-à-porte"),
        "canvassing:doorstep_home",
        Role.VOLUNTEER,
        order=31,
        icon="⌂",
        max_role=Role.ORGANISER,
    ),
    NavItem(
        _("Avancement terrain"),
        "canvassing:doorstep_progress",
        Role.TEAM_LEADER,
        order=32,
        icon="▦",
        section="campaign",
    ),
    NavItem(
        _("Persuasion par secteur"),
        "canvassing:doorstep_persuasion",
        Role.STAFF,
        order=33,
        icon="⇄",
        section="campaign",
    ),
]
