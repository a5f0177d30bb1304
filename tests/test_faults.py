"""Faults: the database missing, read-only or locked; the index broken; writes failing midway;
an import killed with SIGKILL. Nothing crashes, nothing is half-written, the rest keeps serving."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from lookup import create_app
from lookup.demo import install_demo
from lookup.store import OrderStore
from lookup.web.cli import main
from lookup.web.webhook import sign
from tests.helpers import free_port
from tests.lookup_fixtures import POSTGRES_URL
from tests.lookup_fixtures import make_order
from tests.lookup_fixtures import postgres_store
from tests.lookup_fixtures import shipping
from tests.test_search_api import site_index  # noqa: F401  (the session's built index)

LOOKUP = "/api/orders/lookup"
HIT = {"order_number": "DEMO-1011", "email": "minho.kang@example.com"}
SECRET = "whsec_faults"


def make_app(tmp_path: Path, index_dir: Path, built_site: Path, **config: Any) -> Flask:
    """An app on the given database (default: a fresh SQLite file) with a working index."""
    return create_app({
        "TESTING": True, "SITE_DIR": str(built_site), "SEARCH_INDEX_DIR": str(index_dir),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'orders.sqlite'}", "LOOKUP_RATE_LIMIT": "off",
        "WEBHOOK_SECRET": SECRET,
        **config})


def signed_event(client, event_id: str, order: dict[str, Any]):
    """Post one signed webhook event."""
    body = json.dumps({"event_id": event_id, "occurred_at": "2026-03-06T15:00:01+09:00",
                       "order": order}).encode()
    return client.post("/api/webhooks/orders", data=body, content_type="application/json",
                       headers={"X-Helpcenter-Signature": sign(body, SECRET, int(time.time()))})


def assert_unavailable(response) -> None:
    """503 in the one error shape, with Retry-After."""
    assert response.status_code == 503, response.data
    assert response.get_json()["error"]["status"] == 503
    assert int(response.headers["Retry-After"]) > 0


def assert_rest_keeps_serving(client) -> None:
    """The built site and the search answer whatever the order store does."""
    with client.get("/") as page:
        assert page.status_code == 200
    with client.get("/returns/policy/") as page:
        assert page.status_code == 200
    search = client.get("/api/search?q=refund")
    assert search.status_code == 200 and search.get_json()["results"]


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    """A SQLite order store holding the demo orders, closed again; returns the file."""
    database = tmp_path / "orders.sqlite"
    store = OrderStore(f"sqlite:///{database}")
    install_demo(store, date.today())
    store.dispose()
    return database


# -- the order store away -----------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "sqlite:///{tmp}/no-such-folder/orders.sqlite",
    "postgresql://postgres@127.0.0.1:{port}/test",
], ids=["sqlite file missing", "postgresql server missing"])
def test_database_missing(tmp_path, site_index, built_site, url):  # noqa: F811
    app = make_app(tmp_path, site_index, built_site,
                   DATABASE_URL=url.format(tmp=tmp_path, port=free_port()))
    client = app.test_client()
    assert_unavailable(client.post(LOOKUP, json=HIT))
    assert_unavailable(signed_event(client, "evt-1", make_order()))
    health = client.get("/api/health").get_json()
    assert health["status"] == "degraded"
    assert health["checks"]["database"]["status"] == "degraded"
    assert health["checks"]["search"]["status"] == "ok"
    assert_rest_keeps_serving(client)
    # The no-JavaScript page says so in its own words, never a traceback.
    page = client.post("/order-status/lookup", data=HIT)
    assert page.status_code == 503 and b"Traceback" not in page.data


def test_database_read_only(tmp_path, site_index, built_site, seeded):  # noqa: F811
    """Opened read-only: lookups still answer; webhooks get 503 and nothing is written."""
    app = make_app(tmp_path, site_index, built_site,
                   DATABASE_URL=f"sqlite:///file:{seeded}?mode=ro&uri=true")
    client = app.test_client()
    assert client.post(LOOKUP, json=HIT).status_code == 200
    assert_unavailable(signed_event(client, "evt-1", make_order()))
    health = client.get("/api/health").get_json()
    assert health["status"] == "degraded"
    assert health["checks"]["database"]["status"] == "degraded"
    assert_rest_keeps_serving(client)
    app.extensions["order_store"].dispose()
    with sqlite3.connect(seeded) as db:
        assert db.execute("SELECT count(*) FROM webhook_events").fetchone() == (0,)


def test_database_locked(tmp_path, site_index, built_site, seeded):  # noqa: F811
    """Another process holds an exclusive lock: 503 after the busy timeout, then recovery."""
    app = make_app(tmp_path, site_index, built_site, DATABASE_BUSY_TIMEOUT=0.3)
    client = app.test_client()
    locker = sqlite3.connect(seeded, isolation_level=None)
    try:
        # EXCLUSIVE locking mode keeps even WAL readers out until the lock is released.
        locker.execute("PRAGMA locking_mode=EXCLUSIVE")
        locker.execute("BEGIN EXCLUSIVE")
        locker.execute("UPDATE store_meta SET value = value")
        started = time.monotonic()
        assert_unavailable(client.post(LOOKUP, json=HIT))
        assert time.monotonic() - started < 5
        assert_unavailable(signed_event(client, "evt-1", make_order()))
        assert client.get("/api/health").get_json()["checks"]["database"]["status"] == "degraded"
        assert_rest_keeps_serving(client)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert client.post(LOOKUP, json=HIT).status_code == 200
    assert signed_event(client, "evt-1", make_order()).get_json()["result"] == "applied"
    assert client.get("/api/health").get_json()["checks"]["database"] == {"status": "ok"}


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_index_broken_search_503_lookups_keep_working(tmp_path, site_index, built_site,  # noqa: F811
                                                       damage):
    index_dir = tmp_path / "index"
    shutil.copytree(site_index, index_dir)
    if damage == "missing":
        shutil.rmtree(index_dir)
    else:
        # Every file of every language's index.
        for path in index_dir.rglob("*"):
            if path.is_file():
                path.write_bytes(b"\x00garbage" * 10)
    app = make_app(tmp_path, index_dir, built_site)
    install_demo(app.extensions["order_store"], date.today())
    client = app.test_client()
    search = client.get("/api/search?q=refund")
    assert search.status_code == 503 and search.get_json()["error"]["status"] == 503
    assert client.post(LOOKUP, json=HIT).status_code == 200
    health = client.get("/api/health").get_json()
    assert health["checks"]["search"]["status"] == "degraded"
    assert health["checks"]["database"] == {"status": "ok"}
    with client.get("/") as page:
        assert page.status_code == 200


@pytest.mark.browser
def test_help_bar_falls_back_when_the_real_service_answers_503(browser, tmp_path, built_site):
    """No mocked route: the service really has no index, and the help bar quietly uses
    Material's built-in search."""
    from werkzeug.serving import make_server

    from tests.helpers import serving

    app = make_app(tmp_path, tmp_path / "no-index", built_site)
    with serving(make_server("127.0.0.1", 0, app, threaded=True)) as url:
        page = browser.new_page()
        page.goto(url + "/")
        box = page.locator("[data-md-component=search-query]")
        box.click()
        with page.expect_response(lambda r: "/api/search" in r.url) as answer:
            box.press_sequentially("refund", delay=20)
        assert answer.value.status == 503
        page.locator("[data-md-component=search-result] .md-search-result__item").first.wait_for()
        assert page.locator("[data-md-component=search-result]").is_visible()
        assert page.locator("[data-helpbar-results]").is_hidden()
        page.close()


