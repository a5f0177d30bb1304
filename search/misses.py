"""Count searches by day (and the ones that found nothing or were never clicked), so the operator
sees what the articles fail to answer. Query text only: nothing about who asked."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

# Only the words: nothing about who asked, and no unbounded text.
MAX_STORED_CHARS = 200
# The store stays bounded whatever is typed: past this many different queries in a day, new
# ones are counted together under OTHER_QUERIES; days older than KEEP_DAYS are pruned.
MAX_QUERIES_PER_DAY = 5000
OTHER_QUERIES = "(other queries)"
KEEP_DAYS = 180

SCHEMA = """
CREATE TABLE IF NOT EXISTS search_days (
    day TEXT NOT NULL,
    query TEXT NOT NULL,
    searches INTEGER NOT NULL,
    zero_results INTEGER NOT NULL,
    clicks INTEGER NOT NULL,
    PRIMARY KEY (day, query)
)
"""


def normalize(query: str) -> str:
    """Lowercase with blanks collapsed, so the same question counts once."""
    return re.sub(r"\s+", " ", query).strip().lower()[:MAX_STORED_CHARS]


def _connect(path: Path) -> sqlite3.Connection:
    """Open (and if need be create) the counter database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=2)
    db.executescript(SCHEMA)
    return db


def top_misses(path: Path, limit: int = 50) -> list[tuple[str, int, str]]:
    """The most frequent zero-result queries: (query, count, last day seen), most frequent first."""
    if not Path(path).is_file():
        return []
    db = _connect(Path(path))
    try:
        return db.execute(
            "SELECT query, SUM(zero_results), MAX(day) FROM search_days WHERE zero_results > 0"
            " GROUP BY query ORDER BY SUM(zero_results) DESC, MAX(day) DESC LIMIT ?",
            (limit,),
        ).fetchall()
    finally:
        db.close()


def _today() -> str:
    """Today in UTC, the same day on every host."""
    return datetime.now(UTC).date().isoformat()


def record_search(path: Path, query: str, results: int, day: date | None = None, *,
                  max_queries: int = MAX_QUERIES_PER_DAY, keep_days: int = KEEP_DAYS) -> None:
    """Count one search for query on the day (UTC), and whether it found nothing.

    The first search of a day also prunes the days older than `keep_days`.
    """
    text = normalize(query)
    if not text:
        return
    when = day or date.fromisoformat(_today())
    zero = 0 if results else 1
    db = _connect(Path(path))
    try:
        with db:
            counted = db.execute(
                "UPDATE search_days SET searches = searches + 1, zero_results = zero_results + ?"
                " WHERE day = ? AND query = ?", (zero, when.isoformat(), text)).rowcount
            if counted:
                return
            (known,) = db.execute("SELECT COUNT(*) FROM search_days WHERE day = ?",
                                  (when.isoformat(),)).fetchone()
            if known == 0:
                _prune(db, when - timedelta(days=keep_days))
            if known >= max_queries:
                text = OTHER_QUERIES
            db.execute(
                "INSERT INTO search_days (day, query, searches, zero_results, clicks)"
                " VALUES (?, ?, 1, ?, 0) ON CONFLICT (day, query) DO UPDATE SET"
                " searches = searches + 1, zero_results = zero_results + excluded.zero_results",
                (when.isoformat(), text, zero),
            )
    finally:
        db.close()


def _prune(db: sqlite3.Connection, before: date) -> int:
    """Delete the counts of days before `before`; how many rows went."""
    return db.execute("DELETE FROM search_days WHERE day < ?", (before.isoformat(),)).rowcount


def prune(path: Path, before: date) -> int:
    """Delete the counts of days before `before` (the operator's `helpcenter report --prune`)."""
    if not Path(path).is_file():
        return 0
    db = _connect(Path(path))
    try:
        with db:
            return _prune(db, before)
    finally:
        db.close()


def record_click(path: Path, query: str, day: date | None = None) -> bool:
    """Count a click on a result of query; False when query was not searched that day.

    Only searches the service answered can be clicked, so a made-up beacon adds no new queries.
    """
    text = normalize(query)
    if not text or not Path(path).is_file():
        return False
    db = _connect(Path(path))
    try:
        with db:
            changed = db.execute(
                "UPDATE search_days SET clicks = clicks + 1 WHERE day = ? AND query = ?",
                (day.isoformat() if day else _today(), text),
            ).rowcount
    finally:
        db.close()
    return bool(changed)


def search_days(path: Path, since: date, until: date) -> list[tuple[str, int, int, int]]:
    """Per query, summed over the days since..until (inclusive): searches, zero results, clicks."""
    if not Path(path).is_file():
        return []
    db = _connect(Path(path))
    try:
        return db.execute(
            "SELECT query, SUM(searches), SUM(zero_results), SUM(clicks) FROM search_days"
            " WHERE day BETWEEN ? AND ? GROUP BY query ORDER BY SUM(searches) DESC, query",
            (since.isoformat(), until.isoformat()),
        ).fetchall()
    finally:
        db.close()
