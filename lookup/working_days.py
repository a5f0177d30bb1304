"""Working days: days outside the weekend and the public holidays of the seller's country."""

from __future__ import annotations

from datetime import date
from datetime import timedelta
from functools import lru_cache

import holidays

# Where the package does not know the country: a Saturday-Sunday weekend and no holidays.
DEFAULT_WEEKEND = frozenset({5, 6})


@lru_cache(maxsize=64)
def _holidays(country: str | None) -> holidays.HolidayBase | None:
    """The public holidays and weekend of a country, or None when the package does not know it."""
    if not country:
        return None
    try:
        return holidays.country_holidays(country)
    except NotImplementedError:
        return None


# Pure functions of hashable arguments, asked the same questions on every lookup: cached.
@lru_cache(maxsize=16384)
def is_working_day(day: date, country: str | None) -> bool:
    """True on a day that is neither the country's weekend nor one of its public holidays."""
    calendar = _holidays(country)
    if calendar is None:
        return day.weekday() not in DEFAULT_WEEKEND
    # The package knows each country's weekend (Friday-Saturday in Saudi Arabia and Israel);
    # it fills in a year the first time a date of that year is looked up.
    return calendar.is_working_day(day)


@lru_cache(maxsize=16384)
def add_working_days(start: date, count: int, country: str | None) -> date:
    """The date `count` working days after `start` (start itself is not counted)."""
    day = start
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day, country):
            count -= 1
    return day


@lru_cache(maxsize=16384)
def working_days_between(start: date, end: date, country: str | None) -> int:
    """How many working days fall after `start` up to and including `end`."""
    if end <= start:
        return 0
    # Read off each year's running count rather than asking day by day: every lookup of a
    # parcel in transit asks this with a new today, for spans of weeks.
    total = 0
    for year in range(start.year, end.year + 1):
        counts = _running_counts(year, country)
        last = end if year == end.year else date(year, 12, 31)
        total += counts[last.timetuple().tm_yday - 1]
        if year == start.year:
            total -= counts[start.timetuple().tm_yday - 1]
    return total


@lru_cache(maxsize=256)
def _running_counts(year: int, country: str | None) -> tuple[int, ...]:
    """The working days of a year up to and including each of its days, from 1 January."""
    counts, total, day = [], 0, date(year, 1, 1)
    while day.year == year:
        total += is_working_day(day, country)
        counts.append(total)
        day += timedelta(days=1)
    return tuple(counts)
