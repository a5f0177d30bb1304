"""Learn from what buyers click: the sections they open for a query are lifted for that query.

The lift is bounded and has a floor: below MIN_CLICKS clicks on a query nothing changes (a few
clicks, or one buyer, cannot reorder answers), and a section's score is at most multiplied by
1 + MAX_LIFT, only among the sections the query already finds, so clicks can bring a good answer
up but never bury the others or pull in a section the words do not find.

Counted next to the search counts (search.misses), in a table of their own: query, section URL,
clicks. Query text and a site path only, nothing about who clicked.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path

from search.misses import normalize

MIN_CLICKS = 5
MAX_LIFT = 0.5
MAX_URL_CHARS = 300
# How many of the most clicked queries are kept in memory.
MAX_QUERIES = 20_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS search_result_clicks (
    query TEXT NOT NULL,
    url TEXT NOT NULL,
    clicks INTEGER NOT NULL,
    PRIMARY KEY (query, url)
)
"""

# Normalized query -> section URL -> clicks.
Clicks = dict[str, dict[str, int]]


def _connect(path: Path) -> sqlite3.Connection:
    """Open (and if need be create) the counter database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=2)
    db.executescript(SCHEMA)
    return db


def record_result_click(path: Path, query: str, url: str) -> bool:
    """Count a click on the result url of query; False when either is empty or not a site path."""
    text = normalize(query)
    if not text or not url.startswith("/") or len(url) > MAX_URL_CHARS:
        return False
    db = _connect(Path(path))
    try:
        with db:
            db.execute(
                "INSERT INTO search_result_clicks (query, url, clicks) VALUES (?, ?, 1)"
                " ON CONFLICT (query, url) DO UPDATE SET clicks = clicks + 1",
                (text, url),
            )
    finally:
        db.close()
    return True


def read_clicks(path: Path | None) -> Clicks:
    """Every query's clicked sections with their counts, for queries past the floor."""
    if path is None or not Path(path).is_file():
        return {}
    db = _connect(Path(path))
    try:
        rows = db.execute(
            "SELECT c.query, c.url, c.clicks FROM search_result_clicks c JOIN ("
            " SELECT query FROM search_result_clicks GROUP BY query HAVING SUM(clicks) >= ?"
            " ORDER BY SUM(clicks) DESC LIMIT ?) top ON top.query = c.query",
            (MIN_CLICKS, MAX_QUERIES),
        ).fetchall()
    finally:
        db.close()
    found: Clicks = {}
    for query, url, clicks in rows:
        found.setdefault(query, {})[url] = clicks
    return found


def lifts(clicks: Mapping[str, int]) -> dict[str, float]:
    """What to multiply each clicked section's score by, for one query's clicks."""
    total = sum(clicks.values())
    if total < MIN_CLICKS:
        return {}
    return {url: 1 + MAX_LIFT * count / total for url, count in clicks.items()}
