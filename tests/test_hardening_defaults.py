"""What a review and live requests found, each checked with the production defaults (limits on)."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections import Counter
from datetime import date

import pytest

from lookup import create_app
from lookup.demo import install_demo
from lookup.web import logs
from lookup.web.webhook import sign
from tests.test_api_lookup import LOOKUP
from tests.test_api_lookup import assert_api_error

SECRET = "whsec_defaults"
OWNER = {"order_number": "DEMO-1011", "email": "minho.kang@example.com"}


@pytest.fixture
def prod(app):
    """The app exactly as configured by default (limits on), with the demo orders."""
    assert app.config["LOOKUP_RATE_LIMIT"] == "10/minute;100/day"
    app.config["WEBHOOK_SECRET"] = SECRET
    install_demo(app.extensions["order_store"], date.today())
    return app


@pytest.fixture
def log_lines():
    """Everything logged during the test, as JSON lines."""
    buffer = io.StringIO()
    handler = logs.configure("DEBUG", stream=buffer)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line]
    finally:
        logging.getLogger().removeHandler(handler)
        logs.configure("INFO")


def lookup(client, address: str, order_number: str = "DEMO-1011",
           email: str = "minho.kang@example.com"):
    """One lookup from a client address."""
    return client.post(LOOKUP, json={"order_number": order_number, "email": email},
                       environ_base={"REMOTE_ADDR": address})


# -- 1. body caps before anything reads the body ------------------------------------------------


def test_huge_body_is_413_with_limits_on(prod):
    """A 5 MB lookup, JSON or form, is refused with 413 in the one error shape, unread."""
    client = prod.test_client()
    huge = "x" * (5 * 1024 * 1024)
    assert_api_error(client.post(LOOKUP, json={"order_number": huge, "email": "a@b.c"}), 413)
    page = client.post("/order-status/lookup", data={"order_number": huge, "email": "a@b.c"})
    assert page.status_code == 413
    assert "far more than an order number" in page.get_data(as_text=True)
    # The app-wide cap holds for any path, before a view is even chosen.
    assert prod.config["MAX_CONTENT_LENGTH"] == prod.config["WEBHOOK_MAX_BYTES"]
    assert client.post("/api/feedback", data=huge, content_type="application/json"
                       ).status_code == 413


# -- 3. someone else's failures never lock the owner out ----------------------------------------


def test_fifteen_wrong_emails_from_one_address_do_not_refuse_the_owner(prod):
    client = prod.test_client()
    statuses = [lookup(client, "198.51.100.7", email=f"guess{n}@example.com").status_code
                for n in range(15)]
    assert statuses == [404] * 10 + [429] * 5
    assert lookup(client, "203.0.113.9").status_code == 200


def test_many_addresses_on_one_order_refuse_the_guessers_but_answer_the_owner(prod, log_lines):
    client = prod.test_client()
    for n in range(25):
        assert lookup(client, f"198.51.100.{n}", email=f"guess{n}@example.com").status_code == 404
    # A guesser who already missed on it is refused on it; the owner is answered.
    assert lookup(client, "198.51.100.3", email="another@example.com").status_code == 429
    assert lookup(client, "203.0.113.9").status_code == 200
    attacks = [e for e in log_lines() if e.get("event") == "lookup_target_under_attack"]
    assert [e["target"] for e in attacks] == ["order"], "logged once, as an order"
    assert "DEMO-1011" not in json.dumps(attacks).upper()


def test_one_email_tried_on_many_order_numbers_is_bounded(prod):
    """Guessing a known email's order numbers from many addresses meets the per-email limit."""
    client = prod.test_client()
    for n in range(21):
        assert lookup(client, f"198.51.100.{n}", order_number=f"CM-{n:06d}",
                      email=OWNER["email"]).status_code == 404
    assert lookup(client, "198.51.100.1", order_number="CM-999999",
                  email=OWNER["email"]).status_code == 429
    assert lookup(client, "203.0.113.9").status_code == 200, "the owner is still answered"


