"""Rank scores of rated items, pure functions stored on each row when it is rated.

- best: the lower bound of the Wilson score interval for the share of "up" ratings at 95 %
  (Evan Miller, "How not to sort by average rating"): an item rated 1/1 does not beat one
  rated 90/100, and up − down does not favour busy items.
- hot: Reddit's formula, log10 of the net score plus the creation time in units of 12.5 hours,
  so it never needs recomputing as time passes: newer items start higher, and 10× the net score
  is worth 12.5 hours of age.
- controversial: many ratings, split evenly.
"""

from __future__ import annotations

import math
from datetime import datetime

Z_95 = 1.959963984540054  # the 97.5th percentile of the normal distribution
HOT_EPOCH = 1_767_225_600  # 2026-01-01 UTC, keeps the numbers small
HOT_SECONDS = 45_000


def wilson_lower_bound(up: int, down: int, z: float = Z_95) -> float:
    n = up + down
    if n == 0:
        return 0.0
    p = up / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    spread = z * math.sqrt((p * (1 - p) + z2 / (4 * n)) / n)
    return (centre - spread) / (1 + z2 / n)


def hot_score(up: int, down: int, created_at: datetime) -> float:
    net = up - down
    order = math.log10(max(abs(net), 1))
    sign = 1 if net > 0 else -1 if net < 0 else 0
    return round(sign * order + (created_at.timestamp() - HOT_EPOCH) / HOT_SECONDS, 7)


def controversy(up: int, down: int) -> float:
    if up <= 0 or down <= 0:
        return 0.0
    balance = min(up, down) / max(up, down)
    return float((up + down) ** balance)


def ranks(up: int, down: int, created_at: datetime) -> dict[str, float]:
    return {
        "rank_best": wilson_lower_bound(up, down),
        "rank_hot": hot_score(up, down, created_at),
        "rank_controversial": controversy(up, down),
    }
