"""Votes and searches per language: counted apart, and shown apart by `helpcenter report` and the
operator page, Korean text aligned by display width. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask

from lookup import create_app
from lookup.insights_store import OTHER_QUERIES
from lookup.insights_store import InsightsStore
from lookup.report import display_width
from lookup.web.cli import main
from tests.lookup_fixtures import database_url
from tests.lookup_fixtures import open_store

TOKEN = "s3cret-operator-token-0123456789abcdef"
DAY = date(2026, 11, 2)
# One day's searches through the API: (query, lang parameter).
SEARCHES = [("refund", ""), ("refund", ""), ("xylophone zebra", ""),
            ("반품", ""), ("반품", ""), ("반품", "ko"), ("refund", "ko")]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def lang_app(request: pytest.FixtureRequest, tmp_path: Path, built_site: Path,
             built_index: Path) -> Iterator[Flask]:
    """The app with the built site's search index, its counts on SQLite or PostgreSQL."""
    prefix = f"l{uuid.uuid4().hex[:10]}_"
    url = database_url(request.param, tmp_path)
    app = create_app({"TESTING": True, "SITE_DIR": str(built_site), "DATABASE_URL": url,
                      "DATABASE_TABLE_PREFIX": prefix, "SEARCH_INDEX_DIR": str(built_index),
                      "OPERATOR_TOKEN": TOKEN})
    yield app
    store = app.extensions["order_store"]
    store.drop_schema()
    store.dispose()


