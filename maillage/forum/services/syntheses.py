"""Syntheses: a synthesiser sums up a theme over a period, citing contributions; publishing
tells each cited contributor."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.errors import ApplicationError, PermissionDenied
from maillage.core.models import AuditLogEntry
from maillage.core.services import audit_log_record
from maillage.forum.models import Contribution, Status, Synthesis, Theme
from maillage.forum.services.common import is_staff, notify, pages_changed, require_member
from maillage.forum.text import render_markdown


def can_synthesise(*, user: User, theme: Theme) -> bool:
    if not user.is_authenticated:
        return False
    return is_staff(user) or theme.synthesisers.filter(pk=user.pk).exists()


def synthesis_create(
    *,
    author: User,
    theme: Theme,
    title: str,
    period_start: date,
    period_end: date,
    body: str,
    citation_ids: Sequence[int],
) -> Synthesis:
    require_member(user=author)
    if not can_synthesise(user=author, theme=theme):
        raise PermissionDenied(_("Seuls les synthétiseurs du thème rédigent ses synthèses."))
    if period_end < period_start:
        raise ApplicationError(_("La période se termine avant de commencer."))
    if not title.strip() or not body.strip():
        raise ApplicationError(_("Une synthèse a un titre et un texte."))
    cited = list(
        Contribution.objects.filter(pk__in=citation_ids, theme=theme, status=Status.VISIBLE)
    )
    if len(cited) != len(set(citation_ids)):
        raise ApplicationError(_("Une contribution citée n'existe pas dans ce thème."))
    with transaction.atomic():
        synthesis = Synthesis.objects.create(
            theme=theme,
            title=title.strip(),
            period_start=period_start,
            period_end=period_end,
            body=body.strip(),
            body_html=render_markdown(body),
            author=author,
        )
        synthesis.citations.set(cited)
    return synthesis


def synthesis_publish(*, actor: User, synthesis: Synthesis) -> Synthesis:
    if not can_synthesise(user=actor, theme=synthesis.theme):
        raise PermissionDenied(_("Seuls les synthétiseurs du thème publient ses synthèses."))
    if synthesis.published_at is not None:
        return synthesis
    with transaction.atomic():
        synthesis.published_at = timezone.now()
        synthesis.save(update_fields=["published_at"])
        audit_log_record(actor=actor, action=AuditLogEntry.Action.CREATE, target=synthesis)
        pages_changed(
            theme_id=synthesis.theme_id,
            contribution_ids=list(synthesis.citations.values_list("pk", flat=True)),
        )
        link = reverse("forum:synthesis", args=[synthesis.pk])
        authors = User.objects.filter(
            pk__in=synthesis.citations.values("author_id"), is_active=True
        ).distinct()
        for author in authors:
            notify(
                user=author,
                subject=_("Votre contribution est citée dans une synthèse"),
                lines=[
                    _("La synthèse « %(title)s » du thème « %(theme)s » cite votre contribution.")
                    % {"title": synthesis.title, "theme": synthesis.theme.name}
                ],
                link=link,
            )
    return synthesis
