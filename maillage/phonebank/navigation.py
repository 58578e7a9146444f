"""Navigation entry of the phone bank: callers see their campaigns; the lead every campaign."""

from django.utils.translation import gettext_lazy as _

from maillage.core.navigation import NavItem
from maillage.core.roles import Role

NAV_ITEMS = [
    NavItem(_("Appels"), "phonebank:campaign_list", Role.VOLUNTEER, order=30, icon="☎"),
]
