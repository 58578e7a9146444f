"""Every read of the forum's pages. Public pages (themes, contributions, the charter, the
public log) read only visible rows, each in a fixed number of queries."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.errors import NotFound
from maillage.forum.levels import Requirement, requirements
from maillage.forum.models import (
    Appeal,
    Charter,
    CharterClause,
    Comment,
    Contribution,
    ForumProfile,
    Level,
    MetaModeration,
    ModerationAction,
    Paragraph,
    ProgrammeText,
    Rating,
    Status,
    Synthesis,
    Theme,
)
from maillage.forum.services.common import is_staff

ORDERS: dict[str, tuple[str, ...]] = {
    "best": ("-rank_best", "-id"),
    "hot": ("-rank_hot",),
    "new": ("-created_at",),
    "controversial": ("-rank_controversial",),
    # Fewest ratings first, newest among equals: unrated contributions get seen.
    "unrated": ("rating_count", "-created_at"),
}
PAGE_SIZE = 30


def theme_list() -> QuerySet[Theme]:
    return Theme.objects.all()


def access_theme(*, slug: str) -> Theme:
    try:
        return Theme.objects.get(slug=slug)
    except Theme.DoesNotExist:
        raise NotFound(_("Ce thème n'existe pas.")) from None


_WHEN = {"fr": "%d/%m/%Y %H:%M", "en": "%Y-%m-%d %H:%M"}


def when(value: datetime) -> str:
    """A date for long lists: strftime with the language's pattern, a hundred times cheaper per
    row than the `date` filter (which a 200-comment page felt)."""
    return timezone.localtime(value).strftime(_WHEN.get(get_language() or "fr", _WHEN["fr"]))


@dataclass(frozen=True)
class ContributionRow:
    """A theme page's line, read as plain values (no model instances, no filters per row)."""

    pk: int
    title: str
    author_name: str
    when: str
    up: int
    down: int
    comment_count: int


def theme_contributions(*, theme: Theme, order: str, page: int = 1) -> list[ContributionRow]:
    """One page of a theme's visible contributions in one query (the author's display name
    joined), served by the partial index of that order."""
    fields = ORDERS.get(order, ORDERS["best"])
    start = (max(page, 1) - 1) * PAGE_SIZE
    rows = (
        Contribution.objects.filter(theme=theme, status=Status.VISIBLE)
        .order_by(*fields)
        .values_list(
            "id",
            "title",
            "author__forum_profile__display_name",
            "created_at",
            "up",
            "down",
            "comment_count",
        )[start : start + PAGE_SIZE + 1]
    )
    return [
        ContributionRow(pk, title, name or "", when(created), up, down, comments)
        for pk, title, name, created, up, down, comments in rows
    ]


def access_contribution(*, contribution_id: int, user: User | AnonymousUser) -> Contribution:
    """Visible and withdrawn contributions are public (withdrawn ones show a notice); hidden
    ones only to their author and to those who may moderate them."""
    return _accessible(
        Contribution.objects.select_related("theme", "author__forum_profile"),
        contribution_id=contribution_id,
        user=user,
    )


def _accessible(
    contributions: QuerySet[Contribution], *, contribution_id: int, user: User | AnonymousUser
) -> Contribution:
    try:
        contribution = contributions.get(pk=contribution_id)
    except Contribution.DoesNotExist:
        raise NotFound(_("Cette contribution n'existe pas.")) from None
    if contribution.status == Status.HIDDEN and not _may_see_hidden(user, contribution):
        raise NotFound(_("Cette contribution n'existe pas."))
    return contribution


# What the contribution page reads of the row, its theme and its author's forum profile: a
# narrow SELECT that the ORM compiles in a fraction of the time of the three whole rows (62
# columns, the author's password hash among them, which a public page has no use for).
_CONTRIBUTION_PAGE_FIELDS = (
    "title",
    "body_html",
    "status",
    "version",
    "created_at",
    "edited_at",
    "up",
    "down",
    "comment_count",
    "theme__slug",
    "theme__name",
    "author__forum_profile__display_name",
    "author__forum_profile__level",
)


