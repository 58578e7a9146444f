"""The turf map's data and settings: geocoded points (places only, never names), the turf's
outline, the tile server (none by default), and the Content-Security-Policy that lets a
configured tile server's images in.

Coordinates are `Person.latitude`/`longitude`, filled by the geocoder (people's
`services.geocoding`); people without them are simply not on the map.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone

from maillage.accounts.models import User
from maillage.canvassing.models import Turf, TurfMember
from maillage.core.middleware import csp_header_value
from maillage.people.selectors.people import people_visible_to

# A map view holds at most this many points (a city's centre at street zoom is far fewer).
MAX_POINTS = 5_000


def today() -> date:
    return timezone.localdate()


def map_config() -> dict[str, str]:
    return {
        "tiles": settings.MAP_TILES_URL,
        "attribution": settings.MAP_TILES_ATTRIBUTION,
    }


def allow_tiles(response: HttpResponse) -> HttpResponse:
    """Let the configured tile server's images into a map page (the one third party a campaign
    may choose); without one the page keeps the site-wide policy."""
    if not settings.MAP_TILES_URL:
        return response
    parts = urlsplit(settings.MAP_TILES_URL)
    origin = f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"  # Leaflet's subdomains
    header = (
        "Content-Security-Policy-Report-Only"
        if settings.MAILLAGE_CSP_REPORT_ONLY
        else "Content-Security-Policy"
    )
    response[header] = csp_header_value().replace("img-src 'self'", f"img-src 'self' {origin}", 1)
    return response


def turf_features(*, turf: Turf) -> dict[str, Any]:
    """The turf's outline (GeoJSON, or None) and one point per geocoded door, in walk order:
    [longitude, latitude, door number]."""
    outline = json.loads(turf.geometry) if turf.geometry else None
    points: list[list[float | int]] = []
    rows = (
        TurfMember.objects.filter(turf_id=turf.pk, person__latitude__isnull=False)
        .order_by("position")
        .values_list("door", "person__longitude", "person__latitude")
    )
    seen: set[int] = set()
    for door, lon, lat in rows:
        # One point per door: a household's people share the address.
        if door not in seen and lon is not None and lat is not None:
            seen.add(door)
            points.append([lon, lat, door])
    return {"outline": outline, "points": points}


def people_points(*, user: User, bbox: tuple[float, float, float, float]) -> dict[str, Any]:
    """Geocoded addresses in (west, south, east, north) that the user may see: distinct points,
    at most MAX_POINTS, and whether more were left out."""
    west, south, east, north = bbox
    rows = list(
        people_visible_to(user=user)
        .filter(latitude__range=(south, north), longitude__range=(west, east))
        .order_by()
        .values_list("longitude", "latitude")
        .distinct()[: MAX_POINTS + 1]
    )
    return {
        "points": [
            [lon, lat] for lon, lat in rows[:MAX_POINTS] if lon is not None and lat is not None
        ],
        "truncated": len(rows) > MAX_POINTS,
    }


def initial_view(*, user: User) -> str:
    """The "west,south,east,north" around a sample of the geocoded people the user may see, where
    the drawing map opens ("" when there are none: the map opens on France)."""
    from django.db.models import Max, Min

    sample = (
        people_visible_to(user=user)
        .filter(latitude__isnull=False, longitude__isnull=False)
        .order_by()
        .values("pk")[:2_000]
    )
    box = (
        people_visible_to(user=user)
        .filter(pk__in=sample)
        .aggregate(
            west=Min("longitude"),
            south=Min("latitude"),
            east=Max("longitude"),
            north=Max("latitude"),
        )
    )
    if box["west"] is None:
        return ""
    return ",".join(f"{float(box[k]):.6f}" for k in ("west", "south", "east", "north"))