# -- a database error in the middle of a write --------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def failing_db(request, tmp_path: Path) -> Iterator[tuple[str, str, Any]]:
    """(database URL, table prefix, arm): `arm(n)` makes the n-th next row written to the
    orders table fail inside the database itself (a trigger), as a full disk or a constraint
    would, after the earlier rows of the same transaction were written."""
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'orders.sqlite'}"
        store = OrderStore(url, table_prefix=prefix)
        store.ensure_schema()
    else:
        store = postgres_store(prefix)
        url = POSTGRES_URL
    orders = f"{prefix}orders"

    def arm(nth: int) -> None:
        with store.engine.begin() as conn:
            if request.param == "sqlite":
                conn.exec_driver_sql(f"CREATE TABLE {prefix}writes (n INTEGER)")
                for when in ("INSERT", "UPDATE"):
                    conn.exec_driver_sql(
                        f"CREATE TRIGGER {prefix}fail_{when} BEFORE {when} ON {orders} BEGIN "
                        f"INSERT INTO {prefix}writes VALUES (1); "
                        f"SELECT RAISE(ABORT, 'injected failure') "
                        f"WHERE (SELECT count(*) FROM {prefix}writes) >= {nth}; END")
            else:
                conn.exec_driver_sql(f"CREATE TABLE {prefix}writes (n INTEGER)")
                conn.exec_driver_sql(
                    f"CREATE FUNCTION {prefix}fail() RETURNS trigger AS $$ BEGIN "
                    f"INSERT INTO {prefix}writes VALUES (1); "
                    f"IF (SELECT count(*) FROM {prefix}writes) >= {nth} THEN "
                    f"RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$ "
                    f"LANGUAGE plpgsql")
                conn.exec_driver_sql(
                    f"CREATE TRIGGER {prefix}fail BEFORE INSERT OR UPDATE ON {orders} "
                    f"FOR EACH ROW EXECUTE FUNCTION {prefix}fail()")

    def disarm() -> None:
        with store.engine.begin() as conn:
            if request.param == "sqlite":
                for when in ("INSERT", "UPDATE"):
                    conn.exec_driver_sql(f"DROP TRIGGER {prefix}fail_{when}")
            else:
                conn.exec_driver_sql(f"DROP TRIGGER {prefix}fail ON {orders}")
                conn.exec_driver_sql(f"DROP FUNCTION {prefix}fail()")
            conn.exec_driver_sql(f"DROP TABLE {prefix}writes")

    arm.disarm = disarm  # type: ignore[attr-defined]
    try:
        yield url, prefix, arm
    finally:
        store.drop_schema()
        with store.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {prefix}writes")
            if request.param == "postgresql":
                conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {prefix}fail() CASCADE")
        store.dispose()


