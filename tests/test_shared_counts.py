"""Search counts in the shared database: a search on one host and a click on another both count."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy.exc import OperationalError

from lookup.insights_store import InsightsStore
from lookup.store import OrderStore
from tests.helpers import wait_for
from tests.lookup_fixtures import POSTGRES_URL
from tests.lookup_fixtures import open_store
from tests.test_scale_out import BIN
from tests.test_scale_out import Service
from tests.test_scale_out import postgres_missing

DAY = date(2026, 11, 2)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hosts(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[InsightsStore, ...]]:
    """Two hosts' insights stores (each with its own engine) on one database."""
    for store in open_store(request.param, tmp_path):
        other = OrderStore(store.url, table_prefix=store.table_prefix)
        pair = tuple(InsightsStore(orders, table_prefix=orders.table_prefix)
                     for orders in (store, other))
        for insights in pair:
            insights.flush_seconds = 3600
        yield pair
        other.dispose()


def stored(insights: InsightsStore) -> list[tuple]:
    """The rows as written, without flushing anything: (day, language, query, searches, zero,
    clicks)."""
    table = insights.searches
    with insights.orders.read() as conn:
        rows = conn.execute(table.select().order_by(table.c.day, table.c.language,
                                                    table.c.query)).all()
    return [(r.day, r.language, r.query, r.searches, r.zero_results, r.clicks) for r in rows]


def test_a_click_on_another_host_counts_right_after_the_first_search(hosts):
    first, second = hosts
    first.count_search("Return label", 3, DAY)
    assert second.count_click("return  LABEL", DAY)
    assert not second.count_click("never searched", DAY)
    assert not second.count_click("return label", date(2026, 11, 3)), "another day"
    assert stored(first) == [("2026-11-02", "en", "return label", 1, 0, 1)]


def test_later_searches_of_a_query_wait_in_memory_for_one_write(hosts):
    first, second = hosts
    for results in (3, 3, 0):
        first.count_search("return label", results, DAY)
    second.count_search("return label", 3, DAY)
    assert first.pending_searches() == {("2026-11-02", "en", "return label"): 2}
    assert stored(first) == [("2026-11-02", "en", "return label", 2, 0, 0)]
    first.flush()
    assert first.pending_searches() == {}
    assert stored(first) == [("2026-11-02", "en", "return label", 4, 1, 0)]
    # Reading the report's numbers flushes this process's counts first.
    first.count_search("return label", 3, DAY)
    assert first.search_days(DAY, DAY) == [("return label", 5, 1, 0)]


def test_search_counts_a_failed_flush_could_not_write_are_kept(hosts, monkeypatch):
    first, _ = hosts
    first.count_search("customs fee", 1, DAY)
    first.count_search("customs fee", 0, DAY)

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(first.orders, "write", broken)
    with pytest.raises(OperationalError):
        first.flush()
    assert first.pending_searches() == {("2026-11-02", "en", "customs fee"): 1}
    monkeypatch.undo()
    assert first.search_days(DAY, DAY) == [("customs fee", 2, 1, 0)]


# -- two gunicorn processes on one PostgreSQL, as two hosts behind a load balancer -------------


@pytest.fixture
def two_hosts(built_site: Path, built_index: Path, tmp_path: Path
              ) -> Iterator[tuple[dict[str, str], Service, Service]]:
    """(their shared settings, host A, host B): one PostgreSQL, a search index each."""
    reason = postgres_missing()
    if reason:
        pytest.skip(reason)
    prefix = f"shared_{uuid.uuid4().hex[:10]}_"
    env = {"HELPCENTER_DATABASE_URL": POSTGRES_URL, "HELPCENTER_DATABASE_TABLE_PREFIX": prefix,
           "HELPCENTER_SITE_DIR": str(built_site),
           "HELPCENTER_SEARCH_INDEX_DIR": str(built_index)}
    pair = (Service(env, tmp_path / "a.log"), Service(env, tmp_path / "b.log"))
    try:
        for service in pair:
            wait_for(service.url + "/api/health", timeout=60)
        yield env, *pair
    finally:
        for service in pair:
            service.stop()
        store = OrderStore(POSTGRES_URL, table_prefix=prefix)
        store.drop_schema()
        store.dispose()


def answers(service: Service, query: str) -> list[str]:
    """Ask the help bar's search through this host; the results' URLs."""
    with urllib.request.urlopen(f"{service.url}/api/search?q={quote(query)}",
                                timeout=10) as response:
        return [result["url"] for result in json.loads(response.read())["results"]]


def search(service: Service, query: str) -> int:
    """Ask the help bar's search through this host; the number of results."""
    return len(answers(service, query))


def report(env: dict[str, str]) -> dict:
    """`helpcenter report --json`, run as the operator would, with the hosts' settings."""
    result = subprocess.run([str(BIN / "helpcenter"), "report", "--json"],
                            env={**os.environ, **env}, capture_output=True, text=True,
                            timeout=120, check=True)
    return json.loads(result.stdout)


@pytest.mark.postgres
@pytest.mark.slow
def test_a_search_on_one_host_and_a_click_on_the_other_both_count(two_hosts):
    env, first, second = two_hosts
    assert search(first, "return label") > 0
    status, answer, _ = second.post("/api/search/click", {"query": "Return label"})
    assert (status, answer) == (200, {"counted": True})
    assert search(second, "xylophone quokka") == 0
    # A Korean search on B, its answer opened on A: the click finds the Korean count.
    korean = answers(second, "반품 기간")
    assert korean and korean[0].startswith("/ko/")
    status, answer, _ = first.post("/api/search/click", {"query": "반품 기간", "url": korean[0]})
    assert (status, answer) == (200, {"counted": True})
    data = report(env)
    assert {"language": "en", "query": "return label", "searches": 1, "zero_results": 0,
            "clicks": 1} in data["top_searches"]
    assert {"language": "ko", "query": "반품 기간", "searches": 1, "zero_results": 0,
            "clicks": 1} in data["top_searches"]
    assert {"language": "en", "query": "xylophone quokka",
            "searches": 1} in data["zero_result_searches"]
    totals = {row["language"]: row for row in data["languages"]}
    assert (totals["en"]["searches"], totals["ko"]["searches"]) == (2, 1)
    # A later search of the query waits in host A's memory; A writes it when it stops.
    search(first, "return label")
    first.stop()
    top = {row["query"]: row for row in report(env)["top_searches"]}
    assert top["return label"]["searches"] == 2 and top["return label"]["clicks"] == 1
