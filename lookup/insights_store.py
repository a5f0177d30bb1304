"""Operator insights in the orders' database: page votes, next steps shown, searches and their
clicks by day. Shared by every host behind a load balancer; no web in here, nothing about who asked.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections import Counter
from collections.abc import Iterable
from datetime import date
from datetime import timedelta
from typing import Any

from sqlalchemy import Boolean
from sqlalchemy import Column
from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import PrimaryKeyConstraint
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
from search.clicks import MAX_QUERIES
from search.clicks import MAX_QUERY_CHARS
from search.clicks import MAX_URL_CHARS
from search.clicks import MIN_CLICKS
from search.clicks import Clicks
from search.clicks import is_site_path
from search.clicks import normalize
from search.language import DEFAULT_LANGUAGE
from search.language import LANGUAGES
from search.language import query_language
from search.language import url_language

MAX_PAGE = 300
MAX_COMMENT = 500
# Only the words of a query, and no unbounded text (the same bound as search's).
MAX_QUERY = MAX_QUERY_CHARS
# The search counts stay bounded whatever is typed: past this many different queries in a day
# in one language, new ones of that language are counted together under OTHER_QUERIES; days older
# than SEARCH_KEEP_DAYS are pruned. The bound is per language so that a flood of queries in one
# language never hides the other's (Korean searches are the fewer); the languages are a fixed list,
# so the rows a day stay bounded too.
MAX_QUERIES_PER_DAY = 5000
OTHER_QUERIES = "(other queries)"
SEARCH_KEEP_DAYS = 180
# Next-step counts, and searches of a query already stored that day, are added up in memory and
# written in one transaction at most this often (or after this many counts), before any read of
# them in this process, and at exit: most lookups and searches never write. A crash loses at most
# these few seconds of counts, which operator analytics can spare.
FLUSH_SECONDS = 5.0
FLUSH_LOOKUPS = 1000

log = logging.getLogger(__name__)
# Every store with counts to write at exit (weakly: tests make and drop many).
_LIVE_STORES: weakref.WeakSet[InsightsStore] = weakref.WeakSet()


def build_tables(prefix: str = "") -> tuple[MetaData, Table, Table, Table, Table]:
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
    searches = Table(
        f"{prefix}search_days", metadata,
        # The query text only, normalised and scrubbed of emails, phones and order numbers.
        Column("day", String(10), nullable=False),
        # The pages searched: "en" (the site's root) or "ko" (/ko/), as search.language says.
        Column("language", String(8), nullable=False, server_default=DEFAULT_LANGUAGE),
        Column("query", String(MAX_QUERY), nullable=False),
        Column("searches", Integer, nullable=False),
        Column("zero_results", Integer, nullable=False),
        Column("clicks", Integer, nullable=False),
        PrimaryKeyConstraint("day", "language", "query", name=f"{prefix}search_days_pkey"),
    )
    # Which section buyers opened for a query, over all days: what search learns from.
    result_clicks = Table(
        f"{prefix}search_result_clicks", metadata,
        Column("query", String(MAX_QUERY), nullable=False),
        Column("url", String(MAX_URL_CHARS), nullable=False),
        Column("clicks", Integer, nullable=False),
        PrimaryKeyConstraint("query", "url"),
    )
    return metadata, votes, steps, searches, result_clicks


def _upsert_adding(conn: Connection, table: Table, keys: list[str], added: list[str]) -> Any:
    """INSERT … ON CONFLICT DO UPDATE adding to `added`, in the database's own dialect."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in keys],
        set_={name: table.c[name] + statement.excluded[name] for name in added},
    )


