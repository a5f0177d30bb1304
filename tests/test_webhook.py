"""POST /api/webhooks/orders: signatures, duplicates, out-of-order events, unknown orders."""

from __future__ import annotations

import json
import time

import pytest

from lookup.web.webhook import sign
from lookup.web.webhook import verify_signature
from tests.lookup_fixtures import make_order
from tests.lookup_fixtures import shipping

URL = "/api/webhooks/orders"
SECRET = "whsec_test_current"
OLD_SECRET = "whsec_test_previous"

PAID = make_order(status="paid")
SHIPPED = make_order(status="shipped", shipping=shipping(
    shipped_at="2026-03-04T09:00:00+09:00",
    events=[{"at": "2026-03-05T08:00:00+09:00", "status": "in_transit", "location": "Seoul hub",
             "description": "Arrived at hub"}]))


@pytest.fixture
def hooks(app):
    """The app with a webhook secret; returns a function that posts a signed event."""
    app.config["WEBHOOK_SECRET"] = SECRET
    client = app.test_client()

    def post(event: dict, *, secret: str = SECRET, timestamp: int | None = None,
             header: str | None = None, raw: bytes | None = None):
        body = raw if raw is not None else json.dumps(event).encode()
        if header is None:
            header = sign(body, secret, timestamp if timestamp is not None else int(time.time()))
        return client.post(URL, data=body, content_type="application/json",
                           headers={"X-Helpcenter-Signature": header})

    return post


def event(event_id: str, order: dict, occurred_at: str) -> dict:
    """A webhook event body."""
    return {"event_id": event_id, "occurred_at": occurred_at, "order": order}


def stored(app, number: str = "CM-100234"):
    """The stored document, or None."""
    return app.extensions["order_store"].get(number)


def test_signed_event_creates_an_unknown_order(app, hooks):
    response = hooks(event("evt-1", PAID, "2026-03-02T10:16:05+09:00"))
    assert response.status_code == 200
    assert response.get_json() == {"event_id": "evt-1", "result": "applied"}
    assert stored(app)["status"] == "paid"


@pytest.mark.parametrize("case", ["missing", "wrong secret", "stale", "future", "tampered",
                                  "garbage", "no v1"])
def test_bad_signatures_are_refused_and_nothing_is_stored(app, hooks, case):
    body = json.dumps(event("evt-1", PAID, "2026-03-02T10:16:05+09:00")).encode()
    now = int(time.time())
    kwargs = {
        "missing": {"header": ""},
        "wrong secret": {"secret": "not-the-secret"},
        "stale": {"timestamp": now - 301},
        "future": {"timestamp": now + 301},
        "tampered": {"header": sign(body.replace(b"paid", b"refunded"), SECRET, now)},
        "garbage": {"header": "nonsense"},
        "no v1": {"header": f"t={now}"},
    }[case]
    response = hooks({}, raw=body, **kwargs)
    assert response.status_code == 401
    assert response.get_json()["error"]["status"] == 401
    assert stored(app) is None


def test_no_secret_configured_refuses_everything(app, hooks):
    app.config["WEBHOOK_SECRET"] = None
    assert hooks(event("evt-1", PAID, "2026-03-02T10:16:05+09:00")).status_code == 401
    assert stored(app) is None


def test_old_and_new_secret_both_verify_during_rotation(app, hooks):
    app.config["WEBHOOK_SECRET"] = f"{SECRET}, {OLD_SECRET}"
    assert hooks(event("evt-1", PAID, "2026-03-02T10:16:05+09:00"),
                 secret=OLD_SECRET).status_code == 200
    assert hooks(event("evt-2", SHIPPED, "2026-03-05T08:00:05+09:00")).status_code == 200
    assert stored(app)["status"] == "shipped"


def test_within_tolerance_is_accepted(app, hooks):
    response = hooks(event("evt-1", PAID, "2026-03-02T10:16:05+09:00"),
                     timestamp=int(time.time()) - 290)
    assert response.status_code == 200


