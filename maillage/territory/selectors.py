"""Reads of the territory tables that other apps need (elections places per-bureau results with them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Subquery

from maillage.territory.models import Commune, PollingStation


def polling_station_constituencies(*, codes: Iterable[str]) -> dict[str, str]:
    """{station code: constituency code} for the stations whose constituency is known."""
    return dict(
        PollingStation.objects.filter(code__in=list(codes), constituency__isnull=False).values_list(
            "code", "constituency__code"
        )
    )


def commune_constituencies(*, codes: Iterable[str]) -> dict[str, str]:
    """{commune code: constituency code} for communes lying wholly in one constituency."""
    return dict(
        Commune.objects.filter(code__in=list(codes), constituency__isnull=False).values_list(
            "code", "constituency__code"
        )
    )


def roll_label_limits() -> list[int]:
    """The lengths of the columns keeping a roll's station labels, in the order of
    `services.ROLL_LABELS` (commune, station, canton, constituency): an import rejects a row
    whose label would not fit rather than cut it."""
    fields = [
        Commune._meta.get_field("name"),
        PollingStation._meta.get_field("name"),
        PollingStation._meta.get_field("canton_label"),
        PollingStation._meta.get_field("constituency_label"),
    ]
    return [int(f.max_length or 0) for f in fields]


def polling_station_id_by_code(code: Any) -> Subquery:
    """The id of the polling station whose code is `code` (an `OuterRef`), for a set-based
    `UPDATE … SET polling_station_id = (SELECT …)` of rows keyed by station code."""
    return Subquery(PollingStation.objects.filter(code=code).values("pk")[:1])


def commune_id_by_code(code: Any) -> Subquery:
    """The id of the commune whose INSEE code is `code` (an `OuterRef`), like the above."""
    return Subquery(Commune.objects.filter(code=code).values("pk")[:1])
