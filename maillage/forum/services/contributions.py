"""Writes of the forum's content: themes, contributions (with their edit history), comments,
programme texts and the charter."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.columns import max_length
from maillage.core.errors import ApplicationError, PermissionDenied
from maillage.core.models import AuditLogEntry
from maillage.core.services import audit_log_record
from maillage.forum import spam
from maillage.forum.levels import conf
from maillage.forum.models import (
    Charter,
    CharterClause,
    Comment,
    Contribution,
    ContributionRevision,
    ForumProfile,
    Level,
    ModerationAction,
    Paragraph,
    ProgrammeText,
    Status,
    Theme,
)
from maillage.forum.ranking import ranks
from maillage.forum.services.antispam import akismet_verdict, spam_check_record, spam_clause
from maillage.forum.services.common import (
    SpamRefused,
    is_staff,
    notify,
    pages_changed,
    profile_get,
    require_member,
    require_staff,
)
from maillage.forum.services.moderation import can_moderate_theme, record_action
from maillage.forum.text import content_hash, link_count, render_markdown


def _check_spam(
    *, profile: ForumProfile, model: type[Contribution] | type[Comment], text: str, honeypot: str
) -> None:
    if honeypot:
        # A field people never see: only robots fill it.
        raise SpamRefused(_("Votre message n'a pas pu être publié."))
    if profile.level > Level.NEW or is_staff(profile.user):
        return
    if link_count(text) > conf("new_max_links"):
        raise SpamRefused(
            _("Les nouveaux membres peuvent mettre au plus %(count)s liens par message.")
            % {"count": conf("new_max_links")}
        )
    limit = conf("new_contributions_per_day" if model is Contribution else "new_comments_per_day")
    since = timezone.now() - timedelta(days=1)
    if model.objects.filter(author=profile.user, created_at__gte=since).count() >= limit:
        raise SpamRefused(
            _(
                "Les nouveaux membres peuvent publier au plus %(count)s messages de ce type par jour."
            )
            % {"count": limit}
        )


def _check_duplicate(
    *, model: type[Contribution] | type[Comment], author: User, digest: str
) -> None:
    """The same text again: from the same author within a month, or from anyone within a day."""
    now = timezone.now()
    recent = model.objects.filter(content_hash=digest, created_at__gte=now - timedelta(days=30))
    if (
        recent.filter(author=author).exists()
        or recent.filter(created_at__gte=now - timedelta(days=1)).exists()
    ):
        raise SpamRefused(_("Ce texte a déjà été publié."))


def _clean_text(value: str, *, field: str, model: type, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise ApplicationError(_("Ce texte ne peut pas être vide."))
    try:
        limit = max_length(model, field)
    except AssertionError:
        limit = 20000
    if len(value) > limit:
        raise ApplicationError(_("Ce texte est trop long."))
    return value


def theme_create(*, actor: User, name: str, description: str = "") -> Theme:
    """Staff create themes; a member at founder level may found a thematic community."""
    profile = profile_get(user=actor)
    if not is_staff(actor) and profile.level < Level.FOUNDER:
        raise PermissionDenied(_("Il faut être au niveau fondateur pour créer un thème."))
    name = _clean_text(name, field="name", model=Theme)
    base = slugify(name)[:100] or "theme"
    slug, n = base, 1
    while Theme.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    with transaction.atomic():
        theme = Theme.objects.create(
            name=name, slug=slug, description=description.strip(), founded_by=actor
        )
        if not is_staff(actor):
            theme.moderators.add(actor)
        audit_log_record(actor=actor, action=AuditLogEntry.Action.CREATE, target=theme)
    return theme


def theme_appoint(
    *, actor: User, theme: Theme, user: User, role: str, remove: bool = False
) -> None:
    """Staff, or the founder of the theme, appoint (or remove) its moderators and synthesisers."""
    founder = theme.founded_by_id == actor.pk and profile_get(user=actor).level >= Level.FOUNDER
    if not is_staff(actor) and not founder:
        raise PermissionDenied(
            _("Seuls l'équipe et le fondateur du thème nomment ses modérateurs.")
        )
    if role not in ("moderator", "synthesiser"):
        raise ApplicationError(_("Rôle inconnu."))
    relation = theme.moderators if role == "moderator" else theme.synthesisers
    with transaction.atomic():
        (relation.remove if remove else relation.add)(user)
        audit_log_record(
            actor=actor,
            action=AuditLogEntry.Action.UPDATE,
            target=theme,
            changes={role: {"removed" if remove else "added": user.pk}},
        )
        notify(
            user=user,
            subject=str(theme),
            lines=[
                (
                    _("Vous n'êtes plus %(role)s du thème « %(theme)s ».")
                    if remove
                    else _("Vous êtes nommé·e %(role)s du thème « %(theme)s ».")
                )
                % {
                    "role": _("modérateur·rice") if role == "moderator" else _("synthétiseur·se"),
                    "theme": theme.name,
                }
            ],
            link=reverse("forum:theme", args=[theme.slug]),
        )


def _hold_for_review(*, item: Contribution | Comment) -> None:
    """Akismet took the post for spam: made hidden, it waits in the queue (as one pending report)
    until a moderator restores or hides it; the public log says so, citing the charter's spam
    clause if it has one, and the author is told."""
    record_action(
        kind=ModerationAction.Kind.SPAM_HOLD,
        actor=None,
        item=item,
        clause=spam_clause(),
        note=_("Retenu par le filtre anti-spam (Akismet) en attendant un modérateur."),
    )


def contribution_create(
    *,
    author: User,
    theme: Theme,
    title: str,
    body: str,
    honeypot: str = "",
    visitor: spam.Visitor | None = None,
) -> Contribution:
    """A new contribution. With Akismet on and a `visitor` (the web request's sender), Akismet
    judges it first: blatant spam is refused, spam is created hidden pending review."""
    profile = require_member(user=author)
    title = _clean_text(title, field="title", model=Contribution)
    body = _clean_text(body, field="body", model=Contribution)
    _check_spam(profile=profile, model=Contribution, text=f"{title}\n{body}", honeypot=honeypot)
    digest = content_hash(title, body)
    _check_duplicate(model=Contribution, author=author, digest=digest)
    # Before the transaction: no database lock is held while Akismet answers.
    verdict = akismet_verdict(
        author=author,
        comment_type=spam.FORUM_POST,
        content=f"{title}\n\n{body}",
        visitor=visitor,
    )
    held = verdict == spam.Verdict.SPAM
    now = timezone.now()
    with transaction.atomic():
        contribution = Contribution.objects.create(
            theme=theme,
            author=author,
            title=title,
            body=body,
            body_html=render_markdown(body),
            content_hash=digest,
            created_at=now,
            status=Status.HIDDEN if held else Status.VISIBLE,
            pending_flags=1 if held else 0,
            **ranks(0, 0, now),
        )
        if not held:
            Theme.objects.filter(pk=theme.pk).update(contribution_count=F("contribution_count") + 1)
        pages_changed(theme_id=theme.pk)
        if verdict is not None and visitor is not None:
            spam_check_record(item=contribution, verdict=verdict, visitor=visitor)
        if held:
            _hold_for_review(item=contribution)
    return contribution


def contribution_edit(
    *,
    actor: User,
    contribution: Contribution,
    title: str,
    body: str,
    clause: CharterClause | None = None,
    note: str = "",
) -> Contribution:
    """The author edits their visible contribution; a moderator edits anyone's, citing a clause
    (a line of the public log). The text before the edit is kept."""
    require_member(user=actor)
    by_author = contribution.author_id == actor.pk
    if not by_author:
        if not can_moderate_theme(user=actor, theme_id=contribution.theme_id):
            raise PermissionDenied(_("Vous ne pouvez pas modifier cette contribution."))
        if clause is None:
            raise ApplicationError(
                _("Une modification de modération cite un article de la charte.")
            )
    elif contribution.status != Status.VISIBLE:
        raise PermissionDenied(_("Cette contribution ne peut plus être modifiée."))
    title = _clean_text(title, field="title", model=Contribution)
    body = _clean_text(body, field="body", model=Contribution)
    with transaction.atomic():
        ContributionRevision.objects.create(
            contribution=contribution,
            title=contribution.title,
            body=contribution.body,
            edited_by=actor,
        )
        contribution.title = title
        contribution.body = body
        contribution.body_html = render_markdown(body)
        contribution.content_hash = content_hash(title, body)
        contribution.edited_at = timezone.now()
        contribution.save(update_fields=["title", "body", "body_html", "content_hash", "edited_at"])
        pages_changed(theme_id=contribution.theme_id, contribution_ids=[contribution.pk])
        if not by_author:
            record_action(
                kind=ModerationAction.Kind.EDIT,
                actor=actor,
                item=contribution,
                clause=clause,
                note=note,
            )
    return contribution


def contribution_withdraw(*, actor: User, contribution: Contribution) -> Contribution:
    if contribution.author_id != actor.pk:
        raise PermissionDenied(_("Seul l'auteur peut retirer sa contribution."))
    if contribution.status == Status.WITHDRAWN:
        return contribution
    with transaction.atomic():
        was_visible = contribution.status == Status.VISIBLE
        contribution.status = Status.WITHDRAWN
        contribution.save(update_fields=["status"])
        if was_visible:
            Theme.objects.filter(pk=contribution.theme_id).update(
                contribution_count=F("contribution_count") - 1
            )
        pages_changed(theme_id=contribution.theme_id, contribution_ids=[contribution.pk])
    return contribution


def comment_create(
    *,
    author: User,
    body: str,
    contribution: Contribution | None = None,
    paragraph: Paragraph | None = None,
    parent: Comment | None = None,
    honeypot: str = "",
    visitor: spam.Visitor | None = None,
) -> Comment:
    """A new comment (Akismet judges it as it does contributions, see `contribution_create`)."""
    profile = require_member(user=author)
    if (contribution is None) == (paragraph is None):
        raise ApplicationError(_("Un commentaire porte sur une contribution ou un paragraphe."))
    if contribution is not None and contribution.status != Status.VISIBLE:
        raise PermissionDenied(_("Cette contribution n'accepte plus de commentaires."))
    if parent is not None and (
        parent.contribution_id != (contribution.pk if contribution else None)
        or parent.paragraph_id != (paragraph.pk if paragraph else None)
    ):
        raise ApplicationError(_("La réponse doit porter sur le même fil."))
    body = _clean_text(body, field="body", model=Comment)
    _check_spam(profile=profile, model=Comment, text=body, honeypot=honeypot)
    digest = content_hash("", body)
    _check_duplicate(model=Comment, author=author, digest=digest)
    verdict = akismet_verdict(author=author, comment_type=spam.REPLY, content=body, visitor=visitor)
    held = verdict == spam.Verdict.SPAM
    now = timezone.now()
    with transaction.atomic():
        comment = Comment.objects.create(
            author=author,
            body=body,
            body_html=render_markdown(body),
            contribution=contribution,
            paragraph=paragraph,
            parent=parent,
            content_hash=digest,
            created_at=now,
            status=Status.HIDDEN if held else Status.VISIBLE,
            pending_flags=1 if held else 0,
            **ranks(0, 0, now),
        )
        if contribution is not None:
            Contribution.objects.filter(pk=contribution.pk).update(
                comment_count=F("comment_count") + 1
            )
            pages_changed(theme_id=contribution.theme_id, contribution_ids=[contribution.pk])
        if paragraph is not None:
            Paragraph.objects.filter(pk=paragraph.pk).update(comment_count=F("comment_count") + 1)
        if verdict is not None and visitor is not None:
            spam_check_record(item=comment, verdict=verdict, visitor=visitor)
        if held:
            _hold_for_review(item=comment)
    return comment


_CLAUSE_LINE = re.compile(r"^\s*(\d+)\s*[.)]\s*(.+?)\s*[:—–-]\s*(.+)$")


def parse_clauses(text: str) -> list[tuple[int, str, str]]:
    """Lines "1. Title: text" as numbered clauses."""
    clauses = []
    for line in text.splitlines():
        match = _CLAUSE_LINE.match(line)
        if match:
            clauses.append((int(match[1]), match[2].strip(), match[3].strip()))
    return clauses


def charter_publish(
    *, actor: User, introduction: str, clauses: list[tuple[int, str, str]]
) -> Charter:
    """A new version of the charter; earlier actions keep citing the version they cited."""
    require_staff(user=actor)
    numbers = [number for number, _title, _text in clauses]
    if not clauses or len(set(numbers)) != len(numbers):
        raise ApplicationError(_("La charte a besoin d'articles numérotés, chacun une fois."))
    with transaction.atomic():
        version = (Charter.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        charter = Charter.objects.create(
            version=version, introduction=introduction.strip(), published_by=actor
        )
        CharterClause.objects.bulk_create(
            CharterClause(charter=charter, number=number, title=title, text=text)
            for number, title, text in clauses
        )
        audit_log_record(
            actor=actor,
            action=AuditLogEntry.Action.CREATE,
            target=charter,
            changes={"clauses": len(clauses)},
        )
    return charter


def programme_text_publish(
    *, actor: User, title: str, introduction: str, body: str
) -> ProgrammeText:
    """A campaign text published for comment: its paragraphs (separated by blank lines) each
    get their own thread."""
    require_staff(user=actor)
    title = _clean_text(title, field="title", model=ProgrammeText)
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", body) if part.strip()]
    if not paragraphs:
        raise ApplicationError(_("Le texte n'a aucun paragraphe."))
    base = slugify(title)[:100] or "texte"
    slug, n = base, 1
    while ProgrammeText.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    with transaction.atomic():
        text = ProgrammeText.objects.create(
            title=title,
            slug=slug,
            introduction=introduction.strip(),
            published_at=timezone.now(),
            created_by=actor,
        )
        Paragraph.objects.bulk_create(
            Paragraph(text=text, position=i, body=part, body_html=render_markdown(part))
            for i, part in enumerate(paragraphs, 1)
        )
        audit_log_record(
            actor=actor,
            action=AuditLogEntry.Action.CREATE,
            target=text,
            changes={"paragraphs": len(paragraphs)},
        )
    return text
