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
