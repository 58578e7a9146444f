"""The forum's background work. The periodic work, run by core's housekeeping
(`periodic_upkeep` hook): the day's moderation points (once a day, idempotent), the reputation
recount (consensus, accuracy, levels), which is set-based and safe to run at every housekeeping
pass, and the anti-spam checks' retention. And the moderators' corrections reported to Akismet
(one task per report, idempotent)."""

from __future__ import annotations

from datetime import datetime

from django_tasks import task

from maillage.forum.services import moderation_points_distribute, reputation_recompute
from maillage.forum.services.antispam import akismet_report, spam_checks_forget


def periodic_upkeep(*, now: datetime) -> dict[str, int]:
    counts = reputation_recompute()
    counts.update(moderation_points_distribute(now=now))
    counts.update(spam_checks_forget(now=now))
    return counts


@task()
def akismet_report_task(check_id: int, as_spam: bool) -> dict[str, object]:
    """Tell Akismet a moderator's correction (submit-spam or submit-ham); a report already
    made is not made again, and a failure is logged and left (Akismet learns from the next)."""
    return {"reported": akismet_report(check_id=check_id, as_spam=as_spam)}