def access_contribution_page(*, contribution_id: int, user: User | AnonymousUser) -> Contribution:
    """`access_contribution` with only the columns its page prints (others load on use)."""
    return _accessible(
        Contribution.objects.select_related("theme", "author__forum_profile").only(
            *_CONTRIBUTION_PAGE_FIELDS
        ),
        contribution_id=contribution_id,
        user=user,
    )


def _may_see_hidden(user: User | AnonymousUser, contribution: Contribution) -> bool:
    from maillage.forum.services.moderation import can_moderate_theme

    if not getattr(user, "is_authenticated", False):
        return False
    return contribution.author_id == user.pk or can_moderate_theme(
        user=cast(User, user), theme_id=contribution.theme_id
    )


@dataclass(frozen=True)
class CommentRow:
    pk: int
    parent_id: int | None
    author_id: int
    author_name: str
    body_html: str
    up: int
    down: int
    rank_best: float
    created_at: datetime
    when: str


@dataclass
class ThreadLine:
    comment: CommentRow
    depth: int


def comment_thread(comments: list[CommentRow]) -> list[ThreadLine]:
    """Comments as a flat list in thread order (each reply under its parent, best first), with
    their depth, built in one pass so a 200-comment page needs no recursion in the template."""
    children: dict[int | None, list[CommentRow]] = {}
    ids = {c.pk for c in comments}
    for comment in comments:
        parent = comment.parent_id if comment.parent_id in ids else None
        children.setdefault(parent, []).append(comment)
    for group in children.values():
        group.sort(key=lambda c: (-c.rank_best, c.created_at))
    lines: list[ThreadLine] = []
    stack = [(c, 0) for c in reversed(children.get(None, []))]
    while stack:
        comment, depth = stack.pop()
        lines.append(ThreadLine(comment, min(depth, 6)))
        stack.extend((c, depth + 1) for c in reversed(children.get(comment.pk, [])))
    return lines


def _comment_rows(comments: QuerySet[Comment]) -> list[CommentRow]:
    rows = comments.filter(status=Status.VISIBLE).values_list(
        "id",
        "parent_id",
        "author_id",
        "author__forum_profile__display_name",
        "body_html",
        "up",
        "down",
        "rank_best",
        "created_at",
    )
    return [
        CommentRow(pk, parent, author, name or "", mark_safe(html), up, down, rank, at, when(at))  # noqa: S308 - sanitised by nh3 when stored
        for pk, parent, author, name, html, up, down, rank, at in rows
    ]


def contribution_comments(*, contribution: Contribution) -> list[ThreadLine]:
    return comment_thread(_comment_rows(Comment.objects.filter(contribution=contribution)))


def syntheses_citing(*, contribution: Contribution) -> list[Synthesis]:
    return list(
        Synthesis.objects.filter(citations=contribution, published_at__isnull=False).only(
            "id", "title", "published_at"
        )
    )


def my_ratings(
    *, user: User | AnonymousUser, contribution_ids: list[int], comment_ids: list[int]
) -> dict[str, int]:
    """The member's own ratings on the page: {"c12": 1, "m40": -1}, one query."""
    if not getattr(user, "is_authenticated", False):
        return {}
    rows = Rating.objects.filter(user=cast(User, user)).filter(
        Q(contribution_id__in=contribution_ids) | Q(comment_id__in=comment_ids)
    )
    return {
        (f"c{r.contribution_id}" if r.contribution_id else f"m{r.comment_id}"): r.value
        for r in rows.only("contribution_id", "comment_id", "value")
    }


def charter_current() -> Charter | None:
    return (
        Charter.objects.prefetch_related(
            Prefetch("clauses", queryset=CharterClause.objects.order_by("number"))
        )
        .order_by("-version")
        .first()
    )


