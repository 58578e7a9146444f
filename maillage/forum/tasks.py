"""The forum's periodic work, run by core's housekeeping (`periodic_upkeep` hook): the day's
moderation points (once a day, idempotent) and the reputation recount (consensus, accuracy,
levels), which is set-based and safe to run at every housekeeping pass."""

from __future__ import annotations

from datetime import datetime

from maillage.forum.services import moderation_points_distribute, reputation_recompute


def periodic_upkeep(*, now: datetime) -> dict[str, int]:
    counts = reputation_recompute()
    counts.update(moderation_points_distribute(now=now))
    return counts
