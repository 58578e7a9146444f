"""Counts kept a minute per user (core.pagination.kept_for_user)."""

from __future__ import annotations

from unittest.mock import patch

from django.core.cache import cache
from django.test import SimpleTestCase

from maillage.core.pagination import (
    KEPT_FOR_USER_SECONDS,
    kept_for_user,
    kept_for_user_forget,
)


class KeptForUserTestCase(SimpleTestCase):
    def setUp(self) -> None:
        cache.clear()
        self.calls: list[int] = []

    def count(self, value: int):  # type: ignore[no-untyped-def]
        def compute() -> int:
            self.calls.append(value)
            return value

        return compute

    def test_kept_per_user_and_kind_until_forgotten(self) -> None:
        self.assertEqual(kept_for_user(kind="a", user_id=1, stamp="s", compute=self.count(3)), 3)
        self.assertEqual(kept_for_user(kind="a", user_id=1, stamp="s", compute=self.count(4)), 3)
        self.assertEqual(kept_for_user(kind="a", user_id=2, stamp="s", compute=self.count(5)), 5)
        self.assertEqual(kept_for_user(kind="b", user_id=1, stamp="s", compute=self.count(6)), 6)
        kept_for_user_forget(kind="a", user_id=1)
        self.assertEqual(kept_for_user(kind="a", user_id=1, stamp="s", compute=self.count(7)), 7)
        self.assertEqual(kept_for_user(kind="b", user_id=1, stamp="s", compute=self.count(8)), 6)
        self.assertEqual(self.calls, [3, 5, 6, 7])

    def test_another_stamp_computes_again(self) -> None:
        kept_for_user(kind="a", user_id=1, stamp=("volunteer", "2026-12-03"), compute=self.count(1))
        found = kept_for_user(
            kind="a", user_id=1, stamp=("volunteer", "2026-12-04"), compute=self.count(2)
        )
        self.assertEqual(found, 2)
        self.assertEqual(self.calls, [1, 2])

    def test_kept_for_a_minute(self) -> None:
        with patch.object(cache, "set", wraps=cache.set) as stored:
            kept_for_user(kind="a", user_id=1, stamp="s", compute=self.count(1))
        self.assertEqual(stored.call_args.args[2], KEPT_FOR_USER_SECONDS)
        self.assertEqual(KEPT_FOR_USER_SECONDS, 60)
