"""Alembic migrations: a database made by the release before them is taken up with all its data."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import MetaData
from sqlalchemy import create_engine
from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from lookup import migrations
from lookup.insights_store import InsightsStore
from lookup.orders import freshness
from lookup.orders import normalize_email
from lookup.orders import normalize_order_number
from lookup.store import OrderStore
from lookup.store import engine_url
from lookup.web.cli import main
from tests.lookup_fixtures import database_url
from tests.lookup_fixtures import make_order
from tests.lookup_fixtures import shipping

# The DDL the release before migrations ran (lookup.store ensure_schema at schema_version 1, then
# the insight tables on first use), as SQLAlchemy emitted it; the same on SQLite and PostgreSQL.
PREVIOUS_RELEASE_DDL = [
    """CREATE TABLE {p}orders (
        order_key VARCHAR(80) NOT NULL, email_key VARCHAR(320) NOT NULL,
        status VARCHAR(32) NOT NULL, freshness VARCHAR(32) NOT NULL, document TEXT NOT NULL,
        stored_at VARCHAR(32) NOT NULL, PRIMARY KEY (order_key))""",
    """CREATE TABLE {p}webhook_events (
        event_id VARCHAR(200) NOT NULL, order_key VARCHAR(80) NOT NULL,
        received_at VARCHAR(32) NOT NULL, PRIMARY KEY (event_id))""",
    """CREATE TABLE {p}store_meta (
        name VARCHAR(64) NOT NULL, value TEXT NOT NULL, PRIMARY KEY (name))""",
    """CREATE TABLE {p}page_votes (
        view_token VARCHAR(64) NOT NULL, page VARCHAR(300) NOT NULL, helpful BOOLEAN NOT NULL,
        comment TEXT, day VARCHAR(10) NOT NULL, PRIMARY KEY (view_token))""",
    "CREATE INDEX ix_{p}page_votes_page ON {p}page_votes (page)",
    "CREATE INDEX ix_{p}page_votes_day ON {p}page_votes (day)",
    """CREATE TABLE {p}next_steps_shown (
        day VARCHAR(10) NOT NULL, step_id VARCHAR(64) NOT NULL, shown INTEGER NOT NULL,
        PRIMARY KEY (day, step_id))""",
]
# The order store's own tables come first; the insight tables followed on first use.
ORDER_TABLES_DDL = PREVIOUS_RELEASE_DDL[:3]
TABLES = ("orders", "webhook_events", "store_meta", "page_votes", "next_steps_shown")
ORDERS = [
    make_order(),
    make_order(order_number="CM-200001", email="Kim@Example.com", status="shipped",
               shipping=shipping(events=[{"at": "2026-03-05T08:00:00+09:00",
                                          "status": "in_transit", "location": "Seoul hub"}])),
]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(URL, table prefix) of an empty database; every table of the prefix dropped afterwards."""
    prefix = f"m{uuid.uuid4().hex[:10]}_"
    url = database_url(request.param, tmp_path)
    yield url, prefix
    engine = create_engine(engine_url(url))
    with engine.begin() as conn:
        for name in inspect(conn).get_table_names():
            if name.startswith(prefix):
                conn.execute(text(f"DROP TABLE {name} CASCADE" if request.param == "postgresql"
                                  else f"DROP TABLE {name}"))
    engine.dispose()