def clauses_current() -> list[CharterClause]:
    charter = charter_current()
    return list(charter.clauses.all()) if charter else []


def access_clause(*, clause_id: int | str | None) -> CharterClause:
    try:
        return CharterClause.objects.get(pk=int(clause_id or 0))
    except (CharterClause.DoesNotExist, ValueError):
        raise NotFound(_("Choisissez l'article de la charte que vous citez.")) from None


def programme_text_list() -> QuerySet[ProgrammeText]:
    return ProgrammeText.objects.filter(published_at__isnull=False)


def access_programme_text(*, slug: str) -> tuple[ProgrammeText, list[Any]]:
    try:
        text = ProgrammeText.objects.get(slug=slug, published_at__isnull=False)
    except ProgrammeText.DoesNotExist:
        raise NotFound(_("Ce texte n'existe pas.")) from None
    paragraphs = list(Paragraph.objects.filter(text=text))
    by_paragraph: dict[int, list[CommentRow]] = {}
    comments = Comment.objects.filter(paragraph__text=text).order_by("created_at")
    paragraph_of = dict(comments.values_list("id", "paragraph_id"))
    for row in _comment_rows(comments):
        by_paragraph.setdefault(paragraph_of[row.pk], []).append(row)
    for paragraph in paragraphs:
        paragraph.thread = comment_thread(by_paragraph.get(paragraph.pk, []))  # type: ignore[attr-defined]
    return text, paragraphs


def access_paragraph(*, paragraph_id: int) -> Paragraph:
    try:
        return Paragraph.objects.select_related("text").get(pk=paragraph_id)
    except Paragraph.DoesNotExist:
        raise NotFound(_("Ce paragraphe n'existe pas.")) from None


def access_comment(*, comment_id: int) -> Comment:
    try:
        return Comment.objects.get(pk=comment_id, status=Status.VISIBLE)
    except Comment.DoesNotExist:
        raise NotFound(_("Ce commentaire n'existe pas.")) from None


def public_log(*, kind: str = "") -> QuerySet[ModerationAction]:
    actions = ModerationAction.objects.select_related(
        "clause__charter", "contribution", "theme"
    ).order_by("-created_at", "-id")
    if kind:
        actions = actions.filter(kind=kind)
    return actions


@dataclass
class LevelPage:
    profile: ForumProfile
    current: list[Requirement]
    next_level: int | None
    next_needs: list[Requirement]
    changes: list[Any]


def level_page(*, member: User) -> LevelPage:
    from maillage.core.models import AuditLogEntry
    from maillage.forum.services.common import profile_get

    profile = profile_get(user=member)
    current = requirements(profile, profile.level) if profile.level > Level.NEW else []
    next_level = profile.level + 1 if profile.level < Level.FOUNDER else None
    needs = requirements(profile, next_level) if next_level is not None else []
    changes = list(
        AuditLogEntry.objects.filter(
            target_type="forum.forumprofile", target_id=str(member.pk)
        ).order_by("-at")[:10]
    )
    return LevelPage(profile, current, next_level, needs, changes)


@dataclass(frozen=True)
class BanState:
    """A member's running ban: until when (None: without limit) and the log line that
    decided it (what they may appeal)."""

    until: datetime | None
    action: ModerationAction | None


def ban_state(*, profile: ForumProfile) -> BanState | None:
    """The member's running ban, or None when they are not banned."""
    from maillage.forum.services.common import is_banned

    if not is_banned(profile):
        return None
    action = (
        ModerationAction.objects.filter(
            target_user_id=profile.user_id, kind=ModerationAction.Kind.BAN
        )
        .select_related("clause")
        .order_by("-created_at", "-id")
        .first()
    )
    return BanState(until=None if profile.banned_forever else profile.banned_until, action=action)


