"""Working days follow the seller's country: its weekend and its public holidays."""

from __future__ import annotations

from datetime import date

import pytest

from lookup.working_days import add_working_days
from lookup.working_days import is_working_day
from lookup.working_days import working_days_between


@pytest.mark.parametrize("country", ["SA", "IL"])
def test_working_days_follow_the_sellers_weekend(country):
    """Friday and Saturday are the weekend in Saudi Arabia and Israel; Sunday is a working day."""
    friday, saturday, sunday = date(2026, 12, 4), date(2026, 12, 5), date(2026, 12, 6)
    assert not is_working_day(friday, country)
    assert not is_working_day(saturday, country)
    assert is_working_day(sunday, country)
    # Thursday 3 Dec + 1 working day skips Friday and Saturday.
    assert add_working_days(date(2026, 12, 3), 1, country) == sunday
    assert working_days_between(date(2026, 12, 3), date(2026, 12, 6), country) == 1


@pytest.mark.parametrize("country", ["ZZ", None])
def test_working_days_of_an_unknown_country_skip_saturday_and_sunday(country):
    """A country the holidays package does not know keeps a Saturday-Sunday weekend."""
    assert add_working_days(date(2026, 12, 4), 1, country) == date(2026, 12, 7)


def test_korean_public_holidays_are_not_working_days():
    """Christmas is a public holiday in Korea and a Friday in 2026."""
    assert not is_working_day(date(2026, 12, 25), "KR")
    assert add_working_days(date(2026, 12, 24), 1, "KR") == date(2026, 12, 28)


@pytest.mark.parametrize("country", ["KR", "MY", "US", "SA", None])
def test_working_days_between_counts_each_day_after_the_start(country):
    """Read off the years' running counts, the count is that of asking day by day: after the
    start, up to and including the end, across the turn of a year too."""
    import random
    from datetime import timedelta

    rng = random.Random(country)
    for _ in range(300):
        start = date(2025, 1, 1) + timedelta(days=rng.randint(0, 900))
        end = start + timedelta(days=rng.randint(-3, 500))
        by_day = sum(is_working_day(start + timedelta(days=offset), country)
                     for offset in range(1, (end - start).days + 1))
        assert working_days_between(start, end, country) == by_day, (start, end)