def make_previous_release_database(url: str, prefix: str, ddl: list[str] = PREVIOUS_RELEASE_DDL,
                                   with_insights: bool = True) -> None:
    """The tables the previous release made, with the rows it wrote: orders, a webhook event,
    its schema version and the demo marker, votes and next-step counts."""
    engine = create_engine(engine_url(url))
    with engine.begin() as conn:
        for statement in ddl:
            conn.execute(text(statement.format(p=prefix)))
        for order in ORDERS:
            conn.execute(text(
                f"INSERT INTO {prefix}orders VALUES (:key, :email, :status, :fresh, :doc, :at)"),
                {"key": normalize_order_number(order["order_number"]),
                 "email": normalize_email(order["email"]), "status": order["status"],
                 "fresh": freshness(order), "doc": json.dumps(order, sort_keys=True),
                 "at": "2026-03-06T00:00:00.000000Z"})
        conn.execute(text(f"INSERT INTO {prefix}webhook_events VALUES ('evt-1', 'CM-200001', "
                          f"'2026-03-06T00:00:00.000000Z')"))
        conn.execute(text(f"INSERT INTO {prefix}store_meta VALUES ('schema_version', '1'), "
                          f"('demo_orders_date', '2026-03-06')"))
        if with_insights:
            conn.execute(text(
                f"INSERT INTO {prefix}page_votes VALUES "
                f"('view-000000000001', '/returns/policy/', false, 'Which courier?', "
                f"'2026-03-06'), ('view-000000000002', '/refunds/', true, NULL, '2026-03-06')"))
            conn.execute(text(f"INSERT INTO {prefix}next_steps_shown VALUES "
                              f"('2026-03-06', 'track', 12), ('2026-03-06', 'return', 3)"))
    engine.dispose()


def snapshot(url: str, prefix: str) -> dict[str, list[tuple]]:
    """Every row of every table the previous release made, sorted."""
    engine = create_engine(engine_url(url))
    with engine.connect() as conn:
        found = inspect(conn).get_table_names()
        rows = {name: sorted(tuple(row) for row in conn.execute(
                    text(f"SELECT * FROM {prefix}{name}")))
                for name in TABLES if f"{prefix}{name}" in found}
    engine.dispose()
    return rows


def indexes(url: str, table: str) -> set[str]:
    """The names of a table's indexes."""
    engine = create_engine(engine_url(url))
    with engine.connect() as conn:
        found = {index["name"] for index in inspect(conn).get_indexes(table)}
    engine.dispose()
    return found


def test_a_database_of_the_previous_release_is_upgraded_on_start_with_all_its_data(database):
    url, prefix = database
    make_previous_release_database(url, prefix)
    before = snapshot(url, prefix)
    assert sum(len(rows) for rows in before.values()) == 9
    store = OrderStore(url, table_prefix=prefix)
    assert store.schema_revision() is None
    # What every worker does on its first request.
    assert store.find("#cm-200001 ", "kim@example.com")["status"] == "shipped"
    assert store.schema_revision() == migrations.head()
    assert snapshot(url, prefix) == before
    assert indexes(url, f"{prefix}page_votes") == {f"ix_{prefix}page_votes_page",
                                                  f"ix_{prefix}page_votes_day"}
    insights = InsightsStore(store, table_prefix=prefix)
    day = date(2026, 3, 6)
    assert insights.steps_shown(day, day) == [("track", 12), ("return", 3)]
    assert sorted((r["page"], r["yes"], r["no"]) for r in insights.page_ratings(day, day)) == [
        ("/refunds/", 1, 0), ("/returns/policy/", 0, 1)]
    # The new table is there and works.
    insights.count_search("Where is my parcel", 0, day)
    assert insights.count_click("where is my parcel", day)
    assert insights.search_days(day, day) == [("where is my parcel", 1, 1, 1)]
    store.dispose()


def test_a_database_of_the_previous_release_is_upgraded_by_the_command(database, monkeypatch):
    url, prefix = database
    # Orders only: that release made the insight tables on their first use.
    make_previous_release_database(url, prefix, ORDER_TABLES_DDL, with_insights=False)
    before = snapshot(url, prefix)
    monkeypatch.setenv("HELPCENTER_DATABASE_URL", url)
    monkeypatch.setenv("HELPCENTER_DATABASE_TABLE_PREFIX", prefix)
    runner = CliRunner()
    current = runner.invoke(main, ["db", "current"])
    assert current.exit_code == 0, current.output
    assert current.stdout.startswith("no revision")
    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"from no revision to {migrations.head()}" in upgraded.stdout
    again = runner.invoke(main, ["db", "upgrade"])
    assert f"at the newest revision, {migrations.head()}" in again.stdout
    after = snapshot(url, prefix)
    assert {name: after[name] for name in before} == before
    assert after["page_votes"] == [] and after["next_steps_shown"] == []
    assert runner.invoke(main, ["db", "current"]).stdout.startswith(migrations.head())


