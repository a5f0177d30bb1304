"""Operator insights, counted: the insights store, searches and next steps by day.

Nothing here knows who asked: no cookies, no addresses stored, query text and counts only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path

from flask import Flask
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from lookup.insights_store import InsightsStore

log = logging.getLogger(__name__)


def today() -> date:
    """The day insights are counted on: UTC, the same on every host."""
    return datetime.now(UTC).date()


def get_insights() -> InsightsStore:
    """The current app's insights store."""
    return current_app.extensions["insights"]


# -- counting what the service answers -------------------------------------------------------------

def misses_file() -> Path:
    """Where zero-result queries are counted: SEARCH_MISSES_FILE, else the instance folder."""
    configured = current_app.config.get("SEARCH_MISSES_FILE")
    if configured:
        return Path(configured)
    return Path(current_app.instance_path) / "search-misses.sqlite3"


def count_next_steps(step_ids: Iterable[str]) -> None:
    """Count the next steps a lookup showed (ids only, never the order); never fails a lookup."""
    insights: InsightsStore | None = current_app.extensions.get("insights")
    if insights is None:
        return
    try:
        insights.count_steps(step_ids, today())
    except SQLAlchemyError:
        log.warning("could not count the next steps shown", exc_info=True)


def init_app(app: Flask) -> None:
    """Keep the insights store beside the orders."""
    store = app.extensions["order_store"]
    app.extensions["insights"] = InsightsStore(
        store, table_prefix=app.config.get("DATABASE_TABLE_PREFIX") or "")