def test_an_ipv6_64_is_one_client(prod):
    client = prod.test_client()
    for n in range(10):
        assert lookup(client, f"2001:db8:1:2::{n + 1:x}", email=f"g{n}@example.com"
                      ).status_code == 404
    assert lookup(client, "2001:db8:1:2:ffff::1", email="g99@example.com").status_code == 429
    assert lookup(client, "2001:db8:1:3::1", email="g98@example.com").status_code == 404


def test_a_daily_window_stands_beside_the_minute(tmp_path, built_site):
    app = create_app({"TESTING": True, "SITE_DIR": str(built_site),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'o.sqlite'}",
                      "LOOKUP_RATE_LIMIT": "100/minute;3/day"})
    install_demo(app.extensions["order_store"], date.today())
    client = app.test_client()
    for n in range(3):
        assert lookup(client, "198.51.100.1", email=f"g{n}@example.com").status_code == 404
    refused = lookup(client, "198.51.100.1", email="g9@example.com")
    assert_api_error(refused, 429)
    assert int(refused.headers["Retry-After"]) > 60, "the day's window, not the minute's"


# -- 4. misses arriving together do not overshoot ----------------------------------------------


def test_forty_misses_at_once_get_at_most_the_allowance_plus_two(prod, live_server):
    import urllib.error
    import urllib.request

    statuses: Counter = Counter()
    start = threading.Barrier(40)

    def one(n: int) -> None:
        body = json.dumps({"order_number": f"NOPE-{n}", "email": f"g{n}@example.com"}).encode()
        request = urllib.request.Request(live_server + LOOKUP, data=body,
                                         headers={"Content-Type": "application/json"})
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                statuses[response.status] += 1
        except urllib.error.HTTPError as error:
            statuses[error.code] += 1

    threads = [threading.Thread(target=one, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(statuses.values()) == 40
    assert set(statuses) <= {404, 429}
    assert statuses[404] <= 10 + 2


# -- 5. long paths -----------------------------------------------------------------------------


def test_long_path_segments_are_404_and_400_without_a_traceback(prod, log_lines):
    client = prod.test_client()
    for path in ("/" + "a" * 300, "/returns/" + "b" * 300 + "/", "/" + "d" * 5000):
        with client.get(path) as response:
            assert response.status_code == 404
    response = client.post("/api/feedback", json={"page": "/" + "c" * 300 + "/", "helpful": True,
                                                  "view": "v" * 20})
    assert_api_error(response, 400)
    assert not [e for e in log_lines() if e["level"] == "error" or "traceback" in e]


def test_redaction_is_linear_in_the_length_of_the_text():
    started = time.perf_counter()
    logs.redact("/" + "a" * 200_000)
    logs.redact("a@" * 100_000)
    assert time.perf_counter() - started < 0.5
    assert logs.redact("write to buyer＠example.com") == "write to <email>"


# -- 6. webhook timestamps ---------------------------------------------------------------------


@pytest.mark.parametrize("timestamp", ["²", "１７６４５", "9" * 5000, "-5", "+17", " 17", "0x1f"])
def test_webhook_timestamps_are_parsed_strictly(prod, timestamp):
    client = prod.test_client()
    body = b'{"event_id": "e", "occurred_at": "2026-03-02T10:16:05+09:00", "order": {}}'
    digest = sign(body, SECRET, int(time.time())).partition(",v1=")[2]
    response = client.post("/api/webhooks/orders", data=body, content_type="application/json",
                           headers={"X-Helpcenter-Signature": f"t={timestamp},v1={digest}"})
    assert_api_error(response, 401)


# -- 7. what buyers type into search is never kept as typed ------------------------------------


def test_search_counts_keep_no_email_order_number_or_phone(indexed_app, log_lines):
    client = indexed_app.test_client()
    typed = ["where is CM-100234", "my email is kim@example.com", "kim＠example.co.kr refund",
             "call me 010-1234-5678", "order #55120 late"]
    for query in typed:
        assert client.get("/api/search", query_string={"q": query}).status_code == 200
    insights = indexed_app.extensions["insights"]
    stored = " | ".join(row[0] for row in insights.search_days(date(2000, 1, 1), date(2100, 1, 1)))
    for secret in ("100234", "kim", "1234-5678", "55120", "@", "＠"):
        assert secret not in stored
    assert "<order number>" in stored and "<email>" in stored and "<phone>" in stored
    assert not [e for e in log_lines() if "kim" in json.dumps(e)]


def test_search_is_rate_limited_per_client_but_generously(indexed_app):
    client = indexed_app.test_client()
    limit = int(indexed_app.config["SEARCH_RATE_LIMIT"].split("/")[0])
    assert limit >= 120, "a buyer typing fast asks on every keystroke"
    statuses = Counter(client.get("/api/search", query_string={"q": "r" * (1 + n % 5)},
                                  environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code
                       for n in range(limit + 1))
    assert statuses == {200: limit, 429: 1}
    other = client.get("/api/search", query_string={"q": "refund"},
                       environ_base={"REMOTE_ADDR": "198.51.100.2"})
    assert other.status_code == 200


def test_the_search_count_store_is_bounded_and_pruned(app):
    from lookup.insights_store import OTHER_QUERIES

    insights = app.extensions["insights"]
    old, today = date(2026, 1, 1), date(2026, 12, 1)
    insights.count_search("old question", 1, old)
    for n in range(5):
        insights.count_search(f"question {n}", 1, today, max_queries=3, keep_days=180)
    # Asked again: counted under what the first search was counted under.
    insights.count_search("question 4", 1, today, max_queries=3, keep_days=180)
    insights.count_search("question 0", 1, today, max_queries=3, keep_days=180)
    rows = {query: searches for query, searches, _, _ in insights.search_days(old, today)}
    assert "old question" not in rows, "the day's first search pruned the old days"
    assert rows == {"question 0": 2, "question 1": 1, "question 2": 1, OTHER_QUERIES: 3}


def test_report_prune_deletes_old_search_counts(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from lookup.insights_store import InsightsStore
    from lookup.store import OrderStore
    from lookup.web.cli import main

    url = f"sqlite:///{tmp_path / 'o.sqlite'}"
    insights = InsightsStore(OrderStore(url))
    insights.count_search("this year", 1, date.today())
    insights.count_search("long ago", 1, date(2020, 1, 1))
    monkeypatch.setenv("HELPCENTER_DATABASE_URL", url)
    result = CliRunner().invoke(main, ["report", "--prune"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 search counts older than 180 days" in result.output
    assert [row[0] for row in insights.search_days(date(2000, 1, 1), date(2100, 1, 1))] == [
        "this year"]
    insights.orders.dispose()


# -- 9. another site cannot post the no-JavaScript form ----------------------------------------


@pytest.mark.parametrize("headers, status", [
    ({"Origin": "https://evil.example"}, 403),
    ({"Referer": "https://evil.example/page"}, 403),
    ({"Origin": "null"}, 403),
    ({"Origin": "http://localhost"}, 404),
    ({"Referer": "http://localhost/order-status/"}, 404),
    ({"Origin": "https://shop.example"}, 404),
    ({}, 404),
])
def test_the_form_refuses_other_sites(prod, headers, status):
    prod.config["ALLOWED_ORIGINS"] = "https://shop.example"
    client = prod.test_client()
    response = client.post("/order-status/lookup", headers=headers,
                           data={"order_number": "NOPE-1", "email": "g@example.com"})
    assert response.status_code == status
    if status == 403:
        # Refused before the lookup: nothing was counted against the visitor.
        for n in range(10):
            assert lookup(client, "127.0.0.1", order_number=f"N-{n}",
                          email=f"g{n}@example.com").status_code == 404


def test_another_site_cannot_spend_the_operators_allowance(prod):
    prod.config.update(OPERATOR_TOKEN="t" * 40, OPERATOR_RATE_LIMIT="2/minute")
    client = prod.test_client()
    for _ in range(5):
        forged = client.post("/operator/report", data={"token": "wrong"},
                             headers={"Origin": "https://evil.example"})
        assert forged.status_code == 403
    assert client.post("/operator/report", data={"token": "t" * 40}).status_code == 200


# -- 11. smaller -------------------------------------------------------------------------------


@pytest.mark.parametrize("url, safe", [("//evil.example/x", False), ("/\\evil.example", False),
                                       ("javascript:alert(1)", False), ("/returns/policy/", True),
                                       ("https://carrier.example/t", True), ("mailto:a@b.c", True)])
def test_only_safe_links_reach_the_page(url, safe):
    from lookup.web.pages import safe_url

    assert (safe_url(url) == url) is safe


def test_carrier_free_text_never_shows_an_address_or_phone(prod):
    from lookup.answer import timeline

    document = {"shipping": {"events": [
        {"at": "2026-03-04T09:00:00+09:00", "status": "delivered",
         "location": "12 Baker Street, London",
         "description": "Left with the neighbour at 14 Baker Street"},
        {"at": "2026-03-04T08:00:00+09:00", "status": "out_for_delivery",
         "location": "Seoul hub", "description": "Driver 010-1234-5678 on the way"},
    ]}}
    entries = timeline(document)
    text = json.dumps(entries, ensure_ascii=False)
    assert "Baker" not in text and "1234-5678" not in text
    assert {"location": "Seoul hub"}.items() <= entries[1].items()
    assert "location" not in entries[0]


def test_hsts_over_https_and_a_permissions_policy_everywhere(prod):
    client = prod.test_client()
    plain = client.get("/api/health")
    assert "Strict-Transport-Security" not in plain.headers
    assert "camera=()" in plain.headers["Permissions-Policy"]
    secure = client.get("/api/health", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_limit_log_lines_name_the_limit_not_the_client(prod, log_lines):
    prod.config["FEEDBACK_RATE_LIMIT"] = "1/minute"
    client = prod.test_client()
    for _ in range(3):
        client.post("/api/feedback", json={}, environ_base={"REMOTE_ADDR": "198.51.100.77"})
    lines = [e for e in log_lines() if e["logger"] == "flask-limiter"]
    assert lines, "the limit was logged"
    assert not [e for e in lines if "198.51.100.77" in json.dumps(e)]


# -- the same webhook event from many threads at once -------------------------------------------


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_one_event_sent_by_twenty_threads_is_applied_once(database, tmp_path, built_site):
    import urllib.error
    import urllib.request
    import uuid

    from werkzeug.serving import make_server

    from tests.helpers import serving
    from tests.lookup_fixtures import POSTGRES_URL
    from tests.lookup_fixtures import make_order
    from tests.lookup_fixtures import postgres_unreachable

    if database == "postgresql" and postgres_unreachable():
        pytest.skip(postgres_unreachable())
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    url = POSTGRES_URL if database == "postgresql" else f"sqlite:///{tmp_path / 'o.sqlite'}"
    app = create_app({"TESTING": True, "SITE_DIR": str(built_site), "DATABASE_URL": url,
                      "DATABASE_TABLE_PREFIX": prefix, "WEBHOOK_SECRET": SECRET})
    event = {"event_id": f"evt-{prefix}", "occurred_at": "2026-03-02T10:16:05+09:00",
             "order": make_order(order_number=f"RACE-{prefix}", email="race@example.com")}
    body = json.dumps(event).encode()
    results: Counter = Counter()
    start = threading.Barrier(20)

    def send() -> None:
        request = urllib.request.Request(base + "/api/webhooks/orders", data=body, headers={
            "Content-Type": "application/json",
            "X-Helpcenter-Signature": sign(body, SECRET, int(time.time()))})
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                results[json.loads(response.read())["result"]] += 1
        except urllib.error.HTTPError as error:
            results[error.code] += 1

    try:
        with serving(make_server("127.0.0.1", 0, app, threaded=True)) as base:
            threads = [threading.Thread(target=send) for _ in range(20)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        stored = app.extensions["order_store"].get(f"RACE-{prefix}")
    finally:
        store = app.extensions["order_store"]
        if database == "postgresql":
            store.drop_schema()
        store.dispose()
    assert results == {"applied": 1, "duplicate": 19}
    assert stored is not None and stored["email"] == "race@example.com"