def test_the_migrations_make_exactly_the_tables_the_code_uses(database):
    url, prefix = database
    store = OrderStore(url, table_prefix=prefix)
    store.ensure_schema()
    insights = InsightsStore(store, table_prefix=prefix)
    wanted = MetaData()
    for table in [*store.metadata.tables.values(), *insights.metadata.tables.values()]:
        table.to_metadata(wanted)
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "version_table": migrations.version_table(prefix),
            # Other prefixes' tables share the database: compare ours only.
            "include_name": lambda name, kind, parent: kind != "table" or name.startswith(prefix),
        })
        assert compare_metadata(context, wanted) == []
    store.drop_schema()
    with store.engine.connect() as conn:
        assert [n for n in inspect(conn).get_table_names() if n.startswith(prefix)] == []
    store.dispose()


def test_each_prefix_keeps_its_own_version(database):
    url, prefix = database
    first = OrderStore(url, table_prefix=prefix)
    second = OrderStore(url, table_prefix=prefix + "b_")
    with first.write() as conn:
        migrations.upgrade(conn, prefix, "0001")
    assert (first.schema_revision(), second.schema_revision()) == ("0001", None)
    second.ensure_schema()
    assert (first.schema_revision(), second.schema_revision()) == ("0001", migrations.head())
    with first.engine.connect() as conn:
        assert not first.engine.dialect.has_table(conn, f"{prefix}search_days")
    # One step, 0001 -> 0002: the search counts' table.
    assert first.upgrade_schema() == migrations.head()
    with first.engine.connect() as conn:
        assert first.engine.dialect.has_table(conn, f"{prefix}search_days")
    for store in (first, second):
        store.dispose()


def test_workers_starting_together_upgrade_once(database):
    url, prefix = database
    make_previous_release_database(url, prefix)
    before = snapshot(url, prefix)
    stores = [OrderStore(url, table_prefix=prefix) for _ in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(stores))

    def first_request(store: OrderStore) -> None:
        start.wait()
        try:
            store.ensure_schema()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first_request, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert {store.schema_revision() for store in stores} == {migrations.head()}
    assert snapshot(url, prefix) == before
    for store in stores:
        store.dispose()