def access_member(*, user_id: int) -> User:
    try:
        return User.objects.get(pk=user_id, forum_profile__isnull=False)
    except User.DoesNotExist:
        raise NotFound(_("Ce membre n'existe pas.")) from None


@dataclass
class QueueFilters:
    theme: Theme | None = None
    state: str = "pending"  # pending (flagged) · hidden


def moderation_queue(
    *, user: User, filters: QueueFilters
) -> tuple[list[Contribution], list[Comment]]:
    """Flagged (or hidden) items the member may moderate, most flagged first: staff see every
    theme; others the themes they moderate (the view checks), one theme at a time."""
    contributions = Contribution.objects.select_related(
        "theme", "author__forum_profile", "spam_check"
    )
    comments = Comment.objects.select_related(
        "contribution__theme", "author__forum_profile", "spam_check"
    )
    if filters.state == "hidden":
        contributions = contributions.filter(status=Status.HIDDEN)
        comments = comments.filter(status=Status.HIDDEN)
    else:
        contributions = contributions.filter(pending_flags__gt=0)
        comments = comments.filter(pending_flags__gt=0)
    if filters.theme is not None:
        contributions = contributions.filter(theme=filters.theme)
        comments = comments.filter(contribution__theme=filters.theme)
    elif not is_staff(user):
        return [], []
    return (
        list(contributions.order_by("-flag_score", "-id")[:100]),
        list(comments.order_by("-flag_score", "-id")[:100]),
    )


def appeals_for(*, user: User) -> list[Appeal]:
    appeals = Appeal.objects.filter(state=Appeal.State.OPEN).select_related(
        "action__clause", "action__contribution", "action__comment", "author__forum_profile"
    )
    if not is_staff(user):
        appeals = appeals.filter(assigned_to=user)
    return list(appeals.order_by("created_at"))


def access_appeal(*, appeal_id: int) -> Appeal:
    try:
        return Appeal.objects.select_related("action").get(pk=appeal_id)
    except Appeal.DoesNotExist:
        raise NotFound(_("Cet appel n'existe pas.")) from None


def access_action(*, action_id: int) -> ModerationAction:
    try:
        return ModerationAction.objects.select_related("clause", "contribution", "comment").get(
            pk=action_id
        )
    except ModerationAction.DoesNotExist:
        raise NotFound(_("Cette action n'existe pas.")) from None


def meta_moderation_sample(*, user: User, size: int) -> list[ModerationAction]:
    """A random sample of recent decisions by volunteer moderators that this member neither
    took, nor suffered, nor judged yet."""
    since = timezone.now() - timedelta(days=30)
    candidates = list(
        ModerationAction.objects.filter(
            created_at__gte=since,
            actor__isnull=False,
            actor_level__gte=Level.RATER,
            actor_level__lt=9,
        )
        .exclude(actor=user)
        .exclude(target_user=user)
        .exclude(pk__in=MetaModeration.objects.filter(judge=user).values("action_id"))
        .select_related("clause", "contribution", "comment")
        .order_by("-id")[:200]
    )
    return random.sample(candidates, min(size, len(candidates)))


def access_synthesis(*, synthesis_id: int, user: User | AnonymousUser) -> Synthesis:
    try:
        synthesis = Synthesis.objects.select_related("theme", "author__forum_profile").get(
            pk=synthesis_id
        )
    except Synthesis.DoesNotExist:
        raise NotFound(_("Cette synthèse n'existe pas.")) from None
    if synthesis.published_at is None:
        from maillage.forum.services.syntheses import can_synthesise

        if not can_synthesise(user=cast(User, user), theme=synthesis.theme):
            raise NotFound(_("Cette synthèse n'existe pas."))
    return synthesis


def theme_syntheses(*, theme: Theme) -> list[Synthesis]:
    return list(
        theme.syntheses.filter(published_at__isnull=False).only("id", "title", "published_at")
    )
