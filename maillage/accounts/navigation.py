from django.utils.translation import gettext_lazy as _

from maillage.core.navigation import NavItem
from maillage.core.roles import Role

NAV_ITEMS = [
    NavItem(_("Comptes"), "accounts:users", Role.STAFF, order=800, icon="☺", section="admin"),
    NavItem(
        _("Invitations"), "accounts:invitations", Role.STAFF, order=810, icon="✉", section="admin"
    ),
]
