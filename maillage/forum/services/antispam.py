"""The forum's use of Akismet (the client is `maillage/forum/spam.py`): the verdict on a new
post, the record of what was checked, the charter's spam clause, and the moderators'
corrections reported back (in a task, after the decision is committed)."""

from __future__ import annotations

import logging
import unicodedata
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.columns import max_length
from maillage.forum import spam
from maillage.forum.levels import conf
from maillage.forum.models import Charter, CharterClause, Comment, Contribution, SpamCheck
from maillage.forum.services.common import SpamRefused, is_staff, profile_get

logger = logging.getLogger(__name__)

Item = Contribution | Comment


def akismet_verdict(
    *, author: User, comment_type: str, content: str, visitor: spam.Visitor | None
) -> spam.Verdict | None:
    """Akismet's verdict on a post about to be made, or None when no check is made (Akismet
    off, no web request behind the post, or campaign staff writing). Blatant spam ("discard")
    is refused here; "spam" is held by the caller; anything else is published."""
    if not spam.enabled() or visitor is None or not visitor.ip or is_staff(author):
        return None
    verdict = spam.comment_check(
        visitor=visitor,
        post=spam.Post(
            comment_type=comment_type,
            author_name=profile_get(user=author).display_name,
            author_email=author.email,
            content=content,
            language=(get_language() or settings.LANGUAGE_CODE)[:2],
        ),
    )
    if verdict == spam.Verdict.DISCARD:
        logger.info("Akismet: blatant spam from user %s refused.", author.pk)
        raise SpamRefused(
            _(
                "Votre message a été refusé : le filtre anti-spam l'a reconnu comme "
                "indésirable. Si c'est une erreur, écrivez à l'équipe de campagne."
            )
        )
    return verdict


def spam_check_record(*, item: Item, verdict: spam.Verdict, visitor: spam.Visitor) -> SpamCheck:
    """What was checked, kept for the reports a moderator's decision makes later."""
    key = "contribution" if isinstance(item, Contribution) else "comment"
    return SpamCheck.objects.create(
        verdict=SpamCheck.Verdict(verdict.value),
        user_ip=visitor.ip,
        user_agent=visitor.user_agent[: max_length(SpamCheck, "user_agent")],
        referrer=visitor.referrer[: max_length(SpamCheck, "referrer")],
        language=(get_language() or "")[: max_length(SpamCheck, "language")],
        **{key: item},
    )


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def spam_clause(*, charter: Charter | None = None) -> CharterClause | None:
    """The clause of the charter (the current one by default) about spam: the first whose title
    holds one of `spam_clause_words`, else the first whose text does; None if there is none."""
    if charter is None:
        charter = Charter.objects.order_by("-version").first()
        if charter is None:
            return None
    words = [_fold(word) for word in conf("spam_clause_words")]
    clauses = list(charter.clauses.order_by("number"))
    for field in ("title", "text"):
        for clause in clauses:
            if any(word in _fold(getattr(clause, field)) for word in words):
                return clause
    return None


def is_spam_clause(clause: CharterClause) -> bool:
    found = spam_clause(charter=clause.charter)
    return found is not None and found.pk == clause.pk


def akismet_feedback(*, item: Item, hidden: bool, clause: CharterClause) -> None:
    """After a moderator's decision: hiding for the spam clause an item Akismet let through
    reports a spam; restoring an item Akismet held (or that was reported as spam) reports a
    genuine post. Sent by a task once the decision is committed; nothing without a check."""
    check = SpamCheck.objects.filter(
        **{"contribution" if isinstance(item, Contribution) else "comment": item}
    ).first()
    if check is None or not spam.enabled():
        return
    if hidden:
        wanted = (
            SpamCheck.Report.SPAM
            if check.verdict != SpamCheck.Verdict.SPAM
            and check.reported != SpamCheck.Report.SPAM
            and is_spam_clause(clause)
            else None
        )
    else:
        held = check.verdict == SpamCheck.Verdict.SPAM or check.reported == SpamCheck.Report.SPAM
        wanted = SpamCheck.Report.HAM if held and check.reported != SpamCheck.Report.HAM else None
    if wanted is None:
        return
    from maillage.forum.tasks import akismet_report_task

    check_id, as_spam = check.pk, wanted == SpamCheck.Report.SPAM
    transaction.on_commit(
        lambda: akismet_report_task.enqueue(check_id=check_id, as_spam=as_spam), robust=True
    )


def akismet_report(*, check_id: int, as_spam: bool) -> bool:
    """Send one correction to Akismet (the task's body). Idempotent: a report already made is
    not made again. True when Akismet took it."""
    check = SpamCheck.objects.select_related("contribution", "comment").filter(pk=check_id).first()
    wanted = SpamCheck.Report.SPAM if as_spam else SpamCheck.Report.HAM
    if check is None or check.reported == wanted or not spam.enabled():
        return False
    item: Item | None = check.contribution or check.comment
    if item is None:
        return False
    author = item.author
    if isinstance(item, Contribution):
        comment_type, content = spam.FORUM_POST, f"{item.title}\n\n{item.body}"
        link = reverse("forum:contribution", args=[item.pk])
    else:
        comment_type, content = spam.REPLY, item.body
        link = (
            reverse("forum:contribution", args=[item.contribution_id]) + f"#comment-{item.pk}"
            if item.contribution_id
            else ""
        )
    taken = spam.submit(
        spam=as_spam,
        visitor=spam.Visitor(
            ip=check.user_ip or "", user_agent=check.user_agent, referrer=check.referrer
        ),
        post=spam.Post(
            comment_type=comment_type,
            author_name=profile_get(user=author).display_name,
            author_email=author.email,
            content=content,
            language=check.language[:2],
            permalink=settings.SITE_URL + link if link else "",
            date_gmt=item.created_at.astimezone(UTC).isoformat(),
        ),
    )
    if taken:
        SpamCheck.objects.filter(pk=check.pk).update(reported=wanted)
    return taken


def spam_checks_forget(*, now: datetime) -> dict[str, int]:
    """Blank the sender's IP address, browser and referrer of checks older than
    `spam_check_retention_days` (set-based, run by the housekeeping)."""
    before = now - timedelta(days=conf("spam_check_retention_days"))
    forgotten = (
        SpamCheck.objects.filter(created_at__lt=before)
        .exclude(user_ip=None, user_agent="", referrer="")
        .update(user_ip=None, user_agent="", referrer="")
    )
    return {"spam_checks_forgotten": forgotten}
