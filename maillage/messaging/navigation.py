"""Navigation entries of messaging (staff: a campaign writes to a segment of the whole base)."""

from django.utils.translation import gettext_lazy as _

from maillage.core.navigation import NavItem
from maillage.core.roles import Role

NAV_ITEMS = [NavItem(_("Campagnes"), "messaging:campaign_list", Role.STAFF, order=40, icon="✉")]
