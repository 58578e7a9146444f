"""Navigation entries of the canvassing app."""

from django.utils.translation import gettext_lazy as _

from maillage.core.navigation import NavItem
from maillage.core.roles import Role

NAV_ITEMS = [
    # Volunteers see the turfs handed to them; organisers and staff cut and hand them out.
    NavItem(_("Secteurs"), "canvassing:turf_list", Role.VOLUNTEER, order=30, icon="⌖"),
]