def snapshot(app: Flask) -> dict[str, list]:
    """Every row of the store's orders and webhook-event tables."""
    store = app.extensions["order_store"]
    with store.read() as conn:
        return {table.name: sorted(tuple(row) for row in conn.execute(table.select()))
                for table in (store.orders, store.webhook_events)}


def test_webhook_failing_midway_writes_nothing_and_can_be_retried(failing_db, tmp_path,
                                                                  built_site):
    url, prefix, arm = failing_db
    app = make_app(tmp_path, tmp_path / "index", built_site, DATABASE_URL=url,
                   DATABASE_TABLE_PREFIX=prefix)
    client = app.test_client()
    assert signed_event(client, "evt-1", make_order(status="paid")).status_code == 200
    before = snapshot(app)
    # The event row is written first, then the order update fails inside the database.
    arm(1)
    delivered = make_order(status="delivered", shipping=shipping(
        delivered_at="2026-03-06T15:00:00+09:00"))
    assert_unavailable(signed_event(client, "evt-2", delivered))
    assert snapshot(app) == before, "no event row without its order change"
    arm.disarm()
    # The marketplace retries: it is applied now, not taken for a duplicate.
    retry = signed_event(client, "evt-2", delivered)
    assert retry.get_json()["result"] == "applied"
    assert app.extensions["order_store"].get("CM-100234")["status"] == "delivered"
    app.extensions["order_store"].dispose()


