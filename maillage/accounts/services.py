"""Writes for accounts: sign-up and email confirmation, invitations, roles, two-factor devices."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from maillage.accounts.models import (
    Invitation,
    RecoveryCode,
    RecoveryCodeDevice,
    Team,
    User,
    Zone,
    recovery_code_digest,
)
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


SIGNUP_NOTICE_INTERVAL = 60 * 60


def user_signup(*, email: str, password: str, full_name: str = "") -> User | None:
    """Public sign-up: the account stays inactive until the email link is followed.

    An address that already has an account gets the same answer (the page must not tell who
    has an account here) and no new account; its owner is told by email instead. Returns the
    user mailed a confirmation link, or None when the address was taken.
    """
    email = email.strip().lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None and _signup_expired(existing):
        return _signup_restart(user=existing, password=password, full_name=full_name)
    if existing is None:
        try:
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
                _send_confirmation(user=user)
            return user
        except IntegrityError:  # the same address signed up at the same instant
            existing = User.objects.filter(email__iexact=email).first()
            if existing is None:
                raise
    # Hash the password anyway, so that the time taken does not tell either.
    make_password(password)
    _signup_notice_existing(user=existing)
    return None


def _signup_expired(user: User) -> bool:
    """A sign-up never confirmed whose every link has expired: nobody can activate it."""
    return (
        user.email_confirmed_at is None
        and not user.is_active
        and user.date_joined < timezone.now() - timedelta(seconds=CONFIRMATION_MAX_AGE)
    )


def _signup_restart(*, user: User, password: str, full_name: str) -> User:
    """Sign up again over an expired sign-up, as its expiry message invites: the old password
    could never be used, so the new one replaces it, with a fresh link."""
    with transaction.atomic():
        user.set_password(password)
        user.full_name = full_name.strip()
        user.date_joined = timezone.now()
        user.save(update_fields=["password", "full_name", "date_joined"])
        audit_log_record(
            actor=None,
            action=AuditLogEntry.Action.UPDATE,
            target=user,
            changes={"source": "signup", "restarted": True},
        )
        _send_confirmation(user=user)
    return user


def _send_confirmation(*, user: User) -> None:
    token = signing.dumps({"user": user.pk, "email": user.email}, salt=_CONFIRM_SALT)
    link = settings.SITE_URL + reverse("accounts:confirm_email", args=[token])
    transaction.on_commit(
        lambda: _send(
            to=user.email,
            subject=_("Confirmez votre adresse e-mail"),
            template="accounts/email/confirm.txt",
            context={"user": user, "link": link},
        )
    )


def _signup_notice_existing(*, user: User) -> None:
    """Tell the owner of an address that someone tried to sign up with it, at most once per
    SIGNUP_NOTICE_INTERVAL per address: the form must not become a way to flood a mailbox.

    A sign-up still waiting for confirmation gets no new link: whoever signed up first chose
    its password, and a link sent now would let the address's owner activate a stranger's
    password.
    """
    digest = hashlib.sha256(user.email.lower().encode()).hexdigest()
    # cache.add is atomic: of two tries at the same time, one mails. With several web
    # processes the count is shared only when REDIS_URL is set.
    if not cache.add(f"maillage.signup-notice.{digest}", True, SIGNUP_NOTICE_INTERVAL):
        return
    context = {
        "user": user,
        "pending": user.email_confirmed_at is None and not user.is_active,
        "reset_link": settings.SITE_URL + reverse("accounts:password_reset"),
        "login_link": settings.SITE_URL + reverse("accounts:login"),
    }
    transaction.on_commit(
        lambda: _send(
            to=user.email,
            subject=_("Quelqu'un a essayé de s'inscrire avec votre adresse"),
            template="accounts/email/signup_existing.txt",
            context=context,
        )
    )


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


# Two-factor authentication. Turning it off, replacing the phone or making new recovery codes
# needs a current code (from the phone, or a recovery code), not only a session: a stolen
# password, or a session left open, must not be enough to remove the second factor. Every change
# writes an audit row and emails the owner, after commit.

RECOVERY_CODE_COUNT = 10
# No i, l, o, 0 or 1: codes are copied by hand. 31 symbols, 12 of them: about 59 random bits.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _two_factor_audit(*, user: User, changes: dict[str, Any]) -> None:
    audit_log_record(
        actor=user, action=AuditLogEntry.Action.TWO_FACTOR, target=user, changes=changes
    )


def _two_factor_notify(*, user: User, events: list[str]) -> None:
    """One email to the owner listing what changed. Sent after commit and `robust`: a mail
    server down must neither undo the change nor lock the owner out of a recovery code."""
    if not events:
        return
    context = {
        "user": user,
        "events": events,
        "link": settings.SITE_URL + reverse("accounts:profile"),
        "reset_link": settings.SITE_URL + reverse("accounts:password_reset"),
    }
    transaction.on_commit(
        lambda: _send(
            to=user.email,
            subject=_("Sécurité de votre compte : double authentification"),
            template="accounts/email/two_factor_changed.txt",
            context=context,
        ),
        robust=True,
    )


def _second_factor_match(*, user: User, token: str, events: list[str]) -> Device | None:
    """The user's confirmed device that `token` belongs to, or None.

    Six digits are tried on the phone only, anything else on the recovery codes only, so a
    mistyped recovery code never counts against the phone's throttling. A recovery code that
    matches is spent: the audit log says so and `events` gains a line for the owner's email.
    Runs outside any transaction of the caller's, so that django-otp's record of a failure (its
    throttling) is kept even when the caller then refuses.
    """
    token = "".join(token.split())
    if re.fullmatch(r"[0-9]{6}", token):
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(token):
                return device
        return None
    recovery = RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()
    if recovery is None or not token or not recovery.verify_token(token):
        return None
    remaining = recovery.codes.filter(used_at=None).count()
    _two_factor_audit(user=user, changes={"recovery_codes": "used", "remaining": remaining})
    events.append(
        _("Un code de secours a été utilisé pour votre compte ; il vous en reste %(count)d.")
        % {"count": remaining}
    )
    return recovery


def _recovery_codes_create(*, user: User, events: list[str]) -> list[str]:
    """Replace the user's recovery codes; the plain codes are returned once and never stored."""
    device, _created = RecoveryCodeDevice.objects.get_or_create(
        user=user, defaults={"name": "Codes de secours", "confirmed": True}
    )
    device.codes.all().delete()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, digest=recovery_code_digest(user_id=user.pk, code=code))
        for code in codes
    )
    _two_factor_audit(user=user, changes={"recovery_codes": "generated"})
    events.append(
        _("%(count)d codes de secours ont été créés ; les précédents ne fonctionnent plus.")
        % {"count": len(codes)}
    )
    return codes


