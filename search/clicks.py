"""Learn from what buyers click: the sections they open for a query are lifted for that query.

The lift is bounded and has a floor: below MIN_CLICKS clicks on a query nothing changes (a few
clicks, or one buyer, cannot reorder answers), and a section's score is at most multiplied by
1 + MAX_LIFT, only among the sections the query already finds, so clicks can bring a good answer
up but never bury the others or pull in a section the words do not find.

The clicks are counted by the service in its shared database (query text and a site path only,
nothing about who clicked); the index is handed a function that reads them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Mapping

MIN_CLICKS = 5
MAX_LIFT = 0.5
MAX_URL_CHARS = 300
# Only the words of a query are kept, and never unbounded text.
MAX_QUERY_CHARS = 200
# How many of the most clicked queries are kept in memory.
MAX_QUERIES = 20_000

# Normalized query -> section URL -> clicks.
Clicks = dict[str, dict[str, int]]
# Reads the clicks recorded so far (queries past MIN_CLICKS only, at most MAX_QUERIES of them).
ClickReader = Callable[[], Clicks]


def normalize(query: str) -> str:
    """Lowercase with blanks collapsed, so the same question counts once."""
    return re.sub(r"\s+", " ", query).strip().lower()[:MAX_QUERY_CHARS]


def is_site_path(url: str) -> bool:
    """True for a path of this site (the only kind of result a click can open)."""
    return url.startswith("/") and not url.startswith("//") and len(url) <= MAX_URL_CHARS


def lifts(clicks: Mapping[str, int]) -> dict[str, float]:
    """What to multiply each clicked section's score by, for one query's clicks."""
    total = sum(clicks.values())
    if total < MIN_CLICKS:
        return {}
    return {url: 1 + MAX_LIFT * count / total for url, count in clicks.items()}
