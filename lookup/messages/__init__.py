"""The words a buyer reads, one catalogue per language (en.toml, ko.toml), and dates in them.

Code names a message by its dotted id ("steps.pay.title") and the values it computed; the
catalogue holds the sentence. Dates go through Babel with each catalogue's own patterns.
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date

LANGS = ("en", "ko")
DEFAULT_LANG = "en"
HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=len(LANGS))
def catalogue(lang: str) -> dict[str, Any]:
    """The whole catalogue of a language, read once."""
    with (HERE / f"{lang}.toml").open("rb") as handle:
        return tomllib.load(handle)


def pick_lang(value: object) -> str | None:
    """The catalogue for a language tag ('ko', 'ko-KR', 'KO'), or None when there is none."""
    if not isinstance(value, str):
        return None
    primary = value.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGS else None


def site_path(lang: str, path: str) -> str:
    """A path of this site in a language: Korean pages are the English paths under /ko/."""
    return path if lang == DEFAULT_LANG else f"/{lang}{path}"


@lru_cache(maxsize=1024)
def entry(lang: str, key: str) -> Any:
    """The raw catalogue value at a dotted id (a string, or a table of them), found once."""
    value: Any = catalogue(lang)
    for part in key.split("."):
        value = value[part]
    return value


def text(lang: str, key: str, **values: Any) -> str:
    """The message at a dotted id, filled with the values."""
    if not values:
        return _plain(lang, key)
    return str(entry(lang, key)).format(**values)


def shared(lang: str, key: str, **values: Any) -> str:
    """text(), for values that many answers share (a day, a count, a seller's or carrier's name):
    each filled message is worded once."""
    return _filled(lang, key, tuple(values.items()))


@lru_cache(maxsize=8192)
def _filled(lang: str, key: str, values: tuple[tuple[str, Any], ...]) -> str:
    """The message at a dotted id, filled with the (name, value) pairs."""
    return text(lang, key, **dict(values))


@lru_cache(maxsize=1024)
def _plain(lang: str, key: str) -> str:
    """A message that takes no values (a stage, a title), worded once."""
    return str(entry(lang, key)).format()


@lru_cache(maxsize=1024)
def days(lang: str, count: int) -> str:
    """'1 day', '3 days', '3일'."""
    return text(lang, "units.day_one" if count == 1 else "units.day_other", n=count)


# Every lookup words a handful of dates, and orders share their days: a day is worded by Babel
# once per format and language (a few years of days in two languages fit).
@lru_cache(maxsize=8192)
def _formatted(lang: str, pattern: str, day: date) -> str:
    """A date in the catalogue's format named `pattern`."""
    return format_date(day, entry(lang, pattern), locale=lang)


def long_date(lang: str, day: date) -> str:
    """A date in a sentence: 'Saturday 6 December 2025', '12월 6일(토)'."""
    return _formatted(lang, "formats.long_date", day)


def short_date(lang: str, day: date, today: date) -> str:
    """A date on a card: 'Sat 6 Dec', '12월 6일(토)', with the year when it is not this year."""
    pattern = "formats.short_date" if day.year == today.year else "formats.short_date_year"
    return _formatted(lang, pattern, day)