def two_factor_verify(*, user: User, token: str) -> Device:
    """The device that proves the second factor after the password: the phone's code or a
    recovery code (spent, and the owner told)."""
    events: list[str] = []
    device = _second_factor_match(user=user, token=token, events=events)
    if device is None:
        raise ApplicationError(_("Code incorrect."))
    _two_factor_notify(user=user, events=events)
    return device


def totp_device_start(*, user: User) -> TOTPDevice:
    """An unconfirmed device: its QR code is shown until a first code proves the phone has it.

    It changes nothing at login until confirmed, so no email; the audit row keeps a trace of
    every secret shown."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(
        user=user, name="Application d'authentification", confirmed=False
    )
    _two_factor_audit(user=user, changes={"totp": "setup_started"})
    return device


def totp_device_confirm(
    *, user: User, device: TOTPDevice, token: str, current_token: str = ""
) -> list[str]:
    """Confirm a new device with its first code. If it replaces a confirmed one, a code from
    that one (or a recovery code) is needed too. Returns the new recovery codes when this turns
    two-factor on, and an empty list for a replacement (the codes stay valid)."""
    if device.user_id != user.pk or device.confirmed:
        raise PermissionDenied(_("Cet appareil n'est pas le vôtre."))
    if not device.verify_token("".join(token.split())):
        raise ApplicationError(
            _("Ce code ne correspond pas. Vérifiez l'heure de votre téléphone et réessayez."),
            extra={"field": "token"},
        )
    events: list[str] = []
    replacing = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    if replacing and _second_factor_match(user=user, token=current_token, events=events) is None:
        raise ApplicationError(
            _("Code incorrect : donnez un code de votre appareil actuel, ou un code de secours."),
            extra={"field": "current_token"},
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        _sessions_end_others(user=user)
        _two_factor_audit(user=user, changes={"totp": "replaced" if replacing else "enabled"})
        if replacing:
            events.append(_("Votre appareil de double authentification a été remplacé."))
            codes: list[str] = []
        else:
            events.append(_("La double authentification a été activée sur votre compte."))
            codes = _recovery_codes_create(user=user, events=events)
        _two_factor_notify(user=user, events=events)
    return codes


def _sessions_end_others(*, user: User) -> None:
    """End the user's other sessions (see User.get_session_auth_hash); the view keeps its own
    with `update_session_auth_hash`."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])


def _require_two_factor(*, user: User) -> None:
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ApplicationError(_("La double authentification n'est pas activée sur ce compte."))


def recovery_codes_generate(*, user: User, token: str) -> list[str]:
    """New recovery codes, proven by a current code; the old ones stop working."""
    _require_two_factor(user=user)
    events: list[str] = []
    if _second_factor_match(user=user, token=token, events=events) is None:
        raise ApplicationError(_("Code incorrect."))
    with transaction.atomic():
        codes = _recovery_codes_create(user=user, events=events)
        _two_factor_notify(user=user, events=events)
    return codes


def two_factor_disable(*, user: User, token: str) -> None:
    """Turn two-factor off (phone and recovery codes), proven by a current code."""
    _require_two_factor(user=user)
    events: list[str] = []
    if _second_factor_match(user=user, token=token, events=events) is None:
        raise ApplicationError(_("Code incorrect."))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCodeDevice.objects.filter(user=user).delete()
        _sessions_end_others(user=user)
        _two_factor_audit(user=user, changes={"totp": "disabled"})
        events.append(
            _(
                "La double authentification a été désactivée : "
                "votre mot de passe suffit désormais pour vous connecter."
            )
        )
        _two_factor_notify(user=user, events=events)
