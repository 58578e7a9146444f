"""Dashboard tiles: each app may offer tiles in `<app>/dashboard.py` as `dashboard_tiles(user)`.

Core gathers them for the dashboard page, so the page grows as apps arrive without core
importing any feature app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import Any

from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from maillage.core.models import AuditLogEntry, TaskProgress
from maillage.core.roles import Role, has_role


@dataclass(frozen=True)
class Bar:
    """One bar of a tile's small chart: `percent` is relative to the tile's widest bar."""

    label: str | Promise
    value: int
    percent: int


def bars_from_counts(counts: list[tuple[str | Promise, int]]) -> list[Bar]:
    widest = max((value for _label, value in counts), default=0) or 1
    return [
        Bar(label=label, value=value, percent=round(value * 100 / widest))
        for label, value in counts
    ]


@dataclass
class Tile:
    title: str | Promise
    value: str | int | None = None
    caption: str | Promise = ""
    url: str = ""
    link_label: str | Promise = ""
    order: int = 100
    bars: list[Bar] = field(default_factory=list)


def dashboard_tiles(user: AbstractBaseUser | AnonymousUser) -> list[Tile]:
    tiles: list[Tile] = []
    if has_role(user, Role.STAFF):
        tiles.append(
            Tile(
                title=_("Journal d'audit"),
                value=AuditLogEntry.objects.count(),
                caption=_("actions enregistrées"),
                url=reverse("core:audit_log"),
                link_label=_("Lire le journal"),
                order=900,
            )
        )
        running = TaskProgress.objects.filter(status=TaskProgress.Status.RUNNING).count()
        tiles.append(
            Tile(
                title=_("Tâches de fond"),
                value=running,
                caption=_("en cours"),
                url=reverse("core:census"),
                link_label=_("Recensement de la base"),
                order=910,
            )
        )
    return tiles


@cache
def _providers() -> tuple[Callable[[Any], list[Tile]], ...]:
    """Each app's `dashboard_tiles`, looked up once per process (a failed import of an app
    without dashboard.py searched the file system on every page)."""
    providers = []
    for config in apps.get_app_configs():
        if not config.name.startswith("maillage."):
            continue
        try:
            module = import_module(f"{config.name}.dashboard")
        except ModuleNotFoundError:
            continue
        provider = getattr(module, "dashboard_tiles", None)
        if provider is not None:
            providers.append(provider)
    return tuple(providers)


def all_dashboard_tiles(user: AbstractBaseUser | AnonymousUser) -> list[Tile]:
    tiles: list[Tile] = []
    for provider in _providers():
        tiles.extend(provider(user))
    return sorted(tiles, key=lambda tile: tile.order)
