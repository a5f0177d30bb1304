"""`helpcenter import FILE`: check every line, then all or nothing, idempotent, never backwards."""

from __future__ import annotations

import io
import json
import os
import random
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lookup import importer
from lookup.store import document_text
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


@pytest.mark.parametrize("workers", [1, 2])
def test_lines_are_read_only_a_few_chunks_ahead(monkeypatch, workers):
    # Memory stays flat: the first checked line is handed on long before the file is read.
    monkeypatch.setattr(importer, "_worker_count", lambda: workers)

    class Lines(io.BytesIO):
        reads = 0

        def __iter__(self):
            while line := self.readline():
                Lines.reads += 1
                yield line
    total = importer.CHUNK_LINES * importer.CHUNKS_AHEAD * workers * 3
    line = jsonl(make_order(order_number="N-1")).encode()
    checked = importer.prepared(Lines(line * total))
    first = next(checked)
    assert first[0] == 1
    ahead = importer.CHUNK_LINES * (1 if workers == 1 else importer.CHUNKS_AHEAD * workers)
    assert Lines.reads == ahead < total
    checked.close()


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


# -- what the fast paths must not change --------------------------------------------------------

def stored_rows(store) -> list:
    """Every stored order row, whole, by key."""
    with store.read() as conn:
        return list(conn.execute(select(store.orders).order_by(store.orders.c.order_key)))


def test_a_bad_line_after_150_000_good_ones_leaves_the_store_as_it_was(app, tmp_path,
                                                                       monkeypatch):
    store = app.extensions["order_store"]
    store.apply([make_order(order_number="KEEP-1"), make_order(order_number="BULK-7")])
    before = stored_rows(store)
    # Small valid lines (one of them a newer BULK-7, an update), then a bad one.
    line = json.dumps({"order_number": "BULK-{n}", "email": "b@example.com", "status": "shipped",
                       "placed_at": "2026-03-05T10:00:00+09:00", "seller": {"name": "S"}})
    path = tmp_path / "orders.jsonl"
    with path.open("w") as out:
        for n in range(150_000):
            out.write(line.replace("{n}", str(n)) + "\n")
        out.write(json.dumps(make_order(order_number="BAD-1",
                                        shipping=shipping(events=[{"at": "soon"}]))) + "\n")
    written = []
    apply_batch = store._apply_batch

    def counted(conn, batch, *rest):
        written.append(len(batch))
        apply_batch(conn, batch, *rest)

    monkeypatch.setattr(store, "_apply_batch", counted)
    with path.open("rb") as stream, pytest.raises(importer.ImportRejected) as rejected:
        importer.import_stream(store, stream)
    assert [str(error) for error in rejected.value.errors] == [
        "line 150001: shipping.events[0].at: must be an ISO 8601 date-time with a UTC offset"]
    # The good lines were written inside the transaction before the bad one was read...
    assert sum(written) >= 140_000
    # ...and rolled back with it.
    assert stored_rows(store) == before


def test_the_stored_text_is_the_line_as_json_loads_reads_it_in_canonical_form(app, write):
    document = make_order(note='선물 "포장" \\ \u2028 😀 \x7f', rating=4.8, big=2**70, tiny=1e-7,
                          huge=1e16, nan=float("nan"), extra={"z": [1.5, None, True], "a": {}})
    for ascii_only in (True, False):
        line = json.dumps(document, ensure_ascii=ascii_only)
        count, _ = importer.import_stream(app.extensions["order_store"],
                                          io.BytesIO(line.encode() + b"\n"))
        assert count == 1
        [row] = stored_rows(app.extensions["order_store"])
        assert row.document == json.dumps(json.loads(line), ensure_ascii=False, sort_keys=True,
                                          separators=(",", ":"))


def test_a_line_only_json_loads_reads_is_imported_as_it_reads_it(app):
    # A UTF-8 byte order mark: pydantic's parser refuses it, json.loads skips it.
    line = b"\xef\xbb\xbf" + json.dumps(make_order(note="bom")).encode() + b"\n"
    count, result = importer.import_stream(app.extensions["order_store"], io.BytesIO(line))
    assert (count, result.created) == (1, 1)
    assert app.extensions["order_store"].get("CM-100234")["note"] == "bom"


@pytest.mark.parametrize("line, field", [
    # A lone surrogate spelt as an escape, and as raw bytes (which json.loads passes through).
    (json.dumps(make_order(note="\ud800")).encode(), "note"),
    (json.dumps(make_order(note="x")).encode().replace(b'"x"', b'"\xed\xa0\x80"'), "note"),
    (json.dumps(make_order(seller={"name": "S\u0000"})).encode(), "seller.name"),
])
def test_text_no_database_can_hold_is_refused_by_field(app, line, field):
    store = app.extensions["order_store"]
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.import_stream(store, io.BytesIO(b"\n" + line + b"\n"))
    assert [str(error) for error in rejected.value.errors] == [
        f"line 2: {field}: must not contain NUL or unpaired surrogates"]
    assert store.count() == 0


