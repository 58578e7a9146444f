"""Reputation, trust levels, moderation points and meta-moderation."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.errors import ApplicationError, PermissionDenied
from maillage.core.models import AuditLogEntry
from maillage.core.services import audit_log_record
from maillage.forum.levels import conf, effective_level, reputation_of
from maillage.forum.models import (
    Comment,
    Contribution,
    ForumProfile,
    Level,
    MetaModeration,
    ModerationAction,
    PointsDistribution,
    Rating,
    Theme,
)
from maillage.forum.ranking import wilson_lower_bound
from maillage.forum.services.common import is_staff, notify, profile_get, require_member


def _level_changed(
    *, profile: ForumProfile, old: int, new: int, reason: str, actor: User | None = None
) -> None:
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.UPDATE,
        target=profile,
        changes={"level": [Level(old).label, Level(new).label], "reason": reason},
    )
    words = (
        _("Vous passez au niveau « %(level)s » sur le forum.")
        if new > old
        else _("Votre niveau sur le forum redescend à « %(level)s ».")
    )
    notify(
        user=profile.user,
        subject=_("Votre niveau sur le forum : %(level)s") % {"level": Level(new).label},
        lines=[words % {"level": Level(new).label}, reason],
        link=reverse("forum:member", args=[profile.user_id]),
    )


def profile_refresh(*, profile: ForumProfile, reason: str = "") -> ForumProfile:
    """Recompute reputation and level from the profile's counters (no aggregation: one read,
    at most one write); a level change is audit-logged and the member told."""
    profile.refresh_from_db()
    old_level = profile.level
    profile.reputation = reputation_of(profile)
    profile.level = effective_level(profile)
    fields = ["reputation"]
    if profile.level != old_level:
        profile.level_changed_at = timezone.now()
        fields += ["level", "level_changed_at"]
        _level_changed(
            profile=profile,
            old=old_level,
            new=profile.level,
            reason=reason or _("Seuils atteints automatiquement."),
        )
    profile.save(update_fields=fields)
    return profile


def level_set_manual(*, actor: User, user: User, level: int | None, reason: str) -> ForumProfile:
    """Staff fix a member's level by hand (None gives it back to the thresholds)."""
    if not is_staff(actor):
        raise PermissionDenied(_("Seule l'équipe de campagne peut fixer un niveau."))
    if level is not None and level not in Level.values:
        raise ApplicationError(_("Niveau inconnu."))
    profile = profile_get(user=user)
    with transaction.atomic():
        old_level = profile.level
        profile.manual_level = level
        profile.reputation = reputation_of(profile)
        profile.level = effective_level(profile)
        profile.level_changed_at = timezone.now()
        profile.save(update_fields=["manual_level", "reputation", "level", "level_changed_at"])
        text = reason.strip() or _("Décision de l'équipe de campagne.")
        audit_log_record(
            actor=actor,
            action=AuditLogEntry.Action.UPDATE,
            target=profile,
            changes={
                "level": [Level(old_level).label, Level(profile.level).label],
                "manual": level is not None,
                "reason": text,
            },
        )
        notify(
            user=user,
            subject=_("Votre niveau sur le forum : %(level)s")
            % {"level": profile.get_level_display()},
            lines=[
                _("L'équipe de campagne a fixé votre niveau à « %(level)s ».")
                % {"level": profile.get_level_display()}
                if level is not None
                else _("Votre niveau suit de nouveau les seuils : « %(level)s ».")
                % {"level": profile.get_level_display()},
                text,
            ],
            link=reverse("forum:member", args=[user.pk]),
        )
    return profile


def _consensus(up: int, down: int) -> int:
    """+1 or −1 when the item's raters reached a consensus, 0 otherwise."""
    if up + down < conf("consensus_min_ratings"):
        return 0
    if wilson_lower_bound(up, down) >= conf("consensus_share"):
        return 1
    if wilson_lower_bound(down, up) >= conf("consensus_share"):
        return -1
    return 0


def reputation_recompute() -> dict[str, int]:
    """Mark each rating as agreeing or not with the consensus its item reached, count each
    member's agreements, and recompute every reputation and level. Set-based: a few UPDATEs per
    thousand items, one grouped count, one bulk update of the profiles."""
    with transaction.atomic():
        for model, column in ((Contribution, "contribution_id"), (Comment, "comment_id")):
            rows = model.objects.filter(
                rating_count__gte=conf("consensus_min_ratings")
            ).values_list("id", "up", "down")
            by_side: dict[int, list[int]] = defaultdict(list)
            for item_id, up, down in rows.iterator(chunk_size=5000):
                by_side[_consensus(up, down)].append(item_id)
            for side, ids in by_side.items():
                for start in range(0, len(ids), 900):
                    chunk = ids[start : start + 900]
                    ratings = Rating.objects.filter(**{f"{column}__in": chunk})
                    if side == 0:
                        ratings.exclude(agreed=None).update(agreed=None)
                    else:
                        ratings.filter(value=side).exclude(agreed=True).update(agreed=True)
                        ratings.exclude(value=side).exclude(agreed=False).update(agreed=False)
        counts = {
            row["user"]: row
            for row in Rating.objects.values("user").annotate(
                given=Count("id"),
                agreed_n=Count("id", filter=Q(agreed=True)),
                disagreed_n=Count("id", filter=Q(agreed=False)),
            )
        }
        changed_levels = 0
        profiles = list(ForumProfile.objects.select_related("user"))
        for profile in profiles:
            row = counts.get(profile.user_id)
            profile.ratings_given = row["given"] if row else 0
            profile.ratings_agreed = row["agreed_n"] if row else 0
            profile.ratings_disagreed = row["disagreed_n"] if row else 0
            profile.reputation = reputation_of(profile)
            new_level = effective_level(profile)
            if new_level != profile.level:
                changed_levels += 1
                _level_changed(
                    profile=profile,
                    old=profile.level,
                    new=new_level,
                    reason=_("Réputation recalculée : %(rep)s points.")
                    % {"rep": profile.reputation},
                )
                profile.level = new_level
                profile.level_changed_at = timezone.now()
        ForumProfile.objects.bulk_update(
            profiles,
            [
                "ratings_given",
                "ratings_agreed",
                "ratings_disagreed",
                "reputation",
                "level",
                "level_changed_at",
            ],
            batch_size=1000,
        )
    return {"forum_profiles": len(profiles), "forum_level_changes": changed_levels}