def test_a_process_opening_a_database_while_another_writes_switches_it_to_wal(tmp_path):
    # A database from before WAL (or new): the first connection of each process switches it.
    # SQLite answers "locked" at once, without waiting, while another connection is writing;
    # a worker starting then must wait for the write, not fail its first request.
    path = tmp_path / "orders.sqlite"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.executescript("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
    writer.execute("BEGIN")
    writer.execute("INSERT INTO t VALUES (2)")
    commit = threading.Timer(0.5, writer.execute, ["COMMIT"])
    commit.start()
    store = OrderStore(f"sqlite:///{path}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 2
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    commit.join()
    store.dispose()
    writer.close()


def test_an_upgrade_waits_for_another_ones_longer_than_an_ordinary_write(tmp_path):
    # A migration on a busy machine can hold SQLite's write lock for longer than the busy
    # timeout of an ordinary write; a worker starting meanwhile waits for it rather than fail.
    url = f"sqlite:///{tmp_path / 'orders.sqlite'}"
    make_previous_release_database(url, "")
    holder = sqlite3.connect(tmp_path / "orders.sqlite", isolation_level=None,
                             check_same_thread=False)
    # As the previous release served it: in WAL mode, where readers never wait.
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(1.0, holder.rollback)
    release.start()
    store = OrderStore(url, busy_timeout_ms=200)
    with pytest.raises(OperationalError, match="locked"), store.write():
        pass
    store.ensure_schema()
    release.join()
    assert store.schema_revision() == migrations.head()
    # The ordinary writes keep their own timeout once the upgrade is done.
    with store.write() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 200
    store.dispose()
    holder.close()


def test_a_database_newer_than_the_code_is_refused(database):
    url, prefix = database
    store = OrderStore(url, table_prefix=prefix)
    store.ensure_schema()
    with store.engine.connect() as conn:
        conn.execute(text(f"UPDATE {migrations.version_table(prefix)} SET version_num = '9999'"))
        conn.commit()
    fresh = OrderStore(url, table_prefix=prefix)
    with pytest.raises(RuntimeError, match="upgrade the help center"):
        fresh.count()
    for each in (store, fresh):
        each.dispose()


def test_0004_keeps_the_search_counts_of_a_0003_database_in_their_languages(database):
    url, prefix = database
    store = OrderStore(url, table_prefix=prefix)
    with store.write() as conn:
        migrations.upgrade(conn, prefix, "0003")
        conn.execute(text(f"INSERT INTO {prefix}search_days VALUES "
                          f"('2026-03-06', 'refund', 7, 1, 2), ('2026-03-06', '반품', 3, 0, 0), "
                          f"('2026-03-07', 'refund', 1, 0, 0)"))
        conn.execute(text(f"INSERT INTO {prefix}search_result_clicks VALUES "
                          f"('refund', '/refunds/#refund-times', 6)"))
    assert store.schema_revision() == "0003"
    store.ensure_schema()
    assert store.schema_revision() == migrations.head() == "0004"
    with store.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT day, language, query, searches, zero_results, clicks "
                                 f"FROM {prefix}search_days ORDER BY day, query")).all()
    # A Hangul query had searched the Korean pages already: it is counted as Korean.
    assert [tuple(row) for row in rows] == [
        ("2026-03-06", "en", "refund", 7, 1, 2), ("2026-03-06", "ko", "반품", 3, 0, 0),
        ("2026-03-07", "en", "refund", 1, 0, 0)]
    insights = InsightsStore(store, table_prefix=prefix)
    day = date(2026, 3, 6)
    # The same query on the Korean pages the same day is a row of its own; English ones add up.
    insights.count_search("refund", 0, day, language="ko")
    insights.count_search("refund", 2, day)
    assert insights.search_days(day, day, "en") == [("refund", 8, 1, 2)]
    assert insights.search_days(day, day, "ko") == [("반품", 3, 0, 0), ("refund", 1, 1, 0)]
    assert insights.count_click("refund", day, "/ko/refunds/")
    assert insights.clicked_results() == {"refund": {"/refunds/#refund-times": 6,
                                                     "/ko/refunds/": 1}}
    store.dispose()


def test_0004_downgrades_adding_each_query_s_languages_together(database):
    url, prefix = database
    store = OrderStore(url, table_prefix=prefix)
    insights = InsightsStore(store, table_prefix=prefix)
    day = date(2026, 3, 6)
    for query, results, language in [("refund", 3, "en"), ("refund", 0, "ko"), ("refund", 1, "ko"),
                                     ("반품", 2, "ko"), ("exchange", 0, "en")]:
        insights.count_search(query, results, day, language=language)
    insights.flush()
    assert insights.count_click("refund", day, "/ko/refunds/")
    with store.write() as conn:
        migrations.downgrade(conn, prefix, "0003")
    assert store.schema_revision() == "0003"
    with store.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT * FROM {prefix}search_days ORDER BY query")).all()
    # No search is lost: every language's counts of a query are in its one row.
    assert [tuple(row) for row in rows] == [
        ("2026-03-06", "exchange", 1, 1, 0), ("2026-03-06", "refund", 3, 1, 1),
        ("2026-03-06", "반품", 1, 0, 0)]
    # And up again: Hangul queries count as Korean, the rest as English.
    fresh = OrderStore(url, table_prefix=prefix)
    fresh.ensure_schema()
    again = InsightsStore(fresh, table_prefix=prefix)
    assert again.search_days(day, day, "en") == [("refund", 3, 1, 1), ("exchange", 1, 1, 0)]
    assert again.search_days(day, day, "ko") == [("반품", 1, 0, 0)]
    for each in (store, fresh):
        each.dispose()
