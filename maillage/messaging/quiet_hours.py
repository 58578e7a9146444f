"""When no SMS goes out: nights (20:00–08:00 by default), Sundays and French public holidays,
each configurable. A blast that meets quiet hours waits for the next allowed minute."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

from django.conf import settings
from django.utils import timezone


def easter_sunday(year: int) -> date:
    """Western (Gregorian) Easter: the anonymous algorithm (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def french_public_holidays(year: int) -> frozenset[date]:
    """The eleven national public holidays (Code du travail, L3133-1); Alsace-Moselle's Good
    Friday and 26 December are added with MAILLAGE_SMS_HOLIDAYS_ALSACE_MOSELLE."""
    easter = easter_sunday(year)
    days = {
        date(year, 1, 1),
        easter + timedelta(days=1),  # lundi de Pâques
        date(year, 5, 1),
        date(year, 5, 8),
        easter + timedelta(days=39),  # Ascension
        easter + timedelta(days=50),  # lundi de Pentecôte
        date(year, 7, 14),
        date(year, 8, 15),
        date(year, 11, 1),
        date(year, 11, 11),
        date(year, 12, 25),
    }
    if settings.MAILLAGE_SMS_HOLIDAYS_ALSACE_MOSELLE:
        days |= {easter - timedelta(days=2), date(year, 12, 26)}
    return frozenset(days)


def _quiet_day(day: date) -> bool:
    if settings.MAILLAGE_SMS_QUIET_SUNDAY and day.weekday() == 6:
        return True
    return bool(settings.MAILLAGE_SMS_QUIET_HOLIDAYS) and day in french_public_holidays(day.year)


def _quiet_time(moment: time) -> bool:
    start, end = settings.MAILLAGE_SMS_QUIET_START, settings.MAILLAGE_SMS_QUIET_END
    if start == end:
        return False
    if start > end:  # over midnight: 20 → 8
        return moment.hour >= start or moment.hour < end
    return start <= moment.hour < end


def is_quiet(at: datetime) -> bool:
    local = timezone.localtime(at)
    return _quiet_day(local.date()) or _quiet_time(local.time())


def next_allowed(at: datetime) -> datetime:
    """`at` itself when SMS may go out then, else the first allowed moment after it."""
    local = timezone.localtime(at)
    for _ in range(24 * 40):  # hour steps; 40 days is past any run of quiet days
        if not is_quiet(local):
            return local
        local = (local + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return local
