"""The operator's report for a period: unhelpful articles, search gaps, next steps shown, and
votes and searches per language."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date
from datetime import timedelta
from typing import Any

from lookup.insights_store import InsightsStore
from search.language import LANGUAGES

DEFAULT_DAYS = 30
DEFAULT_LIMIT = 10
# A search that found something is "low-click" when fewer than this share of its answers were
# followed, once it has been asked at least LOW_CLICK_MIN_SEARCHES times.
LOW_CLICK_RATE = 0.25
LOW_CLICK_MIN_SEARCHES = 2


def period(since: date | None, days: int | None, today: date) -> tuple[date, date]:
    """The report's first and last day: from `since`, or the last `days` days, to today."""
    if since is None:
        since = today - timedelta(days=(days or DEFAULT_DAYS) - 1)
    return since, today


def fold_prefixes(rows: dict[str, tuple[int, int, int]]) -> dict[str, tuple[int, int, int]]:
    """Drop the queries the help bar sent on the way to a longer one ("retu" → "return policy").

    The help bar searches as the buyer types, so a query that a longer query extends, and that
    was not asked more often than it, is typing, not a question of its own.
    """
    ordered = sorted(rows)
    kept: dict[str, tuple[int, int, int]] = {}
    for i, query in enumerate(ordered):
        typed_on = False
        for longer in ordered[i + 1:]:
            if not longer.startswith(query):
                break
            if rows[longer][0] >= rows[query][0]:
                typed_on = True
                break
        if not typed_on:
            kept[query] = rows[query]
    return kept


def search_sections(rows: Sequence[tuple[str, int, int, int]], limit: int) -> dict[str, list]:
    """The top, zero-result and low-click searches from per-query sums."""
    sums = fold_prefixes({query: (searches, zero, clicks)
                          for query, searches, zero, clicks in rows})
    by_count = sorted(sums.items(), key=lambda item: (-item[1][0], item[0]))
    top = [{"query": q, "searches": s, "zero_results": z, "clicks": c}
           for q, (s, z, c) in by_count[:limit]]
    zero = sorted(((q, z) for q, (s, z, c) in sums.items() if z), key=lambda it: (-it[1], it[0]))
    low = []
    for query, (searches, zero_results, clicks) in by_count:
        answered = searches - zero_results
        if answered >= LOW_CLICK_MIN_SEARCHES and clicks / answered < LOW_CLICK_RATE:
            low.append({"query": query, "searches": answered, "clicks": clicks,
                        "click_rate": round(clicks / answered, 2)})
    return {
        "top_searches": top,
        "zero_result_searches": [{"query": q, "searches": n} for q, n in zero[:limit]],
        "low_click_searches": low[:limit],
    }


def by_language(sections: dict[str, dict[str, list]]) -> dict[str, list]:
    """Each language's sections in one list per section, every row marked with its language,
    the languages one after the other (each has its own top rows: Korean searches are fewer and
    would not make a shared top ten)."""
    merged: dict[str, list] = {}
    for language, found in sections.items():
        for name, rows in found.items():
            merged.setdefault(name, []).extend({"language": language, **row} for row in rows)
    return merged


def language_totals(ratings: list[dict[str, Any]],
                    searches: dict[str, Sequence[tuple[str, int, int, int]]]
                    ) -> list[dict[str, Any]]:
    """Per language: votes (yes, no, helpful ratio) on its pages, and searches of its pages with
    how many found nothing and how many answers were opened."""
    totals = []
    for language in LANGUAGES:
        yes = sum(r["yes"] for r in ratings if r["language"] == language)
        no = sum(r["no"] for r in ratings if r["language"] == language)
        rows = searches.get(language, ())
        totals.append({
            "language": language, "votes": yes + no, "yes": yes, "no": no,
            "helpful_ratio": round(yes / (yes + no), 2) if yes + no else None,
            "searches": sum(row[1] for row in rows), "zero_results": sum(row[2] for row in rows),
            "clicks": sum(row[3] for row in rows)})
    return totals


