"""The order store: SQLAlchemy Core over SQLite (default) or PostgreSQL; no web in here.

The tables are made and changed by the migrations in lookup/migrations, never by create_all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from functools import cached_property
from typing import Any
from typing import NamedTuple

import orjson
from sqlalchemy import Column
from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import QueuePool

from lookup import json_text
from lookup import migrations
from lookup.orders import STATUS_RANK
from lookup.orders import freshness
from lookup.orders import merge_documents
from lookup.orders import normalize_email
from lookup.orders import normalize_order_number
from lookup.orders import utc_key

# The PostgreSQL advisory lock that serialises CREATE TABLE between workers starting together.
SCHEMA_LOCK_KEY = 20261102
# Keys looked up per query when applying a batch; well under every driver's parameter limit.
BATCH_SIZE = 500
# Tries of a webhook event whose new order another event created at the same moment.
EVENT_ATTEMPTS = 3
SQLITE_BUSY_TIMEOUT_MS = 10_000
# The order of the values in a batch's rows (see OrderStore._apply_batch): the key first.
ROW_COLUMNS = ("order_key", "email_key", "status", "freshness", "document", "stored_at")
# How long a process waits on SQLite for another one's schema upgrade: a migration may copy whole
# tables, which on a busy machine takes longer than any ordinary write.
SQLITE_SCHEMA_TIMEOUT_MS = 300_000


def engine_url(url: str) -> str:
    """Point postgresql:// URLs at psycopg 3, which is the driver we install."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return make_url(engine_url(url)).render_as_string(hide_password=True)


def build_tables(prefix: str = "") -> tuple[MetaData, Table, Table, Table]:
    """The store's tables, named with an optional prefix so several stores can share a database."""
    metadata = MetaData()
    orders = Table(
        f"{prefix}orders", metadata,
        # The lookup key: normalised order number (see lookup.orders.normalize_order_number).
        Column("order_key", String(80), primary_key=True),
        Column("email_key", String(320), nullable=False),
        Column("status", String(32), nullable=False),
        # Latest moment the stored document knows of, as fixed-width UTC text that sorts.
        Column("freshness", String(32), nullable=False),
        Column("document", Text, nullable=False),
        Column("stored_at", String(32), nullable=False),
    )
    webhook_events = Table(
        f"{prefix}webhook_events", metadata,
        Column("event_id", String(200), primary_key=True),
        Column("order_key", String(80), nullable=False),
        Column("received_at", String(32), nullable=False),
    )
    meta = Table(
        f"{prefix}store_meta", metadata,
        Column("name", String(64), primary_key=True),
        Column("value", Text, nullable=False),
    )
    return metadata, orders, webhook_events, meta


@dataclass
class ApplyResult:
    """What applying order documents did: orders created, updated or left as they were, and
    the documents that were older than the stored order (so only added history)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0
    older_keys: list[str] = field(default_factory=list)


def _now() -> str:
    return utc_key(datetime.now(UTC))


# The stored text of a document: compact, keys sorted, non-ASCII as itself.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def document_text(document: dict[str, Any]) -> str:
    """The stored text of a document, the same text for the same document every time."""
    if not json_text.holds_float(document):
        try:
            # orjson writes the same text as _ENCODER four times faster, but for floats
            # (1e16 for 1e+16, null for NaN); it refuses integers past 64 bits.
            return orjson.dumps(document, option=orjson.OPT_SORT_KEYS).decode()
        except TypeError:
            pass
    return _ENCODER.encode(document)


class Prepared(NamedTuple):
    """What storing a validated document needs, worked out ahead (in another process, on an
    import): its lookup keys, status, freshness and stored text."""

    key: str
    email_key: str
    status: str
    freshness: str
    text: str


def prepare(document: dict[str, Any], occurred_at: datetime | None = None) -> Prepared:
    """A validated document's keys, status, freshness (see lookup.orders) and stored text."""
    return Prepared(normalize_order_number(document["order_number"]),
                    normalize_email(document["email"]), document["status"],
                    freshness(document, occurred_at), document_text(document))


@dataclass(slots=True)
class _Pending:
    """An order's state while a batch is applied: what will be stored, and what was."""

    freshness: str
    status: str
    email_key: str
    text: str
    new: bool
    original: str | None


