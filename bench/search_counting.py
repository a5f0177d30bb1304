"""What counting a search costs: /api/search latency with the counting on and off, in one process.

    .venv/bin/python bench/search_counting.py --index DIR [--db sqlite|postgresql] [--json OUT]

DIR is a search index (`helpcenter build` writes one). Each round asks the same ten queries and
one new one through Flask's test client. "on" is the counting as shipped (a query's first search
of the day is written at once, later ones are batched); "every" writes every search at once (what
batching saves); "off" replaces the counting call with nothing.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from lookup import create_app  # noqa: E402

POSTGRES_URL = os.environ.get("HELPCENTER_TEST_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/test")
QUERIES = ["refund", "return label", "where is my parcel", "customs fee", "exchange size",
           "cancel order", "xylophone zebra", "late delivery", "pay by card", "damaged item"]
# Names the counting call has had in lookup.web.search_api (replaced by a no-op for "off").
COUNTING_CALLS = ("count_search", "record_search")
# A query no round has asked before, one a round: a first search of the day.
NEW_QUERIES = (f"new question {n}" for n in itertools.count())


def measure(app: Any, rounds: int, counting: bool, batched: bool = True) -> list[float]:
    """Milliseconds per search over `rounds` rounds of QUERIES and one new query each."""
    from lookup.web import search_api

    saved = {}
    if not counting:
        for name in COUNTING_CALLS:
            if hasattr(search_api, name):
                saved[name] = getattr(search_api, name)
                setattr(search_api, name, lambda *args, **kwargs: None)
    insights = app.extensions["insights"]
    if not batched:
        # Forget every stored query, so each search is written at once.
        insights._stored.clear()
        insights._remember = lambda *args: None
    client = app.test_client()
    timings = []
    try:
        for _ in range(rounds):
            for query in [*QUERIES, next(NEW_QUERIES)]:
                started = time.perf_counter()
                response = client.get("/api/search", query_string={"q": query})
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.data
    finally:
        for name, call in saved.items():
            setattr(search_api, name, call)
        insights.__dict__.pop("_remember", None)
    return timings


def summary(timings: list[float]) -> dict[str, float]:
    """p50 and p90 in milliseconds."""
    ordered = sorted(timings)
    return {"p50_ms": round(statistics.median(ordered), 3),
            "p90_ms": round(ordered[int(len(ordered) * 0.9)], 3), "searches": len(ordered)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True, type=Path)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="search-counting-"))
    prefix = f"b{uuid.uuid4().hex[:10]}_"
    url = f"sqlite:///{work / 'orders.sqlite'}" if args.db == "sqlite" else POSTGRES_URL
    app = create_app({"TESTING": True, "SEARCH_INDEX_DIR": str(args.index),
                      "DATABASE_URL": url, "DATABASE_TABLE_PREFIX": prefix,
                      "SEARCH_MISSES_FILE": str(work / "search-misses.sqlite3"),
                      "SEARCH_RATE_LIMIT": "1000000/minute", "SITE_DIR": str(work / "no-site")})
    measure(app, 5, True)  # warm up: index opened, tables made, caches filled
    results: dict[str, Any] = {"db": args.db}
    # Interleaved, so a busy moment on the shared machine lands on both.
    on: list[float] = []
    every: list[float] = []
    off: list[float] = []
    # The release before counted in a file of its own, writing every search: no "every" there.
    batching = hasattr(app.extensions["insights"], "_stored")
    for _ in range(10):
        on += measure(app, args.rounds // 10, True)
        if batching:
            every += measure(app, args.rounds // 10, True, batched=False)
        off += measure(app, args.rounds // 10, False)
    results["counting_on"] = summary(on)
    if batching:
        results["counting_every_search_written"] = summary(every)
    results["counting_off"] = summary(off)
    for name in ("counting_on", "counting_every_search_written"):
        if name in results:
                results[f"{name}_added_p50_ms"] = round(results[name]["p50_ms"]
                                                    - results["counting_off"]["p50_ms"], 3)
    store = app.extensions["order_store"]
    store.drop_schema()
    store.dispose()
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
