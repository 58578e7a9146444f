"""Writes for accounts: sign-up and email confirmation, invitations, roles, two-factor devices."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from maillage.accounts.models import Invitation, Team, User, Zone
from maillage.accounts.selectors import grantable_roles
from maillage.core.errors import ApplicationError, PermissionDenied
from maillage.core.models import AuditLogEntry
from maillage.core.roles import Role
from maillage.core.services import audit_log_record

_CONFIRM_SALT = "maillage.accounts.confirm-email"
CONFIRMATION_MAX_AGE = 60 * 60 * 48


def _send(*, to: str, subject: str, template: str, context: dict[str, Any]) -> None:
    body = render_to_string(template, {**context, "site_url": settings.SITE_URL})
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


def user_signup(*, email: str, password: str, full_name: str = "") -> User:
    """Public sign-up: the account stays inactive until the email link is followed."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError(
            _("Un compte existe déjà avec cette adresse. Utilisez « mot de passe oublié ».")
        )
    with transaction.atomic():
        user = User.objects.create_user(
            email=email,
            password=password,
            full_name=full_name.strip(),
            is_active=False,
            role=Role.SUPPORTER,
        )
        audit_log_record(
            actor=None,
            action=AuditLogEntry.Action.CREATE,
            target=user,
            changes={"source": "signup"},
        )
        token = signing.dumps({"user": user.pk, "email": user.email}, salt=_CONFIRM_SALT)
        link = settings.SITE_URL + reverse("accounts:confirm_email", args=[token])
        transaction.on_commit(
            lambda: _send(
                to=email,
                subject=_("Confirmez votre adresse e-mail"),
                template="accounts/email/confirm.txt",
                context={"user": user, "link": link},
            )
        )
    return user


def user_confirm_email(*, token: str) -> User:
    try:
        data = signing.loads(token, salt=_CONFIRM_SALT, max_age=CONFIRMATION_MAX_AGE)
    except signing.SignatureExpired:
        raise ApplicationError(
            _("Ce lien a expiré. Inscrivez-vous à nouveau pour en recevoir un autre.")
        ) from None
    except signing.BadSignature:
        raise ApplicationError(_("Ce lien de confirmation n'est pas valide.")) from None
    user = User.objects.filter(pk=data.get("user"), email=data.get("email")).first()
    if user is None:
        raise ApplicationError(_("Ce lien de confirmation n'est pas valide."))
    if user.email_confirmed_at is None:
        user.email_confirmed_at = timezone.now()
        user.is_active = True
        user.save(update_fields=["email_confirmed_at", "is_active"])
        audit_log_record(
            actor=user,
            action=AuditLogEntry.Action.UPDATE,
            target=user,
            changes={"email_confirmed": [False, True]},
        )
    return user


def invitation_create(
    *, actor: User, email: str, role: int, team: Team | None = None, zone: Zone | None = None
) -> Invitation:
    if actor.role < Role.STAFF:
        raise PermissionDenied(_("Seule l'équipe de campagne peut inviter."))
    if role not in grantable_roles(actor=actor):
        raise PermissionDenied(
            _("Vous ne pouvez pas inviter quelqu'un à un rôle supérieur au vôtre.")
        )
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError(
            _("Cette personne a déjà un compte : changez son rôle plutôt que de l'inviter.")
        )
    with transaction.atomic():
        Invitation.objects.filter(email__iexact=email, accepted_at__isnull=True).delete()
        invitation = Invitation.objects.create(
            email=email, role=role, team=team, zone=zone, invited_by=actor
        )
        audit_log_record(
            actor=actor,
            action=AuditLogEntry.Action.INVITE,
            target=invitation,
            changes={"role": Role(role).label},
        )
        link = settings.SITE_URL + reverse("accounts:accept_invitation", args=[invitation.token])
        transaction.on_commit(
            lambda: _send(
                to=email,
                subject=_("Vous êtes invité·e à rejoindre la campagne"),
                template="accounts/email/invitation.txt",
                context={"invitation": invitation, "link": link, "inviter": actor},
            )
        )
    return invitation


def invitation_accept(*, token: str, password: str, full_name: str) -> User:
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(token=token).first()
        if invitation is None or not invitation.is_usable:
            raise ApplicationError(
                _("Cette invitation n'est plus valable. Demandez-en une nouvelle.")
            )
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise ApplicationError(_("Un compte existe déjà avec cette adresse."))
        user = User.objects.create_user(
            email=invitation.email,
            password=password,
            full_name=full_name.strip(),
            role=invitation.role,
            email_confirmed_at=timezone.now(),
        )
        if invitation.team_id:
            user.teams.add(invitation.team_id)
        if invitation.zone_id:
            user.zones.add(invitation.zone_id)
        invitation.accepted_at = timezone.now()
        invitation.accepted_user = user
        invitation.save(update_fields=["accepted_at", "accepted_user"])
        audit_log_record(
            actor=user,
            action=AuditLogEntry.Action.CREATE,
            target=user,
            changes={"source": "invitation", "invitation": invitation.pk},
        )
    return user


def user_set_role(*, actor: User, user: User, role: int) -> User:
    if actor.role < Role.STAFF:
        raise PermissionDenied(_("Seule l'équipe de campagne peut changer un rôle."))
    if role not in grantable_roles(actor=actor) or user.role > actor.role:
        raise PermissionDenied(
            _("Vous ne pouvez pas attribuer ou retirer un rôle supérieur au vôtre.")
        )
    if user.pk == actor.pk:
        raise PermissionDenied(_("Vous ne pouvez pas changer votre propre rôle."))
    old = user.role
    if old == role:
        return user
    user.role = role
    user.save(update_fields=["role"])
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.ROLE_CHANGE,
        target=user,
        changes={"role": [Role(old).label, Role(role).label]},
    )
    return user


def totp_device_start(*, user: User) -> TOTPDevice:
    """An unconfirmed device: its QR code is shown until a first code proves the phone has it."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(
        user=user, name="Application d'authentification", confirmed=False
    )


def totp_device_confirm(*, user: User, device: TOTPDevice, token: str) -> None:
    if device.user_id != user.pk:
        raise PermissionDenied(_("Cet appareil n'est pas le vôtre."))
    if not device.verify_token(token.strip().replace(" ", "")):
        raise ApplicationError(
            _("Ce code ne correspond pas. Vérifiez l'heure de votre téléphone et réessayez.")
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_log_record(
            actor=user,
            action=AuditLogEntry.Action.TWO_FACTOR,
            target=user,
            changes={"totp": "enabled"},
        )


def totp_device_remove(*, user: User) -> None:
    deleted, _count = TOTPDevice.objects.filter(user=user).delete()
    if deleted:
        audit_log_record(
            actor=user,
            action=AuditLogEntry.Action.TWO_FACTOR,
            target=user,
            changes={"totp": "disabled"},
        )