class _Held(threading.local):
    """A thread's own connection for lookups, and the process and round it was opened in."""

    connection: Any = None
    lent: Any = None
    opened_in: tuple[int, int] = (0, 0)


class OrderStore:
    """Orders kept by lookup key with their whole document; the schema creates itself."""

    def __init__(self, url: str, *, table_prefix: str = "", engine_options: dict | None = None,
                 busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS):
        self.url = engine_url(url)
        self.table_prefix = table_prefix
        self.metadata, self.orders, self.webhook_events, self.meta = build_tables(table_prefix)
        self.busy_timeout_ms = busy_timeout_ms
        self._engine_options = dict(engine_options or {})
        self.engine = self._create_engine(dict(self._engine_options))
        self._schema_ready = False
        self._schema_lock = threading.Lock()
        # Lookups read on a connection each thread keeps (see _lookup_connection); dispose()
        # closes them all and starts a new round.
        self._held = _Held()
        self._held_round = 0
        # Every thread's lookup connection, by process and thread: a thread that ended leaves
        # its own here, closed when the next one is opened (a server may start a thread per
        # request).
        self._held_all: dict[tuple[int, int | None], Any] = {}
        self._held_lock = threading.Lock()

    def _create_engine(self, options: dict) -> Engine:
        url = make_url(self.url)
        if url.get_backend_name() == "sqlite":
            engine = create_engine(url, connect_args={"timeout": self.busy_timeout_ms / 1000},
                                   **options)
            _configure_sqlite(engine, self.busy_timeout_ms)
            return engine
        if url.get_backend_name() == "postgresql":
            options.setdefault("connect_args", {"connect_timeout": 5})
        options.setdefault("pool_pre_ping", True)
        return create_engine(url, **options)

    @cached_property
    def _lookup_engine(self) -> Engine:
        """The lookups' own pool: no ping before each read (one more round trip to PostgreSQL on
        every lookup); find() notices a dropped connection itself and reads again."""
        if self.is_sqlite:
            return self.engine  # a file: nothing to ping, nothing dropped
        return self._create_engine({**self._engine_options, "pool_pre_ping": False})

    @property
    def is_sqlite(self) -> bool:
        """True when the store is a SQLite file."""
        return self.engine.dialect.name == "sqlite"

    # -- schema ---------------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        """Bring the tables up to the newest migration once per process (see upgrade_schema)."""
        if self._schema_ready:
            return
        with self._schema_lock:
            if self._schema_ready:
                return
            if not self._schema_current():
                self.upgrade_schema()
            # Nothing to do when current: a read-only database still answers lookups.
            self._schema_ready = True

    def upgrade_schema(self) -> str:
        """Apply the migrations the database lacks, one process at a time; the revision reached.

        A database made before migrations (tables and schema_version 1, no version table) is
        taken up as it is: the first migration creates only what is missing.
        """
        with self.write(busy_timeout_ms=SQLITE_SCHEMA_TIMEOUT_MS) as conn:
            self._lock_schema(conn)
            migrations.upgrade(conn, self.table_prefix)
            reached = migrations.current(conn, self.table_prefix)
        assert reached is not None
        return reached

    def schema_revision(self) -> str | None:
        """The migration the tables are at (None before the first), read without writing."""
        with self.engine.connect() as conn, conn.begin():
            return migrations.current(conn, self.table_prefix)

    def _lock_schema(self, conn: Connection) -> None:
        """Serialise schema changes between processes, in conn's transaction."""
        if self.engine.dialect.name == "postgresql":
            # Workers starting together would race on CREATE TABLE; one waits for the other.
            conn.execute(text(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK_KEY})"))
        # SQLite: write() began with BEGIN IMMEDIATE, which holds the database's one write lock.

    def _schema_current(self) -> bool:
        """True when the tables are at the newest migration already (checked without writing)."""
        revision = self.schema_revision()
        if revision is not None and revision not in migrations.known():
            raise RuntimeError(f"the order store's tables are at migration {revision}, which this "
                               f"code does not know: upgrade the help center")
        return revision == migrations.head()

    def drop_schema(self) -> None:
        """Drop every table of this prefix, with its version table (tests and benchmarks only)."""
        with self.write(busy_timeout_ms=SQLITE_SCHEMA_TIMEOUT_MS) as conn:
            self._lock_schema(conn)
            if migrations.current(conn, self.table_prefix) is None:
                # Made before migrations, or never made: take it up first, then undo it all.
                migrations.upgrade(conn, self.table_prefix)
            migrations.downgrade(conn, self.table_prefix)
            conn.execute(text(f"DROP TABLE IF EXISTS "
                              f"{self._quote(migrations.version_table(self.table_prefix))}"))
        self._schema_ready = False

    def _quote(self, name: str) -> str:
        """A table name quoted for this database."""
        return self.engine.dialect.identifier_preparer.quote(name)

    def dispose(self) -> None:
        """Close the pooled connections and the lookups' own."""
        with self._held_lock:
            held, self._held_all = self._held_all, {}
            self._held_round += 1
        _close_own(held)
        if "_lookup_engine" in vars(self):
            self._lookup_engine.dispose()
        self.engine.dispose()

    # -- transactions ---------------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection in a read transaction."""
        self.ensure_schema()
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self, busy_timeout_ms: int | None = None) -> Iterator[Connection]:
        """A connection in a write transaction, committed at the end or rolled back on error;
        on SQLite, waiting up to busy_timeout_ms (or the store's own) for another writer."""
        with self.engine.connect() as conn:
            # SQLite: take the write lock up front, so two writers queue instead of deadlocking.
            conn.execution_options(sqlite_begin="IMMEDIATE")
            waiting = self.is_sqlite and busy_timeout_ms is not None
            if waiting:
                # On the driver's connection: a statement through conn would begin a transaction.
                conn.connection.dbapi_connection.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            try:
                with conn.begin():
                    yield conn
            finally:
                if waiting:
                    conn.connection.dbapi_connection.execute(
                        f"PRAGMA busy_timeout={self.busy_timeout_ms}")

    # -- reading --------------------------------------------------------------------------------

    @staticmethod
    def key(order_number: str) -> str:
        """The lookup key of an order number (see lookup.orders.normalize_order_number)."""
        return normalize_order_number(order_number)

    def check(self) -> None:
        """Raise if the store cannot be reached, read or written (read-only, locked)."""
        with self.read() as conn:
            conn.execute(select(func.count()).select_from(self.meta))
        # A real write, rolled back: a read-only or locked database fails it, and nothing is
        # ever written (SQLite writes the WAL only on commit).
        with self.engine.connect() as conn:
            conn.execution_options(sqlite_begin="IMMEDIATE")
            transaction = conn.begin()
            try:
                conn.execute(self.meta.update().where(self.meta.c.name == "schema_version")
                             .values(value=self.meta.c.value))
            finally:
                transaction.rollback()

    def count(self) -> int:
        """How many orders are stored."""
        with self.read() as conn:
            return conn.scalar(select(func.count()).select_from(self.orders)) or 0

    def get(self, order_number: str) -> dict[str, Any] | None:
        """The stored document of an order, by order number (any spelling the lookup accepts)."""
        with self.read() as conn:
            row = conn.execute(select(self.orders.c.document)
                               .where(self.orders.c.order_key == self.key(order_number))).first()
        return json.loads(row.document) if row else None

    def find(self, order_number: str, email: str) -> dict[str, Any] | None:
        """The order with this number and email, or None for any miss.

        An unknown order and a wrong email do the same work (one key lookup that sends back the
        email key alone, one digest comparison), so neither the answer nor its timing tells them
        apart. The document comes back in the same statement only when the email matches: one
        statement, so one consistent read and one round trip (the hot path of every lookup).
        """
        key = self.key(order_number)
        given = normalize_email(email)
        try:
            row = self._find_row(given, key)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            # The database dropped its connections (a restart, a failover): every pooled one
            # is as stale as this one, so the pool starts afresh and the read runs once more.
            self._lookup_engine.dispose()
            row = self._find_row(given, key)
        stored, document = (row[0], row[1]) if row is not None else (None, None)
        # Fixed-length digests compared in constant time, against a stand-in when there is
        # no order; the stand-in never equals a real digest.
        expected = _digest(stored) if stored is not None else NO_ORDER_DIGEST
        if not hmac.compare_digest(expected, _digest(given)) or stored is None:
            return None
        return json_text.loads(document) if document is not None else None

    def _find_row(self, email_key: str, order_key: str) -> tuple[Any, ...] | None:
        """The lookup statement's row: the stored email key, and the document when it matches.

        SQLAlchemy's Connection around a key read costs several times the read itself, and its
        pool's check-out and check-in as much again, so the lookup runs on a driver connection
        its thread keeps. One statement is its own consistent read, so it runs without BEGIN
        and COMMIT (autocommit; on PostgreSQL each was a round trip). Driver errors come out as
        SQLAlchemy's DBAPIError (503, as for every other read), and the connection is closed, so
        the thread's next lookup opens a new one.
        """
        self.ensure_schema()
        connection = self._lookup_connection()
        dialect = self._lookup_engine.dialect
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(self._find_sql, (email_key, order_key))
                return cursor.fetchone()
            finally:
                cursor.close()
        except dialect.loaded_dbapi.Error as exc:
            invalidated = dialect.is_disconnect(exc, connection, None)
            self._drop_lookup_connection(connection)
            # Neither statement nor parameters (an order number and an email) in the error.
            raise DBAPIError.instance(None, None, exc, dialect.loaded_dbapi.Error,
                                      hide_parameters=True, connection_invalidated=invalidated,
                                      dialect=dialect) from exc

    def _lookup_connection(self) -> Any:
        """This thread's driver connection for lookups, opened on first use, in autocommit.

        Opened as the lookups' engine opens its connections (so configured alike), then taken
        out of its pool for good: the pool's limit stays for everything else. A forked process
        or a store disposed of since opens a new one.
        """
        held = self._held
        opened_in = (os.getpid(), self._held_round)
        if held.connection is not None and held.opened_in == opened_in:
            return held.connection
        engine = self._lookup_engine
        pooled = engine.raw_connection()
        if isinstance(engine.pool, QueuePool):
            pooled.detach()
        # Otherwise (SQLite in memory: the connection is the database) it stays lent, and the
        # pool's other users in this thread go on sharing it.
        held.lent = pooled
        connection = pooled.dbapi_connection
        if not self.is_sqlite:  # sqlite3 runs in autocommit already (see _configure_sqlite)
            connection.autocommit = True
        with self._held_lock:
            alive = {(opened_in[0], thread.ident) for thread in threading.enumerate()}
            # Ended threads' connections, another process's (forked from: never closed here, it
            # may still use them) and this thread's earlier one (an ended thread's id given again).
            stale = {key: self._held_all.pop(key) for key in list(self._held_all)
                     if key not in alive or key == (opened_in[0], threading.get_ident())}
            self._held_all[(opened_in[0], threading.get_ident())] = connection
        _close_own(stale)
        held.connection, held.opened_in = connection, opened_in
        return connection

    def _drop_lookup_connection(self, connection: Any) -> None:
        """Close a lookup connection after an error: it may be broken, and a new one is cheap."""
        self._held.connection = self._held.lent = None
        key = (os.getpid(), threading.get_ident())
        with self._held_lock:
            if self._held_all.get(key) is connection:
                del self._held_all[key]
        _close_quietly(connection)

    @cached_property
    def _find_sql(self) -> str:
        """The lookup statement in the driver's own SQL: by key, the email key, and the document
        only when the email key equals the given one (parameters: email key, order key)."""
        dialect = self.engine.dialect
        table = dialect.identifier_preparer.format_table(self.orders)
        quote = dialect.identifier_preparer.quote
        mark = self._mark
        email_key = quote("email_key")
        return (f"SELECT {email_key}, CASE WHEN {email_key} = {mark} THEN {quote('document')} "
                f"END FROM {table} WHERE {quote('order_key')} = {mark}")

    def get_meta(self, name: str) -> str | None:
        """A value from the store's own key-value table."""
        with self.read() as conn:
            return conn.scalar(select(self.meta.c.value).where(self.meta.c.name == name))

    def set_meta(self, name: str, value: str) -> None:
        """Set a value in the store's own key-value table."""
        with self.write() as conn:
            self._set_meta(conn, name, value)

    def _set_meta(self, conn: Connection, name: str, value: str) -> None:
        updated = conn.execute(self.meta.update().where(self.meta.c.name == name)
                               .values(value=value)).rowcount
        if not updated:
            conn.execute(self.meta.insert().values(name=name, value=value))

    # -- writing --------------------------------------------------------------------------------

    def apply(self, documents: Iterable[dict[str, Any] | Prepared], *, force: bool = False
              ) -> ApplyResult:
        """Apply validated documents in one transaction (see `apply_in`)."""
        self.ensure_schema()
        with self.write() as conn:
            return self.apply_in(conn, documents, force=force)

    def apply_in(self, conn: Connection, documents: Iterable[dict[str, Any] | Prepared], *,
                 force: bool = False, occurred_at: datetime | None = None) -> ApplyResult:
        """Apply validated documents (or their `prepare`d forms) inside the caller's
        transaction, in batches.

        A document replaces the stored one only when it is newer (lookup.orders.freshness, then
        status rank); an older one only adds the milestones and carrier events the stored one
        lacks. `force` replaces regardless (the demo orders, re-dated every day).
        """
        result = ApplyResult()
        batch: list[Prepared] = []
        for document in documents:
            batch.append(document if isinstance(document, Prepared)
                         else prepare(document, occurred_at))
            if len(batch) >= BATCH_SIZE:
                self._apply_batch(conn, batch, result, force)
                batch = []
        if batch:
            self._apply_batch(conn, batch, result, force)
        return result

    def _apply_batch(self, conn: Connection, batch: list[Prepared], result: ApplyResult,
                     force: bool) -> None:
        select_sql, insert_sql, update_sql = self._batch_sql
        keys = list({incoming.key: None for incoming in batch})
        marks = ", ".join([self._mark] * len(keys))
        # The driver's own statements, positional rows: SQLAlchemy's compiling and parameter
        # handling per batch and row cost more than SQLite's work.
        stored = {row[0]: row for row in conn.exec_driver_sql(
            select_sql.format(marks=marks), tuple(keys))}
        # The state after this batch, by key; a file may carry the same order twice. Documents
        # are read back from their text only when two of them must be merged.
        pending: dict[str, _Pending] = {}
        for incoming in batch:
            key = incoming.key
            current = pending.get(key)
            if current is None and key in stored:
                _, email_key, status, fresh, text = stored[key]
                current = _Pending(fresh, status, email_key, text, new=False, original=text)
            if current is None or force:
                pending[key] = _Pending(incoming.freshness, incoming.status, incoming.email_key,
                                        incoming.text, new=current is None or current.new,
                                        original=current.original if current else None)
                continue
            is_newer = (incoming.freshness, STATUS_RANK[incoming.status]) >= (
                current.freshness, STATUS_RANK[current.status])
            if is_newer:
                document = merge_documents(json.loads(incoming.text), json.loads(current.text))
                state = (incoming.freshness, incoming.status, incoming.email_key)
            else:
                document = merge_documents(json.loads(current.text), json.loads(incoming.text))
                state = (current.freshness, current.status, current.email_key)
                result.older += 1
                result.older_keys.append(key)
            pending[key] = _Pending(*state, document_text(document), new=current.new,
                                    original=current.original)
        now = _now()
        inserts, updates = [], []
        for key, state in pending.items():
            if state.new:
                inserts.append((key, state.email_key, state.status, state.freshness, state.text,
                                now))
            elif state.text == state.original and state.freshness == stored[key][3]:
                result.unchanged += 1
            else:
                updates.append((state.email_key, state.status, state.freshness, state.text, now,
                                key))
        result.created += len(inserts)
        result.updated += len(updates)
        if inserts:
            conn.exec_driver_sql(insert_sql, inserts)
        if updates:
            conn.exec_driver_sql(update_sql, updates)

    @cached_property
    def _mark(self) -> str:
        """The driver's positional parameter: qmark for sqlite3, format (%s) for psycopg."""
        return "?" if self.engine.dialect.paramstyle == "qmark" else "%s"

    @cached_property
    def _batch_sql(self) -> tuple[str, str, str]:
        """A batch's statements in the driver's own SQL, with positional parameters in the order
        of ROW_COLUMNS: the stored rows of some keys ({marks} to fill in; stored_at left out),
        the insert of a row, the update of one by key (the key last)."""
        dialect = self.engine.dialect
        table = dialect.identifier_preparer.format_table(self.orders)
        key, *others = map(dialect.identifier_preparer.quote, ROW_COLUMNS)
        mark = self._mark
        return (f"SELECT {', '.join([key, *others[:-1]])} FROM {table} WHERE {key} IN ({{marks}})",
                f"INSERT INTO {table} ({', '.join([key, *others])}) "
                f"VALUES ({', '.join([mark] * len(ROW_COLUMNS))})",
                f"UPDATE {table} SET {', '.join(f'{name} = {mark}' for name in others)} "
                f"WHERE {key} = {mark}")

    def apply_event(self, event_id: str, document: dict[str, Any],
                    occurred_at: datetime) -> str:
        """Apply a webhook event once: 'applied', 'older' (stored one kept) or 'duplicate'."""
        self.ensure_schema()
        key = normalize_order_number(document["order_number"])
        for attempt in range(1, EVENT_ATTEMPTS + 1):
            try:
                with self.write() as conn:
                    seen = conn.scalar(select(self.webhook_events.c.event_id)
                                       .where(self.webhook_events.c.event_id == event_id))
                    if seen is not None:
                        return "duplicate"
                    conn.execute(self.webhook_events.insert().values(
                        event_id=event_id, order_key=key, received_at=_now()))
                    result = self.apply_in(conn, [document], occurred_at=occurred_at)
                break
            except IntegrityError:
                # The same event raced in on another worker and won: it is applied once, there.
                if self._event_seen(event_id):
                    return "duplicate"
                # Another event created the same new order meanwhile (PostgreSQL lets both
                # transactions find it missing): all was rolled back, and the next try finds
                # it and merges. Any other constraint failure must not pass as applied.
                if attempt == EVENT_ATTEMPTS or not self._has_order(key):
                    raise
        return "older" if result.older_keys else "applied"

    def _has_order(self, key: str) -> bool:
        """True when an order with this key is stored."""
        with self.read() as conn:
            return conn.scalar(select(self.orders.c.order_key)
                               .where(self.orders.c.order_key == key)) is not None

    def _event_seen(self, event_id: str) -> bool:
        """True when this webhook event is stored (applied by someone)."""
        with self.read() as conn:
            return conn.scalar(select(self.webhook_events.c.event_id)
                               .where(self.webhook_events.c.event_id == event_id)) is not None