def moderation_points_distribute(*, now: datetime | None = None) -> dict[str, int]:
    """Once a day (after Slashdot): yesterday's new contributions make the day's points, shared
    among trusted raters active in the last two weeks, best reputation first, at most
    `points_max_per_member` each; points left from earlier days expire after their lifetime.
    Idempotent per day (one PointsDistribution row)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if PointsDistribution.objects.filter(day=today).exists():
        return {"forum_points": 0}
    start = timezone.make_aware(datetime.combine(today - timedelta(days=1), datetime.min.time()))
    end = start + timedelta(days=1)
    with transaction.atomic():
        expiring = ForumProfile.objects.filter(points_expire_at__lte=now, moderation_points__gt=0)
        expired = sum(expiring.values_list("moderation_points", flat=True))
        expiring.update(moderation_points=0, points_expire_at=None)
        inflow = Contribution.objects.filter(created_at__gte=start, created_at__lt=end).count()
        points = math.ceil(inflow * conf("points_per_contribution"))
        active_since = now - timedelta(days=14)
        eligible = list(
            ForumProfile.objects.filter(level__gte=Level.RATER, banned_forever=False)
            .filter(Q(banned_until__isnull=True) | Q(banned_until__lte=now))
            .filter(user__in=Rating.objects.filter(created_at__gte=active_since).values("user_id"))
            .order_by("-reputation", "user_id")
            .values_list("user_id", flat=True)
        )
        given: dict[int, int] = {}
        if eligible and points:
            share = min(math.ceil(points / len(eligible)), conf("points_max_per_member"))
            left = points
            for user_id in eligible:
                if left <= 0:
                    break
                given[user_id] = min(share, left)
                left -= given[user_id]
        by_amount: dict[int, list[int]] = defaultdict(list)
        for user_id, amount in given.items():
            by_amount[amount].append(user_id)
        expires = now + timedelta(days=conf("points_lifetime_days"))
        for amount, user_ids in by_amount.items():
            ForumProfile.objects.filter(user_id__in=user_ids).update(
                moderation_points=F("moderation_points") + amount, points_expire_at=expires
            )
        PointsDistribution.objects.create(
            day=today,
            inflow=inflow,
            points=sum(given.values()),
            recipients=len(given),
            expired=expired,
        )
    return {"forum_points": sum(given.values()), "forum_points_expired": expired}


def meta_moderation_record(*, judge: User, action: ModerationAction, fair: bool) -> MetaModeration:
    """A trusted member's verdict on someone else's moderation. Too many "unfair" verdicts
    (`meta_unfair_share` of at least `meta_min_verdicts`) remove the moderation privilege."""
    profile = require_member(user=judge)
    if profile.level < Level.FLAGGER:
        raise PermissionDenied(_("La méta-modération est ouverte à partir du niveau signaleur."))
    if action.actor_id is None or action.actor_id == judge.pk:
        raise PermissionDenied(_("Vous ne pouvez pas juger cette action."))
    if action.target_user_id == judge.pk:
        raise PermissionDenied(_("Vous ne pouvez pas juger une action qui vous concerne."))
    with transaction.atomic():
        verdict, created = MetaModeration.objects.get_or_create(
            action=action, judge=judge, defaults={"fair": fair}
        )
        if not created:
            raise ApplicationError(_("Vous avez déjà jugé cette action."))
        moderator = profile_get(user=action.actor) if action.actor else None
        if moderator is None:
            return verdict
        field = "meta_fair" if fair else "meta_unfair"
        ForumProfile.objects.filter(pk=moderator.pk).update(**{field: F(field) + 1})
        moderator.refresh_from_db()
        judged = moderator.meta_fair + moderator.meta_unfair
        reason = ""
        if (
            not moderator.moderation_revoked
            and judged >= conf("meta_min_verdicts")
            and moderator.meta_unfair / judged >= conf("meta_unfair_share")
        ):
            moderator.moderation_revoked = True
            moderator.save(update_fields=["moderation_revoked"])
            for theme in Theme.objects.filter(moderators=moderator.user):
                theme.moderators.remove(moderator.user)
            reason = _(
                "Votre modération a été jugée inéquitable %(unfair)s fois sur %(judged)s par "
                "d'autres membres : le droit de modérer vous est retiré."
            ) % {"unfair": moderator.meta_unfair, "judged": judged}
            audit_log_record(
                actor=None,
                action=AuditLogEntry.Action.UPDATE,
                target=moderator,
                changes={"moderation_revoked": [False, True], "reason": reason},
            )
        profile_refresh(profile=moderator, reason=reason)
    return verdict
