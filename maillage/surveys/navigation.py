"""Navigation entry of the script editor (staff)."""

from django.utils.translation import gettext_lazy as _

from maillage.core.navigation import NavItem
from maillage.core.roles import Role

NAV_ITEMS = [
    NavItem(_("Scripts"), "surveys:script_list", Role.STAFF, order=28, icon="✎", section="campaign")
]
