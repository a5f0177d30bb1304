"""What the service counts for the operator: searches by day, result clicks, next steps shown."""

from __future__ import annotations

from datetime import date
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from lookup.demo import install_demo
from lookup.insights_store import normalize
from search import build_index

CLICK = "/api/search/click"
DEMO_DELIVERED = {"order_number": "DEMO-1011", "email": "minho.kang@example.com"}


@pytest.fixture(scope="module")
def index_dir(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A search index of the session's site, built once for this module (it is only read)."""
    path = tmp_path_factory.mktemp("insights-index") / "index"
    build_index(built_site, path)
    return path


@pytest.fixture
def counting_app(app, index_dir: Path, tmp_path: Path):
    """The app with a search index and lookup limits off; counts go to its database."""
    app.config.update(SEARCH_INDEX_DIR=str(index_dir), LOOKUP_RATE_LIMIT="off")
    return app


def days(app) -> list[tuple]:
    """The per-day search counters as stored: (day, query, searches, zero_results, clicks)."""
    insights = app.extensions["insights"]
    insights.flush()
    table = insights.searches
    with insights.orders.read() as conn:
        rows = conn.execute(table.select().order_by(table.c.query)).all()
    return [(r.day, r.query, r.searches, r.zero_results, r.clicks) for r in rows]


def test_searches_are_counted_by_day_with_their_misses(counting_app, client):
    client.get("/api/search?q=Refund")
    client.get("/api/search?q=refund ")
    client.get("/api/search?q=xylophone zebra")
    client.get("/api/search?q=%20")
    client.get("/api/search?q=refund&limit=nope")
    today = date.today().isoformat()
    rows = [(query, searches, zero) for day, query, searches, zero, _ in days(counting_app)
            if day == today]
    assert rows == [("refund", 2, 0), ("xylophone zebra", 1, 1)]


def test_a_click_counts_only_for_a_query_searched_that_day(counting_app, client):
    client.get("/api/search?q=refund")
    counted = client.post(CLICK, json={"query": "  REFUND "})
    assert counted.status_code == 200
    assert counted.get_json() == {"counted": True}
    assert client.post(CLICK, json={"query": "never searched"}).get_json() == {"counted": False}
    assert [row[1:] for row in days(counting_app)] == [("refund", 1, 0, 1)]
    assert "Set-Cookie" not in counted.headers


@pytest.mark.parametrize("body, field", [
    ({}, "query"), ({"query": " "}, "query"), ({"query": 3}, "query"),
    ({"query": "x" * 201}, "query"), ({"query": "refund", "url": "https://elsewhere.example/"},
                                      "url"),
    ({"query": "refund", "url": "//elsewhere.example/"}, "url"),
    ({"query": "refund", "page": "/refunds/"}, "page"),
])
def test_bad_clicks_are_refused_naming_the_field(counting_app, client, body, field):
    response = client.post(CLICK, json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["detail"].startswith(f"{field}:")


def test_clicks_are_rate_limited(counting_app, client):
    counting_app.config["SEARCH_CLICK_RATE_LIMIT"] = "1/minute"
    assert client.post(CLICK, json={"query": "refund"}).status_code == 200
    refused = client.post(CLICK, json={"query": "refund"})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"]


def test_counters_sum_over_a_period(counting_app):
    insights = counting_app.extensions["insights"]
    monday = date(2026, 11, 2)
    for offset in range(3):
        insights.count_search("Late parcel", 0, monday + timedelta(days=offset))
    insights.count_search("late parcel", 4, monday)
    assert insights.count_click("late parcel", monday)
    assert insights.search_days(monday, monday + timedelta(days=1)) == [("late parcel", 3, 2, 1)]
    assert insights.search_days(monday + timedelta(days=5), monday + timedelta(days=9)) == []
    assert normalize("  Late\tPARCEL ") == "late parcel"


def test_next_steps_shown_are_counted_from_the_api_and_the_page(counting_app, client):
    install_demo(counting_app.extensions["order_store"], date.today())
    answer = client.post("/api/orders/lookup", json=DEMO_DELIVERED).get_json()
    shown = {step["id"] for step in answer["next_steps"]}
    assert shown
    page = client.post("/order-status/lookup", data=DEMO_DELIVERED)
    assert page.status_code == 200
    client.post("/api/orders/lookup", json={**DEMO_DELIVERED, "email": "someone@example.com"})
    insights = counting_app.extensions["insights"]
    today = date.today()
    assert dict(insights.steps_shown(today, today)) == {step: 2 for step in shown}
    # Counts only: a day, a step id and a number; nothing of the order or the buyer.
    columns = {c["name"] for c in inspect(insights.engine).get_columns(insights.steps.name)}
    assert columns == {"day", "step_id", "shown"}


def test_a_lookup_still_answers_when_counting_fails(counting_app, client, monkeypatch):
    install_demo(counting_app.extensions["order_store"], date.today())

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(counting_app.extensions["insights"], "count_steps", broken)
    assert client.post("/api/orders/lookup", json=DEMO_DELIVERED).status_code == 200


def test_a_search_still_answers_when_counting_fails(counting_app, client, caplog):
    insights = counting_app.extensions["insights"]
    insights.ensure_schema()
    # The counts' table gone under a running service: every write to it fails in the database.
    with insights.engine.begin() as conn:
        conn.execute(text(f"DROP TABLE {insights.searches.name}"))
    assert client.get("/api/search?q=refund").status_code == 200
    assert client.post(CLICK, json={"query": "refund"}).get_json() == {"counted": False}
    assert "could not count a search" in caplog.text


def test_next_steps_are_counted_in_memory_and_flushed_in_one_write(counting_app, client):
    """A lookup never writes: counts wait in memory until a flush (by time, count, read, exit)."""
    install_demo(counting_app.extensions["order_store"], date.today())
    insights = counting_app.extensions["insights"]
    insights.flush_seconds = 3600
    insights.flush_lookups = 1000
    answer = client.post("/api/orders/lookup", json=DEMO_DELIVERED).get_json()
    shown = {step["id"] for step in answer["next_steps"]}
    today = date.today()
    assert insights.pending_steps() == {(today.isoformat(), step): 1 for step in shown}
    insights.ensure_schema()
    with insights.orders.read() as conn:
        assert conn.execute(insights.steps.select()).all() == []
    # Reading the counts in this process flushes first.
    assert dict(insights.steps_shown(today, today)) == {step: 1 for step in shown}
    assert insights.pending_steps() == {}


def test_counts_are_flushed_after_enough_lookups(counting_app, client):
    install_demo(counting_app.extensions["order_store"], date.today())
    insights = counting_app.extensions["insights"]
    insights.flush_seconds = 3600
    insights.flush_lookups = 3
    for _ in range(3):
        client.post("/api/orders/lookup", json=DEMO_DELIVERED)
    assert insights.pending_steps() == {}
    with insights.orders.read() as conn:
        rows = conn.execute(insights.steps.select()).all()
    assert rows and all(row.shown == 3 for row in rows)


def test_counts_a_failed_flush_could_not_write_are_kept(counting_app, monkeypatch):
    insights = counting_app.extensions["insights"]
    insights.flush_seconds = 3600
    day = date(2026, 11, 2)
    insights.count_steps(["track", "return"], day)

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(insights.orders, "write", broken)
    with pytest.raises(OperationalError):
        insights.flush()
    assert insights.pending_steps() == {("2026-11-02", "track"): 1, ("2026-11-02", "return"): 1}
    monkeypatch.undo()
    insights.flush()
    assert dict(insights.steps_shown(day, day)) == {"track": 1, "return": 1}
