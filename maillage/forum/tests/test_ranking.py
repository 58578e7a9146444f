"""Rank scores on known values (Wilson lower bounds as published by Evan Miller's formula, and
computed independently here with the normal quantile)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from maillage.forum.ranking import controversy, hot_score, wilson_lower_bound


@pytest.mark.parametrize(
    ("up", "down", "expected"),
    [
        (0, 0, 0.0),
        (1, 0, 0.2065),
        (0, 1, 0.0),
        (5, 0, 0.5655),
        (10, 0, 0.7225),
        (9, 1, 0.5958),
        (60, 40, 0.5020),
        (600, 400, 0.5693),
        (90, 10, 0.8256),
    ],
)
def test_wilson_lower_bound_on_known_values(up: int, down: int, expected: float) -> None:
    assert wilson_lower_bound(up, down) == pytest.approx(expected, abs=1e-4)


def test_wilson_prefers_many_good_ratings_to_one() -> None:
    assert wilson_lower_bound(90, 10) > wilson_lower_bound(1, 0)
    # Not up − down: 10/0 beats 60/40 though its net score is lower.
    assert wilson_lower_bound(10, 0) > wilson_lower_bound(60, 40)
    # Not the average: 1/0 (100 %) is below 9/1 (90 %).
    assert wilson_lower_bound(1, 0) < wilson_lower_bound(9, 1)


def test_wilson_matches_the_textbook_formula() -> None:
    z = 1.96
    for up, down in [(3, 2), (17, 4), (250, 260)]:
        n = up + down
        p = up / n
        textbook = (p + z * z / (2 * n) - z * math.sqrt((p * (1 - p) + z * z / (4 * n)) / n)) / (
            1 + z * z / n
        )
        assert wilson_lower_bound(up, down) == pytest.approx(textbook, abs=1e-4)


def test_hot_favours_recent_and_well_rated() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert hot_score(10, 0, now) > hot_score(10, 0, now - timedelta(days=2))
    assert hot_score(100, 0, now) > hot_score(1, 0, now)
    assert hot_score(0, 10, now) < hot_score(0, 0, now)


def test_controversy_needs_both_sides() -> None:
    assert controversy(10, 0) == 0
    assert controversy(50, 50) > controversy(90, 10) > 0
