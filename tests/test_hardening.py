"""Hostile input and guessing: identical misses in bytes and time, any text, wrong methods."""

from __future__ import annotations

import json
import random
import statistics
import time
from datetime import date

import pytest

from lookup.demo import install_demo
from lookup.web.webhook import sign
from tests.lookup_fixtures import make_order
from tests.test_api_lookup import LOOKUP
from tests.test_api_lookup import assert_api_error

SECRET = "whsec_hardening"
# A real order with a large document: reading it on a wrong email would show in the timing.
BIG_ORDER = make_order(order_number="BIG-1", email="big.buyer@example.com", items=[
    {"sku": f"SKU-{n}", "name": f"Item {n} " + "x" * 200, "quantity": 1, "unit_price": "10",
     "kind": "regular"} for n in range(60)])
UNKNOWN = {"order_number": "BIG-404", "email": "big.buyer@example.com"}
WRONG_EMAIL = {"order_number": "BIG-1", "email": "not.the.buyer@example.com"}


@pytest.fixture
def hardened(app):
    """The app with demo orders and the big order, limits off, a webhook secret."""
    app.config.update(LOOKUP_RATE_LIMIT="off", WEBHOOK_SECRET=SECRET)
    store = app.extensions["order_store"]
    install_demo(store, date.today())
    store.apply([BIG_ORDER])
    return app


def post_event(client, event: dict | bytes):
    """Post a correctly signed webhook event (a dict, or raw bytes as they are)."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    return client.post("/api/webhooks/orders", data=body, content_type="application/json",
                       headers={"X-Helpcenter-Signature": sign(body, SECRET, int(time.time()))})


def comparable_headers(response) -> list[tuple[str, str]]:
    """Every header but Date, which is the one that may differ between two identical answers."""
    return sorted((name, value) for name, value in response.headers if name != "Date")


# -- guessing -----------------------------------------------------------------------------------


def test_unknown_order_and_wrong_email_are_byte_identical(hardened):
    client = hardened.test_client()
    unknown = client.post(LOOKUP, json=UNKNOWN)
    wrong = client.post(LOOKUP, json=WRONG_EMAIL)
    assert unknown.status_code == wrong.status_code == 404
    assert unknown.data == wrong.data
    assert comparable_headers(unknown) == comparable_headers(wrong)


def test_no_javascript_page_misses_differ_only_by_what_was_typed(hardened):
    client = hardened.test_client()
    pages = [client.post("/order-status/lookup", data=body) for body in (UNKNOWN, WRONG_EMAIL)]
    assert [page.status_code for page in pages] == [404, 404]
    # The page echoes the typed fields back into the form: blank them out, then compare.
    texts = [page.get_data(as_text=True) for page in pages]
    for body, index in ((UNKNOWN, 0), (WRONG_EMAIL, 1)):
        for value in body.values():
            texts[index] = texts[index].replace(value, "…")
    assert texts[0] == texts[1]
    # The echoed fields differ in length, so the Content-Length does; nothing else may.
    assert ([h for h in comparable_headers(pages[0]) if h[0] != "Content-Length"]
            == [h for h in comparable_headers(pages[1]) if h[0] != "Content-Length"])


def timings(client, bodies: dict[str, dict], rounds: int) -> dict[str, list[float]]:
    """Seconds per lookup for each body, sampled interleaved in a random order each round, so
    the machine's noise (other processes, caches, GC) falls on both alike."""
    samples: dict[str, list[float]] = {name: [] for name in bodies}
    names = list(bodies)
    rng = random.Random(7)
    for _ in range(rounds):
        rng.shuffle(names)
        for name in names:
            start = time.perf_counter()
            response = client.post(LOOKUP, json=bodies[name])
            samples[name].append(time.perf_counter() - start)
            assert response.status_code == 404
    return samples


def test_unknown_order_and_wrong_email_take_the_same_time(hardened, record_property):
    """Medians of 400 interleaved samples each agree within 5% (or 40 µs, below any network's
    jitter); three tries, because a shared machine can stall one run, not a real difference."""
    client = hardened.test_client()
    bodies = {"unknown": UNKNOWN, "wrong_email": WRONG_EMAIL}
    timings(client, bodies, 50)  # warm up caches and the connection pool
    for _ in range(3):
        samples = timings(client, bodies, 400)
        medians = {name: statistics.median(values) for name, values in samples.items()}
        gap = abs(medians["unknown"] - medians["wrong_email"])
        tolerance = max(0.05 * min(medians.values()), 40e-6)
        print(f"miss medians: unknown {medians['unknown'] * 1e6:.0f} µs, wrong email "
              f"{medians['wrong_email'] * 1e6:.0f} µs, gap {gap * 1e6:.0f} µs "
              f"(tolerance {tolerance * 1e6:.0f} µs)")
        if gap <= tolerance:
            break
    record_property("miss_medians_us", {k: round(v * 1e6) for k, v in medians.items()})
    assert gap <= tolerance, medians


def test_the_timing_check_would_see_a_real_difference(hardened, monkeypatch):
    """The same measurement tells misses apart as soon as one path does more work (1 ms)."""
    store = hardened.extensions["order_store"]
    find = store.find

    def slower_on_known_orders(order_number: str, email: str):
        if store.key(order_number) == "BIG-1":
            time.sleep(0.001)
        return find(order_number, email)

    monkeypatch.setattr(store, "find", slower_on_known_orders)
    samples = timings(hardened.test_client(), {"unknown": UNKNOWN, "wrong_email": WRONG_EMAIL},
                      60)
    gap = statistics.median(samples["wrong_email"]) - statistics.median(samples["unknown"])
    assert gap > 0.0008


