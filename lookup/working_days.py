"""Working days: weekdays that are not public holidays in the seller's country."""

from __future__ import annotations

from datetime import date
from datetime import timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _holidays(country: str | None) -> holidays.HolidayBase | dict:
    """The public holidays of a country, or none when the country is unknown to the package."""
    if not country:
        return {}
    try:
        return holidays.country_holidays(country)
    except NotImplementedError:
        return {}


# Pure functions of hashable arguments, asked the same questions on every lookup: cached.
@lru_cache(maxsize=16384)
def is_working_day(day: date, country: str | None) -> bool:
    """True on a weekday that is not a public holiday in the country."""
    # The holidays object fills in a year the first time a date of that year is looked up.
    return day.weekday() < 5 and day not in _holidays(country)


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
    return sum(
        1 for offset in range(1, (end - start).days + 1)
        if is_working_day(start + timedelta(days=offset), country)
    )
