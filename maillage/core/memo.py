"""The per-process caches of the hot paths (#17): compiled SQL, drawn fragments and menus,
verified sessions, a segment's last plan. Each is a plain dict keyed by what its value
depends on, kept bounded here whatever keys tests, URLconfs and languages make."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def remember(store: dict[K, V], key: K, value: V, *, limit: int) -> V:
    """`store[key] = value`, the oldest entry dropped past `limit`; answers `value`."""
    store[key] = value
    if len(store) > limit:
        store.pop(next(iter(store)), None)
    return value
