"""Navigation entry of the forum: every signed-in person (supporters included)."""

from django.utils.translation import gettext_lazy as _

from maillage.core.navigation import NavItem
from maillage.core.roles import Role

NAV_ITEMS = [NavItem(_("Forum participatif"), "forum:index", Role.SUPPORTER, order=500, icon="✎")]
