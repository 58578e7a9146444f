"""Calling hours: "10:00-13:00,14:00-20:00" on weekdays, optional hours on Saturday, never on
Sunday, read in the campaign's time zone (settings.TIME_ZONE). Pure functions."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from maillage.core.errors import ApplicationError

Range = tuple[time, time]


def parse_hours(text: str) -> list[Range]:
    """ "10:00-13:00, 14:00-20:00" → [(10:00, 13:00), (14:00, 20:00)]; "" → no hours."""
    ranges: list[Range] = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        start_text, sep, end_text = part.partition("-")
        try:
            if not sep:
                raise ValueError(part)
            start = time.fromisoformat(start_text.strip())
            end = time.fromisoformat(end_text.strip())
        except ValueError:
            raise ApplicationError(
                _("Plage horaire illisible : « %(part)s » (attendu : 10:00-13:00).")
                % {"part": part}
            ) from None
        if end <= start:
            raise ApplicationError(
                _("La plage « %(part)s » finit avant de commencer.") % {"part": part}
            )
        ranges.append((start, end))
    return sorted(ranges)


def hours_for(weekday: int, *, weekday_hours: str, saturday_hours: str) -> list[Range]:
    if weekday < 5:
        return parse_hours(weekday_hours)
    if weekday == 5:
        return parse_hours(saturday_hours)
    return []


def within_calling_hours(moment: datetime, *, weekday_hours: str, saturday_hours: str) -> bool:
    local = moment.astimezone(ZoneInfo(settings.TIME_ZONE))
    now = local.time()
    return any(
        start <= now < end
        for start, end in hours_for(
            local.weekday(), weekday_hours=weekday_hours, saturday_hours=saturday_hours
        )
    )