def test_import_failing_midway_writes_nothing(failing_db, tmp_path, built_site):
    url, prefix, arm = failing_db
    app = make_app(tmp_path, tmp_path / "index", built_site, DATABASE_URL=url,
                   DATABASE_TABLE_PREFIX=prefix)
    store = app.extensions["order_store"]
    install_demo(store, date.today())
    before = snapshot(app)
    # Updates to every demo order first, then 1,500 new ones: the 1,200th write fails, in the
    # third batch, after two batches were written inside the transaction.
    lines = [json.dumps(make_order(order_number=f"DEMO-{1000 + n}", status="completed",
                                   email="someone@example.com")) for n in range(1, 21)]
    lines += [json.dumps(make_order(order_number=f"BULK-{n}")) for n in range(1500)]
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(lines) + "\n")
    arm(1200)
    result = app.test_cli_runner().invoke(main, ["import", str(path)])
    assert result.exit_code != 0
    assert snapshot(app) == before
    arm.disarm()
    assert app.test_cli_runner().invoke(main, ["import", str(path)]).exit_code == 0
    assert store.count() == 1520
    store.dispose()


# -- an import killed ---------------------------------------------------------------------------


def test_import_killed_with_sigkill_leaves_the_old_data_intact(tmp_path: Path, seeded: Path):
    with sqlite3.connect(seeded) as db:
        old = db.execute("SELECT order_key, document FROM orders ORDER BY order_key").fetchall()
    big = tmp_path / "big.jsonl"
    with big.open("w") as out:
        # Updates to the demo orders first, then many new orders: megabytes in one transaction.
        for key, _ in old:
            out.write(json.dumps(make_order(order_number=key, status="completed")) + "\n")
        for n in range(40_000):
            out.write(json.dumps(make_order(order_number=f"KILL-{n}", note="x" * 300)) + "\n")
    env = {**os.environ, "HELPCENTER_DATABASE_URL": f"sqlite:///{seeded}",
           "HELPCENTER_SEARCH_INDEX_DIR": str(tmp_path / "index"),
           "HELPCENTER_SITE_DIR": str(tmp_path / "site")}
    helpcenter = Path(sys.executable).parent / "helpcenter"
    wal = Path(f"{seeded}-wal")
    process = subprocess.Popen([str(helpcenter), "import", str(big)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # Wait until it is writing: uncommitted pages spill into the WAL file.
        deadline = time.monotonic() + 120
        while not (wal.exists() and wal.stat().st_size > 2 * 1024 * 1024):
            assert process.poll() is None, process.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()
    with sqlite3.connect(seeded) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        after = db.execute("SELECT order_key, document FROM orders ORDER BY order_key").fetchall()
    assert after == old


# -- webhook secret rotation --------------------------------------------------------------------


def test_secret_rotation_from_start_to_end(tmp_path, built_site):
    """Before: old only. During: both verify. After: the old one is refused."""
    app = make_app(tmp_path, tmp_path / "index", built_site, WEBHOOK_SECRET="old-secret")
    client = app.test_client()

    def post(secret: str, event_id: str) -> int:
        body = json.dumps({"event_id": event_id, "occurred_at": "2026-03-02T10:16:05+09:00",
                           "order": make_order()}).encode()
        return client.post("/api/webhooks/orders", data=body, content_type="application/json",
                           headers={"X-Helpcenter-Signature": sign(body, secret,
                                                                   int(time.time()))}).status_code

    assert (post("old-secret", "e1"), post("new-secret", "e2")) == (200, 401)
    app.config["WEBHOOK_SECRET"] = "new-secret,old-secret"
    assert (post("old-secret", "e3"), post("new-secret", "e4")) == (200, 200)
    app.config["WEBHOOK_SECRET"] = "new-secret"
    assert (post("old-secret", "e5"), post("new-secret", "e6")) == (401, 200)


def test_store_check_writes_nothing(tmp_path: Path, seeded: Path):
    """The health probe's write is rolled back: the file is byte-identical afterwards."""
    store = OrderStore(f"sqlite:///{seeded}")
    with store.read() as conn:
        before = conn.execute(text("SELECT * FROM store_meta")).fetchall()
    store.check()
    with store.read() as conn:
        assert conn.execute(text("SELECT * FROM store_meta")).fetchall() == before
    store.dispose()
