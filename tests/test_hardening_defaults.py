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
from lookup import logs
from lookup.demo import install_demo
from lookup.webhook import sign
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