def test_same_event_twice_is_applied_once(app, hooks):
    first = hooks(event("evt-1", SHIPPED, "2026-03-05T08:00:05+09:00"))
    # The marketplace retries; meanwhile someone else moved the order on. The retry changes nothing.
    app.extensions["order_store"].apply([make_order(status="delivered", shipping=shipping(
        delivered_at="2026-03-06T15:00:00+09:00"))])
    again = hooks(event("evt-1", SHIPPED, "2026-03-05T08:00:05+09:00"))
    assert first.get_json()["result"] == "applied"
    assert again.status_code == 200
    assert again.get_json()["result"] == "duplicate"
    assert stored(app)["status"] == "delivered"


def test_late_paid_after_shipped_leaves_it_shipped_and_keeps_both_in_the_timeline(app, hooks):
    shipped_unpaid = {**SHIPPED, "payment": {"method": "card"}}
    assert hooks(event("evt-2", shipped_unpaid, "2026-03-05T08:00:05+09:00")).status_code == 200
    late = hooks(event("evt-1", PAID, "2026-03-02T10:16:05+09:00"))
    assert late.get_json()["result"] == "older"
    document = stored(app)
    assert document["status"] == "shipped"
    assert document["payment"]["paid_at"] == PAID["payment"]["paid_at"]

    app.config["LOOKUP_RATE_LIMIT"] = "off"
    answer = app.test_client().post("/api/orders/lookup", json={
        "order_number": "CM-100234", "email": "buyer@example.com"}).get_json()
    assert answer["status"]["code"] == "shipped"
    statuses = [entry["status"] for entry in answer["timeline"]]
    assert statuses == ["in_transit", "shipped", "paid", "placed"]


def test_out_of_order_carrier_scans_are_all_kept_in_time_order(app, hooks):
    scan = {"status": "in_transit", "location": "Daejeon", "description": "Left hub"}
    later = {**SHIPPED, "shipping": {**SHIPPED["shipping"], "events": [
        {**scan, "at": "2026-03-06T08:00:00+09:00"}]}}
    hooks(event("evt-3", later, "2026-03-06T08:00:05+09:00"))
    hooks(event("evt-2", SHIPPED, "2026-03-05T08:00:05+09:00"))
    events = stored(app)["shipping"]["events"]
    assert [e["at"] for e in events] == ["2026-03-05T08:00:00+09:00", "2026-03-06T08:00:00+09:00"]


@pytest.mark.parametrize("body, field", [
    ({"occurred_at": "2026-03-02T10:16:05+09:00", "order": PAID}, "event_id"),
    ({"event_id": "e", "order": PAID}, "occurred_at"),
    ({"event_id": "e", "occurred_at": "yesterday", "order": PAID}, "occurred_at"),
    ({"event_id": "e", "occurred_at": "2026-03-02T10:16:05+09:00"}, "order"),
    ({"event_id": "e", "occurred_at": "2026-03-02T10:16:05+09:00",
      "order": {**PAID, "status": "lost"}}, "order.status"),
    ({"event_id": "e", "occurred_at": "2026-03-02T10:16:05+09:00",
      "order": {**PAID, "email": "nope"}}, "order.email"),
])
def test_malformed_events_name_the_field(app, hooks, body, field):
    response = hooks(body)
    assert response.status_code == 400
    assert response.get_json()["error"]["detail"].startswith(f"{field}:")
    assert stored(app) is None


def test_webhook_takes_json_only(app):
    app.config["WEBHOOK_SECRET"] = SECRET
    response = app.test_client().post(URL, data="x", content_type="text/plain")
    assert response.status_code == 415


def test_verify_signature_unit():
    body = b'{"a":1}'
    header = sign(body, "s", 1_000_000)
    assert verify_signature(header, body, ["s"], 1_000_000 + 300)
    assert not verify_signature(header, body, ["s"], 1_000_000 + 301)
    assert not verify_signature(header, body, [], 1_000_000)
    assert verify_signature(header + ",v1=00", body, ["x", "s"], 1_000_000)