def _digest(text: str) -> bytes:
    """SHA-256 of a text, for comparisons whose time must not depend on where texts differ."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


# The stand-in for a missing order: the digest of a text no lookup can send (NUL is refused).
NO_ORDER_DIGEST = hashlib.sha256(b"\x00no order\x00").digest()


def unstorable_field(value: Any, path: str = "") -> str | None:
    """The dotted path of the first text a database cannot hold (NUL, an unpaired surrogate).

    JSON may spell both (\\u0000, \\ud800); PostgreSQL refuses NUL in text and neither store can
    encode a lone surrogate, so such a document is refused up front rather than crashing a write.
    """
    if isinstance(value, str):
        return path or "value" if not _storable_text(value) else None
    if isinstance(value, dict):
        for name, item in value.items():
            where = f"{path}.{name}" if path else str(name)
            if not _storable_text(str(name)):
                return path or "value"
            found = unstorable_field(item, where)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable_field(item, f"{path}[{index}]")
            if found:
                return found
    return None


def _storable_text(text: str) -> bool:
    """True when a text has no NUL and encodes as UTF-8."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _switch_to_wal(cursor: Any, busy_timeout_ms: int) -> None:
    """Put the database in WAL mode (once for good; a no-op after), retrying while locked.

    Switching needs the database's exclusive lock, and SQLite answers "locked" at once, without
    waiting, while another connection writes to it or switches it too (workers starting
    together on a database from before WAL).
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _close_quietly(connection: Any) -> None:
    """Close a driver connection that may already be broken or closed."""
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - a dead connection's close may raise anything
        pass


def _close_own(connections: dict[tuple[int, int | None], Any]) -> None:
    """Close the connections this process opened (keyed by process and thread); a parent's,
    inherited by a fork, are left alone: closing them here would end them for the parent."""
    pid = os.getpid()
    for (opened_by, _), connection in connections.items():
        if opened_by == pid:
            _close_quietly(connection)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    """WAL, a busy timeout, and transactions that SQLAlchemy (not the driver) begins."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record) -> None:
        # Let SQLAlchemy emit BEGIN itself (the driver's implicit transactions get it wrong).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        _switch_to_wal(cursor, busy_timeout_ms)
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")
