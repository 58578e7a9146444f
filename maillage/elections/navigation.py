"""Navigation entries of the elections pages: targets from organiser up, results for staff."""

from django.utils.translation import gettext_lazy as _

from maillage.core.navigation import NavItem
from maillage.core.roles import Role

NAV_ITEMS = [
    NavItem(_("Cibles électorales"), "elections:close_races", Role.ORGANISER, order=300, icon="◎"),
    NavItem(
        _("Résultats électoraux"), "elections:list", Role.STAFF, order=310, icon="▤", section="data"
    ),
]