@pytest.mark.parametrize("line", [b"{not json", b'{"a": 1}}', b'{"a": "\t"}', b"\xff",
                                  b'{"a": 01}'])
def test_invalid_json_is_worded_by_json_loads(app, line):
    try:
        json.loads(line)
    except ValueError as exc:
        expected = f"line 1: line: not valid JSON ({exc})"
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.import_stream(app.extensions["order_store"], io.BytesIO(line + b"\n"))
    assert [str(error) for error in rejected.value.errors] == [expected]


@pytest.mark.parametrize("seed", range(3))
def test_the_stored_text_is_the_standard_encoders_text(seed):
    # The fast encoder must write exactly what the standard one writes, for any document a
    # line can hold: every kind of character, nesting, integers of every size, floats.
    rng = random.Random(seed)
    characters = [chr(c) for c in (*range(0, 0x80), 0x7F, 0xA0, 0xE9, 0x2028, 0x2029, 0xAC00,
                                   0xFEFF, 0x1F600)]

    def text() -> str:
        return "".join(rng.choice(characters) for _ in range(rng.randint(0, 12)))

    def value(depth: int) -> Any:
        kind = rng.randrange(8 if depth < 3 else 5)
        return [text, lambda: rng.randint(-2**70, 2**70), lambda: rng.randint(-9, 9),
                lambda: rng.choice([None, True, False]),
                lambda: rng.choice([0.5, 1e16, 1e-7, -0.0, 2.0, float("inf")]),
                lambda: {text(): value(depth + 1) for _ in range(rng.randint(0, 4))},
                lambda: [value(depth + 1) for _ in range(rng.randint(0, 4))],
                lambda: {text(): value(depth + 1) for _ in range(rng.randint(0, 4))}][kind]()

    standard = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for _ in range(300):
        document = {text(): value(0) for _ in range(rng.randint(1, 6))}
        assert document_text(document) == standard.encode(document)


def test_worker_processes_store_and_refuse_exactly_what_one_process_does(app, monkeypatch):
    store = app.extensions["order_store"]
    # More lines than a chunk, the same orders twice (one older), a line that needs json.loads,
    # floats and an integer past 64 bits.
    documents = [make_order(order_number=f"W-{n % 700}", status="shipped" if n < 700 else "paid",
                            note=f"선물 {n}", rating=n / 7, big=2**70 + n)
                 for n in range(1_400)]
    good = jsonl(*documents).encode() + b"\xef\xbb\xbf" + jsonl(make_order(
        order_number="BOM-1")).encode()
    bad = good + b"{not json\n" + jsonl(make_order(order_number="")).encode()
    seen: dict[int, tuple] = {}
    for workers in (1, 2):
        monkeypatch.setattr(importer, "_worker_count", lambda workers=workers: workers)
        store.ensure_schema()
        with store.write() as conn:
            conn.execute(store.orders.delete())
        count, result = importer.import_stream(store, io.BytesIO(good))
        with pytest.raises(importer.ImportRejected) as rejected:
            importer.import_stream(store, io.BytesIO(bad))
        seen[workers] = (count, result, [tuple(row) for row in stored_rows(store)],
                         [str(error) for error in rejected.value.errors])
    assert seen[1][0] == 1_401 and seen[1][1].older == 700
    # Every column but the time of storing.
    assert [row[:5] for row in seen[2][2]] == [row[:5] for row in seen[1][2]]
    assert seen[2][1] == seen[1][1] and seen[2][3] == seen[1][3] == [
        "line 1402: line: not valid JSON (Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1))",
        "line 1403: order_number: must not be empty"]


def test_the_workers_run_in_other_processes(monkeypatch):
    monkeypatch.setattr(importer, "_worker_count", lambda: 2)
    pids = set()
    monkeypatch.setattr(importer, "prepare", lambda document: pids.add(os.getpid()) or
                        importer.Prepared("K", "e", "paid", "t", "{}"))
    list(importer.prepared(io.BytesIO(jsonl(make_order()).encode())))
    # Run in a worker, the patched function added to the worker's own set, not to this one.
    assert pids == set()


def test_a_worker_that_dies_fails_the_import_and_changes_nothing(runner, app, write,
                                                                 monkeypatch):
    store = app.extensions["order_store"]
    store.apply([make_order(order_number="KEEP-1")])
    before = stored_rows(store)
    monkeypatch.setattr(importer, "_worker_count", lambda: 2)
    # A worker killed mid-import (out of memory, say): the import must stop, not wait for ever.
    monkeypatch.setattr(importer, "prepare", lambda document: os._exit(9))
    lines = jsonl(*[make_order(order_number=f"D-{n}") for n in range(2_000)])
    with pytest.raises(BrokenProcessPool):
        importer.import_stream(store, io.BytesIO(lines.encode()))
    result = runner.invoke(main, ["import", write(lines)])
    assert result.exit_code == 1
    assert "a process checking the lines stopped" in result.output
    assert stored_rows(store) == before
