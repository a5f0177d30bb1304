"""Structured logs: JSON lines from one place, and never an email (so never an order+email pair)."""

from __future__ import annotations

import io
import json
import logging
import re
import sqlite3
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from lookup.demo import install_demo
from lookup.web import logs
from lookup.web.cli import main
from lookup.web.webhook import sign
from tests.lookup_fixtures import make_order

LOOKUP = "/api/orders/lookup"
SECRET = "whsec_logs"
ANY_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Everything logged during the test, as the service writes it (JSON lines), at DEBUG."""
    buffer = io.StringIO()
    handler = logs.configure("DEBUG", stream=buffer)
    try:
        yield buffer
    finally:
        logging.getLogger().removeHandler(handler)
        logs.configure("INFO")


def entries(stream: io.StringIO) -> list[dict]:
    """The captured log lines, each parsed (a line that is not JSON fails the test)."""
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def signed(client, event: dict):
    """Post a webhook event signed with the test secret."""
    body = json.dumps(event).encode()
    return client.post("/api/webhooks/orders", data=body, content_type="application/json",
                       headers={"X-Helpcenter-Signature": sign(body, SECRET, int(time.time()))})


def test_logs_are_json_lines_without_any_email(app, log_stream, tmp_path: Path, monkeypatch):
    app.config.update(WEBHOOK_SECRET=SECRET, LOOKUP_RATE_LIMIT="3/minute")
    store = app.extensions["order_store"]
    install_demo(store, date.today())
    client = app.test_client()
    emails = ["minho.kang@example.com", "guess.who@example.com", "hook.buyer@example.com",
              "import.buyer@example.com", "crash.buyer@example.com", "Bad.Line@Example.com"]

    # Lookups: a hit, misses (unknown order, wrong email) and the 429 that follows.
    client.post(LOOKUP, json={"order_number": "DEMO-1011", "email": emails[0]})
    for number in ("DEMO-1011", "NOPE-1", "NOPE-2", "NOPE-3"):
        client.post(LOOKUP, json={"order_number": number, "email": emails[1]})
    client.post("/order-status/lookup", data={"order_number": "DEMO-1012", "email": emails[1]})
    # Webhooks: applied, duplicate, refused signature, malformed.
    event = {"event_id": "evt-log-1", "occurred_at": "2026-03-02T10:16:05+09:00",
             "order": make_order(order_number="HOOK-1", email=emails[2])}
    signed(client, event)
    signed(client, event)
    client.post("/api/webhooks/orders", json=event, headers={"X-Helpcenter-Signature": "t=1,v1=0"})
    signed(client, {**event, "event_id": "evt-log-2", "order": {**event["order"], "email": "x"}})
    # Imports: one that applies and one that a database error rolls back.
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(make_order(order_number="IMP-1", email=emails[3])) + "\n")
    assert app.test_cli_runner().invoke(main, ["import", str(good)]).exit_code == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(make_order(order_number="IMP-2", email=emails[5])) + "\n"
                   + json.dumps(make_order(order_number="IMP-3", email="nope")) + "\n")
    assert app.test_cli_runner().invoke(main, ["import", str(bad)]).exit_code != 0
    database = Path(store.engine.url.database)
    with sqlite3.connect(database) as db:
        db.execute("CREATE TRIGGER boom BEFORE INSERT ON orders "
                   "BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
    good.write_text(json.dumps(make_order(order_number="IMP-4", email=emails[3])) + "\n")
    assert app.test_cli_runner().invoke(main, ["import", str(good)]).exit_code != 0
    # Errors: a database error mid-webhook (503), a crash whose message quotes the email (500).
    assert signed(client, {**event, "event_id": "evt-log-3",
                           "order": make_order(order_number="HOOK-2", email=emails[2])}
                  ).status_code == 503

    def crash(order_number: str, email: str, **_):
        raise RuntimeError(f"lookup of {order_number} for {email} failed")

    monkeypatch.setattr("lookup.web.api.lookup_order", crash)
    app.config["LOOKUP_RATE_LIMIT"] = "off"
    assert client.post(LOOKUP, json={"order_number": "DEMO-1001",
                                     "email": emails[4]}).status_code == 500
    client.get("/api/search?q=refund")

    text = log_stream.getvalue()
    for email in emails:
        assert email.lower() not in text.lower()
    assert not ANY_EMAIL.search(text), ANY_EMAIL.search(text)
    logged = entries(log_stream)
    assert all({"ts", "level", "logger", "msg"} <= set(entry) for entry in logged)
    events = {(entry.get("event"), entry.get("outcome") or entry.get("result"))
              for entry in logged}
    assert {("lookup", "found"), ("lookup", "miss"), ("webhook", "applied"),
            ("webhook", "duplicate"), ("webhook", "refused"), ("import", "applied"),
            ("import", "rolled_back"), ("store_unavailable", None)} <= events
    crashes = [entry for entry in logged if entry.get("exc_type") == "RuntimeError"]
    assert crashes and "<email>" in crashes[0]["traceback"]


def test_redaction_covers_sql_parameters_and_emails():
    message = ("(sqlite3.IntegrityError) injected\n[SQL: INSERT INTO orders VALUES (?, ?)]\n"
               "[parameters: ('CM-1', 'a.b@example.com')]\n(Background on this error at: x)")
    redacted = logs.redact(message)
    assert "CM-1" not in redacted and "example.com" not in redacted
    assert "[parameters: redacted]" in redacted
    assert logs.redact("mail Ünï.cödé+tag@bücher.example now") == "mail <email> now"


def test_configure_is_one_handler_however_many_apps(app, log_stream):
    from lookup import create_app

    create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    handlers = [h for h in logging.getLogger().handlers if h.get_name() == logs.HANDLER_NAME]
    assert len(handlers) == 1


def test_a_log_line_is_one_line_of_json():
    formatter = logs.JsonFormatter()
    for message, extra in [("plain", {"event": "lookup", "outcome": "found"}),
                           ("\ubc18\ud488", {"n": 2**70}), ("lone \ud800", {"event": "x"})]:
        record = logging.LogRecord("t", logging.INFO, __file__, 1, message, None, None)
        for name, value in extra.items():
            setattr(record, name, value)
        line = formatter.format(record)
        assert "\n" not in line
        entry = json.loads(line)
        assert entry["msg"] == message
        assert {name: entry[name] for name in extra} == extra
        line.encode("utf-8")  # never a lone surrogate in the stream


def direct_logger(name: str, stream: io.StringIO) -> logging.Logger:
    """A logger whose records go to the JSON handler alone, as the service's do in production."""
    handler = logging.StreamHandler(stream)
    handler.set_name(logs.HANDLER_NAME)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger(name)
    logger.handlers, logger.propagate, logger.level = [handler], False, logging.INFO
    return logger


