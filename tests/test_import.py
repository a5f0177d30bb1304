"""`helpcenter import FILE`: check every line, then all or nothing, idempotent, never backwards."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest

from lookup import importer
from lookup.web.cli import main
from lookup.web.webhook import sign
from tests.lookup_fixtures import make_order
from tests.lookup_fixtures import shipping


def jsonl(*documents: dict) -> str:
    """Documents as JSON Lines."""
    return "".join(json.dumps(document) + "\n" for document in documents)


@pytest.fixture
def write(tmp_path: Path):
    """Write a JSON Lines file and return its path."""
    def write(text: str) -> str:
        path = tmp_path / "orders.jsonl"
        path.write_text(text, encoding="utf-8")
        return str(path)
    return write


def orders(app) -> int:
    """How many orders the app's store holds."""
    return app.extensions["order_store"].count()


def test_import_a_file(runner, app, write):
    path = write(jsonl(make_order(), make_order(order_number="CM-2"),
                       make_order(order_number="CM-3")))
    result = runner.invoke(main, ["import", path])
    assert result.exit_code == 0, result.output
    assert "3 new" in result.output
    assert orders(app) == 3


def test_import_from_stdin(runner, app):
    result = runner.invoke(main, ["import", "-"], input=jsonl(make_order()).encode())
    assert result.exit_code == 0, result.output
    assert orders(app) == 1


def test_importing_twice_changes_nothing(runner, app, write):
    path = write(jsonl(make_order(), make_order(order_number="CM-2")))
    runner.invoke(main, ["import", path])
    before = app.extensions["order_store"].get("CM-2")
    result = runner.invoke(main, ["import", path])
    assert result.exit_code == 0
    assert "0 new, 0 updated, 2 unchanged" in result.output
    assert app.extensions["order_store"].get("CM-2") == before


@pytest.mark.parametrize("line, field", [
    ("{not json", "line"),
    ('["a list"]', "order"),
    (json.dumps(make_order(email="not-an-email")), "email"),
    (json.dumps(make_order(status="teleported")), "status"),
    (json.dumps(make_order(placed_at="2026-03-02")), "placed_at"),
    (json.dumps(make_order(placed_at="2026-03-02T10:00:00")), "placed_at"),
    (json.dumps({k: v for k, v in make_order().items() if k != "order_number"}), "order_number"),
    (json.dumps(make_order(items=[{"name": "Mug", "quantity": 0}])), "items[0].quantity"),
    (json.dumps(make_order(items=[{"name": "Mug", "kind": "gift"}])), "items[0].kind"),
    (json.dumps(make_order(items=[{"name": "Mug", "unit_price": 18000}])), "items[0].unit_price"),
    (json.dumps(make_order(items=[{"name": "Fig", "kind": "funding"}])), "funding"),
    (json.dumps(make_order(seller={"name": "S", "policy": {"return_window_days": -1}})),
     "seller.policy.return_window_days"),
    (json.dumps(make_order(shipping=shipping(events=[{"at": "soon"}]))), "shipping.events[0].at"),
    (json.dumps(make_order(shipping=shipping(tracking_url="javascript:alert(1)"))),
     "shipping.tracking_url"),
    (json.dumps(make_order(currency="won")), "currency"),
    (json.dumps(make_order(seller=None)), "seller"),
])
def test_a_bad_line_names_line_and_field_and_nothing_is_applied(runner, app, write, line, field):
    path = write(jsonl(make_order(order_number="GOOD-1")) + "\n" + line + "\n")
    result = runner.invoke(main, ["import", path])
    assert result.exit_code != 0
    assert f"line 3: {field}:" in result.output
    assert "nothing imported" in result.output
    assert orders(app) == 0


def test_every_bad_line_is_reported(runner, app, write):
    path = write(jsonl(make_order(status="x"), make_order(), make_order(email="y")))
    result = runner.invoke(main, ["import", path])
    assert "line 1: status:" in result.output and "line 3: email:" in result.output


def test_import_never_overwrites_a_newer_status_from_a_webhook(runner, app, write):
    app.config["WEBHOOK_SECRET"] = "s"
    delivered = make_order(status="delivered", shipping=shipping(
        delivered_at="2026-03-06T15:00:00+09:00"))
    body = json.dumps({"event_id": "e1", "occurred_at": "2026-03-06T15:00:01+09:00",
                       "order": delivered}).encode()
    signature = sign(body, "s", int(time.time()))
    response = app.test_client().post("/api/webhooks/orders", data=body,
                                      content_type="application/json",
                                      headers={"X-Helpcenter-Signature": signature})
    assert response.status_code == 200
    # Last night's export still says "shipped".
    result = runner.invoke(main, ["import", write(jsonl(make_order(status="shipped",
                                                                   shipping=shipping())))])
    assert result.exit_code == 0
    assert "1 older" in result.output
    assert app.extensions["order_store"].get("CM-100234")["status"] == "delivered"


def test_large_files_stream_in_batches(runner, app, write):
    lines = "".join(json.dumps(make_order(order_number=f"BULK-{n}")) + "\n" for n in range(2500))
    result = runner.invoke(main, ["import", write(lines)])
    assert result.exit_code == 0, result.output
    assert orders(app) == 2500


def test_documents_are_read_one_line_at_a_time():
    class Lines(io.BytesIO):
        reads = 0

        def __iter__(self):
            while line := self.readline():
                Lines.reads += 1
                yield line
    stream = Lines(jsonl(*[make_order(order_number=f"N-{n}") for n in range(5)]).encode())
    first = next(importer.documents(stream))
    assert first[0] == 1 and Lines.reads == 1


def test_unseekable_input_is_imported_in_one_pass(app):
    """A pipe (stdin) is read once: nothing needs to rewind it."""
    class Pipe(io.BytesIO):
        def seekable(self):
            return False

        def seek(self, *args):
            raise OSError("a pipe cannot seek")

    stream = Pipe(jsonl(*[make_order(order_number=f"P-{n}") for n in range(3)]).encode())
    count, result = importer.import_stream(app.extensions["order_store"], stream)
    assert count == 3 and result.created == 3
