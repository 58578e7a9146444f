"""Reads of the territory tables that other apps need (elections places per-bureau results with them)."""

from __future__ import annotations

from collections.abc import Iterable

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