def without_time(line: str) -> dict:
    """A log line's fields but its time, which it must have in the service's format."""
    entry = json.loads(line)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry.pop("ts"))
    return entry


def test_a_line_written_directly_is_the_line_logging_writes(monkeypatch):
    stream = io.StringIO()
    logger = direct_logger("helpcenter.test.direct", stream)
    fields = {"event": "lookup", "outcome": "found", "count": 3, "ok": True, "none": None,
              "ratio": 0.5, "who": "buyer@example.com", "text": "é \ud800"}
    # Straight to the handler: no record is made...
    with monkeypatch.context() as patch:
        patch.setattr(logger, "makeRecord", lambda *a, **k: pytest.fail("a record was made"))
        logs.info(logger, "order lookup", fields)
    # ...and the line is the one the record would have given.
    logger.info("order lookup", extra=fields)
    direct, logged = stream.getvalue().splitlines()
    assert without_time(direct) == without_time(logged)
    assert "buyer@example.com" not in direct
    assert direct.split('"msg"')[1] == logged.split('"msg"')[1]
    # Below the logger's level, nothing at all.
    logger.setLevel(logging.WARNING)
    logs.info(logger, "order lookup", fields)
    assert len(stream.getvalue().splitlines()) == 2


def test_a_line_goes_through_logging_when_anything_else_would_see_it(caplog):
    stream = io.StringIO()
    logger = direct_logger("helpcenter.test.shared", stream)
    # Another handler (here pytest's) on the way: it gets the record as usual.
    logger.propagate = True
    with caplog.at_level(logging.INFO, logger="helpcenter.test.shared"):
        logs.info(logger, "order lookup", {"event": "lookup", "outcome": "miss"})
    assert [(r.getMessage(), r.outcome) for r in caplog.records] == [("order lookup", "miss")]
    assert without_time(stream.getvalue()) == {"level": "info", "logger": "helpcenter.test.shared",
                                               "msg": "order lookup", "event": "lookup",
                                               "outcome": "miss"}
    # A filter on the logger is obeyed.
    logger.propagate = False
    logger.addFilter(lambda record: False)
    logs.info(logger, "order lookup", {"event": "lookup", "outcome": "miss"})
    assert len(stream.getvalue().splitlines()) == 1
