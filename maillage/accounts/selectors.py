"""Reads for accounts."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from maillage.accounts.models import Invitation, RecoveryCode, User, Zone
from maillage.core.errors import NotFound, PermissionDenied
from maillage.core.roles import Role


def user_has_confirmed_totp(*, user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def user_zone_codes(*, user: User) -> QuerySet[Zone, str]:
    """The official codes of the user's zones (commune, constituency or department), as a
    subquery for scoping: lazy, it runs inside the query that uses it."""
    return Zone.objects.filter(users=user).exclude(code="").values_list("code", flat=True)


def grantable_roles(*, actor: User) -> list[Role]:
    """The roles this user may give, by invitation or role change: staff and above, up to their
    own role (staff cannot make an administrator). Forms offer these; services check them."""
    if actor.role < Role.STAFF:
        return []
    return [role for role in Role if role <= actor.role]


def totp_device_pending(*, user: User) -> TOTPDevice | None:
    """The device being set up (its QR code shown, no code given yet), if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def recovery_codes_remaining(*, user: User) -> int:
    return RecoveryCode.objects.filter(device__user=user, used_at=None).count()


def invitation_list(*, actor: User) -> QuerySet[Invitation]:
    if actor.role < Role.STAFF:
        raise PermissionDenied(_("Seule l'équipe de campagne voit les invitations."))
    return Invitation.objects.select_related("invited_by", "team", "zone").order_by("-created_at")


def user_list(*, actor: User) -> QuerySet[User]:
    if actor.role < Role.STAFF:
        raise PermissionDenied(_("Seule l'équipe de campagne voit la liste des comptes."))
    return User.objects.prefetch_related("teams", "zones").order_by("-role", "email")


def access_user(*, actor: User, user_id: int) -> User:
    if actor.role < Role.STAFF and actor.pk != user_id:
        raise NotFound(_("Ce compte n'existe pas."))
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("Ce compte n'existe pas."))
    return user


def invitation_by_token(*, token: str) -> Invitation:
    invitation = Invitation.objects.filter(token=token).first()
    if invitation is None or not invitation.is_usable:
        raise NotFound(_("Cette invitation n'est plus valable."))
    return invitation