class InsightsStore:
    """Votes and counters beside the orders, on the order store's engine and migrations."""

    def __init__(self, orders: OrderStore, *, table_prefix: str = ""):
        self.orders = orders
        (self.metadata, self.votes, self.steps, self.searches,
         self.result_clicks) = build_tables(table_prefix)
        # Counts not written yet, guarded by _pending_lock: showings by (day, step id), and
        # searches and zero-result searches by (day, language, query) of rows already stored.
        self._pending: Counter[tuple[str, str]] = Counter()
        self._pending_searches: Counter[tuple[str, str, str]] = Counter()
        self._pending_zero: Counter[tuple[str, str, str]] = Counter()
        self._pending_count = 0
        # Per day, the (language, query) pairs this process has seen stored, and the query each
        # is counted under (itself, or OTHER_QUERIES past the day's bound). Only the last two
        # days, and at most 2 * MAX_QUERIES_PER_DAY a language a day; a query not in here is
        # written at once.
        self._stored: dict[str, dict[tuple[str, str], str]] = {}
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
        """The order store's migrations make these tables too."""
        self.orders.ensure_schema()

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
        or FLUSH_LOOKUPS counts were made since the last one (and may raise like any write).
        """
        ids = set(step_ids)
        if not ids:
            return
        key = day.isoformat()
        with self._pending_lock:
            pending = self._pending
            for step_id in ids:
                pending[(key, step_id)] += 1
            due = self._counted()
        if due:
            self.flush()

    def count_search(self, query: str, results: int, day: date, *,
                     language: str = DEFAULT_LANGUAGE,
                     max_queries: int = MAX_QUERIES_PER_DAY,
                     keep_days: int = SEARCH_KEEP_DAYS) -> None:
        """Count one search of query in a language's pages on the day (UTC), and whether it
        found nothing.

        The first search of a query on a day is written at once, so a click answered by another
        host finds it; later ones wait in memory for `flush`. The day's first search prunes the
        days older than `keep_days`. May raise like any write: the caller logs and goes on.

        :raise ValueError: for a language the site does not have (the counts stay bounded).
        """
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}")
        text = normalize(query)
        if not text:
            return
        key, zero = day.isoformat(), 0 if results else 1
        with self._pending_lock:
            counted_as = self._stored.get(key, {}).get((language, text))
            if counted_as is not None:
                self._pending_searches[(key, language, counted_as)] += 1
                self._pending_zero[(key, language, counted_as)] += zero
            due = self._counted()
        if counted_as is None:
            counted_as = self._store_search(text, language, zero, day, max_queries, keep_days)
            self._remember(key, language, text, counted_as)
        if due:
            self.flush()

    def _counted(self) -> bool:
        """Note one more count kept in memory; True when a flush is due (hold _pending_lock)."""
        self._pending_count += 1
        return (self._pending_count >= self.flush_lookups
                or time.monotonic() - self._last_flush >= self.flush_seconds)

    def _store_search(self, text: str, language: str, zero: int, day: date, max_queries: int,
                      keep_days: int) -> str:
        """Write one search of a query now; the query it was counted under."""
        self.ensure_schema()
        table, key = self.searches, day.isoformat()
        with self.orders.write() as conn:
            if conn.execute(table.update()
                            .where(table.c.day == key, table.c.language == language,
                                   table.c.query == text)
                            .values(searches=table.c.searches + 1,
                                    zero_results=table.c.zero_results + zero)).rowcount:
                return text
            known = conn.scalar(select(func.count()).select_from(table)
                                .where(table.c.day == key, table.c.language == language)) or 0
            if known == 0:
                self._prune(conn, day - timedelta(days=keep_days))
            counted_as = OTHER_QUERIES if known >= max_queries else text
            conn.execute(self._upsert_searches(conn), [
                {"day": key, "language": language, "query": counted_as, "searches": 1,
                 "zero_results": zero, "clicks": 0}])
        return counted_as

    def _remember(self, key: str, language: str, text: str, counted_as: str) -> None:
        """Note that query text is stored for the day (under counted_as), within the bounds."""
        with self._pending_lock:
            if key not in self._stored:
                for older in sorted(self._stored)[:-1]:
                    del self._stored[older]
                self._stored[key] = {}
            queries = self._stored[key]
            if len(queries) < 2 * MAX_QUERIES_PER_DAY * len(LANGUAGES):
                queries[(language, text)] = counted_as

    def count_click(self, query: str, day: date, url: str | None = None) -> bool:
        """Count a click on a result of query (the section `url`, when given); False when query
        was not searched that day in the language of the result's page.

        Only searches the service answered can be clicked, so a made-up beacon adds no new
        queries. Written at once (clicks are few), on whichever host answers it. The result's
        page says the language searched (/ko/… for Korean); without one, a query in Hangul is
        Korean, as the search API decides.
        """
        text = normalize(query)
        if not text:
            return False
        site_url = bool(url) and is_site_path(url)
        language = url_language(url) if site_url else query_language(text)
        self.ensure_schema()
        table = self.searches
        with self.orders.write() as conn:
            changed = conn.execute(table.update()
                                   .where(table.c.day == day.isoformat(),
                                          table.c.language == language, table.c.query == text)
                                   .values(clicks=table.c.clicks + 1)).rowcount
            if changed and site_url:
                conn.execute(_upsert_adding(conn, self.result_clicks, ["query", "url"],
                                            ["clicks"]).values(query=text, url=url, clicks=1))
        return bool(changed)

    def clicked_results(self) -> Clicks:
        """Every query's clicked sections with their counts, for the most clicked queries past
        the floor search applies (what search.clicks learns from)."""
        self.ensure_schema()
        table = self.result_clicks
        total = func.sum(table.c.clicks)
        top = (select(table.c.query).group_by(table.c.query).having(total >= MIN_CLICKS)
               .order_by(total.desc()).limit(MAX_QUERIES).subquery())
        with self.orders.read() as conn:
            rows = conn.execute(select(table.c.query, table.c.url, table.c.clicks)
                                .join(top, top.c.query == table.c.query)).all()
        found: Clicks = {}
        for query, url, clicks in rows:
            found.setdefault(query, {})[url] = int(clicks)
        return found

    def prune_searches(self, before: date) -> int:
        """Delete the search counts of days before `before`; how many rows went."""
        self.flush()
        self.ensure_schema()
        with self.orders.write() as conn:
            return self._prune(conn, before)

    def _prune(self, conn: Connection, before: date) -> int:
        return conn.execute(self.searches.delete()
                            .where(self.searches.c.day < before.isoformat())).rowcount

    def flush(self) -> None:
        """Write the counts kept in memory in one transaction; on failure they are kept."""
        with self._flush_lock:
            with self._pending_lock:
                steps, self._pending = self._pending, Counter()
                searches, self._pending_searches = self._pending_searches, Counter()
                zeros, self._pending_zero = self._pending_zero, Counter()
                self._pending_count = 0
                self._last_flush = time.monotonic()
            if not steps and not searches:
                return
            try:
                self.ensure_schema()
                with self.orders.write() as conn:
                    if steps:
                        conn.execute(self._upsert_steps(conn), [
                            {"day": day, "step_id": step_id, "shown": shown}
                            for (day, step_id), shown in sorted(steps.items())])
                    if searches:
                        conn.execute(self._upsert_searches(conn), [
                            {"day": day, "language": language, "query": query,
                             "searches": count, "zero_results": zeros[(day, language, query)],
                             "clicks": 0}
                            for (day, language, query), count in sorted(searches.items())])
            except BaseException:
                # Rolled back: put the counts back, to be written by the next flush.
                with self._pending_lock:
                    self._pending.update(steps)
                    self._pending_searches.update(searches)
                    self._pending_zero.update(zeros)
                raise

    def pending_steps(self) -> dict[tuple[str, str], int]:
        """The step counts not written yet, by (day, step id) (for tests and diagnostics)."""
        with self._pending_lock:
            return dict(self._pending)

    def pending_searches(self) -> dict[tuple[str, str, str], int]:
        """The searches not written yet, by (day, language, query) (for tests and diagnostics)."""
        with self._pending_lock:
            return dict(self._pending_searches)

    def _upsert_steps(self, conn: Connection) -> Any:
        """Add the rows' showings to the stored ones, in one race-free statement."""
        return _upsert_adding(conn, self.steps, ["day", "step_id"], ["shown"])

    def _upsert_searches(self, conn: Connection) -> Any:
        """Add the rows' searches and zero results to the stored ones."""
        return _upsert_adding(conn, self.searches, ["day", "language", "query"],
                              ["searches", "zero_results"])

    # -- reading --------------------------------------------------------------------------------

    def page_ratings(self, since: date, until: date) -> list[dict[str, Any]]:
        """Votes per page between the two days (inclusive): page, its language (from its path:
        Korean pages are under /ko/), yes, no, comments."""
        self.ensure_schema()
        votes = self.votes
        yes = func.sum(case((votes.c.helpful.is_(True), 1), else_=0))
        with self.orders.read() as conn:
            rows = conn.execute(
                select(votes.c.page, yes.label("yes"), func.count().label("votes"),
                       func.count(votes.c.comment).label("comments"))
                .where(votes.c.day.between(since.isoformat(), until.isoformat()))
                .group_by(votes.c.page)).all()
        return [{"page": row.page, "language": url_language(row.page), "yes": int(row.yes or 0),
                 "no": row.votes - int(row.yes or 0), "comments": row.comments} for row in rows]

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

    def search_days(self, since: date, until: date,
                    language: str | None = None) -> list[tuple[str, int, int, int]]:
        """Per query, summed over the days since..until (inclusive): searches, zero results,
        clicks; most searched first. In one language's pages, or in all of them (None)."""
        self.flush()
        self.ensure_schema()
        table = self.searches
        searches = func.sum(table.c.searches)
        wanted = [table.c.day.between(since.isoformat(), until.isoformat())]
        if language is not None:
            wanted.append(table.c.language == language)
        with self.orders.read() as conn:
            rows = conn.execute(
                select(table.c.query, searches, func.sum(table.c.zero_results),
                       func.sum(table.c.clicks))
                .where(*wanted)
                .group_by(table.c.query)
                .order_by(searches.desc(), table.c.query)).all()
        return [(query, int(count), int(zero), int(clicks)) for query, count, zero, clicks in rows]

    def top_misses(self, limit: int = 50) -> list[tuple[str, str, int, str]]:
        """The most frequent zero-result queries: (language, query, count, last day seen)."""
        self.flush()
        self.ensure_schema()
        table = self.searches
        misses, last_day = func.sum(table.c.zero_results), func.max(table.c.day)
        with self.orders.read() as conn:
            rows = conn.execute(
                select(table.c.language, table.c.query, misses, last_day)
                .where(table.c.zero_results > 0)
                .group_by(table.c.language, table.c.query)
                .order_by(misses.desc(), last_day.desc(), table.c.language, table.c.query)
                .limit(limit)).all()
        return [(language, query, int(count), day) for language, query, count, day in rows]


@atexit.register
def flush_all() -> None:
    """Write every store's pending counts at exit; a store that cannot be written is logged."""
    for store in list(_LIVE_STORES):
        if not store.pending_steps() and not store.pending_searches():
            continue
        try:
            store.flush()
        except SQLAlchemyError:
            log.warning("could not write the counts kept before exit", exc_info=True)