@pytest.fixture
def searched(lang_app: Flask) -> Flask:
    """The app after one day of English and Korean searches, and a vote on each language's page."""
    client = lang_app.test_client()
    for query, lang in SEARCHES:
        assert client.get("/api/search", query_string={"q": query, "lang": lang}
                          ).status_code == 200
    for n, page in enumerate(["/ko/returns/policy/", "/returns/policy/", "/ko/refunds/"]):
        vote = {"page": page, "helpful": n == 1, "view": f"view-{n:012d}"}
        assert client.post("/api/feedback", json=vote).status_code == 201
    return lang_app


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def insights(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[InsightsStore]:
    """An insights store on a fresh database, counts written at once."""
    for store in open_store(request.param, tmp_path):
        yield InsightsStore(store, table_prefix=store.table_prefix)


def totals(report: dict) -> dict[str, dict]:
    """The report's per-language totals, by language."""
    return {row["language"]: row for row in report["languages"]}


def test_searches_are_counted_under_the_language_searched(searched):
    report = json.loads(searched.test_cli_runner().invoke(
        main, ["report", "--days", "1", "--json"]).output)
    by_language = totals(report)
    assert {k: by_language["en"][k] for k in ("searches", "zero_results")} == {
        "searches": 3, "zero_results": 1}
    assert by_language["ko"]["searches"] == 4
    top = [(row["language"], row["query"], row["searches"]) for row in report["top_searches"]]
    # Each language's queries apart, English first; "refund" on the Korean pages is Korean.
    assert top == [("en", "refund", 2), ("en", "xylophone zebra", 1),
                   ("ko", "반품", 3), ("ko", "refund", 1)]
    assert {"language": "en", "query": "xylophone zebra",
            "searches": 1} in report["zero_result_searches"]


def test_votes_on_korean_pages_count_as_korean(searched):
    report = json.loads(searched.test_cli_runner().invoke(
        main, ["report", "--days", "1", "--json"]).output)
    by_language = totals(report)
    assert [(by_language[code]["votes"], by_language[code]["yes"]) for code in ("en", "ko")] == [
        (1, 1), (2, 0)]
    assert by_language["ko"]["helpful_ratio"] == 0.0 and by_language["en"]["helpful_ratio"] == 1.0
    assert {(a["page"], a["language"]) for a in report["articles"]} == {
        ("/ko/returns/policy/", "ko"), ("/ko/refunds/", "ko"), ("/returns/policy/", "en")}


def test_the_text_report_shows_each_language_with_korean_aligned(searched):
    result = searched.test_cli_runner().invoke(main, ["report", "--days", "1"])
    assert result.exit_code == 0, result.output
    sections = dict(part.split("\n", 1) for part in result.output.split("\n\n")[1:])
    per_language = sections["Votes and searches per language"].splitlines()
    assert per_language[0].split() == ["Language", "Votes", "Helpful", "Searches", "No",
                                       "results", "Clicks"]
    assert per_language[2].split() == ["en", "1", "100%", "3", "1", "0"]
    assert per_language[3].split() == ["ko", "2", "0%", "4", "0", "0"]
    top = sections["Top searches"].splitlines()
    assert [line.split()[:3] for line in top[2:]] == [
        ["en", "refund", "2"], ["en", "xylophone", "zebra"], ["ko", "반품", "3"],
        ["ko", "refund", "1"]]
    # The last column is numbers, right-aligned: every line ends in the same terminal column,
    # though a Hangul character takes two columns and one `len`.
    assert len({display_width(line) for line in top}) == 1
    assert len({len(line) for line in top}) > 1


def test_the_operator_page_shows_each_language(searched):
    page = searched.test_client().get("/operator/report?days=1",
                                      headers={"Authorization": f"Bearer {TOKEN}"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    section = html[html.index('id="languages"'):html.index('id="articles"')]
    cells = [cell.split(">")[-1] for cell in section.split("</t")[:-1]]
    english, korean = cells.index("en"), cells.index("ko")
    assert cells[english:english + 6] == ["en", "1", "100%", "3", "1", "0"]
    assert cells[korean:korean + 6] == ["ko", "2", "0%", "4", "0", "0"]
    top = html[html.index('id="top-searches"'):html.index('id="zero-result"')]
    assert '<tr lang="ko"><td>ko</td><td>반품</td><td class="num">3</td>' in top
    assert '<tr lang="en"><td>en</td><td>refund</td><td class="num">2</td>' in top


def test_the_daily_bound_holds_per_language(insights):
    for n in range(3):
        insights.count_search(f"question {n}", 1, DAY, max_queries=2)
    insights.count_search("질문 하나", 1, DAY, language="ko", max_queries=2)
    insights.count_search("질문 둘", 1, DAY, language="ko", max_queries=2)
    insights.count_search("질문 셋", 1, DAY, language="ko", max_queries=2)
    english = dict((q, n) for q, n, _, _ in insights.search_days(DAY, DAY, "en"))
    korean = dict((q, n) for q, n, _, _ in insights.search_days(DAY, DAY, "ko"))
    # English filled its day; Korean queries still had room, until they filled theirs.
    assert english == {"question 0": 1, "question 1": 1, OTHER_QUERIES: 1}
    assert korean == {"질문 하나": 1, "질문 둘": 1, OTHER_QUERIES: 1}
    with pytest.raises(ValueError, match="unknown language"):
        insights.count_search("question", 1, DAY, language="fr")


def test_a_click_counts_for_the_language_of_the_page_opened(insights):
    insights.count_search("refund", 3, DAY)
    insights.count_search("refund", 3, DAY, language="ko")
    insights.count_search("반품", 3, DAY, language="ko")
    assert insights.count_click("refund", DAY, "/ko/refunds/#refund-times")
    # Without a page, a query in Hangul is Korean (as the search API decides).
    assert insights.count_click("반품", DAY)
    assert not insights.count_click("반품", DAY, "/returns/policy/"), "never searched in English"
    clicks = {(lang, q): c for lang in ("en", "ko")
              for q, _, _, c in insights.search_days(DAY, DAY, lang)}
    assert clicks == {("en", "refund"): 0, ("ko", "refund"): 1, ("ko", "반품"): 1}
    # Summed over the languages when none is asked for.
    assert insights.search_days(DAY, DAY) == [("refund", 2, 0, 1), ("반품", 1, 0, 1)]
    # What search learns from keeps its shape: query -> Korean section -> clicks.
    for _ in range(4):
        insights.count_click("refund", DAY, "/ko/refunds/#refund-times")
    assert insights.clicked_results() == {"refund": {"/ko/refunds/#refund-times": 5}}


def test_a_korean_search_waits_in_memory_apart_from_the_english(insights):
    insights.flush_seconds = 3600
    for language in ("en", "ko", "ko"):
        insights.count_search("refund", 1, DAY, language=language)
    assert insights.pending_searches() == {("2026-11-02", "ko", "refund"): 1}
    assert dict((q, n) for q, n, _, _ in insights.search_days(DAY, DAY, "ko")) == {"refund": 2}
    assert dict((q, n) for q, n, _, _ in insights.search_days(DAY, DAY, "en")) == {"refund": 1}
