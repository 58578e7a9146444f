"""What every forum write shares: the member's profile, staff checks, bans and notices."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.errors import ApplicationError, PermissionDenied
from maillage.core.roles import Role
from maillage.forum.models import ForumProfile


class SpamRefused(ApplicationError):
    """A post refused by the anti-spam rules (limits, honeypot, duplicate, Akismet)."""


# The level recorded for campaign staff acting in the moderation log.
STAFF_LEVEL = 9
SYSTEM_LEVEL = -1


def is_staff(user: User) -> bool:
    return bool(user.is_authenticated and user.role >= Role.STAFF)


def default_display_name(user: User) -> str:
    parts = (user.full_name or "").split()
    if len(parts) >= 2:
        return f"{parts[0]} {parts[-1][0]}."
    if parts:
        return parts[0][:60]
    return _("Membre %(id)s") % {"id": user.pk}


def profile_get(*, user: User) -> ForumProfile:
    """The member's profile, made on first use (every signed-up account may take part)."""
    try:
        return ForumProfile.objects.get(user=user)
    except ForumProfile.DoesNotExist:
        try:
            with transaction.atomic():
                return ForumProfile.objects.create(
                    user=user, display_name=default_display_name(user)
                )
        except IntegrityError:  # made at the same instant by another request
            return ForumProfile.objects.get(user=user)


def is_banned(profile: ForumProfile) -> bool:
    return profile.banned_forever or bool(
        profile.banned_until and profile.banned_until > timezone.now()
    )


def require_member(*, user: User) -> ForumProfile:
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Connectez-vous pour participer au forum."))
    profile = profile_get(user=user)
    if is_banned(profile):
        raise PermissionDenied(_("Votre compte est suspendu sur le forum."))
    return profile


def require_staff(*, user: User) -> None:
    if not is_staff(user):
        raise PermissionDenied(_("Réservé à l'équipe de campagne."))


def pages_changed(*, theme_id: int | None = None, contribution_ids: Iterable[int] = ()) -> None:
    """Bump the versions that key the public pages' cached fragments (in the caller's
    transaction, so every process sees the new key once the write is visible)."""
    from django.db.models import F

    from maillage.forum.models import Contribution, Theme

    if theme_id is not None:
        Theme.objects.filter(pk=theme_id).update(version=F("version") + 1)
    ids = [i for i in contribution_ids if i]
    if ids:
        Contribution.objects.filter(pk__in=ids).update(version=F("version") + 1)


def notify(*, user: User, subject: str, lines: list[str], link: str = "") -> None:
    """Email a member after commit, in their language (the person is told what happened)."""
    language = user.language or settings.LANGUAGE_CODE
    email = user.email

    def send() -> None:
        with translation.override(language):
            body = render_to_string(
                "forum/email/notice.txt",
                {"lines": lines, "link": settings.SITE_URL + link if link else ""},
            )
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email], fail_silently=False)

    # robust: a mail server that is down must not undo or break the forum write it reports.
    transaction.on_commit(send, robust=True)


def lines_of(*parts: Any) -> list[str]:
    return [str(part) for part in parts if part]


def profile_show_name_in_log(*, user: User, show: bool) -> ForumProfile:
    """The member chooses whether the public moderation log names them (off by default)."""
    profile = require_member(user=user)
    profile.show_name_in_log = show
    profile.save(update_fields=["show_name_in_log"])
    return profile
