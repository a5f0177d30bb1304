"""The order store, run on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy import text

from lookup import migrations
from lookup.store import OrderStore
from lookup.store import engine_url
from tests.lookup_fixtures import make_order
from tests.lookup_fixtures import open_store
from tests.lookup_fixtures import shipping


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OrderStore]:
    """The same store tests on SQLite and on PostgreSQL (skipped, with the reason, without it)."""
    yield from open_store(request.param, tmp_path)


SHIPPED = make_order(status="shipped", shipping=shipping(
    events=[{"at": "2026-03-05T08:00:00+09:00", "status": "in_transit", "location": "Seoul hub"}]))


def test_schema_is_created_at_the_newest_migration(store: OrderStore):
    assert store.count() == 0
    assert store.schema_revision() == migrations.head()
    # What the release before migrations wrote, kept so that release can still run on it.
    assert store.get_meta("schema_version") == "1"
    # Creating again (another worker, a restart) is harmless.
    store._schema_ready = False
    store.ensure_schema()
    assert store.upgrade_schema() == migrations.head()


@pytest.mark.parametrize("number, email", [
    ("CM-100234", "buyer@example.com"),
    ("  cm-100234 ", "BUYER@Example.com "),
    ("#CM-100234", "buyer@example.com"),
    ("# cm-100234", "Buyer@EXAMPLE.COM"),
])
def test_find_matches_leniently(store: OrderStore, number: str, email: str):
    store.apply([make_order()])
    assert store.find(number, email)["order_number"] == "CM-100234"


@pytest.mark.parametrize("number, email", [
    ("CM-100235", "buyer@example.com"),
    ("CM-100234", "someone@example.com"),
    ("CM-10023", "buyer@example.com"),
])
def test_find_misses(store: OrderStore, number: str, email: str):
    store.apply([make_order()])
    assert store.find(number, email) is None


def test_unknown_fields_are_kept(store: OrderStore):
    store.apply([make_order(gift_note="Happy birthday", seller={
        **make_order()["seller"], "rating": 4.8})])
    document = store.get("cm-100234")
    assert document["gift_note"] == "Happy birthday"
    assert document["seller"]["rating"] == 4.8


def test_applying_twice_changes_nothing(store: OrderStore):
    first = store.apply([make_order(), SHIPPED | {"order_number": "CM-2"}])
    assert (first.created, first.updated) == (2, 0)
    second = store.apply([make_order(), SHIPPED | {"order_number": "CM-2"}])
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)


def test_newer_document_replaces_the_stored_one(store: OrderStore):
    store.apply([make_order()])
    result = store.apply([SHIPPED])
    assert result.updated == 1
    assert store.get("CM-100234")["status"] == "shipped"


def test_older_document_never_moves_the_status_back(store: OrderStore):
    store.apply([SHIPPED])
    result = store.apply([make_order(status="awaiting_payment", payment=None)])
    assert result.older == 1
    assert store.get("CM-100234")["status"] == "shipped"


def test_older_document_adds_the_history_it_alone_knows(store: OrderStore):
    shipped_unpaid = SHIPPED | {"payment": None}
    store.apply([shipped_unpaid])
    store.apply([make_order()])  # the late "paid"
    document = store.get("CM-100234")
    assert document["status"] == "shipped"
    assert document["payment"]["paid_at"] == "2026-03-02T10:16:00+09:00"


def test_same_time_later_stage_wins(store: OrderStore):
    store.apply([make_order()])
    store.apply([make_order(status="preparing_shipment")])
    assert store.get("CM-100234")["status"] == "preparing_shipment"
    store.apply([make_order(status="paid")])
    assert store.get("CM-100234")["status"] == "preparing_shipment"


def test_same_order_twice_in_one_batch(store: OrderStore):
    result = store.apply([SHIPPED, make_order()])
    assert result.created == 1
    assert store.get("CM-100234")["status"] == "shipped"


def test_batches_beyond_one_query(store: OrderStore):
    documents = [make_order(order_number=f"BULK-{n}") for n in range(1203)]
    assert store.apply(documents).created == 1203
    assert store.count() == 1203


def test_force_replaces_regardless(store: OrderStore):
    store.apply([SHIPPED])
    store.apply([make_order()], force=True)
    assert store.get("CM-100234")["status"] == "paid"


def test_event_applied_once(store: OrderStore):
    moment = datetime.fromisoformat("2026-03-05T09:00:00+09:00")
    assert store.apply_event("evt-1", SHIPPED, moment) == "applied"
    assert store.apply_event("evt-1", SHIPPED, moment) == "duplicate"
    assert store.count() == 1


@pytest.mark.postgres
def test_two_events_creating_the_same_order_at_once_are_both_applied(tmp_path: Path):
    """On PostgreSQL the second finds the order missing, as the first does, and inserts it after
    the first did: its insert fails, and it tries again, merging into the stored order.
    (SQLite lets one writer in at a time: there the second waits and finds the order.)"""
    stores = open_store("postgresql", tmp_path)
    store = next(stores)
    try:
        _race_two_events(store)
    finally:
        stores.close()


def _race_two_events(store: OrderStore) -> None:
    """The race of the test above, on store."""
    moment = datetime.fromisoformat("2026-03-05T09:00:00+09:00")
    raced = []

    def first_gets_in(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith(f"INSERT INTO {store.orders.name} ") and not raced:
            raced.append(True)
            # The other event's transaction commits the same new order in between.
            assert store.apply_event("evt-a", make_order(), moment) == "applied"

    event.listen(store.engine, "before_cursor_execute", first_gets_in)
    try:
        assert store.apply_event("evt-b", SHIPPED, moment) == "applied"
    finally:
        event.remove(store.engine, "before_cursor_execute", first_gets_in)
    assert raced == [True]
    assert store.count() == 1
    assert store.get("CM-100234")["status"] == "shipped"
    assert store.apply_event("evt-a", make_order(), moment) == "duplicate"


def test_event_older_than_stored_is_reported(store: OrderStore):
    store.apply_event("evt-2", SHIPPED, datetime.fromisoformat("2026-03-05T09:00:00+09:00"))
    late_paid = datetime.fromisoformat("2026-03-02T10:16:00+09:00")
    assert store.apply_event("evt-1", make_order(), late_paid) == "older"
    assert store.get("CM-100234")["status"] == "shipped"


def test_a_failed_batch_leaves_nothing_behind(store: OrderStore):
    good = make_order(order_number="OK-1")
    broken = make_order(order_number="BAD-1")
    del broken["status"]
    with pytest.raises(KeyError):
        store.apply([good, broken])
    assert store.count() == 0


def test_health_check(store: OrderStore):
    store.check()


def test_sqlite_uses_wal_and_a_busy_timeout(tmp_path):
    store = OrderStore(f"sqlite:///{tmp_path / 'o.sqlite'}")
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    store.dispose()


def test_postgresql_urls_use_psycopg3():
    assert engine_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert engine_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert engine_url("sqlite:///x") == "sqlite:///x"


def test_tables_carry_the_prefix(store: OrderStore):
    store.apply([make_order()])
    with store.read() as conn:
        count = conn.execute(text(f"SELECT count(*) FROM {store.orders.name}")).scalar()
    assert store.orders.name.startswith("t") and count == 1


def test_a_schema_error_on_postgresql_fails_rather_than_skips(monkeypatch):
    """Only an unreachable server may skip a PostgreSQL test; our own schema error must fail."""
    from tests.lookup_fixtures import postgres_store
    from tests.lookup_fixtures import postgres_unreachable

    if postgres_unreachable():
        pytest.skip(postgres_unreachable())

    def broken(self):
        raise RuntimeError("schema step failed")

    monkeypatch.setattr(OrderStore, "ensure_schema", broken)
    with pytest.raises(RuntimeError, match="schema step failed"):
        postgres_store("tbroken_")


@pytest.mark.postgres
def test_a_lookup_survives_the_database_dropping_every_connection(tmp_path: Path):
    import psycopg

    from tests.lookup_fixtures import database_url

    for store in open_store("postgresql", tmp_path):
        store.apply([make_order()])
        # Three connections in the lookups' pool, each then dropped by the server (a restart).
        held = [store._lookup_engine.raw_connection() for _ in range(3)]
        pids = []
        for connection in held:
            cursor = connection.cursor()
            cursor.execute("SELECT pg_backend_pid()")
            pids.append(cursor.fetchone()[0])
            cursor.close()
            connection.close()
        with psycopg.connect(database_url("postgresql", tmp_path).replace(
                "postgresql+psycopg", "postgresql"), autocommit=True) as admin:
            for pid in pids:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        # No error reaches the buyer: the stale pool is noticed and the read runs again.
        assert store.find("CM-100234", "buyer@example.com")["order_number"] == "CM-100234"
        assert store.find("CM-100234", "buyer@example.com")["order_number"] == "CM-100234"
        # The connection this thread's lookups keep is dropped too: the next lookup reopens.
        kept = store._held.connection
        kept_pid = kept.execute("SELECT pg_backend_pid()").fetchone()[0]
        with psycopg.connect(database_url("postgresql", tmp_path).replace(
                "postgresql+psycopg", "postgresql"), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (kept_pid,))
        assert store.find("CM-100234", "buyer@example.com")["order_number"] == "CM-100234"
        assert store._held.connection is not kept


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_lookup_connections_leave_the_pool_to_everything_else(kind: str, tmp_path: Path):
    from concurrent.futures import ThreadPoolExecutor

    from tests.lookup_fixtures import database_url

    store = OrderStore(database_url(kind, tmp_path), table_prefix=f"t{uuid.uuid4().hex[:10]}_",
                       engine_options={"pool_size": 1, "max_overflow": 0, "pool_timeout": 3})
    try:
        store.apply([make_order()])
        # Four threads look up at once, each on the connection it keeps for its lookups...
        with ThreadPoolExecutor(4) as threads:
            found = list(threads.map(lambda _: store.find("CM-100234", "buyer@example.com"),
                                     range(12)))
            assert [order["order_number"] for order in found] == ["CM-100234"] * 12
            # ...and the pool's one connection is still there for writes and other reads.
            store.apply([make_order(status="shipped", shipping=shipping())])
            assert store.count() == 1
            assert store.find("CM-100234", "buyer@example.com")["status"] == "shipped"
    finally:
        store.drop_schema()
        store.dispose()


def test_a_thread_that_ended_leaves_no_connection_open(store: OrderStore):
    import threading

    store.apply([make_order()])
    kept = []

    def look_up() -> None:
        assert store.find("CM-100234", "buyer@example.com") is not None
        kept.append(store._held.connection)

    # A server starting a thread per request: each thread's connection is closed once it ended.
    for _ in range(3):
        thread = threading.Thread(target=look_up)
        thread.start()
        thread.join()
    assert len(set(map(id, kept))) == 3
    for connection in kept[:-1]:
        with pytest.raises(store.engine.dialect.loaded_dbapi.Error):
            connection.cursor().execute("SELECT 1")
    assert len(store._held_all) == 1


def test_dispose_closes_the_connections_lookups_keep(store: OrderStore):
    store.apply([make_order()])
    assert store.find("CM-100234", "buyer@example.com") is not None
    kept = store._held.connection
    store.dispose()
    with pytest.raises(store.engine.dialect.loaded_dbapi.Error):
        kept.cursor().execute("SELECT 1")
    # The next lookup opens a connection of its own again.
    assert store.find("CM-100234", "buyer@example.com") is not None
    assert store._held.connection is not kept


def test_a_store_in_memory_keeps_one_database_across_lookups_and_writes():
    # SQLite in memory: the connection is the database, so lookups must not take it away.
    store = OrderStore("sqlite://")
    store.apply([make_order()])
    assert store.find("CM-100234", "buyer@example.com")["status"] == "paid"
    store.apply([make_order(status="shipped", shipping=shipping())])
    assert store.count() == 1
    assert store.find("CM-100234", "buyer@example.com")["status"] == "shipped"
    store.dispose()
