"""Operator insights in the orders' database: page votes and next-step counts; no web in here."""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Boolean
from sqlalchemy import Column
from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import SQLAlchemyError

from lookup.store import OrderStore

MAX_PAGE = 300
MAX_COMMENT = 500
# Next-step counts are added up in memory and written in one transaction at most this often (or
# after this many lookups), before any read of them in this process, and at exit: a lookup never
# writes. A crash loses at most these few seconds of counts, which operator analytics can spare.
FLUSH_SECONDS = 5.0
FLUSH_LOOKUPS = 1000

log = logging.getLogger(__name__)
# Every store with counts to write at exit (weakly: tests make and drop many).
_LIVE_STORES: weakref.WeakSet[InsightsStore] = weakref.WeakSet()


def build_tables(prefix: str = "") -> tuple[MetaData, Table, Table]:
    """The insight tables, with the order store's prefix so they sit beside its tables."""
    metadata = MetaData()
    votes = Table(
        f"{prefix}page_votes", metadata,
        # The random token the page made for one view: a second vote from that view is refused.
        # Nothing about who voted is kept: no address, no cookie, no account.
        Column("view_token", String(64), primary_key=True),
        Column("page", String(MAX_PAGE), nullable=False, index=True),
        Column("helpful", Boolean, nullable=False),
        Column("comment", Text, nullable=True),
        Column("day", String(10), nullable=False, index=True),
    )
    steps = Table(
        f"{prefix}next_steps_shown", metadata,
        Column("day", String(10), primary_key=True),
        Column("step_id", String(64), primary_key=True),
        Column("shown", Integer, nullable=False),
    )
    return metadata, votes, steps


