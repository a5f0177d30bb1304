"""Count the queries that found nothing, so the operator sees what the articles fail to answer."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC
from datetime import datetime
from pathlib import Path

# Only the words: nothing about who asked, and no unbounded text.
MAX_STORED_CHARS = 200

SCHEMA = """
CREATE TABLE IF NOT EXISTS zero_result_queries (
    query TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    last_seen TEXT NOT NULL
)
"""


def normalize(query: str) -> str:
    """Lowercase with blanks collapsed, so the same question counts once."""
    return re.sub(r"\s+", " ", query).strip().lower()[:MAX_STORED_CHARS]


def _connect(path: Path) -> sqlite3.Connection:
    """Open (and if need be create) the counter database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=2)
    db.execute(SCHEMA)
    return db


def record_miss(path: Path, query: str) -> None:
    """Count one more search for query that found nothing."""
    text = normalize(query)
    if not text:
        return
    now = datetime.now(UTC).isoformat(timespec="seconds")
    db = _connect(Path(path))
    try:
        with db:
            db.execute(
                "INSERT INTO zero_result_queries (query, count, last_seen) VALUES (?, 1, ?)"
                " ON CONFLICT (query) DO UPDATE SET count = count + 1, last_seen = excluded.last_seen",
                (text, now),
            )
    finally:
        db.close()


def top_misses(path: Path, limit: int = 50) -> list[tuple[str, int, str]]:
    """The most frequent zero-result queries: (query, count, last seen), most frequent first."""
    if not Path(path).is_file():
        return []
    db = _connect(Path(path))
    try:
        return db.execute(
            "SELECT query, count, last_seen FROM zero_result_queries"
            " ORDER BY count DESC, last_seen DESC LIMIT ?",
            (limit,),
        ).fetchall()
    finally:
        db.close()