# -- hostile input ------------------------------------------------------------------------------

HOSTILE_TEXTS = [
    "환불", "🙂" * 30, "\u202eKR-1\u200b", "Ａ１２３", "e\u0301", "\ufeffDEMO-1011", "\ud800",
    "a\udfffb", "\x00", "DEMO-1011\x00", "\x1b[31m", "<script>alert(1)</script>",
    "' OR 1=1 --", "%00", "../../etc/passwd", "\\", "x" * 70, "x" * 5000, " ", "",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
@pytest.mark.parametrize("field", ["order_number", "email"])
def test_any_text_in_a_lookup_is_a_clean_answer(hardened, field, text):
    body = {"order_number": "DEMO-1011", "email": "minho.kang@example.com", field: text}
    # json.dumps writes unpaired surrogates as \\ud800 escapes, as a hostile client would.
    response = hardened.test_client().post(LOOKUP, data=json.dumps(body),
                                           content_type="application/json")
    assert response.status_code in (400, 404, 413), response.data
    error = assert_api_error(response, response.status_code)
    if response.status_code == 400:
        assert error["detail"].startswith(f"{field}:")


@pytest.mark.parametrize("body", [
    b'{"order_number": "DEMO-1011", "email": "a@b.c", "order_number": "\\u0000"}',
    b'{"order_number": "\xff\xfe", "email": "a@b.c"}',
    b'\xef\xbb\xbf{"order_number": "DEMO-1011", "email": "a@b.c"}',
    b'{"order_number": "DEMO-1011", "email": "a@b.c"' + b" " * 3000 + b"}",
    b"[" * 2000 + b"]" * 2000,
    b'{"order_number": 1e999, "email": "a@b.c"}',
    b'{"order_number": NaN, "email": "a@b.c"}',
    b'"just a string"',
    b"null",
    b"",
    b"\x00" * 100,
], ids=range(11))
def test_raw_hostile_bodies_never_crash_a_lookup(hardened, body):
    response = hardened.test_client().post(LOOKUP, data=body, content_type="application/json")
    assert response.status_code in (400, 404, 413)
    assert_api_error(response, response.status_code)


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_any_text_in_a_webhook_is_stored_or_refused_by_name(hardened, text):
    client = hardened.test_client()
    order = make_order(order_number="HOSTILE-1", note=text, seller={
        "name": "Shop", "country": "KR", "motto": {"x": [text]}})
    response = post_event(client, {"event_id": f"evt-{random.random()}",
                                   "occurred_at": "2026-03-02T10:16:05+09:00", "order": order})
    stored = hardened.extensions["order_store"].get("HOSTILE-1")
    if "\x00" in text or any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        assert_api_error(response, 400)
        assert response.get_json()["error"]["detail"].startswith("order.seller.motto.x[0]:")
        assert stored is None
    else:
        assert response.status_code == 200
        assert stored["note"] == text
        assert stored["seller"]["motto"] == {"x": [text]}


@pytest.mark.parametrize("query", ["\x00", "a\x00b", "🙂" * 500, "x" * 20_000, "\ufffd",
                                   "q=\r\nSet-Cookie: a=b", "\u0000" * 50])
def test_any_text_in_a_search_is_a_clean_answer(indexed_app, query):
    response = indexed_app.test_client().get("/api/search", query_string={"q": query,
                                                                         "limit": "3"})
    # The real index answers: results or a clean 400, never a crash, never the 503.
    assert response.status_code in (200, 400)
    assert response.is_json


@pytest.mark.parametrize("method, path", [
    ("GET", LOOKUP), ("PUT", LOOKUP), ("DELETE", LOOKUP), ("PATCH", LOOKUP),
    ("TRACE", LOOKUP), ("PROPFIND", LOOKUP),
    ("GET", "/api/webhooks/orders"), ("PUT", "/api/webhooks/orders"),
    ("POST", "/api/search"), ("DELETE", "/api/search"),
    ("POST", "/api/health"), ("PUT", "/api/openapi.json"),
])
def test_wrong_methods_are_405_in_json(client, method, path):
    response = client.open(path, method=method)
    error = assert_api_error(response, 405)
    assert error["title"] == "Method Not Allowed"
    assert response.headers["Allow"]


def test_huge_strings_are_refused_before_they_cost_anything(hardened):
    client = hardened.test_client()
    huge = "x" * (2 * 1024 * 1024)
    assert_api_error(client.post(LOOKUP, json={"order_number": huge, "email": "a@b.c"}), 413)
    event = {"event_id": "e", "occurred_at": "2026-03-02T10:16:05+09:00",
             "order": make_order(note=huge)}
    assert_api_error(post_event(client, event), 413)


def test_json_nested_too_deep_is_a_400_everywhere(hardened):
    client = hardened.test_client()
    deep = b"[" * 5000 + b"]" * 5000
    # Limits on, as in production; a lookup body stays under its 4 KiB cap.
    hardened.config["LOOKUP_RATE_LIMIT"] = "10/minute"
    lookup_deep = b"[" * 2000 + b"]" * 2000
    assert_api_error(client.post(LOOKUP, data=lookup_deep, content_type="application/json"), 400)
    assert_api_error(post_event(client, deep), 400)