def worst_articles(ratings: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Pages by helpful ratio, worst first; among equals, the one with more "no" votes first."""
    for rating in ratings:
        votes = rating["yes"] + rating["no"]
        rating["votes"] = votes
        rating["helpful_ratio"] = round(rating["yes"] / votes, 2) if votes else None
    ranked = sorted(ratings, key=lambda r: (r["helpful_ratio"], -r["no"], r["page"]))
    return ranked[:limit]


def build_report(insights: InsightsStore, since: date, until: date,
                 limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """The whole report as plain data (what `--json` prints and the operator page renders)."""
    ratings = insights.page_ratings(since, until)
    searches = {language: insights.search_days(since, until, language) for language in LANGUAGES}
    articles = worst_articles(ratings, limit)
    comments = insights.comments([a["page"] for a in articles if a["comments"]], since, until)
    for article in articles:
        article["latest_comments"] = comments.get(article["page"], [])
    return {
        "period": {"since": since.isoformat(), "until": until.isoformat()},
        "languages": language_totals(ratings, searches),
        "articles": articles,
        **by_language({language: search_sections(rows, limit)
                       for language, rows in searches.items()}),
        "next_steps": [{"id": step_id, "shown": shown}
                       for step_id, shown in insights.steps_shown(since, until)[:limit]],
    }


def display_width(text: str) -> int:
    """The columns text takes in a terminal: two for a wide character (Hangul, CJK), none for a
    combining mark, one for the rest."""
    return sum(0 if unicodedata.combining(char) else
               2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def pad(text: str, width: int, right: bool = False) -> str:
    """text padded with spaces to width columns (on the left when right-aligned)."""
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table: left-aligned text, right-aligned numbers, Korean aligned too."""
    if not rows:
        return "  (none)"
    cells = [[str(h) for h in headers]] + [["-" if v is None else str(v) for v in r] for r in rows]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(isinstance(r[i], int | float) or r[i] is None for r in rows)
               for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = [pad(cell, w, right=num) for cell, w, num in zip(row, widths, numeric, strict=True)]
        lines.append("  " + "  ".join(parts).rstrip())
    lines.insert(1, "  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def percent(ratio: float | None) -> str | None:
    """A ratio as a whole percentage; None (shown "-") when there is none."""
    return None if ratio is None else f"{ratio:.0%}"


def format_text(report: dict[str, Any]) -> str:
    """The report as plain-text tables for a terminal."""
    since, until = report["period"]["since"], report["period"]["until"]
    sections = [
        f"Help center report, {since} to {until}",
        "Votes and searches per language\n" + table(
            ("Language", "Votes", "Helpful", "Searches", "No results", "Clicks"),
            [(t["language"], t["votes"], percent(t["helpful_ratio"]), t["searches"],
              t["zero_results"], t["clicks"]) for t in report["languages"]]),
        "Articles with the worst helpful ratio\n" + table(
            ("Language", "Page", "Votes", "Yes", "No", "Helpful", "Comments"),
            [(a["language"], a["page"], a["votes"], a["yes"], a["no"],
              percent(a["helpful_ratio"]), a["comments"]) for a in report["articles"]]),
        "Top searches\n" + table(
            ("Language", "Query", "Searches", "No results", "Clicks"),
            [(s["language"], s["query"], s["searches"], s["zero_results"], s["clicks"])
             for s in report["top_searches"]]),
        "Searches that found nothing\n" + table(
            ("Language", "Query", "Searches"),
            [(s["language"], s["query"], s["searches"])
             for s in report["zero_result_searches"]]),
        "Searches whose answers were rarely opened\n" + table(
            ("Language", "Query", "Searches", "Clicks"),
            [(s["language"], s["query"], s["searches"], s["clicks"])
             for s in report["low_click_searches"]]),
        "Next steps shown most often in lookups\n" + table(
            ("Step", "Shown"), [(s["id"], s["shown"]) for s in report["next_steps"]]),
    ]
    comments = [(a["page"], c) for a in report["articles"] for c in a["latest_comments"]]
    if comments:
        sections.append("Latest comments on those articles\n" + "\n".join(
            f"  {page}  {c['day']}  {'yes' if c['helpful'] else 'no'}: {c['comment']}"
            for page, c in comments))
    return "\n\n".join(sections) + "\n"