class InsightsStore:
    """Votes and counters beside the orders, on the order store's engine; creates its tables."""

    def __init__(self, orders: OrderStore, *, table_prefix: str = ""):
        self.orders = orders
        self.metadata, self.votes, self.steps = build_tables(table_prefix)
        self._schema_ready = False
        self._schema_lock = threading.Lock()
        # (day, step id) -> showings not yet written; guarded by _pending_lock.
        self._pending: Counter[tuple[str, str]] = Counter()
        self._pending_lookups = 0
        self._pending_lock = threading.Lock()
        # One flush at a time, so two threads never write the same counts.
        self._flush_lock = threading.Lock()
        self._last_flush = time.monotonic()
        self.flush_seconds = FLUSH_SECONDS
        self.flush_lookups = FLUSH_LOOKUPS
        _LIVE_STORES.add(self)

    @property
    def engine(self) -> Engine:
        """The order store's engine: one pool, one database."""
        return self.orders.engine

    def ensure_schema(self) -> None:
        """Create the tables once per process; safe when workers start at once."""
        if self._schema_ready:
            return
        with self._schema_lock:
            if self._schema_ready:
                return
            with self.orders.write() as conn:
                self.orders.create_tables(conn, self.metadata)
            self._schema_ready = True

    def drop_schema(self) -> None:
        """Drop the insight tables (tests only)."""
        with self.orders.write() as conn:
            self.metadata.drop_all(conn)
        self._schema_ready = False

    # -- writing --------------------------------------------------------------------------------

    def add_vote(self, view_token: str, page: str, helpful: bool, day: date,
                 comment: str | None = None) -> bool:
        """Store one vote; False when this view has voted already (nothing stored then)."""
        self.ensure_schema()
        try:
            with self.orders.write() as conn:
                conn.execute(self.votes.insert().values(
                    view_token=view_token, page=page, helpful=helpful, comment=comment,
                    day=day.isoformat()))
        except IntegrityError:
            return False
        return True

    def add_comment(self, view_token: str, comment: str) -> str:
        """Attach a comment to this view's vote: 'stored', 'duplicate' (it has one) or 'no_vote'."""
        self.ensure_schema()
        votes = self.votes
        with self.orders.write() as conn:
            updated = conn.execute(votes.update()
                                   .where(votes.c.view_token == view_token)
                                   .where(votes.c.comment.is_(None))
                                   .values(comment=comment)).rowcount
            if updated:
                return "stored"
            exists = conn.scalar(select(votes.c.view_token)
                                 .where(votes.c.view_token == view_token))
        return "duplicate" if exists else "no_vote"

    def count_steps(self, step_ids: Iterable[str], day: date) -> None:
        """Add one showing to each next step's counter for the day (counts only, no order).

        Counted in memory; written by `flush`, which runs here once FLUSH_SECONDS have passed
        or FLUSH_LOOKUPS lookups were counted since the last one (and may raise like any write).
        """
        ids = set(step_ids)
        if not ids:
            return
        key = day.isoformat()
        with self._pending_lock:
            pending = self._pending
            for step_id in ids:
                pending[(key, step_id)] += 1
            self._pending_lookups += 1
            due = (self._pending_lookups >= self.flush_lookups
                   or time.monotonic() - self._last_flush >= self.flush_seconds)
        if due:
            self.flush()

    def flush(self) -> None:
        """Write the counts kept in memory in one transaction; on failure they are kept."""
        with self._flush_lock:
            with self._pending_lock:
                taken, self._pending = self._pending, Counter()
                self._pending_lookups = 0
                self._last_flush = time.monotonic()
            if not taken:
                return
            rows = [{"day": day, "step_id": step_id, "shown": shown}
                    for (day, step_id), shown in sorted(taken.items())]
            try:
                self.ensure_schema()
                with self.orders.write() as conn:
                    conn.execute(self._upsert_steps(conn), rows)
            except BaseException:
                # Rolled back: put the counts back, to be written by the next flush.
                with self._pending_lock:
                    self._pending.update(taken)
                raise

    def pending_steps(self) -> dict[tuple[str, str], int]:
        """The counts not written yet, by (day, step id) (for tests and diagnostics)."""
        with self._pending_lock:
            return dict(self._pending)

    def _upsert_steps(self, conn: Connection) -> Any:
        """INSERT … ON CONFLICT DO UPDATE in the database's own dialect: one race-free statement."""
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(self.steps)
        return statement.on_conflict_do_update(
            index_elements=[self.steps.c.day, self.steps.c.step_id],
            set_={"shown": self.steps.c.shown + statement.excluded.shown},
        )

    # -- reading --------------------------------------------------------------------------------

    def page_ratings(self, since: date, until: date) -> list[dict[str, Any]]:
        """Votes per page between the two days (inclusive): page, yes, no, comments."""
        self.ensure_schema()
        votes = self.votes
        yes = func.sum(case((votes.c.helpful.is_(True), 1), else_=0))
        with self.orders.read() as conn:
            rows = conn.execute(
                select(votes.c.page, yes.label("yes"), func.count().label("votes"),
                       func.count(votes.c.comment).label("comments"))
                .where(votes.c.day.between(since.isoformat(), until.isoformat()))
                .group_by(votes.c.page)).all()
        return [{"page": row.page, "yes": int(row.yes or 0), "no": row.votes - int(row.yes or 0),
                 "comments": row.comments} for row in rows]

    def comments(self, pages: Iterable[str], since: date, until: date,
                 per_page: int = 3) -> dict[str, list[dict[str, Any]]]:
        """The latest comments on these pages in the period, newest day first."""
        wanted = list(pages)
        if not wanted:
            return {}
        self.ensure_schema()
        votes = self.votes
        with self.orders.read() as conn:
            rows = conn.execute(
                select(votes.c.page, votes.c.helpful, votes.c.comment, votes.c.day)
                .where(votes.c.page.in_(wanted), votes.c.comment.is_not(None),
                       votes.c.day.between(since.isoformat(), until.isoformat()))
                .order_by(votes.c.day.desc())).all()
        found: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            listed = found.setdefault(row.page, [])
            if len(listed) < per_page:
                listed.append({"day": row.day, "helpful": bool(row.helpful),
                               "comment": row.comment})
        return found

    def steps_shown(self, since: date, until: date) -> list[tuple[str, int]]:
        """How often each next step was shown in the period, most shown first."""
        self.flush()
        self.ensure_schema()
        steps = self.steps
        total = func.sum(steps.c.shown).label("shown")
        with self.orders.read() as conn:
            rows = conn.execute(
                select(steps.c.step_id, total)
                .where(steps.c.day.between(since.isoformat(), until.isoformat()))
                .group_by(steps.c.step_id)
                .order_by(total.desc(), steps.c.step_id)).all()
        return [(row.step_id, int(row.shown)) for row in rows]


@atexit.register
def flush_all() -> None:
    """Write every store's pending counts at exit; a store that cannot be written is logged."""
    for store in list(_LIVE_STORES):
        if not store.pending_steps():
            continue
        try:
            store.flush()
        except SQLAlchemyError:
            log.warning("could not write the next steps counted before exit", exc_info=True)
